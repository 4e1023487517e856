#include "graph/rules/algorithms.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace quorum::graph {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

TEST(ShortestPathTest, FollowsDirectedEdges) {
  std::vector<Edge> edges = {{"a", "b"}, {"b", "c"}, {"c", "d"}};
  EXPECT_THAT(ShortestPath(edges, "a", "d"),
              Optional(ElementsAre("a", "b", "c", "d")));
  EXPECT_EQ(ShortestPath(edges, "d", "a"), std::nullopt);
}

TEST(ShortestPathTest, PrefersTheFewestEdges) {
  std::vector<Edge> edges = {{"a", "b"}, {"b", "c"}, {"c", "d"},
                             {"d", "e"}, {"a", "x"}, {"x", "e"}};
  EXPECT_THAT(ShortestPath(edges, "a", "e"),
              Optional(ElementsAre("a", "x", "e")));
}

TEST(ShortestPathTest, PathToItselfIsTheVertexAlone) {
  EXPECT_THAT(ShortestPath({}, "a", "a"), Optional(ElementsAre("a")));
  EXPECT_THAT(ShortestPath({{"a", "b"}, {"b", "a"}}, "a", "a"),
              Optional(ElementsAre("a")));
}

TEST(ShortestPathTest, UnknownVerticesAreUnreachable) {
  std::vector<Edge> edges = {{"a", "b"}};
  EXPECT_EQ(ShortestPath(edges, "a", "z"), std::nullopt);
  EXPECT_EQ(ShortestPath(edges, "z", "b"), std::nullopt);
  EXPECT_EQ(ShortestPath({}, "a", "b"), std::nullopt);
}

TEST(ShortestPathTest, DisconnectedComponentsAreUnreachable) {
  std::vector<Edge> edges = {{"a", "b"}, {"c", "d"}};
  EXPECT_EQ(ShortestPath(edges, "a", "d"), std::nullopt);
}

TEST(ShortestPathTest, TerminatesOnCyclesAndParallelEdges) {
  std::vector<Edge> edges = {{"a", "b"}, {"b", "a"}, {"b", "c"},
                             {"b", "c"}, {"c", "b"}, {"c", "d"}};
  EXPECT_THAT(ShortestPath(edges, "a", "d"),
              Optional(ElementsAre("a", "b", "c", "d")));
}

TEST(ShortestPathTest, KeysVerticesByResourceName) {
  const std::string x = "accounts/h/stakeholders/x";
  const std::string y = "accounts/h/stakeholders/y";
  const std::string z = "accounts/s/stakeholders/z";
  EXPECT_THAT(ShortestPath({{x, y}, {y, z}}, x, z),
              Optional(ElementsAre(x, y, z)));
}

TEST(ShortestPathTest, HandlesALongChain) {
  std::vector<Edge> edges;
  for (int i = 0; i < 5000; ++i) {
    edges.push_back({std::to_string(i), std::to_string(i + 1)});
  }
  auto path = ShortestPath(edges, "0", "5000");
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(path->size(), 5001u);
  EXPECT_EQ(path->front(), "0");
  EXPECT_EQ(path->back(), "5000");
}

}  // namespace
}  // namespace quorum::graph
