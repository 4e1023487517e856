#include "graph/algorithms.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/visitors.hpp>
#include <unordered_map>

namespace quorum::graph {

std::optional<std::vector<std::string>> ShortestPath(
    const std::vector<Edge>& edges, const std::string& from,
    const std::string& to) {
  if (from == to) return std::vector<std::string>{from};
  using Graph =
      boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  using Vertex = boost::graph_traits<Graph>::vertex_descriptor;
  std::unordered_map<std::string, Vertex> index;
  std::vector<std::string> names;
  Graph g;
  auto vertex = [&](const std::string& name) {
    auto [it, inserted] = index.try_emplace(name, 0);
    if (inserted) {
      it->second = boost::add_vertex(g);
      names.push_back(name);
    }
    return it->second;
  };
  for (const Edge& e : edges) boost::add_edge(vertex(e.from), vertex(e.to), g);
  auto source = index.find(from);
  auto target = index.find(to);
  if (source == index.end() || target == index.end()) return std::nullopt;

  std::vector<Vertex> predecessor(boost::num_vertices(g));
  for (Vertex v = 0; v < predecessor.size(); ++v) predecessor[v] = v;
  boost::breadth_first_search(
      g, source->second,
      boost::visitor(boost::make_bfs_visitor(boost::record_predecessors(
          predecessor.data(), boost::on_tree_edge()))));
  if (predecessor[target->second] == target->second) return std::nullopt;
  std::vector<std::string> path;
  for (Vertex v = target->second; v != source->second; v = predecessor[v]) {
    path.push_back(names[v]);
  }
  path.push_back(from);
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace quorum::graph
