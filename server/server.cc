#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/text_format.h"
#include "graph/model/status.h"
#include "graph/rules/policy.h"
#include "grpc/health/v1/health.pb.h"

namespace quorum::server {
namespace {

void LogToStderr(const std::string& message) {
  std::cerr << absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                absl::UTCTimeZone())
            << " quorumd: " << message << std::endl;
}

// Reads every PEM certificate of `path`; at least one.
absl::Status CheckCertificates(const std::string& path, absl::string_view flag,
                               X509** first_out) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", path));
  }
  int count = 0;
  while (X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr)) {
    if (count++ == 0 && first_out != nullptr) {
      *first_out = cert;
    } else {
      X509_free(cert);
    }
  }
  std::fclose(f);
  if (count == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", path, " holds no PEM certificate"));
  }
  return absl::OkStatus();
}

std::string Printed(const std::function<int(BIO*)>& print) {
  BIO* bio = BIO_new(BIO_s_mem());
  print(bio);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string out(data, size > 0 ? size : 0);
  BIO_free(bio);
  return out;
}

// Checks the TLS files before gRPC watches them, so that a wrong file is a
// clear error at start (or on SIGHUP) rather than failed handshakes later.
// Describes the certificate: its subject and when it expires.
absl::StatusOr<std::string> CheckTlsFiles(const ServerOptions& o) {
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: give both or neither");
  }
  if (o.tls_cert.empty()) {
    if (!o.tls_client_ca.empty()) {
      return absl::InvalidArgumentError(
          "--tls-client-ca needs --tls-cert and --tls-key");
    }
    return std::string();
  }
  X509* cert = nullptr;
  RETURN_IF_ERROR(CheckCertificates(o.tls_cert, "--tls-cert", &cert));
  std::unique_ptr<X509, decltype(&X509_free)> owned(cert, X509_free);
  FILE* f = std::fopen(o.tls_key.c_str(), "r");
  if (f == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key: cannot read ", o.tls_key));
  }
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-key: ", o.tls_key, " holds no unencrypted PEM private key"));
  }
  bool matches = X509_check_private_key(cert, key) == 1;
  EVP_PKEY_free(key);
  if (!matches) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-key: ", o.tls_key, " is not the key of ", o.tls_cert));
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert: ", o.tls_cert, " has expired"));
  }
  if (!o.tls_client_ca.empty()) {
    RETURN_IF_ERROR(
        CheckCertificates(o.tls_client_ca, "--tls-client-ca", nullptr));
  }
  std::string subject = Printed([&](BIO* bio) {
    return X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
                              XN_FLAG_RFC2253);
  });
  std::string until = Printed(
      [&](BIO* bio) { return ASN1_TIME_print(bio, X509_get0_notAfter(cert)); });
  return absl::StrCat("certificate '", subject, "' valid until ", until);
}

// The listening credentials: TLS when configured; gRPC's local credentials
// (plaintext, loopback peers only) when there is access control without
// TLS, so that AccessControl runs; insecure otherwise (the loopback demo).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListeningCredentials(
    const ServerOptions& o) {
  const bool loopback = IsLoopbackAddress(o.listen);
  const bool access = !o.token_file.empty();
  if (!access && !loopback) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--listen ", o.listen,
        " is not a loopback address, and without --token-file anyone who "
        "reaches the port could do anything: pass --token-file FILE (with "
        "--tls-cert and --tls-key), or listen on 127.0.0.1"));
  }
  RETURN_IF_ERROR(CheckTlsFiles(o).status());
  if (!o.mtls_scopes.empty() && o.tls_client_ca.empty()) {
    return absl::InvalidArgumentError("--mtls-scopes needs --tls-client-ca");
  }
  if (!o.mtls_scopes.empty() && !access) {
    return absl::InvalidArgumentError("--mtls-scopes needs --token-file");
  }
  if (o.tls_reload_seconds <= 0) {
    return absl::InvalidArgumentError("--tls-reload-seconds must be positive");
  }
  if (o.tls_cert.empty()) {
    if (!loopback) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--listen ", o.listen,
          " is not a loopback address: tokens would cross the network in "
          "clear; pass --tls-cert and --tls-key"));
    }
    if (access) return grpc::experimental::LocalServerCredentials(LOCAL_TCP);
    return grpc::InsecureServerCredentials();
  }
  std::shared_ptr<grpc::experimental::FileWatcherCertificateProvider> provider;
  if (o.tls_client_ca.empty()) {
    provider =
        std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
            o.tls_key, o.tls_cert, o.tls_reload_seconds);
  } else {
    provider =
        std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
            o.tls_key, o.tls_cert, o.tls_client_ca, o.tls_reload_seconds);
  }
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_identity_key_cert_pairs();
  if (o.tls_client_ca.empty()) {
    tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    tls.watch_root_certs();
    tls.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(tls);
}

}  // namespace

