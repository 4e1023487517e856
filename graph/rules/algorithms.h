// Graph algorithms over relationship edges, with Boost.Graph.
//
// Vertices are keyed by resource name: descriptors are built per call and
// never leave it. Callers pass the edges of one account tree, which is the
// unit of work, so no global graph (and no global lock) is involved.
#ifndef QUORUM_GRAPH_ALGORITHMS_H_
#define QUORUM_GRAPH_ALGORITHMS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace quorum::graph {

// A directed edge between two named vertices.
struct Edge {
  std::string from;
  std::string to;
};

// The shortest directed path from `from` to `to` (both ends included), by
// breadth-first search; nullopt when `to` is unreachable. A path from a
// vertex to itself is that vertex alone.
std::optional<std::vector<std::string>> ShortestPath(
    const std::vector<Edge>& edges, const std::string& from,
    const std::string& to);

// The shortest path from any of `sources` to any of `targets`, ignoring edge
// direction (an introduction can go up or down a reporting line). Ties go to
// the earlier source, then the earlier target, in the order given. nullopt
// when no target is reachable.
std::optional<std::vector<std::string>> ShortestUndirectedPath(
    const std::vector<Edge>& edges, const std::vector<std::string>& sources,
    const std::vector<std::string>& targets);

// The vertices reachable from `root` along directed edges, in breadth-first
// order (children in edge order), `root` first.
std::vector<std::string> BreadthFirstOrder(const std::vector<Edge>& edges,
                                           const std::string& root);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_ALGORITHMS_H_
