// graph/rules/title_rules.textproto, the data of graph::InferRoles: the
// compiled-in table parses and passes its checks, and a broken table is
// refused with a message saying where and why.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "graph/rules/titles.h"
#include "gtest/gtest.h"

namespace quorum::graph {
namespace {

using ::testing::HasSubstr;

// A small valid table; the tests below break one thing in it at a time.
constexpr char kValid[] = R"table(
  word_groups { name: "lab" phrases: ["lab", "laboratory", "zentrallabor*"] }
  rewrites { phrase: "labor and delivery" becomes: "obstetrics" }
  exclusions: ["sales", "assistant to"]
  rules {
    id: "lab-director"
    role: COMMITTEE_ROLE_LAB_DIRECTOR
    any: ["director", "head"]
    with: ["@lab"]
    unless: ["quality", "*technologist"]
    examples: ["Laboratory Director"]
  }
  rules {
    id: "chief-officer"
    role: COMMITTEE_ROLE_EXECUTIVE
    any: ["chief"]
    with: ["officer"]
    fallback: true
    examples: ["Chief Experience Officer"]
  }
)table";

std::string Replace(std::string text, const std::string& from,
                    const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The message of CheckTitleRulesText for `text`, which must be refused.
std::string Refusal(const std::string& text) {
  absl::Status status = CheckTitleRulesText(text);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(status.message());
}

TEST(TitleRulesTextTest, TheCompiledInTableParsesAndPassesItsChecks) {
  absl::Status status = CheckTitleRulesText(kTitleRulesText);
  ASSERT_TRUE(status.ok()) << "graph/rules/title_rules.textproto is broken: "
                           << status.message();
  EXPECT_GE(TitleRules().size(), 20u);
  EXPECT_EQ(TitleRules().front().id, "lab-director-compound");
  EXPECT_EQ(TitleRules().back().id, "finance");
}

TEST(TitleRulesTextTest, TheCompiledInTextIsTheFileVerbatim) {
  // CMake's configure_file must not have replaced anything: "@name"
  // references and the header comment are still there.
  const std::string text = kTitleRulesText;
  EXPECT_TRUE(absl::StartsWith(text, "# proto-file: graph/rules/title_rules.proto"));
  EXPECT_THAT(text, HasSubstr("with: [\"@lab\", \"@lab-section\"]"));
  EXPECT_THAT(text, HasSubstr("unless: [\"@function\", \"@not-director\"]"));
  EXPECT_TRUE(absl::EndsWith(text, "}\n"));
}

TEST(TitleRulesTextTest, ASmallValidTableParses) {
  absl::Status status = CheckTitleRulesText(kValid);
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST(TitleRulesTextTest, TextThatDoesNotParseNamesTheLine) {
  EXPECT_THAT(Refusal("rules {\n  id: \"x\"\n  colour: 3\n}\n"),
              HasSubstr("line 3"));
  EXPECT_THAT(Refusal("rules { id: \"x\" "), HasSubstr("does not parse"));
  EXPECT_THAT(Refusal(Replace(kValid, "COMMITTEE_ROLE_EXECUTIVE",
                              "COMMITTEE_ROLE_JANITOR")),
              HasSubstr("does not parse"));
}

TEST(TitleRulesTextTest, AnEmptyTableIsRefused) {
  EXPECT_THAT(Refusal(""), HasSubstr("no rules"));
}

TEST(TitleRulesTextTest, EveryRuleNeedsAnIdARoleAPhraseAndExamples) {
  EXPECT_THAT(Refusal(Replace(kValid, "id: \"chief-officer\"", "")),
              HasSubstr("rules[1]: no id"));
  EXPECT_THAT(
      Refusal(Replace(kValid, "id: \"chief-officer\"", "id: \"lab-director\"")),
      HasSubstr("rules[1] (lab-director): the id is used by an earlier rule"));
  EXPECT_THAT(Refusal(Replace(kValid, "role: COMMITTEE_ROLE_EXECUTIVE", "")),
              HasSubstr("rules[1] (chief-officer): the role is not a "
                        "committee role"));
  EXPECT_THAT(
      Refusal(Replace(kValid, "role: COMMITTEE_ROLE_EXECUTIVE", "role: 99")),
      HasSubstr("the role is not a committee role"));
  EXPECT_THAT(Refusal(Replace(kValid, "any: [\"chief\"]", "")),
              HasSubstr("rules[1] (chief-officer): no `any` phrase"));
  EXPECT_THAT(
      Refusal(Replace(kValid, "examples: [\"Chief Experience Officer\"]", "")),
      HasSubstr("rules[1] (chief-officer): no examples"));
}

TEST(TitleRulesTextTest, AnUnknownWordGroupIsRefused) {
  EXPECT_THAT(Refusal(Replace(kValid, "with: [\"@lab\"]", "with: [\"@labs\"]")),
              HasSubstr("rules[0] (lab-director).with[0]: \"@labs\" names no "
                        "word group"));
  EXPECT_THAT(Refusal(Replace(kValid, "exclusions: [\"sales\"",
                              "exclusions: [\"@sales\"")),
              HasSubstr("exclusions[0]: \"@sales\" names no word group"));
}

TEST(TitleRulesTextTest, WordGroupsAreDefinedOnceWithPhrases) {
  EXPECT_THAT(
      Refusal(Replace(kValid, "rewrites {",
                      "word_groups { name: \"lab\" phrases: \"labs\" }\n"
                      "rewrites {")),
      HasSubstr("word_groups[1]: the word group \"lab\" is defined twice"));
  EXPECT_THAT(Refusal(Replace(kValid, "rewrites {",
                              "word_groups { name: \"empty\" }\nrewrites {")),
              HasSubstr("word_groups[1]: the word group has no phrases"));
  EXPECT_THAT(Refusal(Replace(kValid, "name: \"lab\"", "name: \"Lab\"")),
              HasSubstr("word_groups[0].name: \"Lab\" is not a word group "
                        "name"));
  EXPECT_THAT(Refusal(Replace(kValid, "name: \"lab\"", "name: \"\"")),
              HasSubstr("word_groups[0].name: \"\" is not a word group name"));
  // A group may not refer to a group.
  EXPECT_THAT(Refusal(Replace(kValid, "\"zentrallabor*\"", "\"@lab\"")),
              HasSubstr("word_groups[0].phrases[2]: \"@lab\" is not folded"));
}

TEST(TitleRulesTextTest, PhrasesMustBeFoldedWords) {
  for (const char* bad :
       {"Director", "lab  director", " director", "director ", "lab-director",
        "la*b", "*", "**lab", "*lab*", "", "dir.",
        "m\xc3\xa9"
        "decin"}) {
    const std::string text = Replace(kValid, "any: [\"director\",",
                                     std::string("any: [\"") + bad + "\",");
    EXPECT_THAT(Refusal(text),
                HasSubstr("rules[0] (lab-director).any[0]: \"" +
                          std::string(bad) + "\" is not folded words"))
        << bad;
  }
  EXPECT_THAT(Refusal(Replace(kValid, "becomes: \"obstetrics\"",
                              "becomes: \"obstetric*\"")),
              HasSubstr("rewrites[0].becomes: \"obstetric*\" must be plain "
                        "words"));
  EXPECT_THAT(Refusal(Replace(kValid, "phrase: \"labor and delivery\"",
                              "phrase: \"Labor & Delivery\"")),
              HasSubstr("rewrites[0].phrase"));
}

}  // namespace
}  // namespace quorum::graph
