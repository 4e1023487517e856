#include "graph/rules/titles.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "graph/model/normalize.h"
#include "graph/model/status.h"
#include "graph/rules/title_rules.pb.h"

namespace quorum::graph {
namespace {

using v1::CommitteeRole;
using Phrases = std::vector<std::string>;

// ------------------------------------------------------------------ Table

// The table as matched and documented: graph/rules/title_rules.textproto, parsed.
struct Table {
  // Word groups the rules refer to as "@name", in order.
  std::vector<std::pair<std::string, Phrases>> word_groups;
  // Phrases rewritten before matching, so that they cannot be misread.
  std::vector<std::pair<std::string, std::string>> rewrites;
  // A title containing one of these gets no role.
  Phrases exclusions;
  std::vector<TitleRule> rules;
};

class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) {
      first_ = absl::StrCat("line ", line + 1, " column ", column + 1, ": ",
                            message);
    }
  }
  void AddWarning(int, int, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

// Whether `phrase` is written the way it is matched: folded words (a-z,
// 0-9) separated by single spaces, each with at most one '*', at its start
// or its end, or (when `groups` is set) a whole "@name" of one of them.
absl::Status CheckPhrase(absl::string_view phrase, absl::string_view where,
                         const std::set<std::string, std::less<>>* groups) {
  if (groups != nullptr && absl::StartsWith(phrase, "@")) {
    if (groups->count(phrase.substr(1)) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": \"", phrase, "\" names no word group"));
    }
    return absl::OkStatus();
  }
  bool ok = !phrase.empty();
  for (absl::string_view word : absl::StrSplit(phrase, ' ')) {
    const bool prefix = absl::ConsumeSuffix(&word, "*");
    if (!prefix) absl::ConsumePrefix(&word, "*");
    ok = ok && !word.empty() &&
         std::all_of(word.begin(), word.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         });
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": \"", phrase,
        "\" is not folded words (a-z, 0-9, single spaces, '*' at one end of "
        "a word)",
        groups != nullptr ? " or a \"@group\"" : ""));
  }
  return absl::OkStatus();
}

absl::Status CheckPhrases(
    const google::protobuf::RepeatedPtrField<std::string>& phrases,
    absl::string_view where, const std::set<std::string, std::less<>>* groups) {
  for (int i = 0; i < phrases.size(); ++i) {
    absl::Status status =
        CheckPhrase(phrases[i], absl::StrCat(where, "[", i, "]"), groups);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

Phrases ToPhrases(const google::protobuf::RepeatedPtrField<std::string>& in) {
  return Phrases(in.begin(), in.end());
}

absl::StatusOr<Table> ParseTable(absl::string_view text) {
  title_table::Table parsed;
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &parsed)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the title rule table does not parse: ",
        errors.first().empty() ? "unknown error" : errors.first()));
  }
  Table table;
  std::set<std::string, std::less<>> groups;
  for (int i = 0; i < parsed.word_groups_size(); ++i) {
    const title_table::WordGroup& group = parsed.word_groups(i);
    const std::string where = absl::StrCat("word_groups[", i, "]");
    absl::Status status;
    if (group.name().empty() ||
        !std::all_of(group.name().begin(), group.name().end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        })) {
      status = absl::InvalidArgumentError(
          absl::StrCat(where, ".name: \"", group.name(),
                       "\" is not a word group name (a-z, 0-9 and '-')"));
    }
    if (status.ok() && !groups.insert(group.name()).second) {
      status = absl::InvalidArgumentError(absl::StrCat(
          where, ": the word group \"", group.name(), "\" is defined twice"));
    }
    if (status.ok() && group.phrases().empty()) {
      status = absl::InvalidArgumentError(
          absl::StrCat(where, ": the word group has no phrases"));
    }
    if (status.ok()) {
      status = CheckPhrases(group.phrases(), where + ".phrases", nullptr);
    }
    if (!status.ok()) return status;
    table.word_groups.emplace_back(group.name(), ToPhrases(group.phrases()));
  }
  for (int i = 0; i < parsed.rewrites_size(); ++i) {
    const title_table::Rewrite& rewrite = parsed.rewrites(i);
    const std::string where = absl::StrCat("rewrites[", i, "]");
    absl::Status status =
        CheckPhrase(rewrite.phrase(), where + ".phrase", nullptr);
    if (status.ok()) {
      status = CheckPhrase(rewrite.becomes(), where + ".becomes", nullptr);
    }
    if (status.ok() && absl::StrContains(rewrite.becomes(), "*")) {
      status = absl::InvalidArgumentError(
          absl::StrCat(where, ".becomes: \"", rewrite.becomes(),
                       "\" must be plain words, without '*'"));
    }
    if (!status.ok()) return status;
    table.rewrites.emplace_back(rewrite.phrase(), rewrite.becomes());
  }
  RETURN_IF_ERROR(CheckPhrases(parsed.exclusions(), "exclusions", &groups));
  table.exclusions = ToPhrases(parsed.exclusions());
  std::set<std::string> ids;
  for (int i = 0; i < parsed.rules_size(); ++i) {
    const title_table::Rule& rule = parsed.rules(i);
    const std::string where =
        absl::StrCat("rules[", i, "]", rule.id().empty() ? "" : " (", rule.id(),
                     rule.id().empty() ? "" : ")");
    if (rule.id().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": no id"));
    }
    if (!ids.insert(rule.id()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the id is used by an earlier rule"));
    }
    if (rule.role() == v1::COMMITTEE_ROLE_UNSPECIFIED ||
        !v1::CommitteeRole_IsValid(rule.role())) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the role is not a committee role"));
    }
    if (rule.any().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": no `any` phrase, so it never applies"));
    }
    if (rule.examples().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": no examples"));
    }
    RETURN_IF_ERROR(CheckPhrases(rule.any(), where + ".any", &groups));
    RETURN_IF_ERROR(CheckPhrases(rule.with(), where + ".with", &groups));
    RETURN_IF_ERROR(CheckPhrases(rule.unless(), where + ".unless", &groups));
    table.rules.push_back({rule.id(), rule.role(), ToPhrases(rule.any()),
                           ToPhrases(rule.with()), ToPhrases(rule.unless()),
                           rule.fallback(), ToPhrases(rule.examples())});
  }
  if (table.rules.empty()) {
    return absl::InvalidArgumentError("the title rule table has no rules");
  }
  return table;
}

