#include "clients/quorum/mapping.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "clients/quorum/cli.h"

namespace quorum::cli {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string Upper(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Fields a mapping may not set: the server owns them.
const std::set<std::string>& OutputOnly() {
  static const auto* fields = new std::set<std::string>{
      "etag", "create_time", "update_time", "lifecycle_status"};
  return *fields;
}

const google::protobuf::Descriptor* RecordDescriptor(const std::string& kind) {
  if (kind == "account") return quorum::v1::Account::descriptor();
  if (kind == "site") return quorum::v1::Site::descriptor();
  if (kind == "stakeholder") return quorum::v1::Stakeholder::descriptor();
  return nullptr;
}

Message* MutableRecord(quorum::v1::ImportRecordsRequest& request,
                       const std::string& kind) {
  if (kind == "account") return request.mutable_account();
  if (kind == "site") return request.mutable_site();
  return request.mutable_stakeholder();
}

// An enum value by full or short name, any case; nullptr when unknown.
const google::protobuf::EnumValueDescriptor* FindEnum(
    const google::protobuf::EnumDescriptor* e, const std::string& text) {
  std::string upper = Upper(Trim(text));
  for (char& c : upper) {
    if (c == '-' || c == ' ') c = '_';
  }
  std::string prefix = e->value(0)->name();
  prefix = prefix.substr(0, prefix.rfind("UNSPECIFIED"));
  if (const auto* v = e->FindValueByName(upper)) return v;
  return e->FindValueByName(prefix + upper);
}

// "IDENTIFIED, ENGAGED, CHAMPION, BLOCKER": the values a mapping accepts.
std::string EnumNames(const google::protobuf::EnumDescriptor* e) {
  std::string prefix = e->value(0)->name();
  prefix = prefix.substr(0, prefix.rfind("UNSPECIFIED"));
  std::string out;
  for (int i = 0; i < e->value_count(); ++i) {
    if (e->value(i)->number() == 0) continue;
    if (!out.empty()) out += ", ";
    out += e->value(i)->name().substr(prefix.size());
  }
  return out;
}

bool ParseInt(const std::string& text, int64_t& out) {
  std::string digits;
  for (char c : text) {
    if (c == ',' || c == '_' || c == ' ') continue;  // 1,234,567
    digits += c;
  }
  if (digits.empty()) return false;
  size_t start = digits[0] == '+' || digits[0] == '-' ? 1 : 0;
  if (start == digits.size()) return false;
  for (size_t i = start; i < digits.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(digits[i]))) return false;
  }
  try {
    out = std::stoll(digits);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

bool ParseBool(const std::string& text, bool& out) {
  std::string v = Lower(Trim(text));
  if (v == "true" || v == "yes" || v == "y" || v == "1")
    return out = true, true;
  if (v == "false" || v == "no" || v == "n" || v == "0")
    return out = false, true;
  return false;
}

// Sets one scalar (or appends to a repeated field) from text; false with
// `error` when the text does not fit the field.
bool SetValue(Message& message, const FieldDescriptor* field,
              const std::string& text, std::string& error) {
  const auto* reflection = message.GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (repeated)
        reflection->AddString(&message, field, text);
      else
        reflection->SetString(&message, field, text);
      return true;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value = FindEnum(field->enum_type(), text);
      if (value == nullptr || value->number() == 0) {
        error =
            "\"" + text + "\" is not one of " + EnumNames(field->enum_type());
        return false;
      }
      if (repeated)
        reflection->AddEnum(&message, field, value);
      else
        reflection->SetEnum(&message, field, value);
      return true;
    }
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_INT32: {
      int64_t number = 0;
      if (!ParseInt(text, number)) {
        error = "\"" + text + "\" is not a whole number";
        return false;
      }
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
        reflection->SetInt32(&message, field, static_cast<int32_t>(number));
      } else {
        reflection->SetInt64(&message, field, number);
      }
      return true;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool value = false;
      if (!ParseBool(text, value)) {
        error = "\"" + text + "\" is not true or false";
        return false;
      }
      reflection->SetBool(&message, field, value);
      return true;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      try {
        reflection->SetDouble(&message, field, std::stod(text));
      } catch (const std::exception&) {
        error = "\"" + text + "\" is not a number";
        return false;
      }
      return true;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const std::string type = field->message_type()->full_name();
      if (type == "google.protobuf.Timestamp") {
        std::string value = text;
        if (value.size() == 10) value += "T00:00:00Z";
        google::protobuf::Timestamp time;
        if (!google::protobuf::util::TimeUtil::FromString(value, &time)) {
          error =
              "\"" + text + "\" is not a date (YYYY-MM-DD) or RFC 3339 time";
          return false;
        }
        reflection->MutableMessage(&message, field)->CopyFrom(time);
        return true;
      }
      // ROLE, ROLE:SOURCE or ROLE:SOURCE:BASIS (ROLE:crm:Quality Manager).
      if (type == "quorum.v1.RoleAssignment") {
        size_t colon = text.find(':');
        std::string role = Trim(text.substr(0, colon));
        std::string source = "inferred", basis;
        if (colon != std::string::npos) {
          size_t second = text.find(':', colon + 1);
          source = Trim(text.substr(colon + 1, second == std::string::npos
                                                   ? std::string::npos
                                                   : second - colon - 1));
          if (second != std::string::npos)
            basis = Trim(text.substr(second + 1));
        }
        const auto* r = FindEnum(quorum::v1::CommitteeRole_descriptor(), role);
        const auto* s = FindEnum(quorum::v1::RoleSource_descriptor(), source);
        if (r == nullptr || r->number() == 0 || s == nullptr ||
            s->number() == 0) {
          error = "\"" + text +
                  "\" is not ROLE, ROLE:confirmed, ROLE:crm or "
                  "ROLE:crm:CONTACT ROLE";
          return false;
        }
        quorum::v1::RoleAssignment assignment;
        assignment.set_basis(basis);
        assignment.set_role(
            static_cast<quorum::v1::CommitteeRole>(r->number()));
        assignment.set_source(static_cast<quorum::v1::RoleSource>(s->number()));
        reflection->AddMessage(&message, field)->CopyFrom(assignment);
        return true;
      }
      if (field->is_map()) {  // labels: key=value
        size_t eq = text.find('=');
        if (eq == std::string::npos) {
          error = "\"" + text + "\" is not key=value";
          return false;
        }
        Message* entry = reflection->AddMessage(&message, field);
        const auto* d = entry->GetDescriptor();
        entry->GetReflection()->SetString(entry, d->FindFieldByName("key"),
                                          Trim(text.substr(0, eq)));
        entry->GetReflection()->SetString(entry, d->FindFieldByName("value"),
                                          Trim(text.substr(eq + 1)));
        return true;
      }
      error = "cannot be mapped";
      return false;
    }
    default:
      error = "cannot be mapped";
      return false;
  }
}

