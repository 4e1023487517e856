// quorum import FILE.csv --mapping FILE: accounts, sites and stakeholders
// from CSV through ImportRecords, with rejected rows and their reasons
// written to a CSV of their own.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>

#include "clients/quorum/cli.h"
#include "clients/quorum/csv.h"
#include "clients/quorum/errors.h"
#include "clients/quorum/mapping.h"
#include "clients/quorum/output.h"
#include "clients/quorum/text.h"
#include "quorum/v1/intake_service.grpc.pb.h"

namespace quorum::cli {
namespace {

struct ImportOptions {
  std::string file;
  std::string mapping;
  std::string rejects;
  int per_call = 100;
  bool dry_run = false;
};

// A progress line on stderr, redrawn in place; only on a terminal.
class Progress {
 public:
  Progress() : enabled_(isatty(STDERR_FILENO) == 1) {}
  ~Progress() { Clear(); }

  void Show(const CsvReader& reader, long long rows, long long rejected) {
    if (!enabled_) return;
    std::string line = "import: " + std::to_string(rows) + " rows";
    if (reader.size() > 0) {
      double fraction = static_cast<double>(reader.bytes_done()) /
                        static_cast<double>(reader.size());
      if (fraction > 1) fraction = 1;
      const int width = 30;
      int done = static_cast<int>(fraction * width);
      line = "import [" + std::string(done, '#') +
             std::string(width - done, ' ') + "] " +
             std::to_string(static_cast<int>(fraction * 100)) + "%  " +
             std::to_string(rows) + " rows";
    }
    if (rejected > 0) line += ", " + std::to_string(rejected) + " rejected";
    std::fprintf(stderr, "\r%s\033[K", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }

  void Clear() {
    if (!shown_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
};

// What happened to the rows and records of one import.
struct Outcome {
  long long rows = 0;
  long long skipped = 0;
  quorum::v1::ImportRecordsResponse records;  // Summed over the calls.
  // Rejected rows: row number -> (cells, reasons).
  std::map<long long, std::pair<std::vector<std::string>, std::string>>
      rejected;
};

// Records waiting for the next call, with the row each came from.
struct Batch {
  std::vector<quorum::v1::ImportRecordsRequest> records;
  std::vector<long long> rows;
  std::map<long long, std::vector<std::string>> cells;
};

grpc::Status SendBatch(Cli& cli, Batch& batch, Outcome& outcome) {
  if (batch.records.empty()) return grpc::Status::OK;
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::ImportRecordsResponse response;
  auto writer = quorum::v1::IntakeService::NewStub(cli.Channel())
                    ->ImportRecords(&context, &response);
  for (const auto& record : batch.records) {
    if (!writer->Write(record)) break;  // Finish() says why.
  }
  writer->WritesDone();
  auto status = writer->Finish();
  if (!status.ok()) return status;
  auto& total = outcome.records;
  const int64_t offset = total.received();
  total.set_received(total.received() + response.received());
  total.set_created(total.created() + response.created());
  total.set_updated(total.updated() + response.updated());
  total.set_unchanged(total.unchanged() + response.unchanged());
  total.set_rejected(total.rejected() + response.rejected());
  for (const auto& e : response.errors()) {
    *total.add_errors() = e;
    total.mutable_errors()->rbegin()->set_position(offset + e.position());
    if (e.position() < 0 ||
        e.position() >= static_cast<int64_t>(batch.rows.size())) {
      continue;
    }
    long long row = batch.rows[e.position()];
    auto& entry = outcome.rejected[row];
    entry.first = batch.cells[row];
    // The row's other records, undone with the one that failed: that one's
    // reason is the row's.
    if (e.code() == "ABORTED" && e.reason().rfind("not imported: ", 0) == 0) {
      continue;
    }
    std::string reason = e.code() + ": " + e.reason();
    if (!e.name().empty() && e.reason().find(e.name()) == std::string::npos) {
      reason = e.name() + ": " + reason;
    }
    entry.second += (entry.second.empty() ? "" : "; ") + reason;
  }
  if (response.rejected() > response.errors_size()) {
    std::cerr << "quorum: the server reported only the first "
              << response.errors_size() << " of " << response.rejected()
              << " rejections of a call; lower --per-call to see them all\n";
  }
  batch = Batch();
  return status;
}

void WriteRejects(const std::string& path,
                  const std::vector<std::string>& header,
                  const Outcome& outcome) {
  if (outcome.rejected.empty()) {
    // A stale file from an earlier run would mislead; remove it, but only a
    // regular file (never /dev/null and the like).
    struct stat st;
    if (lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      std::remove(path.c_str());
    }
    return;
  }
  CsvWriter writer(path);
  std::vector<std::string> head = {"row", "reason"};
  head.insert(head.end(), header.begin(), header.end());
  writer.Write(head);
  for (const auto& [row, entry] : outcome.rejected) {
    std::vector<std::string> line = {std::to_string(row), entry.second};
    line.insert(line.end(), entry.first.begin(), entry.first.end());
    writer.Write(line);
  }
  writer.Close();
}

int RunImport(Cli& cli, const ImportOptions& o) {
  Mapping mapping = Mapping::Parse(ReadInput(o.mapping), o.mapping);
  CsvReader reader(o.file, mapping.delimiter());
  std::vector<std::string> header;
  if (!reader.Next(header)) throw UsageError(o.file + ": no header row");
  mapping.Bind(header);
  const std::string rejects_path =
      !o.rejects.empty() ? o.rejects
                         : (o.file == "-" ? "stdin" : o.file) + ".rejects.csv";

  Outcome outcome;
  Batch batch;
  Progress progress;
  std::vector<std::string> cells;
  grpc::Status status;
  while (status.ok() && reader.Next(cells)) {
    const long long row = ++outcome.rows;  // Data rows from 1.
    if (cells.size() != header.size()) {
      outcome.rejected[row] = {
          cells, "the row has " + std::to_string(cells.size()) +
                     " fields, the header " + std::to_string(header.size())};
      continue;
    }
    Mapping::Row converted = mapping.Convert(cells);
    if (converted.skipped) {
      ++outcome.skipped;
      continue;
    }
    if (!converted.error.empty()) {
      outcome.rejected[row] = {cells, converted.error};
      continue;
    }
    if (o.dry_run) {
      for (const auto& r : converted.records) std::cout << ToJsonLine(r);
      continue;
    }
    // A row's records (an account and its site) land together or not at
    // all: a rejected site must not leave its account behind.
    const bool grouped = converted.records.size() > 1;
    for (auto& r : converted.records) {
      if (grouped) r.set_group("row-" + std::to_string(row));
      batch.records.push_back(std::move(r));
      batch.rows.push_back(row);
    }
    batch.cells[row] = cells;
    if (static_cast<int>(batch.records.size()) >= o.per_call) {
      status = SendBatch(cli, batch, outcome);
      progress.Show(reader, outcome.rows, outcome.rejected.size());
    } else if (outcome.rows % 100 == 0) {
      progress.Show(reader, outcome.rows, outcome.rejected.size());
    }
  }
  if (status.ok()) status = SendBatch(cli, batch, outcome);
  progress.Clear();
  WriteRejects(rejects_path, header, outcome);
  if (!status.ok()) {
    ReportRpcError(status,
                   "import stopped after row " + std::to_string(outcome.rows));
  }

  const long long rejected = static_cast<long long>(outcome.rejected.size());
  if (cli.json()) {
    cli.PrintStructured(outcome.records);
  } else if (!o.dry_run || rejected > 0) {
    const auto& r = outcome.records;
    std::cout << "rows: " << outcome.rows << " read, "
              << outcome.rows - rejected - outcome.skipped << " imported, "
              << rejected << " rejected, " << outcome.skipped << " skipped\n";
    if (!o.dry_run) {
      std::cout << "records: " << r.created() << " created, " << r.updated()
                << " updated, " << r.unchanged() << " unchanged, "
                << r.rejected() << " rejected\n";
    }
    for (const auto& [row, entry] : outcome.rejected) {
      std::cout << Paragraph(entry.second,
                             "  row " + std::to_string(row) + ": ", "    ");
    }
    if (rejected > 0) {
      std::cout << "rejected rows and reasons: " << rejects_path << "\n";
    }
  }
  if (!status.ok()) return kExitServerError;
  return rejected > 0 ? kExitServerError : kExitOk;
}

}  // namespace

void AddImportCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<ImportOptions>();
  auto* sub = app.add_subcommand(
      "import",
      "Import accounts, sites and stakeholders from CSV (ImportRecords); "
      "exit 1 when a row is rejected");
  sub->add_option("file", o->file, "CSV file with a header row, or -")
      ->required();
  sub->add_option("--mapping", o->mapping,
                  "Mapping from columns to fields (docs/cli.md), e.g. "
                  "clients/quorum/config/clia.mapping")
      ->required();
  sub->add_option("--rejects", o->rejects,
                  "Where rejected rows go, with their reasons "
                  "(default FILE.rejects.csv)");
  sub->add_option("--per-call", o->per_call,
                  "Records per ImportRecords call (the server details the "
                  "first 100 rejections of a call)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_flag("--dry-run", o->dry_run,
                "Print the records as JSON lines instead of importing them");
  sub->callback(
      [&action, o] { action = [o](Cli& cli) { return RunImport(cli, *o); }; });
}

}  // namespace quorum::cli
