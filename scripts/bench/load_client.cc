// quorum_load: a closed-loop load client for any unary RPC, on
// grpc::GenericStub with pre-serialized requests, so that every method
// (the empty health check included) is measured by the same client.
//
//   quorum_load --target 127.0.0.1:50051[,HOST:PORT...] --method /quorum.v1.X/Y
//               [--requests FILE] [--concurrency 8] [--duration 5 | --calls N]
//               [--warmup 1] [--server-pid PID[,PID...]] [--db-pid PID]
//
// FILE holds requests as [uint32 little-endian length][bytes] records; calls
// take them round robin (an empty request when no file is given). Keeps
// `concurrency` calls in flight on one completion queue, in all: with
// several targets (one channel each) each call goes to the next target in
// turn. Prints one JSON object: calls, errors, qps, p50/p90/p99/max latency
// in microseconds, the mean response size, with --server-pid the servers'
// CPU time per call (the sum over the listed processes, from
// /proc/PID/stat over the measured interval), and with --db-pid the CPU time
// per call of that process's children (a PostgreSQL postmaster's backends).
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"

namespace {

using Clock = std::chrono::steady_clock;

// utime + stime of `pid` in clock ticks, or -1.
long long CpuTicks(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  // After "pid (comm) ": state is field 3; utime 14, stime 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return utime + stime;
}

long long CpuTicks(const std::vector<int>& pids) {
  long long sum = 0;
  for (int pid : pids) sum += std::max(0LL, CpuTicks(pid));
  return sum;
}

// utime + stime of the live children of `parent`, in clock ticks.
long long ChildrenCpuTicks(int parent) {
  if (!parent) return 0;
  long long sum = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) {
      continue;
    }
    std::ifstream in("/proc/" + name + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string state, ppid;
    if (!(fields >> state >> ppid) || ppid != std::to_string(parent)) continue;
    sum += std::max(0LL, CpuTicks(std::stoi(name)));
  }
  return sum;
}

std::vector<std::string> ReadRequests(const std::string& path) {
  std::vector<std::string> out;
  if (path.empty()) {
    out.emplace_back();
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "quorum_load: cannot read " << path << "\n";
    std::exit(2);
  }
  while (true) {
    unsigned char len[4];
    if (!in.read(reinterpret_cast<char*>(len), 4)) break;
    const uint32_t n = len[0] | len[1] << 8 | len[2] << 16 |
                       static_cast<uint32_t>(len[3]) << 24;
    std::string bytes(n, '\0');
    if (!in.read(bytes.data(), n)) {
      std::cerr << "quorum_load: truncated request file " << path << "\n";
      std::exit(2);
    }
    out.push_back(std::move(bytes));
  }
  if (out.empty()) {
    std::cerr << "quorum_load: no requests in " << path << "\n";
    std::exit(2);
  }
  return out;
}

