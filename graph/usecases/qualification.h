// Qualification: the verdict on an account's tree at a time, under the
// active policy or an older revision, computed from the tree's in-memory
// snapshot (no storage read when it is cached). The use case of
// QualificationService.
#ifndef QUORUM_GRAPH_USECASES_QUALIFICATION_H_
#define QUORUM_GRAPH_USECASES_QUALIFICATION_H_

#include "absl/status/statusor.h"
#include "graph/store/store.h"
#include "graph/usecases/policies.h"
#include "quorum/v1/qualification_service.pb.h"

namespace quorum::graph {

class Qualification {
 public:
  // Runs on `store` and reads older revisions through `policies`; both must
  // outlive it. Thread-safe.
  Qualification(Store& store, Policies& policies)
      : store_(store), policies_(policies) {}

  // The verdict the request asks for, written into `verdict` (which may
  // live on an arena and hold an older verdict): `as_of` defaults to the
  // store's clock, `policy_revision` 0 to the active one, whose plan the
  // snapshot keeps (TreeSnapshot::Plan). Bad fields are INVALID_ARGUMENT
  // naming each (policy_revision, as_of, view, name).
  absl::Status QualifyAccount(const v1::QualifyAccountRequest& request,
                              v1::Verdict* verdict);

 private:
  Store& store_;
  Policies& policies_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_USECASES_QUALIFICATION_H_
