// The intake use case: leads, record imports and bundles (IntakeService).
#include "graph/usecases/intake.h"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/field_mask.h"
#include "graph/model/hash.h"
#include "graph/model/names.h"
#include "graph/model/normalize.h"
#include "graph/model/status.h"
#include "graph/model/validation.h"
#include "graph/rules/algorithms.h"
#include "graph/rules/qualification.h"
#include "graph/rules/titles.h"
#include "graph/storage/lmdb_env.h"
#include "graph/storage/memory_engine.h"
#include "graph/store/records.h"
#include "graph/usecases/accounts.h"
#include "graph/usecases/signals.h"

namespace quorum::graph {

using namespace internal;  // NOLINT: the records of graph/store/records.h.
using google::protobuf::util::TimeUtil;
using quorum::v1::Account;
using quorum::v1::Relationship;
using quorum::v1::Site;
using quorum::v1::Stakeholder;

namespace {

constexpr size_t kMaxRequestId = 128;

// A stable, valid ID derived from a request ID, so that what one lead
// writes (its signal and note) is found again by a retry.
std::string LeadId(absl::string_view request_id) {
  return absl::StrCat("lead-",
                      absl::Hex(StableHash64(request_id), absl::kZeroPad16));
}

constexpr absl::string_view kUnplacedLeadsCollection = "unplacedLeads";

// The triage queue entry of a lead: unplacedLeads/{lead ID}.
std::string UnplacedLeadName(absl::string_view lead_id) {
  return absl::StrCat(kUnplacedLeadsCollection, "/", lead_id);
}

void AddCheck(v1::SubmitLeadResponse* response, std::string check,
              v1::CheckOutcome outcome, std::string field,
              std::string message) {
  auto* c = response->add_checks();
  c->set_check(std::move(check));
  c->set_outcome(outcome);
  c->set_field(std::move(field));
  c->set_message(std::move(message));
}

// The region (ISO alpha-2) of an E.164 number, or empty.
std::string PhoneRegion(const std::string& e164) {
  const auto* util = i18n::phonenumbers::PhoneNumberUtil::GetInstance();
  i18n::phonenumbers::PhoneNumber number;
  if (util->Parse(e164, "ZZ", &number) !=
      i18n::phonenumbers::PhoneNumberUtil::NO_PARSING_ERROR) {
    return "";
  }
  std::string region;
  util->GetRegionCodeForNumber(number, &region);
  return region == "ZZ" ? "" : region;
}

// Everything about a lead decided before the transaction.
struct Prepared {
  v1::Lead lead;  // Normalized.
  bool usable_email = false;
  std::string business_domain;  // E-mail domain unless free or disposable.
  std::string website_domain;
  std::string country;       // ISO alpha-2, or empty.
  std::string phone_region;  // From the phone number, or empty.
  std::vector<TitleMatch> roles;  // From the title, with the rules.
};

absl::StatusOr<Prepared> Prepare(const v1::SubmitLeadRequest& request,
                                 v1::SubmitLeadResponse* response) {
  Violations violations;
  if (request.request_id().empty()) {
    violations.Add("request_id",
                   "is required: retries with the same ID "
                   "return the first answer");
  } else if (request.request_id().size() > kMaxRequestId) {
    violations.Add("request_id", "is longer than 128 characters");
  }
  Prepared p;
  v1::Lead& lead = p.lead;
  lead = request.lead();
  for (const auto& [field, text] :
       {std::pair{"email", &lead.email()},
        std::pair{"first_name", &lead.first_name()},
        std::pair{"last_name", &lead.last_name()},
        std::pair{"title", &lead.title()}, std::pair{"phone", &lead.phone()},
        std::pair{"company", &lead.company()},
        std::pair{"website", &lead.website()},
        std::pair{"country", &lead.country()},
        std::pair{"campaign", &lead.campaign()}}) {
    CheckLength(*text, kMaxTextLength, absl::StrCat("lead.", field),
                &violations);
  }
  if (!violations.empty()) return violations.ToStatus();
  lead.set_email(absl::AsciiStrToLower(NormalizeText(lead.email())));
  lead.set_first_name(NormalizeText(lead.first_name()));
  lead.set_last_name(NormalizeText(lead.last_name()));
  lead.set_title(NormalizeText(lead.title()));
  lead.set_company(NormalizeText(lead.company()));
  lead.set_website(NormalizeText(lead.website()));
  lead.set_campaign(NormalizeText(lead.campaign()));

  // E-mail.
  if (lead.email().empty()) {
    AddCheck(response, "email_syntax", v1::CHECK_OUTCOME_WARN, "lead.email",
             "no e-mail address");
  } else if (!IsEmail(lead.email())) {
    AddCheck(
        response, "email_syntax", v1::CHECK_OUTCOME_FAIL, "lead.email",
        absl::StrCat("\"", lead.email(), "\" is not a valid e-mail address"));
  } else {
    p.usable_email = true;
    AddCheck(response, "email_syntax", v1::CHECK_OUTCOME_PASS, "lead.email",
             "valid e-mail address");
    const std::string domain = EmailDomain(lead.email());
    if (IsDisposableDomain(domain)) {
      AddCheck(response, "email_domain", v1::CHECK_OUTCOME_WARN, "lead.email",
               absl::StrCat(domain, " is a disposable e-mail domain"));
    } else if (IsFreeMailDomain(domain)) {
      AddCheck(response, "email_domain", v1::CHECK_OUTCOME_WARN, "lead.email",
               absl::StrCat(domain,
                            " is a free-mail domain: it never matches "
                            "an account"));
    } else {
      p.business_domain = domain;
      AddCheck(response, "email_domain", v1::CHECK_OUTCOME_PASS, "lead.email",
               absl::StrCat(domain, " is a business domain"));
    }
  }
  // Title and company.
  AddCheck(
      response, "title_present",
      lead.title().empty() ? v1::CHECK_OUTCOME_WARN : v1::CHECK_OUTCOME_PASS,
      "lead.title",
      lead.title().empty() ? "no job title: no committee role inferred"
                           : absl::StrCat("title \"", lead.title(), "\""));
  AddCheck(
      response, "company_present",
      lead.company().empty() ? v1::CHECK_OUTCOME_WARN : v1::CHECK_OUTCOME_PASS,
      "lead.company",
      lead.company().empty()
          ? "no company name"
          : absl::StrCat("company \"", lead.company(), "\""));
  if (!p.usable_email && lead.company().empty()) {
    violations.Add("lead.email", lead.email().empty()
                                     ? "is required when there is no company"
                                     : "is not a usable e-mail address, and "
                                       "there is no company");
    violations.Add("lead.company",
                   "is required when there is no usable e-mail address");
  }
  // Country.
  if (lead.country().empty()) {
    AddCheck(response, "country_known", v1::CHECK_OUTCOME_WARN, "lead.country",
             "no country");
  } else if (auto code = CountryCode(lead.country())) {
    p.country = *code;
    AddCheck(response, "country_known", v1::CHECK_OUTCOME_PASS, "lead.country",
             absl::StrCat("\"", lead.country(), "\" is ", *code));
    lead.set_country(*code);
  } else {
    AddCheck(response, "country_known", v1::CHECK_OUTCOME_WARN, "lead.country",
             absl::StrCat("unknown country \"", lead.country(), "\""));
  }
  // Phone.
  if (!lead.phone().empty()) {
    auto e164 = NormalizePhone(lead.phone(), p.country);
    if (e164.ok()) {
      AddCheck(response, "phone", v1::CHECK_OUTCOME_PASS, "lead.phone",
               absl::StrCat("normalized to ", *e164));
      lead.set_phone(*e164);
      p.phone_region = PhoneRegion(*e164);
    } else {
      AddCheck(response, "phone", v1::CHECK_OUTCOME_WARN, "lead.phone",
               std::string(e164.status().message()));
      lead.clear_phone();
    }
  }
  // Website.
  if (!lead.website().empty()) {
    if (auto domain = DomainOfWebsite(lead.website())) {
      p.website_domain = *domain;
      AddCheck(response, "website", v1::CHECK_OUTCOME_PASS, "lead.website",
               absl::StrCat("domain ", *domain));
    } else {
      AddCheck(response, "website", v1::CHECK_OUTCOME_WARN, "lead.website",
               absl::StrCat("\"", lead.website(), "\" has no usable domain"));
    }
  }
  // Enums, signal and note.
  if (!v1::FacilityType_IsValid(lead.facility_type())) {
    violations.Add("lead.facility_type",
                   absl::StrCat("unknown enum value ", lead.facility_type()));
  }
  if (!v1::SourceChannel_IsValid(lead.source())) {
    violations.Add("lead.source",
                   absl::StrCat("unknown enum value ", lead.source()));
  }
  if (lead.has_signal()) {
    v1::CreateSignalRequest probe;
    probe.set_parent("accounts/probe");
    *probe.mutable_signal() = lead.signal();
    probe.mutable_signal()->clear_stakeholder();
    if (!probe.signal().has_occur_time()) {
      probe.mutable_signal()->mutable_occur_time()->set_seconds(0);
    }
    Violations signal_violations;
    CheckSignalRequest(probe, "lead", &signal_violations);
    violations.AddFrom(signal_violations.ToStatus());
  }
  if (lead.has_note()) {
    v1::Note note = lead.note();
    if (note.author().empty()) note.set_author("intake");
    CheckNote(&note, "lead.note", &violations);
    *lead.mutable_note() = note;
  }
  RETURN_IF_ERROR(violations.ToStatus());
  p.roles = MatchTitle(lead.title());
  return p;
}

std::string PersonName(const v1::Lead& lead) {
  std::string name =
      NormalizeText(absl::StrCat(lead.first_name(), " ", lead.last_name()));
  if (!name.empty()) return name;
  return std::string(lead.email().substr(0, lead.email().find('@')));
}

// The account of an accounts' company-name candidate list: one in the
// lead's country first, else the first by name.
std::string PickCandidate(Txn& txn, const std::vector<std::string>& candidates,
                          const std::string& country) {
  if (!country.empty()) {
    for (const std::string& name : candidates) {
      auto account = Load<v1::Account>(txn, kAccounts, name);
      if (account.ok() && *account && (*account)->country_code() == country) {
        return name;
      }
    }
  }
  return candidates.front();
}

// Why a lead could not be placed (UNSPECIFIED: it was).
struct Unplaced {
  v1::UnplacedReason reason = v1::UNPLACED_REASON_UNSPECIFIED;
  std::string detail;
};

// Where a person placed a queued lead (PlaceLead).
struct Placement {
  std::string account;      // accounts/{account}, checked to exist.
  std::string stakeholder;  // Optional, checked to be under `account`.
  std::string from;         // unplacedLeads/{id}.
};

// Lands a prepared lead in `txn`: finds or creates its account (the
// placement's when given) and stakeholder, records its signal and note
// (IDs from `lead_id`) and fills `response` with what happened and the
// route after intake. When the lead cannot be placed, writes nothing and
// returns why.
absl::StatusOr<Unplaced> LandLead(Txn& txn, const Prepared& p,
                                  const std::string& lead_id,
                                  const Placement* placement,
                                  absl::Time now_time,
                                  v1::SubmitLeadResponse& response) {
  const auto now = ToProto(now_time);
  const v1::Lead& lead = p.lead;

  // 1. The stakeholder by e-mail, and so the account.
  std::optional<v1::Stakeholder> person;
  std::optional<v1::Account> account;
  if (placement) {  // Chosen by a person: no matching.
    ASSIGN_OR_RETURN(
        account, LoadExisting<v1::Account>(txn, kAccounts, placement->account));
    response.set_account_match(v1::MATCH_KIND_PLACED);
    response.set_account_match_detail(
        absl::StrCat("placed from ", placement->from));
    if (!placement->stakeholder.empty()) {
      ASSIGN_OR_RETURN(person,
                       LoadExisting<v1::Stakeholder>(txn, kStakeholdersDb,
                                                     placement->stakeholder));
      response.set_stakeholder_match(v1::MATCH_KIND_PLACED);
    } else if (p.usable_email) {
      ASSIGN_OR_RETURN(std::optional<std::string> owner,
                       txn.Get(kEmails, lead.email()));
      if (owner && AccountIdOf(*owner) == AccountIdOf(placement->account)) {
        ASSIGN_OR_RETURN(person, LoadExisting<v1::Stakeholder>(
                                     txn, kStakeholdersDb, *owner));
        response.set_stakeholder_match(v1::MATCH_KIND_EMAIL);
      }
    }
  } else if (p.usable_email) {
    ASSIGN_OR_RETURN(std::optional<std::string> owner,
                     txn.Get(kEmails, lead.email()));
    if (owner) {
      ASSIGN_OR_RETURN(
          person, LoadExisting<v1::Stakeholder>(txn, kStakeholdersDb, *owner));
      ASSIGN_OR_RETURN(
          account, LoadExisting<v1::Account>(
                       txn, kAccounts, names::Account(AccountIdOf(*owner))));
      response.set_stakeholder_match(v1::MATCH_KIND_EMAIL);
      response.set_account_match(v1::MATCH_KIND_EMAIL);
      response.set_account_match_detail(
          absl::StrCat("stakeholder ", *owner, " has e-mail ", lead.email()));
    }
  }
  // 2. The account by e-mail domain, website domain, then company name.
  auto by_domain = [&](const std::string& domain,
                       v1::MatchKind kind) -> absl::Status {
    if (account || domain.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::optional<std::string> owner,
                     txn.Get(kDomains, domain));
    if (!owner) return absl::OkStatus();
    ASSIGN_OR_RETURN(account,
                     LoadExisting<v1::Account>(txn, kAccounts, *owner));
    response.set_account_match(kind);
    response.set_account_match_detail(absl::StrCat("domain ", domain));
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(by_domain(p.business_domain, v1::MATCH_KIND_EMAIL_DOMAIN));
  RETURN_IF_ERROR(by_domain(p.website_domain, v1::MATCH_KIND_WEBSITE_DOMAIN));
  const std::string company_key = CompanyKey(lead.company());
  if (!account && !company_key.empty()) {
    std::vector<std::string> candidates;
    const std::string prefix = CompanyNamePrefix(company_key);
    RETURN_IF_ERROR(txn.Scan(kCompanyNames, prefix, "",
                             [&](absl::string_view key, absl::string_view) {
                               candidates.emplace_back(
                                   key.substr(prefix.size()));
                               return true;
                             }));
    if (!candidates.empty()) {
      const std::string chosen = PickCandidate(txn, candidates, p.country);
      ASSIGN_OR_RETURN(account,
                       LoadExisting<v1::Account>(txn, kAccounts, chosen));
      response.set_account_match(v1::MATCH_KIND_COMPANY_NAME);
      response.set_account_match_detail(absl::StrCat(
          "company name \"", company_key, "\"",
          candidates.size() > 1
              ? absl::StrCat(" (", candidates.size(), " accounts share it: ",
                             absl::StrJoin(candidates, ", "), ")")
              : ""));
    }
  }
  // 3. Create the account, or merge what the lead adds to it.
  if (!account) {
    v1::Account created;
    const std::string display =
        !lead.company().empty() ? lead.company() : p.business_domain;
    if (display.empty()) {
      return Unplaced{
          v1::UNPLACED_REASON_NO_COMPANY,
          absl::StrCat("no company, and ", EmailDomain(lead.email()),
                       " is a free-mail or disposable domain: nothing to "
                       "match an account by or to create one from")};
    }
    created.set_display_name(display);
    std::string country = p.country;
    if (country.empty()) country = p.phone_region;
    if (country.empty()) {
      country = CountryOfDomain(p.business_domain)
                    .value_or(CountryOfDomain(p.website_domain).value_or(""));
    }
    if (country.empty()) {
      return Unplaced{
          v1::UNPLACED_REASON_NO_COUNTRY,
          absl::StrCat(
              "no account matched, and the new account \"", display,
              "\" needs a country: ",
              lead.country().empty()
                  ? "none was given"
                  : absl::StrCat("\"", lead.country(), "\" is unknown"),
              ", and none follows from the phone number or the domain")};
    }
    created.set_country_code(country);
    created.set_facility_type(lead.facility_type());
    // Where the account came from, for qualified rates by source.
    if (lead.source() != v1::SOURCE_CHANNEL_UNSPECIFIED) {
      (*created.mutable_labels())["lead_source"] =
          std::string(absl::StripPrefix(v1::SourceChannel_Name(lead.source()),
                                        "SOURCE_CHANNEL_"));
    }
    if (!lead.campaign().empty()) {
      (*created.mutable_labels())["lead_campaign"] = lead.campaign();
    }
    for (const std::string& d : {p.business_domain, p.website_domain}) {
      if (!d.empty() &&
          std::find(created.domains().begin(), created.domains().end(), d) ==
              created.domains().end()) {
        created.add_domains(d);
      }
    }
    Violations violations;
    CheckAccount(&created, "lead", &violations);
    RETURN_IF_ERROR(violations.ToStatus());
    // The ID leaves out legal forms: "Acme Labs, Inc." -> acme-labs.
    const std::string key = CompanyKey(display);
    ASSIGN_OR_RETURN(std::string id,
                     FreeAccountId(txn, key.empty() ? display : key));
    ASSIGN_OR_RETURN(account, CreateAccountIn(txn, created, id, now_time));
    response.set_account_match(v1::MATCH_KIND_CREATED);
    response.set_account_match_detail(absl::StrCat(
        "no account has the e-mail domain, the website domain or the "
        "company name; created ",
        account->name()));
  } else {
    v1::Account patch;
    patch.set_name(account->name());
    google::protobuf::FieldMask mask;
    if (account->facility_type() == v1::FACILITY_TYPE_UNSPECIFIED &&
        lead.facility_type() != v1::FACILITY_TYPE_UNSPECIFIED) {
      patch.set_facility_type(lead.facility_type());
      mask.add_paths("facility_type");
    }
    std::vector<std::string> added;
    *patch.mutable_domains() = account->domains();
    for (const std::string& d : {p.business_domain, p.website_domain}) {
      if (d.empty() || std::find(patch.domains().begin(), patch.domains().end(),
                                 d) != patch.domains().end()) {
        continue;
      }
      ASSIGN_OR_RETURN(std::optional<std::string> owner, txn.Get(kDomains, d));
      if (owner) continue;  // Another account's: not ours to take.
      patch.add_domains(d);
      added.push_back(d);
    }
    if (!added.empty()) mask.add_paths("domains");
    if (mask.paths_size() > 0) {
      ASSIGN_OR_RETURN(account, UpdateAccountIn(txn, patch, mask, now_time));
      response.set_account_match_detail(absl::StrCat(
          response.account_match_detail(), "; merged",
          added.empty() ? ""
                        : absl::StrCat(" domains ", absl::StrJoin(added, ", ")),
          mask.paths_size() > static_cast<int>(!added.empty())
              ? " facility type"
              : ""));
    }
  }
  response.set_account(account->name());

  // 4. The stakeholder: merge into the e-mail match, or create.
  for (const TitleMatch& m : p.roles) {
    auto* r = response.add_inferred_roles();
    r->set_role(m.role);
    r->set_source(v1::ROLE_SOURCE_INFERRED);
    r->set_basis(m.rule_id);
  }
  if (person) {
    v1::Stakeholder patch;
    patch.set_name(person->name());
    google::protobuf::FieldMask mask;
    if (person->title().empty() && !lead.title().empty()) {
      patch.set_title(lead.title());
      mask.add_paths("title");
    }
    if (person->phone().empty() && !lead.phone().empty()) {
      patch.set_phone(lead.phone());
      mask.add_paths("phone");
    }
    if (person->email().empty() && p.usable_email) {  // Placed onto them.
      ASSIGN_OR_RETURN(std::optional<std::string> owner,
                       txn.Get(kEmails, lead.email()));
      if (!owner) {
        patch.set_email(lead.email());
        mask.add_paths("email");
      }
    }
    *patch.mutable_roles() = person->roles();
    bool new_role = false;
    for (const TitleMatch& m : p.roles) {
      bool held = false;
      for (const auto& r : person->roles()) held |= r.role() == m.role;
      if (held) continue;
      auto* r = patch.add_roles();
      r->set_role(m.role);
      r->set_source(v1::ROLE_SOURCE_INFERRED);
      r->set_basis(m.rule_id);
      new_role = true;
    }
    if (new_role) mask.add_paths("roles");
    if (mask.paths_size() > 0) {
      ASSIGN_OR_RETURN(person, UpdateStakeholderIn(txn, patch, mask, now_time));
    }
  } else if (p.usable_email || !lead.first_name().empty() ||
             !lead.last_name().empty()) {
    v1::Stakeholder created;
    created.set_display_name(PersonName(lead));
    if (p.usable_email) created.set_email(lead.email());
    created.set_title(lead.title());
    created.set_phone(lead.phone());
    *created.mutable_roles() = response.inferred_roles();
    Violations violations;
    CheckStakeholder(&created, "lead", &violations);
    RETURN_IF_ERROR(violations.ToStatus());
    ASSIGN_OR_RETURN(person, CreateStakeholderIn(txn, account->name(), created,
                                                 "", now_time));
    response.set_stakeholder_match(v1::MATCH_KIND_CREATED);
  } else {
    response.set_stakeholder_match(v1::MATCH_KIND_NONE);
  }
  if (person) response.set_stakeholder(person->name());

  // 5. The signal and the note, with IDs derived from the request ID.
  if (lead.has_signal()) {
    v1::CreateSignalRequest signal;
    signal.set_parent(account->name());
    signal.set_signal_id(lead_id);
    *signal.mutable_signal() = lead.signal();
    signal.mutable_signal()->set_stakeholder(person ? person->name() : "");
    if (!signal.signal().has_occur_time()) {
      *signal.mutable_signal()->mutable_occur_time() = now;
    }
    if (signal.signal().source() == v1::SOURCE_CHANNEL_UNSPECIFIED) {
      signal.mutable_signal()->set_source(lead.source());
    }
    if (signal.signal().campaign().empty()) {
      signal.mutable_signal()->set_campaign(lead.campaign());
    }
    ASSIGN_OR_RETURN(v1::RecordedSignal recorded,
                     RecordSignalIn(txn, signal, "lead", now));
    *response.mutable_signal() = recorded.signal();
  }
  if (lead.has_note()) {
    v1::Note note = lead.note();
    if (note.kind() == v1::NOTE_KIND_UNSPECIFIED) {
      note.set_kind(v1::NOTE_KIND_INTAKE);
    }
    if (person) note.set_stakeholder(person->name());
    ASSIGN_OR_RETURN(*response.mutable_note(),
                     CreateNoteIn(txn, account->name(), note, lead_id, now));
  }

  // 6. The route after intake, from what this transaction sees.
  auto policy = ActivePolicy(txn);
  if (policy.ok()) {
    AccountTree tree;
    RETURN_IF_ERROR(ReadAccountTree(txn, AccountIdOf(account->name()), &tree));
    v1::Verdict verdict =
        Qualify(tree, policy->policy(), policy->revision(), now_time);
    response.set_route(verdict.route());
    response.set_readiness(verdict.readiness());
    response.set_decided_by(verdict.decided_by());
    response.set_next_step(verdict.next_step());
    response.set_policy_revision(verdict.policy_revision());
  } else if (!absl::IsNotFound(policy.status())) {
    return policy.status();
  }
  return Unplaced{};
}

// Keeps a lead that could not be placed in the triage queue and says so in
// `response`.
absl::Status QueueLead(Txn& txn, const v1::SubmitLeadRequest& request,
                       const Prepared& p, const std::string& lead_id,
                       const Unplaced& unplaced,
                       const google::protobuf::Timestamp& now,
                       v1::SubmitLeadResponse& response) {
  v1::UnplacedLead entry;
  entry.set_name(UnplacedLeadName(lead_id));
  *entry.mutable_lead() = request.lead();
  *entry.mutable_normalized() = p.lead;
  entry.set_reason(unplaced.reason);
  entry.set_reason_detail(unplaced.detail);
  *entry.mutable_checks() = response.checks();
  entry.set_request_id(request.request_id());
  *entry.mutable_create_time() = now;
  const std::string key = UnplacedLeadKey(now, lead_id);
  RETURN_IF_ERROR(Save(txn, kUnplacedLeads, key, entry));
  RETURN_IF_ERROR(txn.Put(kUnplacedLeadIds, entry.name(), key));
  response.set_account_match(v1::MATCH_KIND_NONE);
  response.set_stakeholder_match(v1::MATCH_KIND_NONE);
  response.set_account_match_detail(absl::StrCat(
      "not placed (", unplaced.detail, "); queued as ", entry.name()));
  response.set_unplaced_lead(entry.name());
  return absl::OkStatus();
}

// The ID of `unplacedLeads/{id}`, checked; violations name `field`.
std::string ParseUnplacedLead(absl::string_view name, absl::string_view field,
                              Violations* violations) {
  absl::string_view id = name;
  if (!absl::ConsumePrefix(&id, kUnplacedLeadsCollection) ||
      !absl::ConsumePrefix(&id, "/") || !names::IsValidId(id)) {
    violations->Add(std::string(field),
                    absl::StrCat("\"", name,
                                 "\" is not a name of the form "
                                 "unplacedLeads/{unplaced_lead}"));
    return "";
  }
  return std::string(id);
}

}  // namespace

absl::StatusOr<v1::SubmitLeadResponse> Intake::SubmitLead(
    const v1::SubmitLeadRequest& request) {
  v1::SubmitLeadResponse checks_only;
  ASSIGN_OR_RETURN(Prepared p, Prepare(request, &checks_only));
  const absl::Time now_time = store_.Now();
  const auto now = ToProto(now_time);
  const std::string lead_id = LeadId(request.request_id());
  v1::SubmitLeadResponse response;
  RETURN_IF_ERROR(store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::optional<v1::SubmitLeadResponse> stored,
        Load<v1::SubmitLeadResponse>(txn, kIntake, request.request_id()));
    if (stored) {  // A retry: the first answer, and no writes.
      response = *std::move(stored);
      response.set_replayed(true);
      return absl::OkStatus();
    }
    response = checks_only;
    *response.mutable_normalized() = p.lead;
    ASSIGN_OR_RETURN(Unplaced unplaced,
                     LandLead(txn, p, lead_id, nullptr, now_time, response));
    if (unplaced.reason != v1::UNPLACED_REASON_UNSPECIFIED) {
      RETURN_IF_ERROR(
          QueueLead(txn, request, p, lead_id, unplaced, now, response));
    }
    return Save(txn, kIntake, request.request_id(), response);
  }));
  return response;
}

