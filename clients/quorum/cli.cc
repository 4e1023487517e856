#include "clients/quorum/cli.h"

#include <google/protobuf/util/time_util.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "clients/quorum/channel.h"

namespace quorum::cli {

std::shared_ptr<grpc::Channel> Cli::Channel() {
  if (channel_ == nullptr) {
    grpc::ChannelArguments args;
    // Responses can be large (a committee map of a big health system).
    args.SetMaxReceiveMessageSize(64 << 20);
    std::shared_ptr<grpc::ChannelCredentials> credentials =
        grpc::InsecureChannelCredentials();
    if (!globals_.tls_ca.empty() || !globals_.tls_cert.empty()) {
      if (globals_.tls_cert.empty() != globals_.tls_key.empty()) {
        throw UsageError("--tls-cert and --tls-key go together");
      }
      grpc::SslCredentialsOptions tls;
      // Without --tls-ca the system's trusted CAs verify quorumd.
      if (!globals_.tls_ca.empty()) tls.pem_root_certs = ReadInput(globals_.tls_ca);
      if (!globals_.tls_cert.empty()) {
        tls.pem_cert_chain = ReadInput(globals_.tls_cert);
        tls.pem_private_key = ReadInput(globals_.tls_key);
      }
      credentials = grpc::SslCredentials(tls);
      if (!globals_.tls_server_name.empty()) {
        args.SetSslTargetNameOverride(globals_.tls_server_name);
      }
    }
    // One address or several: round robin over them, and idempotent calls
    // retried on UNAVAILABLE (docs/cli.md, "Several addresses and retries").
    ChannelTarget target =
        ParseServerAddresses(globals_.server_source, globals_.server);
    if (!target.authority.empty()) {
      args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, target.authority);
    }
    args.SetServiceConfigJSON(ServiceConfigJson());
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
    channel_ = grpc::CreateCustomChannel(target.target, credentials, args);
  }
  return channel_;
}

OutputFormat Cli::format() const {
  if (globals_.json || globals_.output == "json") return OutputFormat::kJson;
  if (globals_.output == "yaml") return OutputFormat::kYaml;
  if (globals_.output == "csv") return OutputFormat::kCsv;
  return OutputFormat::kTable;
}

void Cli::Prepare(grpc::ClientContext& context) const {
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(globals_.timeout));
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  PrepareWithoutDeadline(context);
}

void Cli::PrepareWithoutDeadline(grpc::ClientContext& context) const {
  if (!globals_.token.empty()) {
    context.AddMetadata("authorization", "Bearer " + globals_.token);
  }
}

std::string AccountName(const std::string& account) {
  // A bare ID gets its collection; anything with a slash is a name already
  // and goes to the server as given, which names what is wrong with it
  // (`Accounts/BAD` stays `Accounts/BAD`).
  if (account.find('/') != std::string::npos) return account;
  return "accounts/" + account;
}

std::string ReadInput(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  // stdio rather than a stream: errno then says why a read failed.
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw UsageError("cannot read " + path + ": " + std::strerror(errno));
  }
  std::string text;
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    text.append(buffer, n);
  }
  int error = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (error != 0) {
    throw UsageError("cannot read " + path + ": " + std::strerror(error));
  }
  return text;
}

bool IsDate(const std::string& text) {
  return text.size() == 10 && text[4] == '-' && text[7] == '-';
}

google::protobuf::Timestamp ParseTime(const std::string& flag,
                                      const std::string& text) {
  google::protobuf::Timestamp out;
  std::string value = text;
  if (IsDate(value)) {
    value += "T00:00:00Z";  // A date: midnight UTC.
  }
  if (!google::protobuf::util::TimeUtil::FromString(value, &out)) {
    throw UsageError(flag + ": \"" + text +
                     "\" is not an RFC 3339 time such as "
                     "2026-12-01T00:00:00Z (or a date, 2026-12-01)");
  }
  return out;
}

int ParseEnum(const std::string& flag, const std::string& text,
              const google::protobuf::EnumDescriptor* descriptor) {
  std::string upper;
  for (char c : text) {
    upper +=
        c == '-'
            ? '_'
            : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  // The prefix every value shares, e.g. "ROUTE_".
  std::string prefix = descriptor->value(0)->name();
  prefix = prefix.substr(0, prefix.rfind("UNSPECIFIED"));
  std::string accepted;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const auto* value = descriptor->value(i);
    if (value->number() == 0) continue;
    if (value->name() == upper || value->name() == prefix + upper) {
      return value->number();
    }
    if (!accepted.empty()) accepted += ", ";
    accepted += value->name().substr(prefix.size());
  }
  throw UsageError(flag + ": \"" + text + "\" is not one of " + accepted);
}

std::string DefaultActor(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  for (const char* name : {"QUORUM_ACTOR", "USER"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && value[0] != '\0') return value;
  }
  return "cli";
}

}  // namespace quorum::cli
