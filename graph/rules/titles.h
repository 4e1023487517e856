// Committee roles inferred from a job title at lead intake (product spec,
// "Intake": "infers committee roles from the title (as INFERRED)").
//
// The rules are a documented, ordered table: data, not code, in
// graph/rules/title_rules.textproto (its shape is graph/rules/title_rules.proto),
// compiled in at build time and parsed once, at first use (TitleRules(),
// rendered into docs/titles.md by TitleRulesMarkdown(); a test keeps the two
// equal, and another parses and checks the compiled-in text).
//
// How a title is matched:
//   1. It is folded into words by FoldWords (graph/model/normalize.h, apostrophes
//      split): ASCII, lower case, accents removed, punctuation a word break,
//      "&" -> "and", "V.P." -> "vp". "Ärztlicher Leiter" is
//      "arztlicher leiter".
//   2. A few phrases are rewritten so that they cannot be misread
//      ("labor and delivery" -> "obstetrics": "labor" is also German for
//      laboratory).
//   3. A title containing an exclusion (assistants to someone, students,
//      former holders, sales and marketing) gets no role at all.
//   4. Each rule applies when the title contains one of its `any` phrases,
//      and one of its `with` phrases when it has any, and none of its
//      `unless` phrases. Fallback rules apply only when no other rule did.
// Phrases match whole, consecutive words, never parts of words ("it" does
// not match inside "quality"); a word written "foo*" matches every word that
// starts with "foo" (German and Dutch compounds: "einkauf*" matches
// "einkaufsleiter"), "*foo" every word that ends with it. "@name" in a rule
// stands for the word group of that name.
#ifndef QUORUM_GRAPH_TITLES_H_
#define QUORUM_GRAPH_TITLES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "quorum/v1/resources.pb.h"

namespace quorum::graph {

// One row of the rule table.
struct TitleRule {
  // A short stable name ("lab-director"), used in the documentation.
  std::string id;
  // The role the rule gives.
  quorum::v1::CommitteeRole role;
  // The title must contain one of these phrases...
  std::vector<std::string> any;
  // ...and, when this is not empty, one of these too...
  std::vector<std::string> with;
  // ...and none of these.
  std::vector<std::string> unless;
  // Applies only when no non-fallback rule gave a role.
  bool fallback = false;
  // Real titles the rule gives its role to (tested).
  std::vector<std::string> examples;
};

// The rule table, in order: graph/rules/title_rules.textproto, parsed on first
// use; never changes. Empty should the compiled-in text not parse or not
// pass CheckTitleRulesText (a test checks that it does), and then no title
// gets a role.
const std::vector<TitleRule>& TitleRules();

// The text of graph/rules/title_rules.textproto, compiled in by CMake.
extern const char kTitleRulesText[];

// Parses `text` as a title rule table (quorum.graph.title_table.Table in
// the text format) and checks it: OK, or INVALID_ARGUMENT saying where and
// why when it does not parse (line and column), a word group is defined
// twice or has no phrases, a rule has no id, a repeated id, no committee
// role, no `any` phrase or no examples, an "@name" names no word group, or
// a phrase is not folded words (a-z and 0-9 words joined by single spaces,
// '*' at one end of a word).
absl::Status CheckTitleRulesText(absl::string_view text);

// The committee roles a job title suggests, each once, in the order of the
// CommitteeRole enum (so LAB_DIRECTOR before MEDICAL_DIRECTOR). Empty for an
// empty or unknown title. Decisions worth knowing:
//   - "Medical Director of Laboratory" (or of a lab section, e.g.
//     microbiology) gives MEDICAL_DIRECTOR and LAB_DIRECTOR: in a clinical
//     lab the medical director is the director of record;
//   - a director of a lab function (quality, IT, supply chain, operations,
//     administration) gets that function's role, not LAB_DIRECTOR;
//   - functional C-level titles give their function only (CIO ->
//     INFORMATICS, CFO -> FINANCE); CEO, COO, presidents and vice presidents
//     give EXECUTIVE; other "Chief ... Officer" titles fall back to
//     EXECUTIVE;
//   - pathologists and laboratory physicians are MEDICAL_DIRECTOR, never
//     CLINICAL_USER; a "Medical Director" of a clinical department
//     (emergency, ICU, oncology...) is CLINICAL_USER instead.
std::vector<quorum::v1::CommitteeRole> InferRoles(absl::string_view title);

// A role a title suggests and the rule that gave it (the first in table
// order that does).
struct TitleMatch {
  quorum::v1::CommitteeRole role;
  std::string rule_id;
};
// InferRoles with the rules: the same roles in the same order.
std::vector<TitleMatch> MatchTitle(absl::string_view title);

// The rule table, word groups, rewrites and exclusions as Markdown, as
// included in docs/titles.md.
absl::string_view TitleRulesMarkdown();

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_TITLES_H_
