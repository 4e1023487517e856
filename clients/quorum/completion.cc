#include "clients/quorum/completion.h"

#include <algorithm>
#include <iostream>
#include <memory>

namespace quorum::cli {
namespace {

std::vector<const CLI::App*> Subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* sub) {
    return !sub->get_name().empty() && sub->get_group() != "";
  });
}

// "--server --json -o ..." of `app`'s own flags (not positionals).
std::vector<std::string> FlagNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_positional() && opt->get_lnames().empty() &&
        opt->get_snames().empty()) {
      continue;
    }
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    for (const auto& s : opt->get_snames()) names.push_back("-" + s);
  }
  return names;
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

void CollectPaths(const CLI::App& app, const std::string& path,
                  std::vector<std::pair<std::string, const CLI::App*>>& out) {
  out.push_back({path, &app});
  for (const CLI::App* sub : Subcommands(app)) {
    CollectPaths(*sub, path + "/" + sub->get_name(), out);
  }
}

// The option of `app` or its ancestors called `word` ("--server", "-o").
const CLI::Option* FindOption(const CLI::App* app, const std::string& word) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* opt = app->get_option_no_throw(word)) return opt;
  }
  return nullptr;
}

const CLI::App* FindSubcommand(const CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : Subcommands(app)) {
    if (sub->check_name(word)) return sub;
  }
  return nullptr;
}

bool HasPositionals(const CLI::App& app) {
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_positional() && opt->get_lnames().empty() &&
        opt->get_snames().empty()) {
      return true;
    }
  }
  return false;
}

}  // namespace