namespace {

constexpr absl::string_view kUnchanged = "quorum:import-unchanged";

// Whether an update changed nothing but the etag and update time.
template <typename T>
bool SameRecord(T after, T before) {
  for (T* m : {&after, &before}) {
    m->clear_etag();
    m->clear_update_time();
  }
  return google::protobuf::util::MessageDifferencer::Equals(after, before);
}

// The outcome of an upsert whose update may have changed nothing; an
// unchanged record is reported with kUnchanged so that its savepoint undoes
// the new etag.
template <typename T>
absl::StatusOr<Intake::ImportOutcome> UpsertOutcome(const T& before,
                                                    const T& after) {
  if (SameRecord(after, before)) return absl::AbortedError(kUnchanged);
  return Intake::ImportOutcome::kUpdated;
}

// The name of an imported record ("" when it has none).
const std::string& RecordName(const v1::ImportRecordsRequest& record) {
  static const std::string* const kNone = new std::string();
  switch (record.record_case()) {
    case v1::ImportRecordsRequest::kAccount:
      return record.account().name();
    case v1::ImportRecordsRequest::kSite:
      return record.site().name();
    case v1::ImportRecordsRequest::kStakeholder:
      return record.stakeholder().name();
    default:
      return *kNone;
  }
}

// Upserts one imported record by its name.
absl::StatusOr<Intake::ImportOutcome> ImportOne(
    Txn& txn, const v1::ImportRecordsRequest& record, absl::Time now) {
  google::protobuf::FieldMask all;
  all.add_paths("*");
  switch (record.record_case()) {
    case v1::ImportRecordsRequest::kAccount: {
      v1::Account account = record.account();
      account.clear_etag();
      Violations violations;
      auto id = names::ParseAccount(account.name(), "account.name");
      violations.AddFrom(id.status());
      CheckAccount(&account, "account", &violations);
      RETURN_IF_ERROR(violations.ToStatus());
      ASSIGN_OR_RETURN(std::optional<v1::Account> current,
                       Load<v1::Account>(txn, kAccounts, account.name()));
      if (!current) {
        RETURN_IF_ERROR(CreateAccountIn(txn, account, *id, now).status());
        return Intake::ImportOutcome::kCreated;
      }
      ASSIGN_OR_RETURN(v1::Account after,
                       UpdateAccountIn(txn, account, all, now));
      return UpsertOutcome(*current, after);
    }
    case v1::ImportRecordsRequest::kSite: {
      v1::Site site = record.site();
      site.clear_etag();
      ASSIGN_OR_RETURN(
          names::ChildName name,
          names::ParseChild(site.name(), names::kSites, "site.name"));
      ASSIGN_OR_RETURN(std::optional<v1::Site> current,
                       Load<v1::Site>(txn, kSitesDb, site.name()));
      if (!current) {
        RETURN_IF_ERROR(
            CreateSiteIn(txn, name.account_name(), site, name.id, now)
                .status());
        return Intake::ImportOutcome::kCreated;
      }
      ASSIGN_OR_RETURN(v1::Site after, UpdateSiteIn(txn, site, all, now));
      return UpsertOutcome(*current, after);
    }
    case v1::ImportRecordsRequest::kStakeholder: {
      v1::Stakeholder person = record.stakeholder();
      person.clear_etag();
      Violations violations;
      auto name = names::ParseChild(person.name(), names::kStakeholders,
                                    "stakeholder.name");
      violations.AddFrom(name.status());
      CheckStakeholder(&person, "stakeholder", &violations);
      RETURN_IF_ERROR(violations.ToStatus());
      ASSIGN_OR_RETURN(
          std::optional<v1::Stakeholder> current,
          Load<v1::Stakeholder>(txn, kStakeholdersDb, person.name()));
      if (!current) {
        RETURN_IF_ERROR(CreateStakeholderIn(txn, name->account_name(), person,
                                            name->id, now)
                            .status());
        return Intake::ImportOutcome::kCreated;
      }
      // The import speaks for the CRM: its CRM roles replace the stored
      // ones, while a confirmation or a title inference made here stays
      // unless the record sends roles of that source.
      std::set<int> sent;
      for (const auto& r : person.roles()) sent.insert(r.source());
      for (const auto& r : current->roles()) {
        if (r.source() != v1::ROLE_SOURCE_CRM && sent.count(r.source()) == 0) {
          *person.add_roles() = r;
        }
      }
      ASSIGN_OR_RETURN(v1::Stakeholder after,
                       UpdateStakeholderIn(txn, person, all, now));
      return UpsertOutcome(*current, after);
    }
    case v1::ImportRecordsRequest::RECORD_NOT_SET:
      break;
  }
  return InvalidField("record", "needs an account, a site or a stakeholder");
}

}  // namespace