struct Call {
  grpc::ClientContext context;
  grpc::ByteBuffer response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::ByteBuffer>> rpc;
  Clock::time_point start;
};

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * (sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  std::string target = "127.0.0.1:50051";
  std::string method;
  std::string requests_file;
  int concurrency = 1;
  double duration = 5;
  long long calls_limit = 0;
  double warmup = 1;
  std::vector<int> server_pids;
  int db_pid = 0;
  CLI::App app{"quorum_load: closed-loop load on one unary RPC"};
  app.add_option("--target", target,
                 "host:port, or several separated by commas (calls take "
                 "them in turn)")
      ->capture_default_str();
  app.add_option("--method", method, "Full method, /package.Service/Method")
      ->required();
  app.add_option("--requests", requests_file,
                 "Pre-serialized requests ([u32 LE length][bytes]...)");
  app.add_option("--concurrency", concurrency)->check(CLI::PositiveNumber);
  app.add_option("--duration", duration, "Seconds to measure")
      ->capture_default_str();
  app.add_option("--calls", calls_limit,
                 "Measure exactly this many calls instead of a duration "
                 "(no warm-up)");
  app.add_option("--warmup", warmup, "Seconds before measuring")
      ->capture_default_str();
  app.add_option("--server-pid", server_pids,
                 "Server process(es) for CPU time (comma-separated)")
      ->delimiter(',');
  app.add_option("--db-pid", db_pid,
                 "Database process whose children's CPU time to report");
  CLI11_PARSE(app, argc, argv);

  const std::vector<std::string> requests = ReadRequests(requests_file);
  std::vector<grpc::ByteBuffer> buffers;
  for (const std::string& r : requests) {
    grpc::Slice slice(r);
    buffers.emplace_back(&slice, 1);
  }

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (const std::string& t : std::vector<std::string>(
           absl::StrSplit(target, ',', absl::SkipEmpty()))) {
    auto channel =
        grpc::CreateCustomChannel(t, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                   std::chrono::seconds(10))) {
      std::cerr << "quorum_load: cannot connect to " << t << "\n";
      return 2;
    }
    stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
  }
  if (stubs.empty()) {
    std::cerr << "quorum_load: no --target\n";
    return 2;
  }
  grpc::CompletionQueue cq;

  size_t next_request = 0;
  size_t next_stub = 0;
  auto start_call = [&]() {
    auto* call = new Call;
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(60));
    call->start = Clock::now();
    call->rpc = stubs[next_stub++ % stubs.size()]->PrepareUnaryCall(
        &call->context, method, buffers[next_request++ % buffers.size()], &cq);
    call->rpc->StartCall();
    call->rpc->Finish(&call->response, &call->status, call);
  };

  const bool by_count = calls_limit > 0;
  if (by_count) warmup = 0;
  const Clock::time_point begin = Clock::now();
  Clock::time_point measure_from =
      begin + std::chrono::microseconds(static_cast<long long>(warmup * 1e6));
  Clock::time_point measure_to =
      measure_from +
      std::chrono::microseconds(static_cast<long long>(duration * 1e6));
  bool measuring = warmup <= 0;
  const bool server_cpu = !server_pids.empty();
  long long cpu_from = measuring && server_cpu ? CpuTicks(server_pids) : 0;
  long long db_cpu_from = measuring ? ChildrenCpuTicks(db_pid) : 0;
  if (measuring) measure_from = Clock::now();

  std::vector<double> latencies;
  long long errors = 0, started = 0, in_flight = 0, bytes = 0, measured = 0;
  std::string first_error;
  for (int i = 0; i < concurrency && (!by_count || started < calls_limit);
       ++i) {
    start_call();
    ++started;
    ++in_flight;
  }
  Clock::time_point measure_end;
  long long cpu_to = 0, db_cpu_to = 0;
  bool done = false;
  while (in_flight > 0) {
    void* tag = nullptr;
    bool ok = false;
    if (!cq.Next(&tag, &ok)) break;
    auto* call = static_cast<Call*>(tag);
    --in_flight;
    const Clock::time_point now = Clock::now();
    if (!measuring && now >= measure_from) {
      measuring = true;
      measure_from = now;
      measure_to = now + std::chrono::microseconds(
                             static_cast<long long>(duration * 1e6));
      if (server_cpu) cpu_from = CpuTicks(server_pids);
      db_cpu_from = ChildrenCpuTicks(db_pid);
    }
    if (measuring && !done) {
      if (call->start >= measure_from) {
        ++measured;
        latencies.push_back(
            std::chrono::duration<double, std::micro>(now - call->start)
                .count());
        if (!call->status.ok()) {
          ++errors;
          if (first_error.empty()) {
            first_error = std::to_string(call->status.error_code()) + " " +
                          call->status.error_message();
          }
        } else {
          bytes += static_cast<long long>(call->response.Length());
        }
      }
      if ((by_count && measured >= calls_limit) ||
          (!by_count && now >= measure_to)) {
        done = true;
        measure_end = now;
        if (server_cpu) cpu_to = CpuTicks(server_pids);
        db_cpu_to = ChildrenCpuTicks(db_pid);
      }
    }
    delete call;
    if (!done && (!by_count || started < calls_limit)) {
      start_call();
      ++started;
      ++in_flight;
    }
  }
  if (!done) {
    measure_end = Clock::now();
    if (server_cpu) cpu_to = CpuTicks(server_pids);
    db_cpu_to = ChildrenCpuTicks(db_pid);
  }
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }

  const double seconds =
      std::chrono::duration<double>(measure_end - measure_from).count();
  std::sort(latencies.begin(), latencies.end());
  const long long good = measured - errors;
  std::printf(
      "{\"method\": \"%s\", \"concurrency\": %d, \"calls\": %lld, \"errors\": "
      "%lld, "
      "\"seconds\": %.3f, \"qps\": %.1f, \"p50_us\": %.0f, \"p90_us\": %.0f, "
      "\"p99_us\": %.0f, \"max_us\": %.0f, \"response_bytes\": %.0f",
      method.c_str(), concurrency, measured, errors, seconds,
      seconds > 0 ? measured / seconds : 0, Percentile(latencies, 0.5),
      Percentile(latencies, 0.9), Percentile(latencies, 0.99),
      latencies.empty() ? 0 : latencies.back(),
      good > 0 ? static_cast<double>(bytes) / good : 0);
  if (server_cpu && measured > 0) {
    std::printf(", \"server_cpu_us_per_call\": %.1f",
                (cpu_to - cpu_from) * 1e6 / sysconf(_SC_CLK_TCK) / measured);
  }
  if (db_pid && measured > 0) {
    std::printf(
        ", \"db_cpu_us_per_call\": %.1f",
        (db_cpu_to - db_cpu_from) * 1e6 / sysconf(_SC_CLK_TCK) / measured);
  }
  if (!first_error.empty()) {
    std::string escaped;
    for (char c : first_error) {
      if (c == '"' || c == '\\') escaped += '\\';
      if (static_cast<unsigned char>(c) >= 0x20) escaped += c;
    }
    std::printf(", \"first_error\": \"%s\"", escaped.c_str());
  }
  std::printf("}\n");
  return errors > 0 && errors == measured ? 1 : 0;
}
