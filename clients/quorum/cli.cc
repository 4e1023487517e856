#include "clients/quorum/cli.h"

#include <google/protobuf/util/time_util.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

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
    channel_ = grpc::CreateCustomChannel(globals_.server, credentials, args);
  }
  return channel_;
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
  if (account.rfind("accounts/", 0) == 0) return account;
  return "accounts/" + account;
}

std::string ReadInput(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw UsageError("cannot read " + path);
  return text.str();
}

google::protobuf::Timestamp ParseTime(const std::string& flag,
                                      const std::string& text) {
  google::protobuf::Timestamp out;
  std::string value = text;
  if (value.size() == 10 && value[4] == '-' && value[7] == '-') {
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
