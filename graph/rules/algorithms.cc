#include "graph/rules/algorithms.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/visitors.hpp>
#include <boost/iterator/function_output_iterator.hpp>
#include <limits>
#include <unordered_map>

namespace quorum::graph {
namespace {

constexpr size_t kUnreached = std::numeric_limits<size_t>::max();

// A graph keyed by name; descriptors never leave the call that built it.
template <typename Directed>
struct NamedGraph {
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, Directed>;
  using Vertex = typename boost::graph_traits<Graph>::vertex_descriptor;

  explicit NamedGraph(const std::vector<Edge>& edges) {
    for (const Edge& e : edges) boost::add_edge(Add(e.from), Add(e.to), g);
  }
  Vertex Add(const std::string& name) {
    auto [it, inserted] = index.try_emplace(name, 0);
    if (inserted) {
      it->second = boost::add_vertex(g);
      names.push_back(name);
    }
    return it->second;
  }
  std::optional<Vertex> Find(const std::string& name) const {
    auto it = index.find(name);
    if (it == index.end()) return std::nullopt;
    return it->second;
  }
  // Breadth-first search from `source`: hop distances (kUnreached when
  // unreachable) and predecessors.
  void Search(Vertex source, std::vector<size_t>* distance,
              std::vector<Vertex>* predecessor) const {
    const size_t n = boost::num_vertices(g);
    distance->assign(n, kUnreached);
    predecessor->resize(n);
    for (Vertex v = 0; v < n; ++v) (*predecessor)[v] = v;
    (*distance)[source] = 0;
    boost::breadth_first_search(
        g, source,
        boost::visitor(boost::make_bfs_visitor(std::make_pair(
            boost::record_distances(distance->data(), boost::on_tree_edge()),
            boost::record_predecessors(predecessor->data(),
                                       boost::on_tree_edge())))));
  }
  // The names from `source` to `target` along `predecessor`.
  std::vector<std::string> PathTo(Vertex source, Vertex target,
                                  const std::vector<Vertex>& predecessor) const {
    std::vector<std::string> path;
    for (Vertex v = target; v != source; v = predecessor[v]) {
      path.push_back(names[v]);
    }
    path.push_back(names[source]);
    std::reverse(path.begin(), path.end());
    return path;
  }

  Graph g;
  std::unordered_map<std::string, Vertex> index;
  std::vector<std::string> names;
};

}  // namespace

std::optional<std::vector<std::string>> ShortestPath(
    const std::vector<Edge>& edges, const std::string& from,
    const std::string& to) {
  if (from == to) return std::vector<std::string>{from};
  NamedGraph<boost::directedS> graph(edges);
  auto source = graph.Find(from);
  auto target = graph.Find(to);
  if (!source || !target) return std::nullopt;
  std::vector<size_t> distance;
  std::vector<NamedGraph<boost::directedS>::Vertex> predecessor;
  graph.Search(*source, &distance, &predecessor);
  if (distance[*target] == kUnreached) return std::nullopt;
  return graph.PathTo(*source, *target, predecessor);
}

std::optional<std::vector<std::string>> ShortestUndirectedPath(
    const std::vector<Edge>& edges, const std::vector<std::string>& sources,
    const std::vector<std::string>& targets) {
  NamedGraph<boost::undirectedS> graph(edges);
  for (const std::string& s : sources) graph.Add(s);
  for (const std::string& t : targets) graph.Add(t);
  std::optional<std::vector<std::string>> best;
  std::vector<size_t> distance;
  std::vector<NamedGraph<boost::undirectedS>::Vertex> predecessor;
  for (const std::string& source : sources) {
    auto from = *graph.Find(source);
    graph.Search(from, &distance, &predecessor);
    for (const std::string& target : targets) {
      auto to = *graph.Find(target);
      if (distance[to] == kUnreached) continue;
      if (best && best->size() <= distance[to] + 1) continue;
      best = graph.PathTo(from, to, predecessor);
    }
  }
  return best;
}

std::vector<std::string> BreadthFirstOrder(const std::vector<Edge>& edges,
                                           const std::string& root) {
  using Vertex = NamedGraph<boost::directedS>::Vertex;
  NamedGraph<boost::directedS> graph(edges);
  Vertex start = graph.Add(root);
  std::vector<std::string> order;
  boost::breadth_first_search(
      graph.g, start,
      boost::visitor(boost::make_bfs_visitor(boost::write_property(
          boost::typed_identity_property_map<Vertex>(),
          boost::make_function_output_iterator(
              [&](Vertex v) { order.push_back(graph.names[v]); }),
          boost::on_discover_vertex()))));
  return order;
}

}  // namespace quorum::graph