absl::StatusOr<std::vector<absl::StatusOr<Intake::ImportOutcome>>>
Intake::ImportBatch(const std::vector<v1::ImportRecordsRequest>& records) {
  const absl::Time now = store_.Now();
  std::vector<absl::StatusOr<ImportOutcome>> outcomes;
  RETURN_IF_ERROR(store_.Write([&](Txn& txn) -> absl::Status {
    outcomes.clear();
    // One record, in a savepoint of its own inside `parent`.
    auto import_one = [&](Txn& parent, const v1::ImportRecordsRequest& record)
        -> absl::StatusOr<ImportOutcome> {
      ImportOutcome outcome = ImportOutcome::kUnchanged;
      absl::Status status = parent.Savepoint([&](Txn& nested) -> absl::Status {
        ASSIGN_OR_RETURN(outcome, ImportOne(nested, record, now));
        return absl::OkStatus();
      });
      if (absl::IsAborted(status) && status.message() == kUnchanged) {
        // Undone by the savepoint: nothing differed but the etag and time.
        return ImportOutcome::kUnchanged;
      }
      if (!status.ok()) return status;
      return outcome;
    };
    for (size_t i = 0; i < records.size();) {
      // A unit: one record, or the consecutive records of one group.
      size_t end = i + 1;
      if (!records[i].group().empty()) {
        while (end < records.size() &&
               records[end].group() == records[i].group()) {
          ++end;
        }
      }
      if (end == i + 1) {
        auto outcome = import_one(txn, records[i]);
        if (!outcome.ok() && FailsWholeWrite(outcome.status())) {
          return outcome.status();  // Grow the map and run again, or fail.
        }
        outcomes.push_back(std::move(outcome));
        i = end;
        continue;
      }
      // A group, all or nothing: its records in one savepoint.
      std::vector<absl::StatusOr<ImportOutcome>> unit;
      size_t failed = end;
      absl::Status group_status = txn.Savepoint([&](Txn& group) {
        for (size_t j = i; j < end; ++j) {
          auto outcome = import_one(group, records[j]);
          if (!outcome.ok()) {
            failed = j;
            unit.push_back(outcome.status());
            return outcome.status();  // Undoes the group's earlier records.
          }
          unit.push_back(*outcome);
        }
        return absl::OkStatus();
      });
      if (FailsWholeWrite(group_status)) return group_status;
      if (failed == end) {
        for (auto& outcome : unit) outcomes.push_back(std::move(outcome));
      } else {
        const std::string& failed_name = RecordName(records[failed]);
        for (size_t j = i; j < end; ++j) {
          if (j == failed) {
            outcomes.push_back(unit.back());
          } else {
            outcomes.push_back(absl::AbortedError(absl::StrCat(
                "not imported: ",
                failed_name.empty() ? "a record" : failed_name,
                " of the same group (", records[i].group(), ") was rejected")));
          }
        }
      }
      i = end;
    }
    return absl::OkStatus();
  }));
  return outcomes;
}