// The compiled-in table, parsed on first use. Should it not parse or not
// pass its checks (a test in tests/graph/title_rules_test.cc fails then), no
// title gets a role: intake goes on, without inferred roles.
const Table& TheTable() {
  static const Table* table = [] {
    absl::StatusOr<Table> parsed = ParseTable(kTitleRulesText);
    return new Table(parsed.ok() ? *std::move(parsed) : Table());
  }();
  return *table;
}

// ------------------------------------------------------------------ Matching

// One word of a phrase.
struct WordPattern {
  enum Kind { kExact, kPrefix, kSuffix } kind;
  std::string text;

  bool Matches(const std::string& word) const {
    switch (kind) {
      case kExact:
        return word == text;
      case kPrefix:
        return absl::StartsWith(word, text);
      case kSuffix:
        return absl::EndsWith(word, text);
    }
    return false;
  }
};
using CompiledPhrase = std::vector<WordPattern>;
using CompiledPhrases = std::vector<CompiledPhrase>;

// Phrases are written folded already; compiling splits them into words.
CompiledPhrase CompilePhrase(absl::string_view phrase) {
  CompiledPhrase out;
  for (absl::string_view word :
       absl::StrSplit(phrase, ' ', absl::SkipEmpty())) {
    if (absl::ConsumeSuffix(&word, "*")) {
      out.push_back({WordPattern::kPrefix, std::string(word)});
    } else if (absl::ConsumePrefix(&word, "*")) {
      out.push_back({WordPattern::kSuffix, std::string(word)});
    } else {
      out.push_back({WordPattern::kExact, std::string(word)});
    }
  }
  return out;
}

// Expands "@group" references.
CompiledPhrases Compile(const Phrases& phrases) {
  CompiledPhrases out;
  for (const std::string& phrase : phrases) {
    if (absl::StartsWith(phrase, "@")) {
      for (const auto& [name, members] : TheTable().word_groups) {
        if (name != phrase.substr(1)) continue;
        for (const std::string& member : members) {
          out.push_back(CompilePhrase(member));
        }
      }
    } else {
      out.push_back(CompilePhrase(phrase));
    }
  }
  return out;
}

bool ContainsPhrase(const std::vector<std::string>& words,
                    const CompiledPhrase& phrase) {
  if (phrase.empty() || phrase.size() > words.size()) return false;
  for (size_t i = 0; i + phrase.size() <= words.size(); ++i) {
    bool all = true;
    for (size_t j = 0; j < phrase.size() && all; ++j) {
      all = phrase[j].Matches(words[i + j]);
    }
    if (all) return true;
  }
  return false;
}

bool ContainsAny(const std::vector<std::string>& words,
                 const CompiledPhrases& phrases) {
  return std::any_of(
      phrases.begin(), phrases.end(),
      [&](const CompiledPhrase& p) { return ContainsPhrase(words, p); });
}

struct CompiledRule {
  const std::string* id;  // The TitleRule's.
  CommitteeRole role;
  CompiledPhrases any;
  CompiledPhrases with;
  CompiledPhrases unless;
  bool fallback;

  bool Applies(const std::vector<std::string>& words) const {
    return ContainsAny(words, any) &&
           (with.empty() || ContainsAny(words, with)) &&
           !ContainsAny(words, unless);
  }
};

struct Compiled {
  std::vector<CompiledRule> rules;
  std::vector<std::pair<CompiledPhrase, std::string>> rewrites;
  CompiledPhrases exclusions;
};