absl::StatusOr<StoreLocation> ParseStore(const ServerOptions& options) {
  absl::string_view store = options.store;
  StoreLocation location;
  if (absl::StartsWith(store, "postgresql://") ||
      absl::StartsWith(store, "postgres://")) {
    location.path = std::string(store);
    // postgresql://user:password@host/...: the password stays out of logs.
    location.description = location.path;
    const size_t scheme = location.description.find("://") + 3;
    const size_t at = location.description.find('@', scheme);
    const size_t colon = location.description.find(':', scheme);
    if (at != std::string::npos && colon < at) {
      location.description.replace(colon + 1, at - colon - 1, "***");
    }
    return location;
  }
  if (store.empty()) {
    location.lmdb_dir = options.data_dir;
  } else if (absl::ConsumePrefix(&store, "lmdb:") && !store.empty()) {
    location.lmdb_dir = std::string(store);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--store: \"", options.store,
        "\" is neither lmdb:FOLDER (as in lmdb:./quorum-data) nor a "
        "PostgreSQL URL (postgresql://user@host:port/database)"));
  }
  if (location.lmdb_dir.empty()) {
    return absl::InvalidArgumentError("--data-dir: empty");
  }
  location.path = location.lmdb_dir;
  location.description = location.lmdb_dir;
  return location;
}

absl::StatusOr<std::unique_ptr<QuorumServer>> QuorumServer::Start(
    const ServerOptions& options) {
  if (options.max_message_bytes <= 0) {
    return absl::InvalidArgumentError("--max-message-bytes must be positive");
  }
  RETURN_IF_ERROR(CheckLimits(options.limits));
  std::unique_ptr<QuorumServer> s(new QuorumServer());
  s->options_ = options;
  s->services_ = {v1::AccountGraphService::service_full_name(),
                  v1::PolicyService::service_full_name(),
                  v1::SignalService::service_full_name(),
                  v1::QualificationService::service_full_name(),
                  v1::NoteService::service_full_name(),
                  v1::IntakeService::service_full_name(),
                  v1::WorkflowService::service_full_name(),
                  v1::AdminService::service_full_name(),
                  v1::WebhookService::service_full_name(),
                  "grpc.health.v1.Health",
                  "grpc.reflection.v1alpha.ServerReflection"};
  // Fail closed: a served RPC without a declared scope stops the start.
  if (auto missing = MethodsWithoutScope(s->services_); !missing.empty()) {
    return absl::InternalError(
        absl::StrCat("RPCs without a (quorum.v1.scope) option: ",
                     absl::StrJoin(missing, ", ")));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                   ListeningCredentials(options));
  if (!options.token_file.empty()) {
    ASSIGN_OR_RETURN(s->tokens_, TokenRegistry::Load(options.token_file));
    AccessControl::Options access;
    access.tokens = s->tokens_.get();
    access.mtls_scopes = options.mtls_scopes;
    access.log = options.log ? options.log : LogToStderr;
    s->access_ = std::make_shared<AccessControl>(std::move(access));
    credentials->SetAuthMetadataProcessor(s->access_);
  }
  ASSIGN_OR_RETURN(const StoreLocation location, ParseStore(options));
  if (!location.lmdb_dir.empty()) {
    // One quorumd per data folder (an exclusive lock, server/limits.h).
    std::error_code ec;
    std::filesystem::create_directories(location.lmdb_dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create data directory ", location.lmdb_dir, ": ",
                       ec.message()));
    }
    ASSIGN_OR_RETURN(s->lock_, DataDirLock::Acquire(location.lmdb_dir));
  }
  // Access needs transport security for its AuthMetadataProcessor, so a
  // token file or TLS serves through gRPC's own listening port (local
  // credentials on loopback, TLS otherwise). The plain loopback demo serves
  // through quorumd's Listener, which keeps accepting when descriptors run
  // out (server/limits.h); see docs/security.md.
  const bool secure = !options.token_file.empty() || !options.tls_cert.empty();
  if (!secure) {
    ASSIGN_OR_RETURN(s->listener_, Listener::Bind(options.listen));
  }
  graph::Store::Options store_options;
  store_options.path = location.path;
  store_options.initial_map_size = options.initial_map_size;
  store_options.snapshot_cache_bytes = options.snapshot_cache_mib << 20;
  if (options.clock) store_options.clock = options.clock;
  ASSIGN_OR_RETURN(s->use_cases_, graph::UseCases::Open(store_options));
  graph::UseCases& uc = *s->use_cases_;
  s->account_graph_ = std::make_unique<AccountGraphServiceImpl>(&uc.accounts());
  s->policy_ = std::make_unique<PolicyServiceImpl>(&uc.policies());
  s->signals_ = std::make_unique<SignalServiceImpl>(&uc.signals());
  s->qualification_ =
      std::make_unique<QualificationServiceImpl>(&uc.qualification());
  s->notes_ = std::make_unique<NoteServiceImpl>(&uc.notes());
  s->intake_ = std::make_unique<IntakeServiceImpl>(&uc.intake());
  s->workflow_ =
      std::make_unique<WorkflowServiceImpl>(&uc.workflow(), &uc.readiness());
  s->admin_ = std::make_unique<AdminServiceImpl>(&uc.admin());
  s->dispatcher_ = std::make_unique<WebhookDispatcher>(
      &uc.webhooks(), &uc.readiness(), options.webhooks);
  WebhookDispatcher* dispatcher = s->dispatcher_.get();
  s->webhook_service_ = std::make_unique<WebhookServiceImpl>(
      &uc.webhooks(), [dispatcher] { dispatcher->Poke(); });
  if (!options.policy_file.empty()) {
    ASSIGN_OR_RETURN(v1::Policy policy, ReadPolicyFile(options.policy_file));
    ASSIGN_OR_RETURN(
        v1::PolicyRevision active,
        PublishIfChanged(&uc.policies(), policy,
                         "quorumd --policy " + options.policy_file));
    s->policy_revision_ = active.revision();
  } else {
    auto active = uc.policies().GetPolicyRevision(0);
    if (absl::IsNotFound(active.status())) {
      active = uc.policies().PublishPolicy(graph::DefaultPolicy(),
                                           "default diagnostics policy");
    }
    if (!active.ok()) return active.status();
    s->policy_revision_ = active->revision();
  }

  // gRPC's default health service is hand-written, not generated: its
  // descriptor reaches the pool that reflection serves only through our
  // generated grpc/health/v1/health.proto, linked in by this reference, so
  // that grpcurl and buf curl can list, describe and call it.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (secure) {
    builder.AddListeningPort(options.listen, credentials, &s->port_);
  }
  // Connections come from our own Listener when there is one.
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
  builder.RegisterService(s->admin_.get());
  builder.RegisterService(s->webhook_service_.get());
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot start the gRPC server for ", options.listen));
  }
  if (s->listener_ != nullptr) {
    s->port_ = s->listener_->port();
  } else if (s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen, " (in use, or not a local address?)"));
  }
  QuorumServer* self = s.get();
  uc.store().OnWritableChange(
      [self](bool writable) { self->OnWritableChange(writable); });
  s->server_->GetHealthCheckService()->SetServingStatus(uc.store().writable());
  if (s->listener_ != nullptr) {
    s->listener_->Start(s->server_.get(), ConnectionCap(options.limits));
  }
  // Time-driven readiness events (at once for what fell due while quorumd
  // was down) and the feed's retention.
  graph::Readiness::FeedOptions feed;
  feed.retention_events = options.event_retention_count;
  feed.retention_age = absl::Hours(24) * options.event_retention_days;
  uc.readiness().StartScheduler(feed);
  // Webhook deliveries, from each webhook's saved cursor.
  if (options.webhooks.enabled) s->dispatcher_->Start();
  return s;
}

