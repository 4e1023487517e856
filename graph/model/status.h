// Error helpers for quorum's domain core.
//
// Errors are absl::Status with gRPC's canonical codes. Bad input carries a
// google.rpc.BadRequest payload (one violation per offending field) and broken
// constraints a google.rpc.PreconditionFailure payload, so the service layer
// can attach them unchanged as google.rpc.Status details.
#ifndef QUORUM_GRAPH_STATUS_H_
#define QUORUM_GRAPH_STATUS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/rpc/error_details.pb.h"

namespace quorum {

// Type URLs under which the details are stored as absl::Status payloads.
inline constexpr char kBadRequestUrl[] =
    "type.googleapis.com/google.rpc.BadRequest";
inline constexpr char kPreconditionFailureUrl[] =
    "type.googleapis.com/google.rpc.PreconditionFailure";

// Collects field violations while a request is checked.
class Violations {
 public:
  // Records that `field` (a path such as "account.country_code") is bad.
  void Add(std::string field, std::string description);
  // Records every field violation that `status` carries.
  void AddFrom(const absl::Status& status);
  bool empty() const { return violations_.empty(); }
  const std::vector<google::rpc::BadRequest::FieldViolation>& list() const {
    return violations_;
  }
  // OK when empty, else INVALID_ARGUMENT naming every field.
  absl::Status ToStatus() const;

 private:
  std::vector<google::rpc::BadRequest::FieldViolation> violations_;
};

// INVALID_ARGUMENT with one field violation.
absl::Status InvalidField(std::string field, std::string description);

// FAILED_PRECONDITION with one violation of `type` on `subject`.
absl::Status PreconditionFailed(std::string type, std::string subject,
                                std::string description);

// `status` with "context: " before its message, payloads kept.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

// The BadRequest carried by `status`, empty when it has none.
google::rpc::BadRequest BadRequestOf(const absl::Status& status);
// The PreconditionFailure carried by `status`, empty when it has none.
google::rpc::PreconditionFailure PreconditionFailureOf(
    const absl::Status& status);

}  // namespace quorum

#define QUORUM_STATUS_CONCAT_INNER_(a, b) a##b
#define QUORUM_STATUS_CONCAT_(a, b) QUORUM_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    if (absl::Status _st = (expr); !_st.ok()) {    \
      return _st;                                  \
    }                                              \
  } while (0)

// Declares `lhs` from a StatusOr, or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr)                                        \
  auto QUORUM_STATUS_CONCAT_(_statusor_, __LINE__) = (expr);               \
  if (!QUORUM_STATUS_CONCAT_(_statusor_, __LINE__).ok()) {                 \
    return QUORUM_STATUS_CONCAT_(_statusor_, __LINE__).status();           \
  }                                                                        \
  lhs = *std::move(QUORUM_STATUS_CONCAT_(_statusor_, __LINE__))

#endif  // QUORUM_GRAPH_STATUS_H_
