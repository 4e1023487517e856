#include "graph/model/validation.h"

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "graph/model/names.h"
#include "graph/model/normalize.h"

namespace quorum::graph {
namespace {

using quorum::v1::Account;
using quorum::v1::Relationship;
using quorum::v1::Site;
using quorum::v1::Stakeholder;

std::string Field(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

std::string Indexed(absl::string_view prefix, absl::string_view field, int i) {
  return absl::StrCat(Field(prefix, field), "[", i, "]");
}

void Trim(std::string* s) { absl::StripAsciiWhitespace(s); }

void CheckText(std::string* text, bool required, absl::string_view prefix,
               absl::string_view field, Violations* v) {
  Trim(text);
  if (required && text->empty()) {
    v->Add(Field(prefix, field), "is required");
  } else if (text->size() > kMaxTextLength) {
    v->Add(Field(prefix, field),
           absl::StrCat("is longer than ", kMaxTextLength, " bytes"));
  }
}

// Trims, optionally lower-cases, removes duplicates; reports empty entries,
// too long ones, and lists of more than kMaxListEntries.
void CheckList(google::protobuf::RepeatedPtrField<std::string>* list,
               bool lower, absl::string_view prefix, absl::string_view field,
               Violations* v) {
  if (list->size() > kMaxListEntries) {
    v->Add(Field(prefix, field),
           absl::StrCat("has ", list->size(), " entries; at most ",
                        kMaxListEntries, " are allowed"));
    return;
  }
  std::set<std::string> seen;
  google::protobuf::RepeatedPtrField<std::string> out;
  for (int i = 0; i < list->size(); ++i) {
    std::string item = list->Get(i);
    Trim(&item);
    if (lower) absl::AsciiStrToLower(&item);
    if (item.empty()) {
      v->Add(Indexed(prefix, field, i), "must not be empty");
      continue;
    }
    if (item.size() > kMaxTextLength) {
      v->Add(Indexed(prefix, field, i),
             absl::StrCat("is longer than ", kMaxTextLength, " bytes"));
      continue;
    }
    if (seen.insert(item).second) *out.Add() = item;
  }
  list->Swap(&out);
}

void CheckCountry(std::string* country, bool required, absl::string_view prefix,
                  Violations* v) {
  Trim(country);
  absl::AsciiStrToUpper(country);
  if (country->empty()) {
    if (required) v->Add(Field(prefix, "country_code"), "is required");
  } else if (!IsCountryCode(*country)) {
    v->Add(Field(prefix, "country_code"),
           absl::StrCat("\"", *country,
                        "\" is not an ISO 3166-1 alpha-2 country code"));
  }
}

void CheckSubdivision(std::string* subdivision, absl::string_view country,
                      absl::string_view prefix, Violations* v) {
  Trim(subdivision);
  absl::AsciiStrToUpper(subdivision);
  if (subdivision->empty()) return;
  if (!IsSubdivisionCode(*subdivision, country)) {
    v->Add(Field(prefix, "subdivision_code"),
           absl::StrCat("\"", *subdivision,
                        "\" is not an ISO 3166-2 subdivision code of country \"",
                        country, "\" (e.g. US-NJ)"));
  }
}

template <typename IsValid>
void CheckEnum(int value, IsValid is_valid, absl::string_view prefix,
               absl::string_view field, Violations* v) {
  if (!is_valid(value)) {
    v->Add(Field(prefix, field), absl::StrCat("unknown enum value ", value));
  }
}

void CheckVolume(bool has, int64_t volume, absl::string_view prefix,
                 Violations* v) {
  if (has && volume < 0) {
    v->Add(Field(prefix, "annual_test_volume"), "must not be negative");
  }
}

}  // namespace

void CheckLength(absl::string_view text, size_t max, const std::string& field,
                 Violations* v) {
  if (text.size() > max) {
    v->Add(field, absl::StrCat("is longer than ", max, " bytes"));
  }
}

bool IsSubdivisionCode(absl::string_view code, absl::string_view country) {
  if (code.size() < 4 || code.size() > 6 || code[2] != '-') return false;
  if (country.empty() || code.substr(0, 2) != country) return false;
  for (char c : code.substr(3)) {
    if (!absl::ascii_isupper(c) && !absl::ascii_isdigit(c)) return false;
  }
  return true;
}

bool IsDomain(absl::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  if (labels.size() < 2) return false;
  for (absl::string_view label : labels) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') {
        return false;
      }
    }
  }
  // The top-level label is not all digits.
  for (char c : labels.back()) {
    if (!absl::ascii_isdigit(c)) return true;
  }
  return false;
}