// ------------------------------------------------------------------ Bundles

absl::StatusOr<int> Intake::LoadBundle(const v1::ResourceBundle& bundle) {
  // Records are created as their own use cases create them.
  Accounts accounts(store_);
  Signals signals(store_);
  int created = 0;
  auto exists = [&](absl::string_view db,
                    const std::string& name) -> absl::StatusOr<bool> {
    bool found = false;
    RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<std::string> v, txn.Get(db, name));
      found = v.has_value();
      return absl::OkStatus();
    }));
    return found;
  };
  auto context = [](const absl::Status& s, absl::string_view what, int i) {
    return Annotate(s, absl::StrCat("bundle ", what, "[", i, "]"));
  };
  for (int i = 0; i < bundle.accounts_size(); ++i) {
    const Account& a = bundle.accounts(i);
    ASSIGN_OR_RETURN(std::string id, names::ParseAccount(a.name(), "name"));
    ASSIGN_OR_RETURN(bool found, exists(kAccounts, a.name()));
    if (found) continue;
    auto r = accounts.CreateAccount(a, id);
    if (!r.ok()) return context(r.status(), "accounts", i);
    ++created;
  }
  for (int i = 0; i < bundle.sites_size(); ++i) {
    const Site& s = bundle.sites(i);
    ASSIGN_OR_RETURN(names::ChildName n,
                     names::ParseChild(s.name(), names::kSites, "name"));
    ASSIGN_OR_RETURN(bool found, exists(kSitesDb, s.name()));
    if (found) continue;
    auto r = accounts.CreateSite(n.account_name(), s, n.id);
    if (!r.ok()) return context(r.status(), "sites", i);
    ++created;
  }
  for (int i = 0; i < bundle.stakeholders_size(); ++i) {
    const Stakeholder& s = bundle.stakeholders(i);
    ASSIGN_OR_RETURN(names::ChildName n,
                     names::ParseChild(s.name(), names::kStakeholders, "name"));
    ASSIGN_OR_RETURN(bool found, exists(kStakeholdersDb, s.name()));
    if (found) continue;
    auto r = accounts.CreateStakeholder(n.account_name(), s, n.id);
    if (!r.ok()) return context(r.status(), "stakeholders", i);
    ++created;
  }
  for (int i = 0; i < bundle.relationships_size(); ++i) {
    const Relationship& rel = bundle.relationships(i);
    ASSIGN_OR_RETURN(
        names::ChildName n,
        names::ParseChild(rel.name(), names::kRelationships, "name"));
    ASSIGN_OR_RETURN(bool found, exists(kRelationshipsDb, rel.name()));
    if (found) continue;
    auto r = accounts.CreateRelationship(n.account_name(), rel, n.id);
    if (!r.ok()) return context(r.status(), "relationships", i);
    ++created;
  }
  if (bundle.signals_size() > 0) {
    v1::RecordSignalsRequest batch;
    for (int i = 0; i < bundle.signals_size(); ++i) {
      const v1::Signal& sig = bundle.signals(i);
      auto parsed = names::ParseChild(sig.name(), "signals",
                                      absl::StrCat("signals[", i, "].name"));
      if (!parsed.ok()) return Annotate(parsed.status(), "bundle");
      auto* r = batch.add_requests();
      r->set_parent(parsed->account_name());
      r->set_signal_id(parsed->id);
      *r->mutable_signal() = sig;
    }
    ASSIGN_OR_RETURN(std::vector<v1::RecordedSignal> recorded,
                     signals.RecordSignals(batch));
    for (const auto& r : recorded) created += r.duplicate() ? 0 : 1;
  }
  return created;
}