// Whether a field can take values from a mapping.
bool Mappable(const FieldDescriptor* field) {
  if (OutputOnly().count(field->name()) > 0) return false;
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  const std::string type = field->message_type()->full_name();
  return type == "google.protobuf.Timestamp" ||
         type == "quorum.v1.RoleAssignment" || field->is_map();
}

}  // namespace

std::string Slug(std::string_view text) {
  std::string out;
  bool dash = false;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 0x80) {
      if (dash && !out.empty()) out += '-';
      dash = false;
      out += static_cast<char>(std::tolower(u));
    } else {
      dash = true;
    }
  }
  return out;
}

Mapping::Piece Mapping::Literal(std::string text) {
  Piece piece;
  piece.literal = std::move(text);
  return piece;
}

Mapping Mapping::Parse(std::string_view text, const std::string& source) {
  Mapping mapping;
  mapping.source_ = source;
  enum class In { kNothing, kRecord, kMap, kFilter, kCsv } in = In::kNothing;
  std::string map_name;
  int line_number = 0;
  auto fail = [&](const std::string& what) -> void {
    throw UsageError(source + ":" + std::to_string(line_number) + ": " + what);
  };
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    start = end + 1;
    ++line_number;
    // Comments: '#' at the start of a line or after whitespace.
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '#' &&
          (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
        line.resize(i);
        break;
      }
    }
    line = Trim(line);
    if (line.empty()) continue;
    if (line.front() == '[') {
      if (line.back() != ']') fail("a section is written [name]");
      std::string name = Trim(line.substr(1, line.size() - 2));
      if (RecordDescriptor(name) != nullptr) {
        in = In::kRecord;
        mapping.sections_.push_back({name, {}});
      } else if (name.rfind("map ", 0) == 0) {
        in = In::kMap;
        map_name = Trim(name.substr(4));
        if (map_name.empty()) fail("a map needs a name: [map NAME]");
        if (mapping.maps_.count(map_name) > 0)
          fail("map " + map_name + " is defined twice");
        mapping.maps_[map_name];
      } else if (name == "filter") {
        in = In::kFilter;
      } else if (name == "csv") {
        in = In::kCsv;
      } else {
        fail("unknown section [" + name +
             "]; use [account], [site], [stakeholder], [map NAME], [filter] "
             "or [csv]");
      }
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos) fail("expected KEY = VALUE");
    std::string key = Trim(line.substr(0, eq));
    std::string value = Trim(line.substr(eq + 1));
    if (key.empty()) fail("expected KEY = VALUE");
    switch (in) {
      case In::kNothing:
        fail("KEY = VALUE before any section");
        break;
      case In::kRecord: {
        Section& section = mapping.sections_.back();
        const auto* field =
            RecordDescriptor(section.kind)->FindFieldByName(key);
        if (field == nullptr) fail(section.kind + " has no field " + key);
        if (!Mappable(field))
          fail(section.kind + "." + key + " cannot be mapped");
        for (const auto& f : section.fields) {
          if (f.name == key) fail(key + " is mapped twice");
        }
        Field f{key, {}, line_number};
        // Split the template into literals and {COLUMN|filter...}.
        size_t i = 0;
        while (i < value.size()) {
          size_t open = value.find('{', i);
          if (open == std::string::npos) {
            f.pieces.push_back(Literal(value.substr(i)));
            break;
          }
          if (open > i) f.pieces.push_back(Literal(value.substr(i, open - i)));
          size_t close = value.find('}', open);
          if (close == std::string::npos) fail("unclosed { in " + value);
          std::string inner = value.substr(open + 1, close - open - 1);
          Piece piece;
          size_t bar = inner.find('|');
          piece.column = Trim(inner.substr(0, bar));
          if (piece.column.empty()) fail("empty column name in " + value);
          while (bar != std::string::npos) {
            size_t next = inner.find('|', bar + 1);
            std::string filter = Trim(inner.substr(bar + 1, next - bar - 1));
            if (filter != "slug" && filter != "upper" && filter != "lower" &&
                filter.rfind("map:", 0) != 0) {
              fail("unknown filter " + filter +
                   "; use slug, upper, lower or map:NAME");
            }
            piece.filters.push_back(filter);
            bar = next;
          }
          f.pieces.push_back(piece);
          i = close + 1;
        }
        section.fields.push_back(std::move(f));
        break;
      }
      case In::kMap: {
        CodeMap& codes = mapping.maps_[map_name];
        if (key == "*") {
          codes.has_default = true;
          codes.default_value = value;
        } else {
          codes.codes[key] = value;
        }
        break;
      }
      case In::kFilter: {
        Filter filter{key, 0, {}};
        size_t i = 0;
        while (i <= value.size()) {
          size_t comma = value.find(',', i);
          if (comma == std::string::npos) comma = value.size();
          std::string v = Trim(value.substr(i, comma - i));
          if (!v.empty()) filter.values.push_back(v);
          i = comma + 1;
        }
        if (filter.values.empty()) fail("a filter lists the values to keep");
        mapping.filters_.push_back(std::move(filter));
        break;
      }
      case In::kCsv: {
        char c = value == "tab" ? '\t' : value.size() == 1 ? value[0] : '\0';
        if (c == '\0') fail(key + " is one character (or \"tab\")");
        if (key == "delimiter")
          mapping.delimiter_ = c;
        else if (key == "list_separator")
          mapping.list_separator_ = c;
        else
          fail("unknown [csv] setting " + key +
               "; use delimiter or list_separator");
        break;
      }
    }
  }
  if (mapping.sections_.empty()) {
    throw UsageError(source +
                     ": no [account], [site] or [stakeholder] section");
  }
  for (const auto& section : mapping.sections_) {
    bool named = false;
    for (const auto& f : section.fields) {
      named = named || f.name == "name";
      for (const auto& p : f.pieces) {
        for (const auto& filter : p.filters) {
          if (filter.rfind("map:", 0) == 0 &&
              mapping.maps_.count(filter.substr(4)) == 0) {
            line_number = f.line;
            fail("no [map " + filter.substr(4) + "]");
          }
        }
      }
    }
    if (!named) {
      throw UsageError(source + ": [" + section.kind +
                       "] needs a name = ... template (where the record goes)");
    }
  }
  return mapping;
}

