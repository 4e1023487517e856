#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "graph/policy.h"
#include "graph/status.h"

namespace quorum::server {

absl::StatusOr<std::unique_ptr<QuorumServer>> QuorumServer::Start(
    const ServerOptions& options) {
  if (options.max_message_bytes <= 0) {
    return absl::InvalidArgumentError("--max-message-bytes must be positive");
  }
  RETURN_IF_ERROR(CheckLimits(options.limits));
  std::unique_ptr<QuorumServer> s(new QuorumServer());
  {
    std::error_code ec;
    std::filesystem::create_directories(options.data_dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create data directory ", options.data_dir, ": ",
                       ec.message()));
    }
  }
  ASSIGN_OR_RETURN(s->lock_, DataDirLock::Acquire(options.data_dir));
  ASSIGN_OR_RETURN(s->listener_, Listener::Bind(options.listen));
  graph::Store::Options store_options;
  store_options.path = options.data_dir;
  store_options.initial_map_size = options.initial_map_size;
  ASSIGN_OR_RETURN(s->store_, graph::Store::Open(store_options));
  s->account_graph_ = std::make_unique<AccountGraphServiceImpl>(s->store_.get());
  s->policy_ = std::make_unique<PolicyServiceImpl>(s->store_.get());
  s->signals_ = std::make_unique<SignalServiceImpl>(s->store_.get());
  s->qualification_ = std::make_unique<QualificationServiceImpl>(
      s->store_.get(), [] { return absl::Now(); });
  s->notes_ = std::make_unique<NoteServiceImpl>(s->store_.get());
  s->intake_ = std::make_unique<IntakeServiceImpl>(s->store_.get());
  s->workflow_ = std::make_unique<WorkflowServiceImpl>(s->store_.get());
  if (!options.policy_file.empty()) {
    ASSIGN_OR_RETURN(v1::Policy policy, ReadPolicyFile(options.policy_file));
    ASSIGN_OR_RETURN(v1::PolicyRevision active,
                     PublishIfChanged(s->store_.get(), policy,
                                      "quorumd --policy " + options.policy_file));
    s->policy_revision_ = active.revision();
  } else {
    auto active = s->store_->GetPolicyRevision(0);
    if (absl::IsNotFound(active.status())) {
      active = s->store_->PublishPolicy(graph::DefaultPolicy(),
                                        "default diagnostics policy");
    }
    if (!active.ok()) return active.status();
    s->policy_revision_ = active->revision();
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Connections come from our own Listener (see server/limits.h).
  ApplyLimits(options.limits, &builder);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(s->account_graph_.get());
  builder.RegisterService(s->policy_.get());
  builder.RegisterService(s->signals_.get());
  builder.RegisterService(s->qualification_.get());
  builder.RegisterService(s->notes_.get());
  builder.RegisterService(s->intake_.get());
  builder.RegisterService(s->workflow_.get());
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot start the gRPC server for ", options.listen));
  }
  s->port_ = s->listener_->port();
  QuorumServer* self = s.get();
  s->store_->OnWritableChange(
      [self](bool writable) { self->OnWritableChange(writable); });
  s->server_->GetHealthCheckService()->SetServingStatus(s->store_->writable());
  s->listener_->Start(s->server_.get(), ConnectionCap(options.limits));
  return s;
}

void QuorumServer::OnWritableChange(bool writable) {
  std::lock_guard lock(health_mu_);
  if (shut_down_ || server_ == nullptr) return;
  server_->GetHealthCheckService()->SetServingStatus(writable);
}

void QuorumServer::Shutdown(absl::Duration grace) {
  {
    std::lock_guard lock(health_mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  listener_->Stop();  // No new connections.
  server_->GetHealthCheckService()->SetServingStatus(false);
  workflow_->Stop();  // Watch streams end instead of holding shutdown.
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
}

QuorumServer::~QuorumServer() {
  if (server_ != nullptr) Shutdown(absl::Seconds(5));
  server_.reset();
  workflow_.reset();  // Its feed thread reads the store.
  account_graph_.reset();
  store_.reset();  // Closes LMDB.
}

absl::StatusOr<v1::Policy> ReadPolicyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream content;
  content << in.rdbuf();
  v1::PolicySource source;
  if (absl::EndsWith(path, ".json")) {
    source.set_json(content.str());
  } else {
    source.set_text(content.str());
  }
  auto policy = PolicyFromSource(source, "policy");
  if (!policy.ok()) return Annotate(policy.status(), path);
  return policy;
}

absl::StatusOr<int> LoadBundleFile(graph::Store* store, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  v1::ResourceBundle bundle;
  if (!google::protobuf::TextFormat::ParseFromString(text.str(), &bundle)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a text-format quorum.v1.ResourceBundle"));
  }
  auto created = store->LoadBundle(bundle);
  if (!created.ok()) return Annotate(created.status(), path);
  return created;
}

}  // namespace quorum::server
