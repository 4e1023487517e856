#include "clients/quorum/dot.h"

#include <map>
#include <vector>

#include "clients/quorum/output.h"

namespace quorum::cli {
namespace {

// A DOT double-quoted string.
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string EngagementFill(quorum::v1::Engagement engagement) {
  switch (engagement) {
    case quorum::v1::ENGAGEMENT_CHAMPION:
      return "#a1d99b";
    case quorum::v1::ENGAGEMENT_ENGAGED:
      return "#e5f5e0";
    case quorum::v1::ENGAGEMENT_BLOCKER:
      return "#fcbba1";
    default:
      return "#ffffff";
  }
}

std::string Node(const quorum::v1::Stakeholder& s, const std::string& indent) {
  std::string label = s.display_name();
  if (!s.title().empty()) label += "\n" + s.title();
  // Each role once: (c) confirmed, else (crm) from a CRM, else (i).
  std::map<int, std::string> marks;
  for (const auto& r : s.roles()) {
    std::string mark = r.source() == quorum::v1::ROLE_SOURCE_CONFIRMED ? "c"
                       : r.source() == quorum::v1::ROLE_SOURCE_CRM     ? "crm"
                                                                       : "i";
    auto [it, added] = marks.emplace(r.role(), mark);
    if (!added && (mark == "c" || (mark == "crm" && it->second == "i"))) {
      it->second = mark;
    }
  }
  std::string roles;
  for (const auto& [role, mark] : marks) {
    if (!roles.empty()) roles += ", ";
    roles +=
        Short(static_cast<quorum::v1::CommitteeRole>(role)) + " (" + mark + ")";
  }
  if (!roles.empty()) label += "\n" + roles;
  std::string engagement = Short(s.engagement());
  label += "\n" + (engagement == "-" ? std::string("IDENTIFIED") : engagement);
  std::string style =
      s.do_not_contact() ? "rounded,filled,dashed" : "rounded,filled";
  return indent + Quote(s.name()) + " [label=" + Quote(label) +
         ", fillcolor=" + Quote(EngagementFill(s.engagement())) +
         ", style=" + Quote(style) + "];\n";
}

class Writer {
 public:
  explicit Writer(const quorum::v1::CommitteeMap& map) {
    for (const auto& s : map.stakeholders()) {
      std::string account = s.name().substr(0, s.name().find("/stakeholders/"));
      people_[account].push_back(&s);
    }
    for (const auto& a : map.descendants()) children_[a.parent()].push_back(&a);
  }

  std::string Cluster(const quorum::v1::Account& account,
                      const std::string& indent) {
    std::string out =
        indent + "subgraph " + Quote("cluster_" + account.name()) + " {\n";
    std::string in = indent + "  ";
    std::string label = account.display_name().empty() ? account.name()
                                                       : account.display_name();
    out += in + "label=" + Quote(label + "\n" + account.name()) + ";\n";
    auto people = people_.find(account.name());
    if (people != people_.end()) {
      for (const auto* s : people->second) out += Node(*s, in);
    } else {
      // Graphviz drops empty clusters; keep the account visible.
      out += in + Quote(account.name() + "#empty") +
             " [label=\"(no stakeholders)\", shape=plaintext, style=\"\"];\n";
    }
    auto children = children_.find(account.name());
    if (children != children_.end()) {
      for (const auto* child : children->second) out += Cluster(*child, in);
    }
    return out + indent + "}\n";
  }

