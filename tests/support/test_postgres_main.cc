// quorum_test_postgres: starts and stops the PostgreSQL cluster one CTest run
// shares (the fixture tests postgres.start and postgres.stop in
// tests/CMakeLists.txt), so that test processes attach to it rather than
// each running initdb (see tests/support/postgres_cluster.h).
//
//   quorum_test_postgres start DIR   # stops a cluster left in DIR, starts one
//   quorum_test_postgres stop DIR    # stops it and removes DIR
//
// Without PostgreSQL 15 installed, start says so and succeeds: the tests
// that need it skip themselves.
#include <cstdio>
#include <cstring>
#include <string>

#include "tests/support/postgres_cluster.h"

using quorum::testing::PostgresCluster;

int main(int argc, char** argv) {
  if (argc != 3 ||
      (std::strcmp(argv[1], "start") != 0 && std::strcmp(argv[1], "stop"))) {
    std::fprintf(stderr, "usage: %s start|stop DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[2];
  // A cluster an interrupted run left behind goes first.
  absl::Status stopped = PostgresCluster::StopIn(dir);
  if (std::strcmp(argv[1], "stop") == 0) {
    if (!stopped.ok()) {
      std::fprintf(stderr, "%s\n", std::string(stopped.message()).c_str());
      return 1;
    }
    return 0;
  }
  std::string why;
  if (!PostgresCluster::Available(&why)) {
    std::printf("%s\n", why.c_str());
    return 0;
  }
  PostgresCluster cluster;
  absl::Status s = cluster.Start(dir);
  if (s.ok()) s = cluster.Detach();
  if (!s.ok()) {
    std::fprintf(stderr, "cannot start PostgreSQL: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  }
  std::printf("PostgreSQL for this test run: %s\n",
              cluster.Url("postgres").c_str());
  return 0;
}