void Mapping::Bind(const std::vector<std::string>& header) {
  std::map<std::string, size_t> columns;
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name = header[i];
    if (i == 0 && name.rfind("\xEF\xBB\xBF", 0) == 0) name = name.substr(3);
    columns.emplace(Upper(Trim(name)), i);
  }
  std::set<std::string> missing;
  auto resolve = [&](const std::string& column, size_t& index) {
    auto it = columns.find(Upper(column));
    if (it == columns.end())
      missing.insert(column);
    else
      index = it->second;
  };
  for (auto& section : sections_) {
    for (auto& f : section.fields) {
      for (auto& p : f.pieces) {
        if (!p.column.empty()) resolve(p.column, p.index);
      }
    }
  }
  for (auto& filter : filters_) resolve(filter.column, filter.index);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw UsageError(source_ + ": the CSV header has no column " + list);
  }
}

bool Mapping::Render(const Field& field, const std::vector<std::string>& cells,
                     std::string& out, std::string& empty,
                     std::string& error) const {
  out.clear();
  empty.clear();
  for (const auto& p : field.pieces) {
    if (p.column.empty()) {
      out += p.literal;
      continue;
    }
    std::string value = p.index < cells.size() ? Trim(cells[p.index]) : "";
    if (value.empty()) {
      empty = p.column;
      return true;
    }
    for (const auto& filter : p.filters) {
      if (filter == "slug") {
        value = Slug(value);
      } else if (filter == "upper") {
        value = Upper(value);
      } else if (filter == "lower") {
        value = Lower(value);
      } else {  // map:NAME
        const std::string name = filter.substr(4);
        const CodeMap& codes = maps_.at(name);
        auto it = codes.codes.find(value);
        if (it != codes.codes.end()) {
          value = it->second;
        } else if (codes.has_default) {
          value = codes.default_value;
        } else {
          error =
              p.column + " code \"" + value + "\" is not in [map " + name + "]";
          return false;
        }
      }
    }
    out += value;
  }
  return true;
}