 private:
  std::map<std::string, std::vector<const quorum::v1::Stakeholder*>> people_;
  std::map<std::string, std::vector<const quorum::v1::Account*>> children_;
};

// The missing requirements of `verdict` as dashed boxes (inside the root
// cluster, so that they sit with the account), and their "ask" edges.
std::string MissingRoles(const quorum::v1::Verdict& verdict,
                         std::string& edges) {
  std::string out;
  for (const auto& r : verdict.committee().requirements()) {
    if (!r.applicable() || r.met()) continue;
    const std::string id = "missing#" + r.requirement_id();
    std::string label = "missing: " + r.requirement_id();
    if (!r.missing().empty()) label += "\n" + r.missing();
    out += "    " + Quote(id) + " [label=" + Quote(label) +
           ", style=\"dashed,rounded\", color=\"#b30000\", "
           "fontcolor=\"#b30000\"];\n";
    const auto& path = r.introduction().path();
    if (!path.empty()) {
      edges += "  " + Quote(path[0]) + " -> " + Quote(id) +
               " [label=\"ask\", style=dotted, color=\"#b30000\"];\n";
    }
  }
  return out;
}

const char kLegend[] =
    "  subgraph cluster_legend {\n"
    "    label=\"Legend\"; style=dashed; fontsize=10;\n"
    "    node [fontsize=9];\n"
    "    \"legend#champion\" [label=\"champion\", style=\"rounded,filled\", "
    "fillcolor=\"#a1d99b\"];\n"
    "    \"legend#engaged\" [label=\"engaged\", style=\"rounded,filled\", "
    "fillcolor=\"#e5f5e0\"];\n"
    "    \"legend#identified\" [label=\"identified\", "
    "style=\"rounded,filled\", "
    "fillcolor=\"#ffffff\"];\n"
    "    \"legend#blocker\" [label=\"blocker\", style=\"rounded,filled\", "
    "fillcolor=\"#fcbba1\"];\n"
    "    \"legend#dnc\" [label=\"do not contact\", "
    "style=\"rounded,filled,dashed\", fillcolor=\"#ffffff\"];\n"
    "    \"legend#missing\" [label=\"missing role\", style=\"dashed,rounded\", "
    "color=\"#b30000\", fontcolor=\"#b30000\"];\n"
    "    \"legend#roles\" [label=\"(c) confirmed role\\n(i) inferred from the "
    "title\", shape=plaintext];\n"
    "    \"legend#a\" [label=\"\", shape=point]; \"legend#b\" [label=\"\", "
    "shape=point];\n"
    "    \"legend#c\" [label=\"\", shape=point]; \"legend#d\" [label=\"\", "
    "shape=point];\n"
    "    \"legend#a\" -> \"legend#b\" [label=\"reports to\", style=solid];\n"
    "    \"legend#c\" -> \"legend#d\" [label=\"influences\", style=dashed];\n"
    "  }\n";

}  // namespace

std::string CommitteeMapToDot(const quorum::v1::CommitteeMap& map,
                              const quorum::v1::Verdict* verdict) {
  std::string out = "digraph committee {\n";
  out +=
      "  graph [rankdir=BT, fontname=\"Helvetica\", fontsize=11, "
      "labelloc=t, label=" +
      Quote("Buying committee of " + map.account().display_name() + " (" +
            map.account().name() + ")") +
      "];\n";
  out += "  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  std::string cluster = Writer(map).Cluster(map.account(), "  ");
  std::string ask_edges;
  if (verdict != nullptr) {
    // The missing roles go at the end of the root cluster (before its "}").
    std::string missing = MissingRoles(*verdict, ask_edges);
    cluster.insert(cluster.size() - 4, missing);
  }
  out += cluster;
  for (const auto& r : map.relationships()) {
    std::string label, style = "solid", extra;
    switch (r.type()) {
      case quorum::v1::RELATIONSHIP_TYPE_REPORTS_TO:
        label = "reports to";
        break;
      case quorum::v1::RELATIONSHIP_TYPE_INFLUENCES:
        label = "influences";
        style = "dashed";
        break;
      case quorum::v1::RELATIONSHIP_TYPE_WORKS_WITH:
        label = "works with";
        style = "dotted";
        extra = ", dir=none";
        break;
      default:
        label = Short(r.type());
    }
    if (r.strength() > 0) {
      extra += ", penwidth=" + Fixed(1 + 2 * r.strength(), 1);
    }
    out += "  " + Quote(r.source()) + " -> " + Quote(r.target()) +
           " [label=" + Quote(label) + ", style=" + style + extra + "];\n";
  }
  out += ask_edges;
  if (verdict != nullptr) out += kLegend;
  return out + "}\n";
}

}  // namespace quorum::cli