size_t EditDistance(const std::string& a, const std::string& b) {
  // Optimal string alignment distance.
  std::vector<std::vector<size_t>> d(a.size() + 1,
                                     std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> UnknownSubcommandMessage(
    const CLI::App& root, const std::vector<std::string>& args) {
  const CLI::App* app = &root;
  std::string path = root.get_name();
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") return std::nullopt;
    if (word.size() > 1 && word[0] == '-') {
      if (word.find('=') != std::string::npos) continue;  // --flag=value
      const CLI::Option* opt = FindOption(app, word);
      if (opt != nullptr && opt->get_expected_min() > 0) ++i;  // Its value.
      continue;
    }
    if (const CLI::App* sub = FindSubcommand(*app, word)) {
      app = sub;
      path += " " + sub->get_name();
      continue;
    }
    // A positional argument of a subcommand that takes one: no typo.
    if (Subcommands(*app).empty() || HasPositionals(*app)) return std::nullopt;
    // The nearest subcommands: within a third of the word's length (at
    // least 1, at most 3 edits), or sharing its first letters.
    std::vector<std::pair<size_t, std::string>> near;
    for (const CLI::App* sub : Subcommands(*app)) {
      const std::string& name = sub->get_name();
      size_t distance = EditDistance(word, name);
      size_t allowed = std::clamp<size_t>(word.size() / 3, 1, 3);
      bool prefix = word.size() >= 2 && name.rfind(word, 0) == 0;
      if (distance <= allowed || prefix) near.push_back({distance, name});
    }
    std::sort(near.begin(), near.end());
    std::string message =
        "unknown command \"" + word + "\" for \"" + path + "\"\n";
    if (!near.empty()) {
      message += "\nDid you mean this?\n";
      for (const auto& [distance, name] : near) message += "\t" + name + "\n";
    } else {
      std::vector<std::string> names;
      for (const CLI::App* sub : Subcommands(*app)) {
        names.push_back(sub->get_name());
      }
      message += "\nAvailable commands: " + Join(names) + "\n";
    }
    message += "\nRun '" + path + " --help' for usage.\n";
    return message;
  }
  return std::nullopt;
}

std::string BashCompletion(const CLI::App& root) {
  std::vector<std::pair<std::string, const CLI::App*>> paths;
  CollectPaths(root, "", paths);
  std::string known;  // case patterns of every subcommand path
  std::string words;  // case arms: path -> its commands and flags
  std::string takes;  // options that take a value, anywhere
  std::vector<std::string> valued;
  for (const auto& [path, app] : paths) {
    for (const CLI::App* sub : Subcommands(*app)) {
      known += (known.empty() ? "" : "|") + path + "/" + sub->get_name();
    }
    std::vector<std::string> commands;
    for (const CLI::App* sub : Subcommands(*app)) {
      commands.push_back(sub->get_name());
    }
    std::vector<std::string> flags = FlagNames(root);
    if (app != &root) {
      for (const auto& f : FlagNames(*app)) flags.push_back(f);
    }
    std::sort(flags.begin(), flags.end());
    flags.erase(std::unique(flags.begin(), flags.end()), flags.end());
    words += "    \"" + path + "\") commands=\"" + Join(commands) +
             "\" flags=\"" + Join(flags) + "\" ;;\n";
    for (const CLI::Option* opt : app->get_options()) {
      if (opt->get_expected_min() <= 0) continue;  // A flag.
      for (const auto& l : opt->get_lnames()) valued.push_back("--" + l);
      for (const auto& s : opt->get_snames()) valued.push_back("-" + s);
    }
  }
  std::sort(valued.begin(), valued.end());
  valued.erase(std::unique(valued.begin(), valued.end()), valued.end());
  for (const auto& v : valued) takes += (takes.empty() ? "" : "|") + v;

  std::string out =
      "# bash completion for quorum; generated by `quorum completion bash`.\n"
      "#   source <(quorum completion bash)     # this shell\n"
      "#   quorum completion bash > "
      "/etc/bash_completion.d/quorum   # every shell\n"
      "_quorum() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" "
      "prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  local path=\"\" commands=\"\" flags=\"\" i w\n"
      "  case \"$prev\" in\n"
      "    -o|--output) COMPREPLY=($(compgen -W \"table json yaml csv\" -- "
      "\"$cur\")); return ;;\n";
  if (!takes.empty()) {
    out +=
        "    " + takes + ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
  }
  out +=
      "  esac\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    w=\"${COMP_WORDS[i]}\"\n"
      "    case \"$path/$w\" in\n"
      "      " +
      (known.empty() ? std::string("/") : known) +
      ") path=\"$path/$w\" ;;\n"
      "    esac\n"
      "  done\n"
      "  case \"$path\" in\n" +
      words +
      "  esac\n"
      "  # Subcommands while there are any and no \"-\" was typed; flags "
      "otherwise.\n"
      "  if [[ \"$cur\" == -* || -z \"$commands\" ]]; then\n"
      "    COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n"
      "  else\n"
      "    COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\"))\n"
      "  fi\n"
      "}\n"
      "complete -o default -F _quorum quorum\n";
  return out;
}

void AddCompletionCommand(CLI::App& app, Action& action) {
  auto shell = std::make_shared<std::string>();
  auto* sub = app.add_subcommand(
      "completion",
      "Print a shell completion script: source <(quorum completion bash)");
  sub->add_option("shell", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  const CLI::App* root = &app;
  sub->callback([&action, shell, root] {
    action = [shell, root](Cli&) {
      if (*shell == "zsh") {
        std::cout << "# zsh: bash completion through bashcompinit.\n"
                     "autoload -U +X bashcompinit && bashcompinit\n";
      }
      std::cout << BashCompletion(*root) << std::flush;
      return kExitOk;
    };
  });
}

void ShowGlobalFlagsInSubcommandHelp(CLI::App& root) {
  const CLI::App* top = &root;
  auto footer = [top] {
    CLI::Formatter formatter;
    std::string out = "Global flags (before or after the subcommand):\n";
    for (const CLI::Option* opt : top->get_options()) {
      if (opt->get_lnames().empty() && opt->get_snames().empty()) continue;
      if (opt == top->get_help_ptr()) continue;
      out += formatter.make_option(opt, false);
    }
    return out;
  };
  std::vector<CLI::App*> pending = root.get_subcommands(
      [](CLI::App* sub) { return !sub->get_name().empty(); });
  while (!pending.empty()) {
    CLI::App* sub = pending.back();
    pending.pop_back();
    sub->footer(footer);
    for (CLI::App* child : sub->get_subcommands(
             [](CLI::App* s) { return !s->get_name().empty(); })) {
      pending.push_back(child);
    }
  }
}

}  // namespace quorum::cli