Mapping::Row Mapping::Convert(const std::vector<std::string>& cells) const {
  Row row;
  for (const auto& filter : filters_) {
    std::string value =
        filter.index < cells.size() ? Trim(cells[filter.index]) : "";
    if (std::find(filter.values.begin(), filter.values.end(), value) ==
        filter.values.end()) {
      row.skipped = true;
      return row;
    }
  }
  std::vector<std::string> errors;
  for (const auto& section : sections_) {
    quorum::v1::ImportRecordsRequest request;
    Message* record = MutableRecord(request, section.kind);
    const auto* descriptor = record->GetDescriptor();
    for (const auto& f : section.fields) {
      std::string value, empty, error;
      if (!Render(f, cells, value, empty, error)) {
        errors.push_back(section.kind + "." + f.name + ": " + error);
        continue;
      }
      if (!empty.empty()) {
        if (f.name == "name") {
          errors.push_back(section.kind + ".name: " + empty + " is empty");
        }
        continue;
      }
      const auto* field = descriptor->FindFieldByName(f.name);
      std::vector<std::string> values;
      if (field->is_repeated()) {
        size_t i = 0;
        while (i <= value.size()) {
          size_t sep = value.find(list_separator_, i);
          if (sep == std::string::npos) sep = value.size();
          std::string item = Trim(value.substr(i, sep - i));
          if (!item.empty()) values.push_back(item);
          i = sep + 1;
        }
      } else {
        values.push_back(value);
      }
      for (const auto& v : values) {
        if (!SetValue(*record, field, v, error)) {
          errors.push_back(section.kind + "." + f.name + ": " + error);
          break;
        }
      }
    }
    row.records.push_back(std::move(request));
  }
  for (const auto& e : errors) {
    row.error += (row.error.empty() ? "" : "; ") + e;
  }
  if (!row.error.empty()) row.records.clear();
  return row;
}

}  // namespace quorum::cli
