#include "graph/model/names.h"

#include <cctype>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "graph/model/normalize.h"
#include "graph/model/status.h"

namespace quorum::names {

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  if (id.front() < 'a' || id.front() > 'z') return false;
  if (id.back() == '-') return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Account(absl::string_view account_id) {
  return absl::StrCat("accounts/", account_id);
}

std::string Child(absl::string_view account_id, absl::string_view collection,
                  absl::string_view id) {
  return absl::StrCat("accounts/", account_id, "/", collection, "/", id);
}

absl::StatusOr<std::string> ParseAccount(absl::string_view name,
                                         absl::string_view field) {
  if (name.empty()) return InvalidField(std::string(field), "is required");
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2 || parts[0] != "accounts" || !IsValidId(parts[1])) {
    return InvalidField(
        std::string(field),
        absl::StrCat("\"", name,
                     "\" is not an account name (accounts/{account}, IDs "
                     "match ^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$)"));
  }
  return std::string(parts[1]);
}

absl::StatusOr<ChildName> ParseChild(absl::string_view name,
                                     absl::string_view collection,
                                     absl::string_view field) {
  if (name.empty()) return InvalidField(std::string(field), "is required");
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "accounts" || !IsValidId(parts[1]) ||
      parts[2] != collection || !IsValidId(parts[3])) {
    return InvalidField(
        std::string(field),
        absl::StrCat("\"", name, "\" is not a name of the form accounts/",
                     "{account}/", collection, "/{id} (IDs match ",
                     "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$)"));
  }
  return ChildName{std::string(parts[1]), std::string(parts[3])};
}

std::string SlugId(absl::string_view text, absl::string_view fallback) {
  std::string out;
  bool dash = false;
  for (unsigned char c : graph::AsciiFold(text)) {
    if (std::isalnum(c) && c < 0x80) {
      if (dash && !out.empty()) out.push_back('-');
      dash = false;
      out.push_back(static_cast<char>(std::tolower(c)));
    } else {
      dash = true;
    }
    if (out.size() >= 50) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.empty() || out.front() < 'a' || out.front() > 'z') {
    out = out.empty() ? std::string(fallback) : absl::StrCat(fallback, "-", out);
  }
  return out;
}

}  // namespace quorum::names
