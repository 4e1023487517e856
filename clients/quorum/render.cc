// The smaller views: readiness table, watch events, history, handoffs,
// metrics, lead intake, notes and policy answers.
#include "clients/quorum/render.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/ascii.h"
#include "clients/quorum/output.h"

namespace quorum::cli {
namespace {

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items,
                 const std::string& separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string DurationText(const google::protobuf::Duration& d) {
  int64_t seconds = d.seconds();
  if (seconds == 0 && d.nanos() == 0) return "-";
  if (seconds >= 86400) return Fixed(seconds / 86400.0, 1) + "d";
  if (seconds >= 3600) return Fixed(seconds / 3600.0, 1) + "h";
  if (seconds >= 60) return Fixed(seconds / 60.0, 1) + "m";
  return std::to_string(seconds) + "s";
}

}  // namespace

std::string RouteColor(quorum::v1::Route route) {
  switch (route) {
    case quorum::v1::ROUTE_SALES_DISCOVERY:
    case quorum::v1::ROUTE_TECHNICAL_PRESALES:
      return "green";
    case quorum::v1::ROUTE_NURTURE:
    case quorum::v1::ROUTE_RESEARCH:
      return "yellow";
    case quorum::v1::ROUTE_DISQUALIFY:
      return "red";
    default:
      return "";
  }
}

std::string FitColor(quorum::v1::FitResult result) {
  switch (result) {
    case quorum::v1::FIT_RESULT_PASS:
      return "green";
    case quorum::v1::FIT_RESULT_FAIL:
      return "red";
    case quorum::v1::FIT_RESULT_UNKNOWN:
      return "yellow";
    default:
      return "";
  }
}

std::string RenderReadiness(const quorum::v1::ListAccountReadinessResponse& r,
                            const Style& style, bool every_page) {
  if (r.accounts_size() == 0) {
    return "No accounts match (as of " + FormatTime(r.as_of()) +
           ", policy revision " + std::to_string(r.policy_revision()) + ").\n";
  }
  Table table({{"READY", 5, true},
               {"ROUTE", 18},
               {"COVER", 5, true},
               {"STATUS", 12},
               {"CC", 2},
               {"ACCOUNT", 30}});
  for (const auto& a : r.accounts()) {
    std::string missing = Join(a.missing_requirements());
    table.AddRow({std::to_string(a.readiness()),
                  {Short(a.route()), RouteColor(a.route())},
                  Percent(a.coverage()),
                  Short(a.status()),
                  a.country_code().empty() ? "-" : a.country_code(),
                  LastSegment(a.account())},
                 missing.empty() ? "" : "missing: " + missing);
  }
  std::string out = table.Render(style);
  const bool more = !r.next_page_token().empty();
  out +=
      "\n" + std::to_string(r.accounts_size()) + " account" +
      (r.accounts_size() == 1 ? "" : "s") +
      (every_page ? " in total"
       : more     ? " on this page"
                  : "") +
      ", by readiness" +
      (r.accounts(0).solution().empty() ? ""
                                        : " for " + r.accounts(0).solution()) +
      "; as of " + FormatTime(r.as_of()) + ", policy revision " +
      std::to_string(r.policy_revision()) + "\n";
  if (more) {
    out += "More: --page-token " + r.next_page_token() + "\n" +
           "(--all lists every page, and the total)\n";
  }
  return out;
}

std::string RenderReadinessEvent(const quorum::v1::ReadinessEvent& e) {
  auto route = [](quorum::v1::Route r, const char* none) {
    return r == quorum::v1::ROUTE_UNSPECIFIED ? std::string(none) : Short(r);
  };
  std::string out =
      "#" + std::to_string(e.sequence()) + " " + FormatTime(e.event_time()) +
      " " + LastSegment(e.account()) +
      (e.solution().empty() ? "" : " for " + e.solution()) + ": " +
      route(e.old_route(), e.solution().empty() ? "(new)" : "(none)") + " -> " +
      route(e.new_route(), e.solution().empty() ? "(deleted)" : "(ended)") +
      ", readiness " + std::to_string(e.old_readiness()) + " -> " +
      std::to_string(e.new_readiness()) + " (" + Short(e.status());
  if (!e.country_code().empty()) out += ", " + e.country_code();
  if (!e.owner().empty()) out += ", owner " + e.owner();
  out += ")";
  if (e.cause() == quorum::v1::ReadinessEvent::CAUSE_TIME) {
    out += " [time, due " + FormatTime(e.due_time()) + "]";
  } else if (e.cause() == quorum::v1::ReadinessEvent::CAUSE_POLICY) {
    out += " [policy revision " + std::to_string(e.policy_revision()) + "]";
  }
  return out + "\n";
}

std::string RenderStatusChanges(
    const std::vector<quorum::v1::StatusChange>& changes, const Style& style) {
  std::string out;
  for (const auto& c : changes) {
    std::string head = FormatTime(c.change_time()) + "  " +
                       Short(c.from_status()) + " → " +
                       style.Bold(Short(c.to_status())) + "  by " + c.actor();
    out += "  " + head + "\n";
    out += Paragraph(c.reason(), "    ", "    ");
    std::string context = "route " + Short(c.route()) + ", readiness " +
                          std::to_string(c.readiness()) + ", policy revision " +
                          std::to_string(c.policy_revision());
    if (!c.handoff().empty())
      context += ", handoff " + LastSegment(c.handoff());
    out += Paragraph(context, "    (", "     ");
    out.back() = ')';
    out += '\n';
  }
  return out;
}

std::string RenderTransition(const quorum::v1::TransitionStatusResponse& r,
                             const Style& style) {
  const auto& c = r.change();
  std::string out = r.account().name() + ": " + Short(c.from_status()) + " → " +
                    style.Bold(Short(c.to_status())) + "\n";
  out += Paragraph(c.reason(), "  reason: ", "          ");
  out += "  by " + c.actor() + " at " + FormatTime(c.change_time()) +
         " (route " + Short(c.route()) + ", readiness " +
         std::to_string(c.readiness()) + ")\n";
  out += "  etag " + r.account().etag() + "\n";
  return out;
}

std::string RenderHandoff(const quorum::v1::Handoff& h, const Style& style) {
  std::string out = style.Bold(h.name()) + "\n";
  out += "  Route      " +
         style.Apply(RouteColor(h.route()), Short(h.route())) +
         "  (readiness " + std::to_string(h.verdict().readiness()) +
         ", policy revision " + std::to_string(h.policy_revision()) + ")\n";
  if (!h.solution().empty()) out += "  Solution   " + h.solution() + "\n";
  out +=
      "  Created    " + FormatTime(h.create_time()) + " by " + h.actor() + "\n";
  if (h.has_delete_time()) {
    out += "  Deleted    " + style.Yellow(FormatTime(h.delete_time())) +
           "  (the account; kept for metrics and simulation)\n";
  }
  out += "  Complete   " +
         std::string(h.complete() ? style.Green("yes")
                                  : style.Yellow("no") +
                                        (h.forced() ? " (forced)" : "")) +
         "\n";
  if (h.forced())
    out += Paragraph(h.force_reason(), "  Forced     ", "             ");
  for (const auto& m : h.missing())
    out += Paragraph(m, "    missing: ", "      ");
  out += Paragraph(h.reason().empty() ? "-" : h.reason(), "  Reason     ",
                   "             ");
  out += Paragraph(h.next_step().empty() ? "-" : h.next_step(), "  Next step  ",
                   "             ");
  if (!h.decision_owner_plan().empty()) {
    out += Paragraph(h.decision_owner_plan(), "  Owner plan ", "             ");
  }
  out += "  Notes      " + std::to_string(h.notes_size()) + ", stakeholders " +
         std::to_string(h.committee_map().stakeholders_size()) + "\n";
  if (h.questions_size() > 0) {
    out += "  Questions\n";
    for (const auto& q : h.questions())
      out += Paragraph(q.text(), "    - ", "      ");
  }
  if (h.has_feedback()) {
    const auto& f = h.feedback();
    std::string outcome = Short(f.outcome());
    if (f.outcome() == quorum::v1::HANDOFF_OUTCOME_REJECTED) {
      outcome = style.Red(outcome) + " (" + Short(f.rejection_reason()) +
                "), account moved to " + Short(f.moved_to());
    } else {
      outcome = style.Green(outcome);
    }
    out += "  Feedback   " + outcome + " by " + f.actor() + " at " +
           FormatTime(f.record_time()) + "\n";
    if (!f.comment().empty()) out += Paragraph(f.comment(), "    ", "    ");
  } else {
    out += "  Feedback   none yet\n";
  }
  return out;
}

std::string RenderMetrics(const quorum::v1::ProcessMetrics& m,
                          const Style& style) {
  std::string out = style.Bold("Process metrics") + "  " +
                    FormatTime(m.start_time()) + " to " +
                    FormatTime(m.end_time()) + "\n\n";
  out +=
      "  Accounts created      " + std::to_string(m.accounts_created()) + "\n";
  out += "  Reviewed within SLA   " + std::to_string(m.reviewed_within_sla()) +
         " (" + Percent(m.review_rate()) + ", SLA " +
         DurationText(m.review_sla()) + ")\n";
  out += "  Handoffs              " + std::to_string(m.handoffs()) + ", " +
         std::to_string(m.complete_handoffs()) + " complete (" +
         Percent(m.completeness_rate()) + ")\n";
  if (m.time_in_status_size() > 0) {
    Table t({{"STATUS", 12},
             {"STAYS", 6, true},
             {"MEDIAN", 8, true},
             {"P90", 8, true}});
    for (const auto& s : m.time_in_status()) {
      t.AddRow({Short(s.status()), std::to_string(s.stays()),
                DurationText(s.median()), DurationText(s.p90())});
    }
    out += "\n" + t.Render(style);
  }
  if (m.routing_accuracy_size() > 0) {
    Table t({{"ROUTE", 18},
             {"ACCEPTED", 8, true},
             {"REJECTED", 8, true},
             {"ACCURACY", 8, true}});
    for (const auto& a : m.routing_accuracy()) {
      t.AddRow({Short(a.route()), std::to_string(a.accepted()),
                std::to_string(a.rejected()), Percent(a.accuracy())});
    }
    out += "\n" + t.Render(style);
  }
  auto reasons = [&](const std::string& title, const auto& list) {
    if (list.empty()) return;
    out += "\n  " + title + "\n";
    for (const auto& r : list) {
      out += "    " + PadLeft(std::to_string(r.count()), 5) + "  " +
             r.reason() + "\n";
    }
  };
  reasons("Rejection reasons", m.rejection_reasons());
  reasons("Disqualification reasons", m.disqualification_reasons());
  if (m.qualified_by_source_size() > 0) {
    Table t({{"SOURCE", 16},
             {"CAMPAIGN", 26},
             {"ACCOUNTS", 8, true},
             {"QUALIFIED", 9, true},
             {"RATE", 5, true}});
    for (const auto& s : m.qualified_by_source()) {
      t.AddRow({Short(s.source()), s.campaign().empty() ? "-" : s.campaign(),
                std::to_string(s.accounts()), std::to_string(s.qualified()),
                Percent(s.rate())});
    }
    out += "\n" + t.Render(style);
  }
  return out;
}

namespace {

// "QUALITY (inferred: title rule quality)", "QUALITY (CRM: Quality
// Manager)": the role, where it came from and what it rests on.
std::string DescribeAssignment(const quorum::v1::RoleAssignment& a) {
  std::string source = a.source() == quorum::v1::ROLE_SOURCE_CRM
                           ? "CRM"
                           : absl::AsciiStrToLower(Short(a.source()));
  std::string basis = a.basis();
  if (a.source() == quorum::v1::ROLE_SOURCE_INFERRED && !basis.empty()) {
    basis = "title rule " + basis;
  }
  return Short(a.role()) + " (" + source + (basis.empty() ? "" : ": " + basis) +
         ")";
}

}  // namespace

std::string RenderLeadResponse(const quorum::v1::SubmitLeadResponse& r,
                               const Style& style) {
  std::string out;
  if (r.replayed())
    out += style.Yellow("replayed") + " (same request ID: nothing written)\n";
  if (!r.unplaced_lead().empty()) {  // Kept in the triage queue.
    out += "Queued       " + style.Yellow(r.unplaced_lead()) +
           "  (not placed on an account)\n";
    out +=
        Paragraph(r.account_match_detail(), "             ", "             ");
    out += "             place it with: quorum lead place " +
           LastSegment(r.unplaced_lead()) + " --account ACCOUNT\n";
  } else {
    out +=
        "Account      " + r.account() + "  " + Short(r.account_match()) + "\n";
  }
  if (r.unplaced_lead().empty() && !r.account_match_detail().empty()) {
    out +=
        Paragraph(r.account_match_detail(), "             ", "             ");
  }
  if (!r.stakeholder().empty()) {
    out += "Stakeholder  " + r.stakeholder() + "  " +
           Short(r.stakeholder_match()) + "\n";
  }
  if (r.inferred_roles_size() > 0) {
    std::string roles;
    for (const auto& a : r.inferred_roles()) {
      if (!roles.empty()) roles += ", ";
      roles += DescribeAssignment(a);
    }
    out += "Roles        " + roles + "\n";
  }
  if (r.has_signal()) {
    out += "Signal       " + r.signal().name() + "  " +
           Short(r.signal().type()) + "\n";
  }
  if (r.has_note()) out += "Note         " + r.note().name() + "\n";
  if (r.unplaced_lead().empty()) {
    out += "Route        " +
           style.Apply(RouteColor(r.route()), Short(r.route())) +
           "  readiness " + std::to_string(r.readiness()) + "  (rule " +
           r.decided_by() + ", policy revision " +
           std::to_string(r.policy_revision()) + ")\n";
    out += Paragraph(r.next_step(), "Next step    ", "             ");
  }
  if (r.checks_size() > 0) {
    Table t({{"CHECK", 15}, {"OUTCOME", 7}, {"FIELD", 14}, {"MESSAGE", 40}});
    for (const auto& c : r.checks()) {
      std::string color =
          c.outcome() == quorum::v1::CHECK_OUTCOME_PASS   ? "green"
          : c.outcome() == quorum::v1::CHECK_OUTCOME_WARN ? "yellow"
                                                          : "red";
      t.AddRow(
          {c.check(), {Short(c.outcome()), color}, c.field(), c.message()});
    }
    out += "\n" + t.Render(style, "");
  }
  return out;
}

std::string RenderNotes(const std::vector<quorum::v1::Note>& notes,
                        const Style& style) {
  if (notes.empty()) return "No notes.\n";
  std::string out;
  for (const auto& n : notes) {
    const auto& when = n.has_occur_time() ? n.occur_time() : n.create_time();
    out += style.Bold(FormatDate(when)) + "  " + Short(n.kind()) + "  by " +
           n.author() +
           (n.stakeholder().empty() ? ""
                                    : " with " + LastSegment(n.stakeholder())) +
           "\n";
    out += "  " + style.Dim(n.name()) + "\n";
    out += Paragraph(n.learned(), "  ", "  ");
    if (!n.next_step().empty())
      out += Paragraph(n.next_step(), "  next: ", "        ");
  }
  return out;
}

std::string RenderPolicyHeader(const quorum::v1::PolicyRevision& revision) {
  std::string out = "# Policy revision " + std::to_string(revision.revision()) +
                    (revision.active() ? " (active)" : "") + ", published " +
                    FormatTime(revision.create_time()) + "\n";
  if (!revision.description().empty()) {
    out += Paragraph(revision.description(), "# ", "# ");
  }
  return out;
}

std::string RenderValidation(const quorum::v1::ValidatePolicyResponse& r,
                             const Style& style) {
  if (r.valid()) return style.Green("valid") + "\n";
  std::string out = style.Red("invalid") + ": " +
                    std::to_string(r.problems_size()) + " problem" +
                    (r.problems_size() == 1 ? "" : "s") + "\n";
  for (const auto& p : r.problems()) {
    out += Paragraph(p.description(), "  " + p.field() + ": ", "      ");
  }
  return out;
}

std::string RenderSimulation(const quorum::v1::SimulatePolicyResponse& r,
                             const Style& style) {
  std::string out = "Candidate against active revision " +
                    std::to_string(r.active_revision()) + ": " +
                    std::to_string(r.changed()) + " of " +
                    std::to_string(r.accounts()) + " accounts change route\n";
  for (const auto& c : r.changes()) {
    out +=
        "\n  " + style.Apply(RouteColor(c.old_route()), Short(c.old_route())) +
        " → " + style.Apply(RouteColor(c.new_route()), Short(c.new_route())) +
        " (" + std::to_string(c.accounts_size()) + ")\n";
    for (const auto& a : c.accounts()) out += "    " + a + "\n";
  }
  if (r.handoffs_size() > 0) {
    out += "\nHandoffs with feedback: " + std::to_string(r.rejected_avoided()) +
           " rejected ones avoided, " + std::to_string(r.accepted_kept()) +
           " accepted ones kept\n";
    Table t(
        {{"HANDOFF", 34}, {"FEEDBACK", 20}, {"WAS", 18}, {"CANDIDATE", 18}});
    for (const auto& h : r.handoffs()) {
      std::string feedback =
          h.accepted() ? "accepted" : "rejected " + Short(h.rejection_reason());
      t.AddRow({LastSegment(h.account()) + "/" + LastSegment(h.handoff()) +
                    (h.has_account_delete_time() ? " (deleted)" : ""),
                feedback,
                Short(h.handed_off_route()),
                {Short(h.candidate_route()),
                 h.candidate_hands_off() == h.accepted() ? "green" : "red"}});
    }
    out += t.Render(style);
  }
  return out;
}

namespace {

// A parameter's value as a person reads it: the half-life in days.
std::string ParameterValue(const std::string& path, double value) {
  if (path == "intent.half_life") return Number(value / 86400) + " days";
  return Number(value);
}

std::string Multipliers(const quorum::v1::SuggestPolicyResponse& r) {
  std::string out;
  for (double m : r.multipliers()) {
    out += (out.empty() ? "" : ", ") + Number(m);
  }
  return out;
}

std::string WithSpread(double mean, double stddev) {
  return Percent(mean) + " ± " + Percent(stddev);
}

}  // namespace

std::string RenderSuggestionHeader(const quorum::v1::SuggestPolicyResponse& r) {
  std::string out =
      "# Suggested from " + std::to_string(r.labelled_handoffs()) +
      " handoffs with sales feedback on revision " +
      std::to_string(r.active_revision()) + " (" + std::to_string(r.folds()) +
      "-fold cross-validated accuracy " +
      WithSpread(r.accuracy(), r.accuracy_stddev()) + ", active " +
      Percent(r.baseline_accuracy()) + ")\n";
  for (const auto& c : r.changes()) {
    out += "# " + c.path() + ": " + ParameterValue(c.path(), c.old_value()) +
           " -> " + ParameterValue(c.path(), c.new_value()) + "\n";
  }
  return out;
}

std::string RenderSuggestion(const quorum::v1::SuggestPolicyResponse& r,
                             const Style& style) {
  std::string out =
      "Suggestion from " + std::to_string(r.labelled_handoffs()) +
      " handoffs with sales feedback, from active revision " +
      std::to_string(r.active_revision()) + "\n(" + std::to_string(r.folds()) +
      "-fold cross-validation; multipliers " + Multipliers(r) + ")\n\n";
  if (r.changes_size() == 0) {
    out += "No change routes these handoffs better than the active revision.\n";
  } else {
    out += "Changes\n";
    Table changes(
        {{"PARAMETER", 60}, {"ACTIVE", 12, true}, {"CANDIDATE", 12, true}});
    for (const auto& c : r.changes()) {
      changes.AddRow({c.path(),
                      ParameterValue(c.path(), c.old_value()),
                      {ParameterValue(c.path(), c.new_value()), "bold"}});
    }
    out += changes.Render(style);
  }
  out +=
      "\nAccuracy (candidate: mean ± standard deviation over the "
      "held-out folds)\n";
  Table accuracy({{"HANDED OFF AS", 20},
                  {"HANDOFFS", 8, true},
                  {"ACTIVE", 6, true},
                  {"CANDIDATE", 12, true}});
  for (const auto& route : r.routes()) {
    accuracy.AddRow({Short(route.route()), std::to_string(route.handoffs()),
                     Percent(route.baseline()),
                     WithSpread(route.mean(), route.stddev())});
  }
  accuracy.AddRow({"all",
                   std::to_string(r.labelled_handoffs()),
                   Percent(r.baseline_accuracy()),
                   {WithSpread(r.accuracy(), r.accuracy_stddev()), "bold"}});
  out += accuracy.Render(style);
  out += "  (the candidate on every handoff, the data it was chosen on: " +
         Percent(r.candidate_accuracy()) + ")\n\n";
  out += RenderSimulation(r.simulation(), style);
  return out;
}

}  // namespace quorum::cli