absl::StatusOr<std::vector<absl::Status>> Intake::RecordSignalStream(
    const std::vector<v1::CreateSignalRequest>& requests) {
  const auto now = ToProto(store_.Now());
  std::vector<absl::Status> outcomes(requests.size());
  std::vector<bool> valid(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    Violations violations;
    CheckSignalRequest(requests[i], "signal_request", &violations);
    outcomes[i] = violations.ToStatus();
    valid[i] = outcomes[i].ok();
  }
  RETURN_IF_ERROR(store_.Write([&](Txn& txn) -> absl::Status {
    for (size_t i = 0; i < requests.size(); ++i) {
      if (!valid[i]) continue;
      bool duplicate = false;
      absl::Status status = txn.Savepoint([&](Txn& nested) -> absl::Status {
        ASSIGN_OR_RETURN(v1::RecordedSignal r,
                         RecordSignalIn(nested, requests[i], "signal", now));
        duplicate = r.duplicate();
        return absl::OkStatus();
      });
      // A full map (grow it, run again) or disk error fails the whole batch.
      if (FailsWholeWrite(status)) return status;
      outcomes[i] = !status.ok() ? status
                    : duplicate  ? absl::AlreadyExistsError("duplicate")
                                 : absl::OkStatus();
    }
    return absl::OkStatus();
  }));
  return outcomes;
}

