// A committee map as Graphviz DOT: one cluster per account (child accounts
// nested in their parent), one node per stakeholder (name, title, roles,
// engagement), one edge per relationship.
#ifndef QUORUM_CLIENTS_QUORUM_DOT_H_
#define QUORUM_CLIENTS_QUORUM_DOT_H_

#include <string>

#include "quorum/v1/account_graph_service.pb.h"

namespace quorum::cli {

std::string CommitteeMapToDot(const quorum::v1::CommitteeMap& map);

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_DOT_H_
