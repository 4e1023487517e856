// `quorum review`: the account review a person reads, in the screen's
// width (80 columns unless on a wider or narrower terminal).
#include <algorithm>
#include <map>
#include <set>

#include "clients/quorum/output.h"
#include "clients/quorum/render.h"

namespace quorum::cli {
namespace {

using quorum::v1::CommitteeRole;
using quorum::v1::Engagement;
using quorum::v1::FitResult;
using quorum::v1::Route;

// How many contributing signals the review lists before summarizing.
constexpr int kMaxSignals = 10;

// Turns resource names into what a person recognizes: stakeholders by their
// display name, sites and accounts relative to the account reviewed.
class Namer {
 public:
  explicit Namer(const ReviewInput& input) : account_(input.verdict.account()) {
    if (!input.committee_map) return;
    const auto& map = *input.committee_map;
    for (const auto& s : map.stakeholders()) {
      people_[s.name()] = &s;
      by_length_.push_back(s.name());
    }
    for (const auto& s : map.sites()) {
      sites_.insert(s.name());
      by_length_.push_back(s.name());
    }
    std::sort(by_length_.begin(), by_length_.end(),
              [](const std::string& a, const std::string& b) {
                return a.size() > b.size();
              });
  }

  const quorum::v1::Stakeholder* Person(const std::string& name) const {
    auto it = people_.find(name);
    return it == people_.end() ? nullptr : it->second;
  }

  // "Megan Ortiz" for a known stakeholder, else the stakeholder's ID.
  std::string PersonName(const std::string& name) const {
    const auto* person = Person(name);
    if (person != nullptr && !person->display_name().empty()) {
      return person->display_name();
    }
    return LastSegment(name);
  }

  // "account", "site portland-regional-lab", "account riverside",
  // "site riverside/main-lab".
  std::string Source(const std::string& name) const {
    if (name == account_) return "account";
    const std::string own_sites = account_ + "/sites/";
    if (name.rfind(own_sites, 0) == 0) {
      return "site " + name.substr(own_sites.size());
    }
    const std::string prefix = "accounts/";
    if (name.rfind(prefix, 0) != 0) return name;
    std::string rest = name.substr(prefix.size());
    size_t slash = rest.find("/sites/");
    if (slash != std::string::npos) {
      return "site " + rest.substr(0, slash) + "/" +
             rest.substr(slash + std::string("/sites/").size());
    }
    return "account " + rest;
  }

  // `text` with stakeholder names replaced by display names and site names
  // by "site ID".
  std::string Humanize(std::string text) const {
    for (const std::string& name : by_length_) {
      const std::string display =
          sites_.count(name) > 0 ? Source(name) : PersonName(name);
      for (size_t at = text.find(name); at != std::string::npos;
           at = text.find(name, at + display.size())) {
        text.replace(at, name.size(), display);
      }
    }
    return text;
  }