// ------------------------------------------------------------ Triage queue

absl::StatusOr<v1::PlaceLeadResponse> Intake::PlaceLead(
    const v1::PlaceLeadRequest& request) {
  Violations violations;
  ParseUnplacedLead(request.name(), "name", &violations);
  auto account_id = names::ParseAccount(request.account(), "account");
  violations.AddFrom(account_id.status());
  if (!request.stakeholder().empty()) {
    auto person = names::ParseChild(request.stakeholder(), names::kStakeholders,
                                    "stakeholder");
    violations.AddFrom(person.status());
    if (person.ok() && account_id.ok() &&
        person->account_name() != request.account()) {
      violations.Add("stakeholder", absl::StrCat("is not a stakeholder of ",
                                                 request.account()));
    }
  }
  CheckRequestId(request.request_id(), &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  const absl::Time now = store_.Now();
  v1::PlaceLeadResponse response;
  bool ran = false;
  RETURN_IF_ERROR(store_.WriteIdempotent(
      "PlaceLead", request.request_id(), RequestFingerprint(request), &response,
      [&](Txn& txn) -> absl::Status {
        ran = true;
        ASSIGN_OR_RETURN(std::optional<std::string> key,
                         txn.Get(kUnplacedLeadIds, request.name()));
        if (!key) {
          return absl::NotFoundError(
              absl::StrCat(request.name(), " not found"));
        }
        ASSIGN_OR_RETURN(
            v1::UnplacedLead entry,
            LoadExisting<v1::UnplacedLead>(txn, kUnplacedLeads, *key));
        // The lead goes through the intake again, as first submitted.
        v1::SubmitLeadRequest original;
        *original.mutable_lead() = entry.lead();
        original.set_request_id(entry.request_id());
        v1::SubmitLeadResponse intake;
        ASSIGN_OR_RETURN(Prepared p, Prepare(original, &intake));
        *intake.mutable_normalized() = p.lead;
        const Placement placement{request.account(), request.stakeholder(),
                                  request.name()};
        ASSIGN_OR_RETURN(Unplaced unplaced,
                         LandLead(txn, p, LeadId(entry.request_id()),
                                  &placement, now, intake));
        if (unplaced.reason != v1::UNPLACED_REASON_UNSPECIFIED) {
          return absl::InternalError(absl::StrCat(
              request.name(), " could not be placed: ", unplaced.detail));
        }
        RETURN_IF_ERROR(txn.Delete(kUnplacedLeads, *key));
        RETURN_IF_ERROR(txn.Delete(kUnplacedLeadIds, request.name()));
        // A retry of the SubmitLead call that queued it answers with this.
        RETURN_IF_ERROR(Save(txn, kIntake, entry.request_id(), intake));
        *response.mutable_intake() = std::move(intake);
        response.set_unplaced_lead(request.name());
        return absl::OkStatus();
      }));
  if (!ran) response.mutable_intake()->set_replayed(true);
  return response;
}

absl::StatusOr<Page<v1::UnplacedLead>> Intake::ListUnplacedLeads(
    v1::UnplacedReason reason, int limit, absl::string_view start_after) {
  RETURN_IF_ERROR(CheckLimit(limit));
  if (!v1::UnplacedReason_IsValid(reason)) {
    return InvalidField("reason", absl::StrCat("unknown enum value ", reason));
  }
  Page<v1::UnplacedLead> page;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    page = Page<v1::UnplacedLead>();
    absl::Status parse_error;
    size_t bytes = 0;
    RETURN_IF_ERROR(txn.Scan(
        kUnplacedLeads, "", start_after,
        [&](absl::string_view key, absl::string_view value) {
          absl::StatusOr<v1::UnplacedLead> entry =
              ParseRecord<v1::UnplacedLead>(key, value);
          if (!entry.ok()) {
            parse_error = entry.status();
            return false;
          }
          if (reason != v1::UNPLACED_REASON_UNSPECIFIED &&
              entry->reason() != reason) {
            return true;
          }
          if (static_cast<int>(page.items.size()) == limit ||
              (!page.items.empty() && bytes + value.size() > kMaxPageBytes)) {
            page.more = true;
            return false;
          }
          bytes += value.size();
          page.last_key = std::string(key);
          page.items.push_back(*std::move(entry));
          return true;
        }));
    return parse_error;
  }));
  return page;
}

absl::Status Intake::DeleteUnplacedLead(absl::string_view name) {
  Violations violations;
  ParseUnplacedLead(name, "name", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  return store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> key,
                     txn.Get(kUnplacedLeadIds, name));
    if (!key) return absl::NotFoundError(absl::StrCat(name, " not found"));
    RETURN_IF_ERROR(txn.Delete(kUnplacedLeads, *key));
    return txn.Delete(kUnplacedLeadIds, name);
  });
}

}  // namespace quorum::graph
