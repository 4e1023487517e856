// Every use case of the domain core over one store: what quorumd serves
// (server/ hands each service its use case) and what tests and tools open.
#ifndef QUORUM_GRAPH_USECASES_USE_CASES_H_
#define QUORUM_GRAPH_USECASES_USE_CASES_H_

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "graph/store/store.h"
#include "graph/usecases/accounts.h"
#include "graph/usecases/admin.h"
#include "graph/usecases/intake.h"
#include "graph/usecases/notes.h"
#include "graph/usecases/policies.h"
#include "graph/usecases/qualification.h"
#include "graph/usecases/readiness.h"
#include "graph/usecases/signals.h"
#include "graph/usecases/webhooks.h"
#include "graph/usecases/workflow.h"

namespace quorum::graph {

class UseCases {
 public:
  // Opens the store (Store::Open) and the use cases on it.
  static absl::StatusOr<std::unique_ptr<UseCases>> Open(
      Store::Options options) {
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(std::move(options));
    if (!store.ok()) return store.status();
    return std::make_unique<UseCases>(*std::move(store));
  }

  explicit UseCases(std::unique_ptr<Store> store)
      : store_(std::move(store)),
        accounts_(*store_),
        signals_(*store_),
        notes_(*store_),
        intake_(*store_),
        workflow_(*store_),
        readiness_(*store_),
        policies_(*store_),
        qualification_(*store_, policies_),
        admin_(*store_),
        webhooks_(*store_, readiness_) {}

  Store& store() { return *store_; }
  Accounts& accounts() { return accounts_; }
  Signals& signals() { return signals_; }
  Notes& notes() { return notes_; }
  Intake& intake() { return intake_; }
  Workflow& workflow() { return workflow_; }
  Readiness& readiness() { return readiness_; }
  Policies& policies() { return policies_; }
  Qualification& qualification() { return qualification_; }
  Admin& admin() { return admin_; }
  Webhooks& webhooks() { return webhooks_; }

 private:
  std::unique_ptr<Store> store_;
  Accounts accounts_;
  Signals signals_;
  Notes notes_;
  Intake intake_;
  Workflow workflow_;
  Readiness readiness_;
  Policies policies_;
  Qualification qualification_;
  Admin admin_;
  Webhooks webhooks_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_USECASES_USE_CASES_H_
