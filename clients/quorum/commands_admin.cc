// quorum admin backup DIR: an online backup (AdminService.BackupData).
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "clients/quorum/cli.h"
#include "clients/quorum/errors.h"
#include "clients/quorum/output.h"
#include "quorum/v1/admin_service.grpc.pb.h"

namespace quorum::cli {
namespace {

int RunBackup(Cli& cli, const std::string& dir) {
  quorum::v1::BackupDataRequest request;
  request.set_path(dir);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::BackupDataResponse response;
  auto status = quorum::v1::AdminService::NewStub(cli.Channel())
                    ->BackupData(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status, "backup");
  return PrintResponse(
      cli.format(), response, [](const quorum::v1::BackupDataResponse& r, Style) {
        return absl::StrCat(
            "backup written to ", r.path(), " on the server (", r.size_bytes(),
            " bytes, ",
            r.duration().seconds() * 1000 + r.duration().nanos() / 1000000,
            " ms); restore: quorumd --data-dir ", r.path(), "\n");
      });
}

}  // namespace

void AddAdminCommands(CLI::App& app, Action& action) {
  auto dir = std::make_shared<std::string>();
  auto* admin = app.add_subcommand("admin", "Operate the server (admin scope)");
  admin->require_subcommand(1);
  auto* backup = admin->add_subcommand(
      "backup",
      "Write a consistent, compacted copy of the server's data into DIR on "
      "the server (absolute; new or empty) while it keeps serving");
  backup->add_option("dir", *dir, "Directory on the server")->required();
  backup->callback([&action, dir] {
    action = [dir](Cli& cli) { return RunBackup(cli, *dir); };
  });
}

}  // namespace quorum::cli