bool IsEmail(absl::string_view email) {
  size_t at = email.rfind('@');
  if (at == absl::string_view::npos || at == 0 || at > 64) return false;
  absl::string_view local = email.substr(0, at);
  if (local.front() == '.' || local.back() == '.' ||
      local.find("..") != absl::string_view::npos) {
    return false;
  }
  for (char c : local) {
    bool ok = absl::ascii_isalnum(c) ||
              absl::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) !=
                  absl::string_view::npos;
    if (!ok) return false;
  }
  std::string domain = absl::AsciiStrToLower(email.substr(at + 1));
  return IsDomain(domain);
}

bool IsCliaNumber(absl::string_view clia) {
  if (clia.size() != 10 || clia[2] != 'D') return false;
  for (size_t i = 0; i < clia.size(); ++i) {
    if (i != 2 && !absl::ascii_isdigit(clia[i])) return false;
  }
  return true;
}

bool IsE164(absl::string_view phone) {
  if (phone.size() < 9 || phone.size() > 16 || phone[0] != '+') return false;
  if (phone[1] == '0') return false;
  for (char c : phone.substr(1)) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

void CheckAccount(Account* a, absl::string_view prefix, Violations* v) {
  CheckText(a->mutable_display_name(), true, prefix, "display_name", v);
  CheckList(a->mutable_domains(), true, prefix, "domains", v);
  for (int i = 0; i < a->domains_size(); ++i) {
    if (!IsDomain(a->domains(i))) {
      v->Add(Indexed(prefix, "domains", i),
             absl::StrCat("\"", a->domains(i),
                          "\" is not a domain name (e.g. example.org)"));
    }
  }
  CheckCountry(a->mutable_country_code(), true, prefix, v);
  CheckSubdivision(a->mutable_subdivision_code(), a->country_code(), prefix, v);
  CheckEnum(a->facility_type(), quorum::v1::FacilityType_IsValid, prefix,
            "facility_type", v);
  CheckList(a->mutable_testing_scopes(), true, prefix, "testing_scopes", v);
  CheckVolume(a->has_annual_test_volume(), a->annual_test_volume(), prefix, v);
  CheckList(a->mutable_accreditations(), false, prefix, "accreditations", v);
  CheckList(a->mutable_current_systems(), false, prefix, "current_systems", v);
  Trim(a->mutable_parent());
  if (!a->parent().empty()) {
    auto parsed = names::ParseAccount(a->parent(), Field(prefix, "parent"));
    v->AddFrom(parsed.status());
  }
  CheckEnum(a->evaluation_stage(), quorum::v1::EvaluationStage_IsValid, prefix,
            "evaluation_stage", v);
  if (a->has_decision_time() && (a->decision_time().nanos() < 0 ||
                                 a->decision_time().nanos() > 999999999)) {
    v->Add(Field(prefix, "decision_time"), "is not a valid timestamp");
  }
  CheckText(a->mutable_owner(), false, prefix, "owner", v);
  if (a->labels_size() > kMaxLabels) {
    v->Add(Field(prefix, "labels"),
           absl::StrCat("has ", a->labels_size(), " labels; at most ",
                        kMaxLabels, " are allowed"));
  } else {
    for (const auto& [key, value] : a->labels()) {
      if (key.empty() || key.size() > kMaxLabelKeyLength) {
        v->Add(
            Field(prefix, "labels"),
            absl::StrCat("keys must be 1 to ", kMaxLabelKeyLength, " bytes"));
        break;
      }
      if (value.size() > kMaxLabelValueLength) {
        v->Add(absl::StrCat(Field(prefix, "labels"), "[\"", key, "\"]"),
               absl::StrCat("is longer than ", kMaxLabelValueLength, " bytes"));
        break;
      }
    }
  }
}

void CheckSite(Site* s, absl::string_view inherited_country,
               absl::string_view prefix, Violations* v) {
  CheckText(s->mutable_display_name(), true, prefix, "display_name", v);
  CheckCountry(s->mutable_country_code(), false, prefix, v);
  CheckSubdivision(s->mutable_subdivision_code(),
                   s->country_code().empty() ? inherited_country
                                             : absl::string_view(s->country_code()),
                   prefix, v);
  CheckEnum(s->facility_type(), quorum::v1::FacilityType_IsValid, prefix,
            "facility_type", v);
  CheckList(s->mutable_testing_scopes(), true, prefix, "testing_scopes", v);
  CheckVolume(s->has_annual_test_volume(), s->annual_test_volume(), prefix, v);
  CheckList(s->mutable_accreditations(), false, prefix, "accreditations", v);
  CheckList(s->mutable_current_systems(), false, prefix, "current_systems", v);
  Trim(s->mutable_clia_number());
  absl::AsciiStrToUpper(s->mutable_clia_number());
  if (!s->clia_number().empty() && !IsCliaNumber(s->clia_number())) {
    v->Add(Field(prefix, "clia_number"),
           absl::StrCat("\"", s->clia_number(),
                        "\" is not a CLIA number (two digits, D, seven digits)"));
  }
}

void CheckStakeholder(Stakeholder* s, absl::string_view prefix, Violations* v) {
  CheckText(s->mutable_display_name(), true, prefix, "display_name", v);
  Trim(s->mutable_email());
  absl::AsciiStrToLower(s->mutable_email());
  if (s->email().size() > kMaxTextLength) {
    CheckLength(s->email(), kMaxTextLength, Field(prefix, "email"), v);
  } else if (!s->email().empty() && !IsEmail(s->email())) {
    v->Add(Field(prefix, "email"),
           absl::StrCat("\"", s->email(), "\" is not a valid e-mail address"));
  }
  CheckText(s->mutable_title(), false, prefix, "title", v);
  if (s->roles_size() > kMaxRoles) {
    v->Add(Field(prefix, "roles"),
           absl::StrCat("has ", s->roles_size(), " entries; at most ",
                        kMaxRoles, " are allowed"));
    s->mutable_roles()->Clear();  // Not checked one by one.
  }
  std::set<std::pair<int, int>> roles;  // (role, source)
  for (int i = 0; i < s->roles_size(); ++i) {
    auto* r = s->mutable_roles(i);
    std::string at = Indexed(prefix, "roles", i);
    const bool role_ok = quorum::v1::CommitteeRole_IsValid(r->role()) &&
                         r->role() != quorum::v1::COMMITTEE_ROLE_UNSPECIFIED;
    if (!quorum::v1::CommitteeRole_IsValid(r->role())) {
      v->Add(at + ".role", absl::StrCat("unknown enum value ", r->role()));
    } else if (r->role() == quorum::v1::COMMITTEE_ROLE_UNSPECIFIED) {
      v->Add(at + ".role", "is required");
    }
    if (!quorum::v1::RoleSource_IsValid(r->source())) {
      v->Add(at + ".source", absl::StrCat("unknown enum value ", r->source()));
    } else if (r->source() == quorum::v1::ROLE_SOURCE_UNSPECIFIED) {
      v->Add(at + ".source", "is required (INFERRED, CONFIRMED or CRM)");
    } else if (r->source() == quorum::v1::ROLE_SOURCE_BEHAVIOUR) {
      v->Add(at + ".source",
             "BEHAVIOUR is output only (qualification derives it from "
             "signals); use INFERRED, CONFIRMED or CRM");
    } else if (role_ok && !roles.insert({r->role(), r->source()}).second) {
      v->Add(at + ".role", "is listed twice with the same source");
    }
    Trim(r->mutable_basis());
    CheckLength(r->basis(), kMaxRoleBasisLength, at + ".basis", v);
  }
  CheckList(s->mutable_sites(), false, prefix, "sites", v);
  for (int i = 0; i < s->sites_size(); ++i) {
    auto parsed = names::ParseChild(s->sites(i), names::kSites,
                                    Indexed(prefix, "sites", i));
    v->AddFrom(parsed.status());
  }
  CheckEnum(s->engagement(), quorum::v1::Engagement_IsValid, prefix,
            "engagement", v);
  if (s->engagement() == quorum::v1::ENGAGEMENT_UNSPECIFIED) {
    s->set_engagement(quorum::v1::ENGAGEMENT_IDENTIFIED);
  }
  Trim(s->mutable_phone());
  if (!s->phone().empty() && !IsE164(s->phone())) {
    v->Add(Field(prefix, "phone"),
           absl::StrCat("\"", s->phone(),
                        "\" is not an E.164 number (e.g. +15551234567)"));
  }
}

void CheckRelationship(Relationship* r, absl::string_view prefix,
                       Violations* v) {
  for (auto [field, value] : {std::pair{"source", r->mutable_source()},
                              std::pair{"target", r->mutable_target()}}) {
    Trim(value);
    auto parsed = names::ParseChild(*value, names::kStakeholders,
                                    Field(prefix, field));
    v->AddFrom(parsed.status());
  }
  if (!r->source().empty() && r->source() == r->target()) {
    v->Add(Field(prefix, "target"), "must differ from source");
  }
  if (!quorum::v1::RelationshipType_IsValid(r->type())) {
    v->Add(Field(prefix, "type"), absl::StrCat("unknown enum value ", r->type()));
  } else if (r->type() == quorum::v1::RELATIONSHIP_TYPE_UNSPECIFIED) {
    v->Add(Field(prefix, "type"), "is required");
  }
  if (!std::isfinite(r->strength()) || r->strength() < 0 ||
      r->strength() > 1) {
    v->Add(Field(prefix, "strength"), "must be between 0 and 1");
  }
}

}  // namespace quorum::graph
