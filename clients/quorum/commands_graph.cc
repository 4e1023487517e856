// quorum graph ACCOUNT [--format dot|png|svg] [--file FILE]: the committee map
// as Graphviz DOT, or rendered by Graphviz's `dot`.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "clients/quorum/cli.h"
#include "clients/quorum/dot.h"
#include "clients/quorum/errors.h"
#include "clients/quorum/output.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/qualification_service.grpc.pb.h"

namespace quorum::cli {
namespace {

struct GraphOptions {
  std::string account;
  std::string format = "dot";
  std::string output;
};

// Pipes `dot_text` through `dot -T<format>` into `output` (stdout when
// empty). Throws UsageError when dot cannot run.
int RunDot(const std::string& dot_text, const std::string& format,
           const std::string& output) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0)
    throw UsageError("pipe: " + std::string(strerror(errno)));
  std::cout.flush();
  pid_t pid = fork();
  if (pid < 0) throw UsageError("fork: " + std::string(strerror(errno)));
  if (pid == 0) {
    dup2(pipe_fds[0], STDIN_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::string type = "-T" + format;
    std::vector<std::string> args = {"dot", type};
    if (!output.empty()) args.push_back("-o" + output);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("dot", argv.data());
    _exit(127);
  }
  close(pipe_fds[0]);
  size_t written = 0;
  while (written < dot_text.size()) {
    ssize_t n = write(pipe_fds[1], dot_text.data() + written,
                      dot_text.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  close(pipe_fds[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    throw UsageError(
        "cannot run Graphviz's dot (Debian: apt-get install "
        "graphviz); --format dot needs no Graphviz");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw UsageError("dot -T" + format + " failed");
  }
  return kExitOk;
}

int RunGraph(Cli& cli, const GraphOptions& o) {
  if (o.format == "png" && o.output.empty() && isatty(STDOUT_FILENO)) {
    throw UsageError("--format png writes binary data: give --file FILE.png");
  }
  quorum::v1::GetCommitteeMapRequest request;
  request.set_name(AccountName(o.account));
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::CommitteeMap map;
  auto status = quorum::v1::AccountGraphService::NewStub(cli.Channel())
                    ->GetCommitteeMap(&context, request, &map);
  if (!status.ok()) return ReportRpcError(status);
  if (cli.json()) {
    cli.PrintStructured(map);
    return kExitOk;
  }
  // The verdict adds the missing roles; without it the people still draw.
  quorum::v1::QualifyAccountRequest qualify;
  qualify.set_name(map.account().name());
  cli.SetAsOf(qualify);
  quorum::v1::Verdict verdict;
  grpc::ClientContext verdict_context;
  cli.Prepare(verdict_context);
  auto judged = quorum::v1::QualificationService::NewStub(cli.Channel())
                    ->QualifyAccount(&verdict_context, qualify, &verdict);
  if (!judged.ok()) {
    std::cerr << "quorum: the missing roles are not drawn: "
              << FormatRpcError(judged);
  }
  std::string dot = CommitteeMapToDot(map, judged.ok() ? &verdict : nullptr);
  if (o.format != "dot") return RunDot(dot, o.format, o.output);
  if (o.output.empty()) {
    std::cout << dot;
    return kExitOk;
  }
  std::ofstream out(o.output, std::ios::binary);
  out << dot;
  if (!out.flush()) throw UsageError("cannot write " + o.output);
  return kExitOk;
}

}  // namespace

void AddGraphCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<GraphOptions>();
  auto* graph = app.add_subcommand(
      "graph", "The committee map as Graphviz DOT, PNG or SVG");
  graph->add_option("account", o->account, "accounts/ID or ID")->required();
  graph
      ->add_option("--format", o->format,
                   "dot, png or svg (png and svg "
                   "need Graphviz's dot)")
      ->check(CLI::IsMember({"dot", "png", "svg"}))
      ->capture_default_str();
  // --file, not -o: -o/--output is the global output format.
  graph->add_option("--file", o->output, "Write to FILE instead of stdout");
  graph->callback(
      [&action, o] { action = [o](Cli& cli) { return RunGraph(cli, *o); }; });
}

}  // namespace quorum::cli
