#include "clients/quorum/channel.h"

#include <arpa/inet.h>

#include <cstdio>
#include <random>

#include "clients/quorum/cli.h"

namespace quorum::cli {
namespace {

// Whether `text` starts with a gRPC URI scheme: then it is a target as is.
bool HasScheme(const std::string& text) {
  for (const char* scheme :
       {"dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:", "vsock:"}) {
    if (text.rfind(scheme, 0) == 0) return true;
  }
  return false;
}

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

bool IsPort(const std::string& text) {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  int port = std::stoi(text);
  return port > 0 && port <= 65535;
}

// 4 for "a.b.c.d:port", 6 for "[v6]:port", 0 for anything else.
int Family(const std::string& address) {
  unsigned char buffer[16];
  if (!address.empty() && address[0] == '[') {
    size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() ||
        address[close + 1] != ':' || !IsPort(address.substr(close + 2))) {
      return 0;
    }
    std::string host = address.substr(1, close - 1);
    return inet_pton(AF_INET6, host.c_str(), buffer) == 1 ? 6 : 0;
  }
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || !IsPort(address.substr(colon + 1))) {
    return 0;
  }
  std::string host = address.substr(0, colon);
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ? 4 : 0;
}

}  // namespace

ChannelTarget ParseServerAddresses(const std::string& flag,
                                   const std::string& text) {
  std::string value = Trim(text);
  if (value.empty()) {
    throw UsageError(flag + ": no address given; expected HOST:PORT, or " +
                     "several IP:PORT separated by commas");
  }
  if (HasScheme(value) || value.find(',') == std::string::npos) {
    return {value, ""};  // One address (or a gRPC target): as today.
  }
  std::vector<std::string> addresses;
  size_t start = 0;
  while (true) {
    size_t comma = value.find(',', start);
    addresses.push_back(Trim(value.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  int family = 0;
  for (const auto& address : addresses) {
    if (address.empty()) {
      throw UsageError(flag + ": \"" + text +
                       "\" has an empty address between commas");
    }
    int f = Family(address);
    if (f == 0) {
      throw UsageError(
          flag + ": \"" + address +
          "\" in a list of addresses is not IP:PORT (an IPv4 address, or an "
          "IPv6 address in brackets, and a port); for host names give one "
          "name whose DNS records list every node");
    }
    if (family != 0 && f != family) {
      throw UsageError(flag + ": \"" + text +
                       "\" mixes IPv4 and IPv6 addresses; give one family");
    }
    family = f;
  }
  ChannelTarget out;
  out.target = family == 4 ? "ipv4:" : "ipv6:";
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (i > 0) out.target += ",";
    out.target += addresses[i];
  }
  out.authority = addresses[0];
  return out;
}

const std::vector<std::string>& RetriedMethods() {
  static const auto* methods = new std::vector<std::string>{
      // Reads: retrying one changes nothing.
      "quorum.v1.AccountGraphService/GetAccount",
      "quorum.v1.AccountGraphService/ListAccounts",
      "quorum.v1.AccountGraphService/GetSite",
      "quorum.v1.AccountGraphService/ListSites",
      "quorum.v1.AccountGraphService/GetStakeholder",
      "quorum.v1.AccountGraphService/ListStakeholders",
      "quorum.v1.AccountGraphService/GetRelationship",
      "quorum.v1.AccountGraphService/ListRelationships",
      "quorum.v1.AccountGraphService/GetCommitteeMap",
      "quorum.v1.IntakeService/ListUnplacedLeads",
      "quorum.v1.NoteService/ListNotes",
      "quorum.v1.PolicyService/GetPolicy",
      "quorum.v1.PolicyService/ValidatePolicy",
      "quorum.v1.PolicyService/ListPolicyRevisions",
      "quorum.v1.PolicyService/SimulatePolicy",
      "quorum.v1.QualificationService/QualifyAccount",
      "quorum.v1.SignalService/ListSignals",
      "quorum.v1.WorkflowService/ListStatusChanges",
      "quorum.v1.WorkflowService/GetHandoff",
      "quorum.v1.WorkflowService/ListHandoffs",
      "quorum.v1.WorkflowService/GetProcessMetrics",
      "quorum.v1.WorkflowService/ListAccountReadiness",
      "quorum.v1.WebhookService/GetWebhook",
      "quorum.v1.WebhookService/ListWebhooks",
      // A stream: gRPC retries it only until the server's response headers
      // arrive (the feed's head sequence), never after an event.
      "quorum.v1.WorkflowService/WatchReadiness",
      "grpc.health.v1.Health/Check",
      // Writes with a request_id: a retry returns the first answer.
      "quorum.v1.AccountGraphService/CreateAccount",
      "quorum.v1.AccountGraphService/CreateSite",
      "quorum.v1.AccountGraphService/CreateStakeholder",
      "quorum.v1.AccountGraphService/CreateRelationship",
      "quorum.v1.AccountGraphService/MoveStakeholder",
      "quorum.v1.IntakeService/SubmitLead",
      "quorum.v1.IntakeService/PlaceLead",
      "quorum.v1.WorkflowService/TransitionStatus",
      "quorum.v1.WorkflowService/CreateHandoff",
      "quorum.v1.WebhookService/CreateWebhook",
  };
  return *methods;
}

const std::string& ServiceConfigJson() {
  static const auto* json = [] {
    std::string names;
    for (const auto& method : RetriedMethods()) {
      size_t slash = method.find('/');
      if (!names.empty()) names += ",";
      names += "{\"service\":\"" + method.substr(0, slash) +
               "\",\"method\":\"" + method.substr(slash + 1) + "\"}";
    }
    return new std::string(
        "{\"loadBalancingConfig\":[{\"round_robin\":{}}],"
        "\"methodConfig\":[{\"name\":[" +
        names +
        "],\"retryPolicy\":{\"maxAttempts\":" + std::to_string(kMaxAttempts) +
        ",\"initialBackoff\":\"0.1s\",\"maxBackoff\":\"1s\","
        "\"backoffMultiplier\":2,"
        "\"retryableStatusCodes\":[\"UNAVAILABLE\"]}}]}");
  }();
  return *json;
}

std::string NewRequestId() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> byte(0, 255);
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(byte(device));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // Version 4.
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122.
  char text[37];
  std::snprintf(text, sizeof text,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                "%02x%02x%02x%02x%02x%02x",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
                b[10], b[11], b[12], b[13], b[14], b[15]);
  return text;
}

}  // namespace quorum::cli
