// A committee map as Graphviz DOT: one cluster per account (child accounts
// nested in their parent), one node per stakeholder (name, title, roles,
// engagement), one edge per relationship, the missing committee roles and a
// legend.
#ifndef QUORUM_CLIENTS_QUORUM_DOT_H_
#define QUORUM_CLIENTS_QUORUM_DOT_H_

#include <string>

#include "quorum/v1/account_graph_service.pb.h"
#include "quorum/v1/qualification_service.pb.h"

namespace quorum::cli {

// With `verdict` (of the same account), each applicable committee
// requirement that is not met is drawn as a dashed box in the account's
// cluster, naming what is missing, with a dotted "ask" edge from the first
// person of its introduction path; a legend explains colours, boxes and
// edges. Without it (nullptr), only the people and relationships.
std::string CommitteeMapToDot(const quorum::v1::CommitteeMap& map,
                              const quorum::v1::Verdict* verdict = nullptr);

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_DOT_H_
