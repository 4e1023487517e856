// The human-readable views of quorum's answers: the account review, the
// readiness table, and the smaller views of the other subcommands. Each is a
// pure function from messages to text laid out for 80 columns, so the golden
// tests compare exactly what a person sees.
#ifndef QUORUM_CLIENTS_QUORUM_RENDER_H_
#define QUORUM_CLIENTS_QUORUM_RENDER_H_

#include <optional>
#include <string>
#include <vector>

#include "clients/quorum/text.h"
#include "quorum/v1/account_graph_service.pb.h"
#include "quorum/v1/intake_service.pb.h"
#include "quorum/v1/policy_service.pb.h"
#include "quorum/v1/qualification_service.pb.h"
#include "quorum/v1/resources.pb.h"
#include "quorum/v1/workflow_service.pb.h"

namespace quorum::cli {

// A part of the review that comes from its own call and may be missing:
// `available` false with a short reason (e.g. "UNIMPLEMENTED") when the call
// failed.
template <typename T>
struct Part {
  bool available = false;
  std::string unavailable_reason;
  std::vector<T> items;
};

// Everything `quorum review` shows. Only the verdict is required.
struct ReviewInput {
  quorum::v1::Verdict verdict;
  std::optional<quorum::v1::CommitteeMap> committee_map;
  Part<quorum::v1::Note> notes;
  Part<quorum::v1::StatusChange> history;
};

// The account review: header, verdict reason, fit checklist, intent,
// committee table, gaps, notes, history, questions and the next step.
std::string RenderReview(const ReviewInput& input, const Style& style);

// The readiness listing as a table, with the missing requirements under each
// account and a footer (count, as of, policy revision, next page token).
// `every_page`: `r` holds every page (ready --all), and the count is the
// total.
std::string RenderReadiness(const quorum::v1::ListAccountReadinessResponse& r,
                            const Style& style, bool every_page = false);

// One line for one readiness event of `quorum watch`.
std::string RenderReadinessEvent(const quorum::v1::ReadinessEvent& event);

// Status history, newest first.
std::string RenderStatusChanges(
    const std::vector<quorum::v1::StatusChange>& changes, const Style& style);

// The answer of TransitionStatus.
std::string RenderTransition(const quorum::v1::TransitionStatusResponse& r,
                             const Style& style);

// A handoff: route, reason, next step, completeness, questions, feedback.
std::string RenderHandoff(const quorum::v1::Handoff& handoff,
                          const Style& style);

// Process metrics over a window.
std::string RenderMetrics(const quorum::v1::ProcessMetrics& metrics,
                          const Style& style);

// What SubmitLead did.
std::string RenderLeadResponse(const quorum::v1::SubmitLeadResponse& r,
                               const Style& style);

// Notes, newest first.
std::string RenderNotes(const std::vector<quorum::v1::Note>& notes,
                        const Style& style);

// A policy revision's header (the policy itself is printed as text format).
std::string RenderPolicyHeader(const quorum::v1::PolicyRevision& revision);

// The answer of ValidatePolicy.
std::string RenderValidation(const quorum::v1::ValidatePolicyResponse& r,
                             const Style& style);

// The answer of SimulatePolicy.
std::string RenderSimulation(const quorum::v1::SimulatePolicyResponse& r,
                             const Style& style);

// The answer of SuggestPolicy: the changed parameters, the accuracy per
// route (cross-validated, with its spread, against the active revision)
// and the candidate's route changes.
std::string RenderSuggestion(const quorum::v1::SuggestPolicyResponse& r,
                             const Style& style);
// The comment lines heading a candidate written to a file.
std::string RenderSuggestionHeader(const quorum::v1::SuggestPolicyResponse& r);

// The colour name (for Style::Apply) of a route, fit result and so on.
std::string RouteColor(quorum::v1::Route route);
std::string FitColor(quorum::v1::FitResult result);

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_RENDER_H_