absl::StatusOr<std::string> QuorumServer::CheckTls() const {
  if (options_.tls_cert.empty()) {
    return absl::FailedPreconditionError("no --tls-cert");
  }
  return CheckTlsFiles(options_);
}

absl::StatusOr<int> QuorumServer::ReloadTokens() {
  if (tokens_ == nullptr) {
    return absl::FailedPreconditionError("no --token-file to reload");
  }
  return tokens_->Reload();
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
  if (listener_ != nullptr) listener_->Stop();  // No new connections.
  server_->GetHealthCheckService()->SetServingStatus(false);
  use_cases_->readiness().StopScheduler();
  dispatcher_->Stop();  // Deliveries in flight are abandoned, not awaited.
  workflow_->Stop();  // Watch streams end instead of holding shutdown.
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
}

QuorumServer::~QuorumServer() {
  if (server_ != nullptr) Shutdown(absl::Seconds(5));
  server_.reset();
  workflow_.reset();  // Its feed thread reads the store.
  dispatcher_.reset();  // So do its delivery threads.
  account_graph_.reset();
  use_cases_.reset();  // Closes the store.
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
  auto policy = graph::PolicyFromSource(source, "policy");
  if (!policy.ok()) return Annotate(policy.status(), path);
  return policy;
}

absl::StatusOr<int> LoadBundleFile(graph::Intake* intake,
                                   const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  v1::ResourceBundle bundle;
  if (!google::protobuf::TextFormat::ParseFromString(text.str(), &bundle)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a text-format quorum.v1.ResourceBundle"));
  }
  auto created = intake->LoadBundle(bundle);
  if (!created.ok()) return Annotate(created.status(), path);
  return created;
}

}  // namespace quorum::server
