// Output helpers shared by the subcommands: protobuf JSON (--json), short
// enum names, times and numbers as the human-readable output shows them.
#ifndef QUORUM_CLIENTS_QUORUM_OUTPUT_H_
#define QUORUM_CLIENTS_QUORUM_OUTPUT_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/generated_enum_reflection.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <iostream>
#include <string>
#include <vector>

#include "clients/quorum/text.h"

namespace quorum::cli {

// `message` as protobuf JSON (lowerCamelCase names, enums by name, one
// field per line), ending in '\n'.
std::string ToJson(const google::protobuf::Message& message);

// The same on one line (for streams: one event per line).
std::string ToJsonLine(const google::protobuf::Message& message);

// Prints ToJson(message) to stdout.
void PrintJson(const google::protobuf::Message& message);

// `message` as YAML: the protobuf JSON mapping (the same names and values as
// ToJson), written as block YAML with every string double-quoted, so that a
// YAML 1.2 parser reads back exactly the JSON values.
std::string ToYaml(const google::protobuf::Message& message);

// The output format of -o/--output.
enum class OutputFormat { kTable, kJson, kYaml, kCsv };

// Prints `message` as JSON or YAML (for kJson and kYaml).
void PrintStructured(OutputFormat format,
                     const google::protobuf::Message& message);

// CSV text of `rows` (RFC 4180: every field quoted, quotes doubled, CRLF
// line ends).
std::string ToCsv(const std::vector<std::vector<std::string>>& rows);

// An enum value's name without its type prefix: "SALES_DISCOVERY" for
// ROUTE_SALES_DISCOVERY; "-" for the UNSPECIFIED (0) value.
std::string EnumShortName(const google::protobuf::EnumDescriptor* descriptor,
                          int value);
template <typename E>
std::string Short(E value) {
  return EnumShortName(google::protobuf::GetEnumDescriptor<E>(),
                       static_cast<int>(value));
}

// RFC 3339 in UTC to the second ("2026-12-01T00:00:00Z"); "-" when unset.
std::string FormatTime(const google::protobuf::Timestamp& time);
// The date part in UTC ("2026-12-01"); "-" when unset.
std::string FormatDate(const google::protobuf::Timestamp& time);

// Fixed-point with `digits` decimals ("42.34").
std::string Fixed(double value, int digits = 2);
// A number with at most two decimals and no trailing zeros ("40", "2.5").
std::string Number(double value);
// A 0..1 fraction as a whole percentage ("25%").
std::string Percent(double fraction);

// The last segment of a resource name ("megan-ortiz").
std::string LastSegment(const std::string& name);

// Prints a response: protobuf JSON or YAML with -o json|yaml, else what
// `render(response, style)` returns (colour only when stdout is a
// terminal). Returns 0.
template <typename Response, typename Render>
int PrintResponse(OutputFormat format, const Response& response,
                  Render render) {
  if (format == OutputFormat::kJson || format == OutputFormat::kYaml) {
    PrintStructured(format, response);
  } else {
    std::cout << render(response, Style(StdoutWantsColor()));
  }
  return 0;
}

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_OUTPUT_H_