const Compiled& CompiledTable() {
  static const Compiled* compiled = [] {
    auto* c = new Compiled;
    for (const TitleRule& rule : TitleRules()) {
      c->rules.push_back({&rule.id, rule.role, Compile(rule.any),
                          Compile(rule.with), Compile(rule.unless),
                          rule.fallback});
    }
    for (const auto& [from, to] : TheTable().rewrites) {
      c->rewrites.emplace_back(CompilePhrase(from), to);
    }
    c->exclusions = Compile(TheTable().exclusions);
    return c;
  }();
  return *compiled;
}

// Replaces every occurrence of `from` in `words` by the words of `to`.
void Rewrite(const CompiledPhrase& from, absl::string_view to,
             std::vector<std::string>* words) {
  const std::vector<std::string> replacement = absl::StrSplit(to, ' ');
  for (size_t i = 0; i + from.size() <= words->size();) {
    bool all = true;
    for (size_t j = 0; j < from.size() && all; ++j) {
      all = from[j].Matches((*words)[i + j]);
    }
    if (!all) {
      ++i;
      continue;
    }
    words->erase(words->begin() + i, words->begin() + i + from.size());
    words->insert(words->begin() + i, replacement.begin(), replacement.end());
    i += replacement.size();
  }
}

// ------------------------------------------------------------------ Markdown

std::string RoleName(CommitteeRole role) {
  absl::string_view name = v1::CommitteeRole_Name(role);
  absl::ConsumePrefix(&name, "COMMITTEE_ROLE_");
  return std::string(name);
}

std::string CodeList(const Phrases& phrases) {
  if (phrases.empty()) return "";
  std::vector<std::string> quoted;
  for (const std::string& p : phrases)
    quoted.push_back(absl::StrCat("`", p, "`"));
  return absl::StrJoin(quoted, ", ");
}

std::string RenderMarkdown() {
  std::string md;
  absl::StrAppend(&md,
                  "| # | rule | role | title has one of | and one of | "
                  "but none of | examples |\n");
  absl::StrAppend(&md, "|---|---|---|---|---|---|---|\n");
  int n = 0;
  for (const TitleRule& rule : TitleRules()) {
    absl::StrAppend(&md, "| ", ++n, " | ", rule.id,
                    rule.fallback ? " (fallback)" : "", " | ",
                    RoleName(rule.role), " | ", CodeList(rule.any), " | ",
                    CodeList(rule.with), " | ", CodeList(rule.unless), " | ",
                    absl::StrJoin(rule.examples, "; "), " |\n");
  }
  absl::StrAppend(&md, "\nWord groups:\n\n| group | phrases |\n|---|---|\n");
  for (const auto& [name, phrases] : TheTable().word_groups) {
    absl::StrAppend(&md, "| `@", name, "` | ", CodeList(phrases), " |\n");
  }
  absl::StrAppend(&md,
                  "\nRewrites, applied first:\n\n| phrase | becomes |\n"
                  "|---|---|\n");
  for (const auto& [from, to] : TheTable().rewrites) {
    absl::StrAppend(&md, "| `", from, "` | `", to, "` |\n");
  }
  absl::StrAppend(&md, "\nExclusions (a title containing one gets no role): ",
                  CodeList(TheTable().exclusions), "\n");
  return md;
}

}  // namespace

const std::vector<TitleRule>& TitleRules() { return TheTable().rules; }

absl::Status CheckTitleRulesText(absl::string_view text) {
  return ParseTable(text).status();
}

std::vector<TitleMatch> MatchTitle(absl::string_view title) {
  const Compiled& table = CompiledTable();
  std::vector<std::string> words = FoldWords(title, Apostrophes::kSplit);
  if (words.empty()) return {};
  for (const auto& [from, to] : table.rewrites) Rewrite(from, to, &words);
  if (ContainsAny(words, table.exclusions)) return {};

  // The first rule in table order that gives each role.
  std::map<CommitteeRole, const std::string*> roles;
  for (const CompiledRule& rule : table.rules) {
    if (!rule.fallback && rule.Applies(words))
      roles.emplace(rule.role, rule.id);
  }
  if (roles.empty()) {
    for (const CompiledRule& rule : table.rules) {
      if (rule.fallback && rule.Applies(words)) {
        roles.emplace(rule.role, rule.id);
      }
    }
  }
  std::vector<TitleMatch> out;
  out.reserve(roles.size());
  for (const auto& [role, id] : roles) out.push_back({role, *id});
  return out;
}

std::vector<CommitteeRole> InferRoles(absl::string_view title) {
  std::vector<CommitteeRole> roles;
  for (const TitleMatch& m : MatchTitle(title)) roles.push_back(m.role);
  return roles;
}

absl::string_view TitleRulesMarkdown() {
  static const std::string* markdown = new std::string(RenderMarkdown());
  return *markdown;
}

}  // namespace quorum::graph
