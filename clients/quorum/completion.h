// How the command line helps its user: shell completion generated from the
// subcommand tree, "did you mean" for a mistyped subcommand, and the global
// flags in every subcommand's --help.
#ifndef QUORUM_CLIENTS_QUORUM_COMPLETION_H_
#define QUORUM_CLIENTS_QUORUM_COMPLETION_H_

#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "clients/quorum/cli.h"

namespace quorum::cli {

// A bash completion script for `root` and its subcommands (their names and
// flags at each level, the global flags everywhere, and the values of
// -o/--output). zsh loads it through bashcompinit.
std::string BashCompletion(const CLI::App& root);

// Registers `quorum completion bash|zsh`, which prints the script.
void AddCompletionCommand(CLI::App& app, Action& action);

// Adds the global flags of `root` to the --help of every subcommand, at any
// depth (CLI11 shows only a subcommand's own flags otherwise).
void ShowGlobalFlagsInSubcommandHelp(CLI::App& root);

// When the command line names a subcommand that does not exist (at any
// level: `quorum revew`, `quorum handoff creat`), the message to print
// instead of CLI11's: the unknown word, the nearest subcommands, and where
// to find them. Option values are skipped by asking `root` which options
// take one. nullopt when every subcommand word is known.
std::optional<std::string> UnknownSubcommandMessage(
    const CLI::App& root, const std::vector<std::string>& args);

// Edit distance (insertions, deletions, substitutions, adjacent swaps).
size_t EditDistance(const std::string& a, const std::string& b);

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_COMPLETION_H_
