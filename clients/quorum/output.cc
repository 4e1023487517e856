#include "clients/quorum/output.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
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

namespace {

// A JSON string literal, which is also a YAML 1.2 double-quoted scalar.
std::string Quoted(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(value, &out).ok()) {
    return "\"\"";
  }
  return out;
}

std::string Scalar(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kNullValue:
      return "null";
    case google::protobuf::Value::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case google::protobuf::Value::kNumberValue: {
      std::string out;
      (void)google::protobuf::util::MessageToJsonString(v, &out);
      return out;
    }
    case google::protobuf::Value::kStringValue:
      return Quoted(v.string_value());
    default:
      return "null";
  }
}

bool IsEmptyContainer(const google::protobuf::Value& v) {
  return (v.has_struct_value() && v.struct_value().fields().empty()) ||
         (v.has_list_value() && v.list_value().values().empty());
}

void EmitYaml(const google::protobuf::Value& v, int indent, std::string& out);

// A value after "key:" or "- ": scalars and empty containers inline,
// containers on the next lines.
void EmitAfterKey(const google::protobuf::Value& v, int indent,
                  std::string& out) {
  if (IsEmptyContainer(v)) {
    out += v.has_struct_value() ? " {}\n" : " []\n";
  } else if (v.has_struct_value()) {
    out += '\n';
    EmitYaml(v, indent + 2, out);
  } else if (v.has_list_value()) {
    out += '\n';
    EmitYaml(v, indent, out);  // Lists under a key at the key's indent.
  } else {
    out += ' ' + Scalar(v) + '\n';
  }
}

void EmitYaml(const google::protobuf::Value& v, int indent, std::string& out) {
  const std::string pad(indent, ' ');
  if (v.has_struct_value()) {
    // Fields in the order the JSON printer wrote them is lost in a Struct's
    // map; sorted keys keep the output deterministic.
    std::vector<std::string> keys;
    for (const auto& [key, value] : v.struct_value().fields()) {
      keys.push_back(key);
    }
    std::sort(keys.begin(), keys.end());
    for (const auto& key : keys) {
      out += pad + key + ':';
      EmitAfterKey(v.struct_value().fields().at(key), indent, out);
    }
  } else if (v.has_list_value()) {
    for (const auto& item : v.list_value().values()) {
      if (item.has_struct_value() && !IsEmptyContainer(item)) {
        // "- key: value" then the other keys aligned under the first.
        std::string nested;
        EmitYaml(item, indent + 2, nested);
        out += pad + "- " + nested.substr(indent + 2);
      } else if (item.has_list_value() && !IsEmptyContainer(item)) {
        out += pad + "-\n";
        EmitYaml(item, indent + 2, out);
      } else {
        out += pad + "-";
        EmitAfterKey(item, indent, out);
      }
    }
  } else {
    out += pad + Scalar(v) + '\n';
  }
}

}  // namespace

std::string ToYaml(const google::protobuf::Message& message) {
  google::protobuf::Value value;
  if (!google::protobuf::util::JsonStringToMessage(Json(message, false), &value)
           .ok()) {
    return "{}\n";
  }
  if (IsEmptyContainer(value)) return "{}\n";
  std::string out;
  EmitYaml(value, 0, out);
  return out;
}

void PrintStructured(OutputFormat format,
                     const google::protobuf::Message& message) {
  std::cout << (format == OutputFormat::kYaml ? ToYaml(message)
                                              : ToJson(message))
            << std::flush;
}

std::string ToCsv(const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += ',';
      out += '"';
      for (char c : row[i]) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    }
    out += "\r\n";
  }
  return out;
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
