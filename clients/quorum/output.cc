#include "clients/quorum/output.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace quorum::cli {

namespace {

std::string Json(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = false;
  std::string out;
  auto status =
      google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) return "{}";  // Only for invalid UTF-8 in strings.
  return out;
}

}  // namespace

std::string ToJson(const google::protobuf::Message& message) {
  std::string out = Json(message, true);
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

std::string ToJsonLine(const google::protobuf::Message& message) {
  return Json(message, false) + '\n';
}

void PrintJson(const google::protobuf::Message& message) {
  std::cout << ToJson(message) << std::flush;
}

std::string EnumShortName(const google::protobuf::EnumDescriptor* descriptor,
                          int value) {
  if (value == 0) return "-";
  const auto* v = descriptor->FindValueByNumber(value);
  if (v == nullptr) return std::to_string(value);
  std::string prefix = descriptor->value(0)->name();
  prefix = prefix.substr(0, prefix.rfind("UNSPECIFIED"));
  const std::string& name = v->name();
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

std::string FormatTime(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "-";
  google::protobuf::Timestamp seconds;  // People read whole seconds.
  seconds.set_seconds(time.seconds());
  return google::protobuf::util::TimeUtil::ToString(seconds);
}

std::string FormatDate(const google::protobuf::Timestamp& time) {
  std::string full = FormatTime(time);
  return full == "-" ? full : full.substr(0, 10);
}

std::string Fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

std::string Number(double value) {
  std::string out = Fixed(value, 2);
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out;
}

std::string Percent(double fraction) {
  return std::to_string(static_cast<int>(std::lround(fraction * 100))) + "%";
}

std::string LastSegment(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

}  // namespace quorum::cli