 private:
  std::string account_;
  std::map<std::string, const quorum::v1::Stakeholder*> people_;
  std::set<std::string> sites_;
  std::vector<std::string> by_length_;
};

std::string Heading(const Style& style, const std::string& title,
                    const std::string& rest = "") {
  std::string line = style.Bold(title);
  if (!rest.empty()) line += "  " + rest;
  return "\n" + line + "\n";
}

std::string KeyValue(const Style& style, const std::string& key,
                     const std::string& value, const std::string& color,
                     size_t value_width) {
  return PadRight(key, 11) +
         style.Apply(color,
                     PadRight(Truncate(value, value_width), value_width));
}

std::string Header(const ReviewInput& input, const Namer& namer,
                   const Style& style) {
  const auto& v = input.verdict;
  std::string display = LastSegment(v.account());
  std::string status = "-";
  std::string owner = "-";
  if (input.committee_map) {
    const auto& account = input.committee_map->account();
    if (!account.display_name().empty()) display = account.display_name();
    status = Short(account.lifecycle_status());
    if (!account.owner().empty()) owner = account.owner();
  }
  (void)namer;
  std::string out = style.Bold(display) + "\n" + v.account() + "\n" +
                    std::string(ScreenWidth(), '-') + "\n";
  auto row = [&](const std::string& k1, const std::string& v1,
                 const std::string& c1, const std::string& k2,
                 const std::string& v2, const std::string& c2) {
    std::string line = "  " + KeyValue(style, k1, v1, c1, 26) + "  " +
                       KeyValue(style, k2, v2, c2, 26);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + "\n";
  };
  out += row("Status", status, "", "Owner", owner, "");
  out += row("Route", Short(v.route()), RouteColor(v.route()), "Readiness",
             std::to_string(v.readiness()) + "/100", "");
  out += row("Decided by", v.decided_by().empty() ? "-" : v.decided_by(), "",
             "Stage", Short(v.stage()), "");
  out +=
      row("Timeline",
          v.has_decision_time() ? "decision by " + FormatDate(v.decision_time())
                                : "unknown",
          "", "Policy", "revision " + std::to_string(v.policy_revision()), "");
  // A verdict for one solution says which; the account's own shows no row.
  out += row("As of", FormatTime(v.as_of()), "",
             v.solution().empty() ? "" : "Solution", v.solution(), "");
  return out;
}

std::string Why(const ReviewInput& input, const Namer& namer,
                const Style& style) {
  const auto& v = input.verdict;
  const quorum::v1::Reason* deciding = nullptr;
  for (const auto& r : v.reasons()) {
    if (r.rule_id() == v.decided_by()) {
      deciding = &r;
      break;
    }
  }
  if (deciding == nullptr && v.reasons_size() > 0) deciding = &v.reasons(0);
  if (deciding == nullptr) return "";
  std::string out = Heading(style, "Why", deciding->rule_id());
  out += Paragraph(namer.Humanize(deciding->text()), "  ", "  ");
  for (const auto& e : deciding->evidence()) {
    out += Paragraph(namer.Humanize(e), "  - ", "    ");
  }
  if (v.route() == quorum::v1::ROUTE_NURTURE && !v.nurture_track().empty()) {
    out += "  Nurture track: " + v.nurture_track() + "\n";
  }
  return out;
}

std::string ResultName(FitResult result) { return Short(result); }

std::string Fit(const ReviewInput& input, const Namer& namer,
                const Style& style) {
  const auto& fit = input.verdict.fit();
  std::string out =
      Heading(style, "Fit",
              style.Apply(FitColor(fit.result()), ResultName(fit.result())));
  Table checks({{"CHECK", 16},
                {"MUST", 4},
                {"RESULT", 7},
                {"VALUE", 24},
                {"SOURCE", 30}});
  for (const auto& c : fit.checks()) {
    checks.AddRow({c.check_id(),
                   c.must_have() ? "yes" : "",
                   {ResultName(c.result()), FitColor(c.result())},
                   c.value().empty() ? "-" : c.value(),
                   c.source().empty() ? "-" : namer.Source(c.source())});
  }
  out += checks.Render(style);
  // Each site's fit, so that "two half-fitting sites" are visible (an
  // account without sites is judged as one site: nothing to add).
  if (fit.sites_size() > 1 ||
      (fit.sites_size() == 1 &&
       fit.sites(0).site().find("/sites/") != std::string::npos)) {
    int fits = 0;
    for (const auto& s : fit.sites()) fits += s.fits() ? 1 : 0;
    out += "  Sites: " + std::to_string(fits) + " of " +
           std::to_string(fit.sites_size()) + " fit\n";
    for (const auto& s : fit.sites()) {
      std::string why;
      for (const auto& c : s.checks()) {
        if (!c.must_have() || c.result() == quorum::v1::FIT_RESULT_PASS) {
          continue;
        }
        if (!why.empty()) why += ", ";
        why += c.check_id() + " " + ResultName(c.result());
        if (!c.value().empty()) why += " (" + c.value() + ")";
      }
      std::string mark = s.fits() ? style.Green("fits") : style.Red("no  ");
      out += Paragraph(namer.Source(s.site()) + (why.empty() ? "" : ": " + why),
                       "    " + mark + "  ", "          ");
    }
  }
  if (fit.facts_to_gather_size() > 0) {
    out += "  Facts to gather:\n";
    for (const auto& f : fit.facts_to_gather()) {
      out += Paragraph(f, "    - ", "      ");
    }
  }
  return out;
}

std::string Intent(const ReviewInput& input, const Namer& namer,
                   const Style& style) {
  const auto& intent = input.verdict.intent();
  std::string level =
      intent.high() ? style.Green("HIGH") : style.Yellow("not high");
  std::string why;
  if (!intent.high()) {
    if (intent.score() < intent.threshold()) why = "score below the threshold";
    if (!intent.evaluation_signal_in_window()) {
      why += std::string(why.empty() ? "" : "; ") +
             "no evaluation signal in the window";
    }
  } else {
    why = "with an evaluation signal in the window";
  }
  std::string out = Heading(
      style, "Intent",
      Fixed(intent.score()) + " / " + Fixed(intent.threshold()) + "  " + level);
  out += Paragraph(why, "  ", "  ");
  if (intent.signals_size() == 0) return out + "  No signals.\n";
  Table table({{"DATE", 10},
               {"SIGNAL", 24},
               {"TOPIC", 11},
               {"POINTS", 11, true},
               {"WHO", 30}});
  int shown = 0;
  for (const auto& s : intent.signals()) {
    if (shown++ == kMaxSignals) break;
    table.AddRow(
        {FormatDate(s.occur_time()),
         Short(s.type()) + (s.evaluation() ? " *" : ""), Short(s.topic()),
         Fixed(s.decayed_points()) + "/" + Number(s.points()),
         s.stakeholder().empty() ? "-" : namer.PersonName(s.stakeholder())});
  }
  out += table.Render(style);
  const int64_t considered =
      std::max<int64_t>(intent.signals_considered(), intent.signals_size());
  const int64_t shown_count =
      std::min<int64_t>(intent.signals_size(), kMaxSignals);
  if (considered > shown_count) {
    out += "  ... and " + std::to_string(considered - shown_count) +
           " more (quorum review --json lists them all)\n";
  }
  out += "  POINTS: decayed/fresh; * an evaluation signal in the window\n";
  return out;
}

// The role of `name` that counts for `req` (the surest), or nullptr.
const quorum::v1::RoleHolding* MatchingRole(
    const quorum::v1::CommitteeAssessment& committee, const std::string& name,
    const quorum::v1::RequirementStatus& req) {
  const quorum::v1::RoleHolding* found = nullptr;
  for (const auto& h : committee.roles()) {
    if (h.stakeholder() != name ||
        std::find(req.roles().begin(), req.roles().end(), h.role()) ==
            req.roles().end()) {
      continue;
    }
    if (found == nullptr || h.confidence() > found->confidence()) found = &h;
  }
  return found;
}

// "QUALITY (likely, 0.72: title 'QA Specialist', validation webinar)".
std::string DescribeRole(const quorum::v1::RoleHolding& h) {
  if (h.certainty() == quorum::v1::ROLE_CERTAINTY_CONFIRMED) {
    return Short(h.role()) + " (confirmed)";
  }
  std::string sources;
  for (const auto& e : h.evidence()) {
    if (!sources.empty()) sources += ", ";
    sources += e.text();
  }
  return Short(h.role()) + " (" +
         (h.certainty() == quorum::v1::ROLE_CERTAINTY_LIKELY ? "likely"
                                                             : "possible") +
         ", " + Fixed(h.confidence()) + ": " + sources + ")";
}

std::string Committee(const ReviewInput& input, const Namer& namer,
                      const Style& style) {
  const auto& committee = input.verdict.committee();
  int applicable = 0;
  int met = 0;
  for (const auto& r : committee.requirements()) {
    if (!r.applicable()) continue;
    ++applicable;
    met += r.met() ? 1 : 0;
  }
  std::string out = Heading(
      style, "Committee",
      "coverage " + Percent(committee.coverage()) + " (" + std::to_string(met) +
          " of " + std::to_string(applicable) + " requirements met)");
  Table table({{"REQUIREMENT", 16},
               {"ROLE", 16},
               {"ENGAGEMENT", 10},
               {"STATE", 7},
               {"WHO", 30}});
  std::vector<std::string> later;  // Requirements that do not apply yet.
  for (const auto& r : committee.requirements()) {
    const auto* req = &r;  // It carries its roles and stage.
    if (!r.applicable()) {
      std::string when =
          req->from_stage() != quorum::v1::EVALUATION_STAGE_UNSPECIFIED
              ? "from stage " + Short(req->from_stage())
              : "not at this stage";
      later.push_back(r.requirement_id() + " applies " + when);
    }
    std::vector<std::pair<std::string, std::string>> people;  // name, state
    for (const auto& p : r.met_by()) people.emplace_back(p, "met");
    for (const auto& p : r.nearly_met_by()) people.emplace_back(p, "nearly");
    for (const auto& p : r.below_confidence()) people.emplace_back(p, "unsure");
    bool first = true;
    for (const auto& [name, held] : people) {
      const auto* person = namer.Person(name);
      const auto* role = MatchingRole(committee, name, *req);
      // The verdict's effective engagement (raised by recent evaluation
      // signals); the stored one for a verdict that does not carry it.
      std::string engagement =
          person != nullptr ? Short(person->engagement()) : "?";
      for (const auto& e : committee.engagements()) {
        if (e.stakeholder() == name) {
          engagement = Short(e.effective());
          if (e.effective() != e.stored()) engagement += "*";
        }
      }
      if (engagement == "-") engagement = "IDENTIFIED";
      std::string state = r.applicable() ? held : "n/a";
      std::string color = !r.applicable() ? "dim"
                          : held == "met" ? "green"
                                          : "yellow";
      table.AddRow(
          {first ? r.requirement_id() : "",
           role != nullptr ? Short(role->role()) : "?",
           engagement,
           {state, color},
           namer.PersonName(name) +
               (role == nullptr ? ""
                : role->certainty() == quorum::v1::ROLE_CERTAINTY_CONFIRMED
                    ? " (c)"
                    : " (" + Fixed(role->confidence()) + ")")});
      first = false;
    }
    if (!people.empty()) continue;
    // Nobody holds it: the roles that would do, one per line.
    std::vector<std::string> roles;
    for (int role : req->roles()) {
      roles.push_back(Short(static_cast<CommitteeRole>(role)));
    }
    if (roles.empty()) roles.push_back("?");
    for (size_t i = 0; i < roles.size(); ++i) {
      if (i == 0) {
        table.AddRow({r.requirement_id(),
                      roles[i],
                      "-",
                      {r.applicable() ? "MISSING" : "n/a",
                       r.applicable() ? "red" : "dim"},
                      "-"});
      } else {
        table.AddRow({"", roles[i], "", "", ""});
      }
    }
  }
  out += table.Render(style);
  out +=
      "  (c) confirmed role, (0.72) how sure an unconfirmed role is; unsure: "
      "holds it\n  less surely than the requirement asks; * engagement raised "
      "by a recent\n  evaluation signal\n";
  // How sure each unconfirmed role is, and why.
  for (const auto& h : committee.roles()) {
    if (h.certainty() == quorum::v1::ROLE_CERTAINTY_CONFIRMED) continue;
    out += Paragraph(DescribeRole(h),
                     "  " + namer.PersonName(h.stakeholder()) + ": ", "    ");
  }
  for (const auto& l : later) out += Paragraph(l, "  n/a: ", "    ");
  std::string owner = committee.decision_owner().empty()
                          ? "none"
                          : namer.PersonName(committee.decision_owner());
  out += "  Decision owner: " + owner + "\n";
  if (committee.blockers_size() > 0) {
    std::string blockers;
    for (const auto& b : committee.blockers()) {
      if (!blockers.empty()) blockers += ", ";
      blockers += namer.PersonName(b);
    }
    out += Paragraph(style.Red(blockers), "  Blockers: ", "    ");
  }
  return out;
}

std::string Path(const quorum::v1::IntroductionPath& path, const Namer& namer) {
  std::string out;
  for (const auto& p : path.path()) {
    if (!out.empty()) out += " → ";
    out += namer.PersonName(p);
  }
  std::string role = Short(path.role());
  out += path.holds_role() ? " (holds " + role + ")"
                           : " (may know who holds " + role + ")";
  return out;
}

std::string Gaps(const ReviewInput& input, const Namer& namer,
                 const Style& style) {
  const auto& gaps = input.verdict.gaps();
  std::string out = Heading(style, "Gaps");
  if (gaps.empty()) return out + "  None.\n";
  for (const auto& g : gaps) {
    out += Paragraph(namer.Humanize(g.description()),
                     "  - " + style.Yellow(g.id()) + ": ", "      ");
    if (!g.suggestion().empty()) {
      out += Paragraph(namer.Humanize(g.suggestion()), "      → ", "        ");
    }
    if (g.has_introduction() && g.introduction().path_size() > 0) {
      out += Paragraph(Path(g.introduction(), namer),
                       "      introduction: ", "        ");
    }
  }
  return out;
}

std::string Notes(const ReviewInput& input, const Namer& namer,
                  const Style& style) {
  const auto& notes = input.notes;
  if (!notes.available) {
    return Heading(style, "Notes: not available",
                   "(" + notes.unavailable_reason + ")");
  }
  std::string out = Heading(style, "Notes", "(latest 5)");
  if (notes.items.empty()) return out + "  None.\n";
  for (const auto& n : notes.items) {
    const auto& when = n.has_occur_time() ? n.occur_time() : n.create_time();
    std::string head =
        FormatDate(when) + "  " + Short(n.kind()) + "  by " + n.author();
    if (!n.stakeholder().empty()) {
      head += " with " + namer.PersonName(n.stakeholder());
    }
    out += "  " + head + "\n";
    out += Paragraph(n.learned(), "    ", "    ");
    if (!n.next_step().empty()) {
      out += Paragraph(n.next_step(), "    next: ", "          ");
    }
  }
  return out;
}

std::string History(const ReviewInput& input, const Style& style) {
  const auto& history = input.history;
  if (!history.available) {
    return Heading(style, "History: not available",
                   "(" + history.unavailable_reason + ")");
  }
  std::string out = Heading(style, "History", "(latest 5)");
  if (history.items.empty()) return out + "  No status changes yet.\n";
  return out + RenderStatusChanges(history.items, style);
}

std::string Questions(const ReviewInput& input, const Style& style) {
  const auto& questions = input.verdict.questions();
  if (questions.empty()) return "";
  std::string out = Heading(style, "Questions to ask");
  for (const auto& q : questions) {
    out += Paragraph(
        q.text() + (q.because().empty() ? "" : "  [" + q.because() + "]"),
        "  - ", "    ");
  }
  return out;
}

}  // namespace

std::string RenderReview(const ReviewInput& input, const Style& style) {
  const Namer namer(input);
  std::string out = Header(input, namer, style);
  out += Why(input, namer, style);
  out += Fit(input, namer, style);
  out += Intent(input, namer, style);
  out += Committee(input, namer, style);
  out += Gaps(input, namer, style);
  out += Notes(input, namer, style);
  out += History(input, style);
  out += Questions(input, style);
  out += Heading(style, "Next step");
  out += Paragraph(input.verdict.next_step().empty()
                       ? "-"
                       : namer.Humanize(input.verdict.next_step()),
                   "  ", "  ");
  return out;
}

}  // namespace quorum::cli
