#include "server/access.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"

namespace quorum::server {
namespace {

constexpr absl::string_view kHealthService = "grpc.health.v1.Health";
constexpr absl::string_view kReflectionService =
    "grpc.reflection.v1alpha.ServerReflection";
constexpr absl::string_view kBearer = "bearer ";

std::string ToString(grpc::string_ref s) {
  return std::string(s.data(), s.size());
}

std::string JoinScopes(const std::vector<v1::Scope>& scopes) {
  return absl::StrJoin(scopes, ",", [](std::string* out, v1::Scope s) {
    out->append(ScopeName(s));
  });
}

}  // namespace

v1::Scope ScopeOf(const google::protobuf::MethodDescriptor& method) {
  const std::string& service = method.service()->full_name();
  if (service == kHealthService) return v1::SCOPE_PUBLIC;
  if (service == kReflectionService) return v1::SCOPE_READ;
  return method.options().GetExtension(v1::scope);
}

v1::Scope ScopeOfPath(absl::string_view path) {
  // "/pkg.Service/Method" -> "pkg.Service", "Method".
  if (!absl::ConsumePrefix(&path, "/")) return v1::SCOPE_UNSPECIFIED;
  size_t slash = path.find('/');
  if (slash == absl::string_view::npos) return v1::SCOPE_UNSPECIFIED;
  absl::string_view service = path.substr(0, slash);
  // Health stays open even where its descriptor is not linked in.
  if (service == kHealthService) return v1::SCOPE_PUBLIC;
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          absl::StrCat(service, ".", path.substr(slash + 1)));
  if (method == nullptr) return v1::SCOPE_UNSPECIFIED;
  return ScopeOf(*method);
}

std::vector<std::string> MethodsWithoutScope(
    const std::vector<std::string>& services) {
  std::vector<std::string> missing;
  for (const std::string& name : services) {
    // gRPC's own services, whose scopes are fixed here (see ScopeOf).
    if (name == kHealthService || name == kReflectionService) continue;
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    if (service == nullptr) {
      missing.push_back(name + " (not in the descriptor pool)");
      continue;
    }
    for (int i = 0; i < service->method_count(); ++i) {
      v1::Scope scope = ScopeOf(*service->method(i));
      if (scope == v1::SCOPE_UNSPECIFIED || !v1::Scope_IsValid(scope)) {
        missing.push_back(service->method(i)->full_name());
      }
    }
  }
  return missing;
}

std::string CallerOf(const grpc::ServerContext& context) {
  auto auth = context.auth_context();
  if (auth == nullptr) return "";
  auto values = auth->FindPropertyValues(kCallerProperty);
  return values.empty() ? "" : ToString(values.front());
}

grpc::Status AccessControl::Process(const InputMetadata& auth_metadata,
                                    grpc::AuthContext* context,
                                    OutputMetadata* consumed_auth_metadata,
                                    OutputMetadata*) {
  std::string path;
  if (auto it = auth_metadata.find(":path"); it != auth_metadata.end()) {
    path = ToString(it->second);
  }
  const v1::Scope needed = ScopeOfPath(path);
  if (needed == v1::SCOPE_PUBLIC) return grpc::Status::OK;

  auto deny = [&](grpc::StatusCode code, const std::string& why) {
    if (options_.log) options_.log(absl::StrCat("denied ", path, ": ", why));
    return grpc::Status(code, why);
  };

  std::string subject;
  if (context->IsPeerAuthenticated()) {
    auto subjects = context->FindPropertyValues("x509_subject");
    if (!subjects.empty()) subject = ToString(subjects.front());
  }

  auto range = auth_metadata.equal_range("authorization");
  size_t headers = std::distance(range.first, range.second);
  std::string token_name;
  std::string header_value;
  std::vector<v1::Scope> granted;
  if (headers > 1) {
    return deny(grpc::StatusCode::UNAUTHENTICATED,
                "send one authorization header, not several");
  } else if (headers == 1) {
    std::string value = ToString(range.first->second);
    header_value = value;
    if (value.size() <= kBearer.size() ||
        !absl::StartsWithIgnoreCase(value, kBearer)) {
      return deny(grpc::StatusCode::UNAUTHENTICATED,
                  "the authorization header must be 'Bearer <token>'");
    }
    auto holder = options_.tokens->Find(absl::StripAsciiWhitespace(
        absl::string_view(value).substr(kBearer.size())));
    if (!holder.has_value()) {
      return deny(grpc::StatusCode::UNAUTHENTICATED,
                  "unknown or revoked token");
    }
    token_name = holder->name;
    granted = holder->scopes;
  } else if (!subject.empty() && !options_.mtls_scopes.empty()) {
    granted = options_.mtls_scopes;
  } else {
    return deny(grpc::StatusCode::UNAUTHENTICATED,
                "this call needs a token: send the header 'authorization: "
                "Bearer <token>' (quorum --token or QUORUM_TOKEN)");
  }
  std::string who = !token_name.empty()
                        ? absl::StrCat("token '", token_name, "'")
                        : absl::StrCat("certificate '", subject, "'");
  if (needed == v1::SCOPE_UNSPECIFIED || !v1::Scope_IsValid(needed)) {
    return deny(grpc::StatusCode::PERMISSION_DENIED,
                absl::StrCat(path.empty() ? "(no method)" : path,
                             " declares no scope and is refused to everyone"));
  }
  if (!ScopeAllows(granted, needed)) {
    return deny(grpc::StatusCode::PERMISSION_DENIED,
                absl::StrCat(path, " needs the '", ScopeName(needed),
                             "' scope; ", who, " has ", JoinScopes(granted)));
  }
  const std::string& actor = !subject.empty() ? subject : token_name;
  context->AddProperty(kCallerProperty, actor);
  if (!token_name.empty()) context->AddProperty(kTokenProperty, token_name);
  // Handlers never see the token.
  if (headers == 1) {
    consumed_auth_metadata->insert({"authorization", header_value});
  }
  if (options_.log && needed != v1::SCOPE_READ) {
    options_.log(absl::StrCat(path, " by ", who,
                              subject.empty() || token_name.empty()
                                  ? ""
                                  : absl::StrCat(" as '", subject, "'")));
  }
  return grpc::Status::OK;
}

bool IsLoopbackAddress(absl::string_view listen) {
  absl::string_view host = listen;
  if (absl::ConsumePrefix(&host, "[")) {
    size_t end = host.find(']');
    if (end == absl::string_view::npos) return false;
    host = host.substr(0, end);
  } else if (size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string h = absl::AsciiStrToLower(host);
  if (h == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

}  // namespace quorum::server
