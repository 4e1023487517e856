// Intake: leads submitted one by one, signals streamed and records
// imported in batches, and
// bundles of records loaded at start (docs/intake.md). The use case of
// IntakeService.
#ifndef QUORUM_GRAPH_USECASES_INTAKE_H_
#define QUORUM_GRAPH_USECASES_INTAKE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "graph/store/store.h"
#include "quorum/v1/intake_service.pb.h"

namespace quorum::graph {

class Intake {
 public:
  // Runs on `store`, which must outlive it. Thread-safe.
  explicit Intake(Store& store) : store_(store) {}

  // Intake of one lead, all in one write transaction (see
  // docs/intake.md): normalization, checks, duplicate matching, creation,
  // role inference, signal, note, the route after intake, and the answer
  // stored under the request ID so that a retry returns it unchanged.
  absl::StatusOr<v1::SubmitLeadResponse> SubmitLead(
      const v1::SubmitLeadRequest& request);

  // One batch of a signal stream, in one transaction with a savepoint per
  // signal: each is recorded, found to be a duplicate, or rejected on its
  // own. Returns one outcome per request: OK (new), ALREADY_EXISTS
  // (duplicate), or the error that rejected it.
  absl::StatusOr<std::vector<absl::Status>> RecordSignalStream(
      const std::vector<v1::CreateSignalRequest>& requests);

  // What an imported record did.
  enum class ImportOutcome { kCreated, kUpdated, kUnchanged };
  // One batch of an import, in one transaction with a savepoint per record:
  // each record is upserted by name or rejected on its own, except that
  // consecutive records with the same non-empty `group` share a savepoint
  // and are written all or nothing (the others of a failed group are
  // ABORTED). A group must not be split across batches.
  absl::StatusOr<std::vector<absl::StatusOr<ImportOutcome>>> ImportBatch(
      const std::vector<v1::ImportRecordsRequest>& records);

  // The triage queue (docs/intake.md): a lead SubmitLead cannot place on
  // an account is kept as `unplacedLeads/{id}` instead of being refused.
  // PlaceLead puts one on the account a person chose (optionally onto one
  // of its stakeholders), running the intake as if it had matched that
  // account, and removes it from the queue, in one transaction; a request
  // ID makes a retry return the first answer.
  absl::StatusOr<v1::PlaceLeadResponse> PlaceLead(
      const v1::PlaceLeadRequest& request);
  // One page of the queue, oldest first, of one reason (UNSPECIFIED: all),
  // after storage key `start_after`.
  absl::StatusOr<Page<v1::UnplacedLead>> ListUnplacedLeads(
      v1::UnplacedReason reason, int limit, absl::string_view start_after);
  // Removes a queued lead without placing it.
  absl::Status DeleteUnplacedLead(absl::string_view name);

  // Creates every record of `bundle` whose name does not exist yet, in
  // order; returns how many were created. Safe to run again.
  absl::StatusOr<int> LoadBundle(const v1::ResourceBundle& bundle);

 private:
  Store& store_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_USECASES_INTAKE_H_
