#include "scripts/bench/dataset.h"

#include <array>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace quorum::bench {
namespace {

using Rng = std::mt19937_64;

// One generator per (seed, stream, index): any record can be made alone.
Rng RngFor(uint64_t seed, uint64_t stream, int64_t index) {
  std::seed_seq seq{static_cast<uint32_t>(seed),
                    static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(stream), static_cast<uint32_t>(index),
                    static_cast<uint32_t>(static_cast<uint64_t>(index) >> 32)};
  return Rng(seq);
}

int Uniform(Rng& rng, int lo, int hi) {  // [lo, hi]
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

template <typename T, size_t N>
const T& Pick(Rng& rng, const std::array<T, N>& items) {
  return items[Uniform(rng, 0, static_cast<int>(N) - 1)];
}

google::protobuf::Timestamp Stamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

struct Person {
  const char* title;
  v1::CommitteeRole role;
};

constexpr std::array<Person, 12> kPeople = {{
    {"Laboratory Director", v1::COMMITTEE_ROLE_LAB_DIRECTOR},
    {"Medical Director, Pathology", v1::COMMITTEE_ROLE_MEDICAL_DIRECTOR},
    {"Quality Manager", v1::COMMITTEE_ROLE_QUALITY},
    {"LIS Manager", v1::COMMITTEE_ROLE_INFORMATICS},
    {"Procurement Manager", v1::COMMITTEE_ROLE_PROCUREMENT},
    {"Lab Operations Manager", v1::COMMITTEE_ROLE_LAB_OPERATIONS},
    {"Medical Technologist", v1::COMMITTEE_ROLE_CLINICAL_USER},
    {"Chief Operating Officer", v1::COMMITTEE_ROLE_EXECUTIVE},
    {"Finance Director", v1::COMMITTEE_ROLE_FINANCE},
    {"Laboratory Supervisor", v1::COMMITTEE_ROLE_LAB_OPERATIONS},
    {"QA Specialist", v1::COMMITTEE_ROLE_QUALITY},
    {"Laboratory Informatics Analyst", v1::COMMITTEE_ROLE_INFORMATICS},
}};

// Signal types weighted roughly as marketing sees them: many page views and
// downloads, few demo requests.
constexpr std::array<v1::SignalType, 20> kSignalTypes = {
    v1::SIGNAL_TYPE_PAGE_VIEW,
    v1::SIGNAL_TYPE_PAGE_VIEW,
    v1::SIGNAL_TYPE_PAGE_VIEW,
    v1::SIGNAL_TYPE_PAGE_VIEW,
    v1::SIGNAL_TYPE_CONTENT_DOWNLOAD,
    v1::SIGNAL_TYPE_CONTENT_DOWNLOAD,
    v1::SIGNAL_TYPE_CONTENT_DOWNLOAD,
    v1::SIGNAL_TYPE_WEBINAR_ATTENDED,
    v1::SIGNAL_TYPE_WEBINAR_ATTENDED,
    v1::SIGNAL_TYPE_EMAIL_REPLY,
    v1::SIGNAL_TYPE_EMAIL_REPLY,
    v1::SIGNAL_TYPE_MEETING_HELD,
    v1::SIGNAL_TYPE_GENERAL_QUESTION,
    v1::SIGNAL_TYPE_DEMO_REQUEST,
    v1::SIGNAL_TYPE_PRICING_INQUIRY,
    v1::SIGNAL_TYPE_TECHNICAL_SESSION,
    v1::SIGNAL_TYPE_VALIDATION_DOC_REQUEST,
    v1::SIGNAL_TYPE_INTEGRATION_INQUIRY,
    v1::SIGNAL_TYPE_IMPLEMENTATION_QUESTION,
    v1::SIGNAL_TYPE_TIMELINE_SHARED,
};

constexpr std::array<v1::SignalTopic, 6> kTopics = {
    v1::SIGNAL_TOPIC_GENERAL,    v1::SIGNAL_TOPIC_WORKFLOW,
    v1::SIGNAL_TOPIC_VALIDATION, v1::SIGNAL_TOPIC_INTEGRATION,
    v1::SIGNAL_TOPIC_PRICING,    v1::SIGNAL_TOPIC_CLINICAL,
};

constexpr std::array<v1::SourceChannel, 6> kChannels = {
    v1::SOURCE_CHANNEL_WEBINAR,          v1::SOURCE_CHANNEL_DEMO_FORM,
    v1::SOURCE_CHANNEL_PARTNER_REFERRAL, v1::SOURCE_CHANNEL_OUTREACH,
    v1::SOURCE_CHANNEL_WEBSITE,          v1::SOURCE_CHANNEL_EVENT,
};

// Mostly served markets, some not (JP, BR, IN).
constexpr std::array<const char*, 12> kCountries = {
    "US", "US", "US", "DE", "GB", "NL", "FR", "CA", "SE", "JP", "BR", "IN"};

constexpr std::array<v1::FacilityType, 8> kFacilities = {
    v1::FACILITY_TYPE_HOSPITAL_LAB,
    v1::FACILITY_TYPE_HOSPITAL_LAB,
    v1::FACILITY_TYPE_REFERENCE_LAB,
    v1::FACILITY_TYPE_PUBLIC_HEALTH_LAB,
    v1::FACILITY_TYPE_ACADEMIC_MEDICAL_CENTER,
    v1::FACILITY_TYPE_PHYSICIAN_OFFICE_LAB,
    v1::FACILITY_TYPE_RESEARCH_LAB,
    v1::FACILITY_TYPE_UNSPECIFIED,
};

constexpr std::array<v1::EvaluationStage, 5> kStages = {
    v1::EVALUATION_STAGE_UNSPECIFIED, v1::EVALUATION_STAGE_RESEARCH,
    v1::EVALUATION_STAGE_ACTIVE_COMPARISON, v1::EVALUATION_STAGE_PILOT,
    v1::EVALUATION_STAGE_PROCUREMENT};

constexpr std::array<v1::Engagement, 6> kEngagements = {
    v1::ENGAGEMENT_IDENTIFIED, v1::ENGAGEMENT_IDENTIFIED,
    v1::ENGAGEMENT_IDENTIFIED, v1::ENGAGEMENT_ENGAGED,
    v1::ENGAGEMENT_CHAMPION,   v1::ENGAGEMENT_BLOCKER};

constexpr std::array<const char*, 4> kScopes = {"molecular", "microbiology",
                                                "hematology", "pathology"};
constexpr std::array<const char*, 4> kSystems = {"Epic", "Cerner", "Sunquest",
                                                 "LabWare"};

v1::Signal MakeSignal(Rng& rng, absl::Time at) {
  v1::Signal s;
  s.set_type(Pick(rng, kSignalTypes));
  s.set_topic(Pick(rng, kTopics));
  *s.mutable_occur_time() = Stamp(at);
  s.set_source(Pick(rng, kChannels));
  s.set_campaign(absl::StrCat("campaign-", Uniform(rng, 1, 12)));
  return s;
}

// A time in the year before AsOf().
absl::Time InLastYear(Rng& rng) {
  return AsOf() - absl::Seconds(Uniform(rng, 60, 365 * 24 * 3600));
}

v1::RoleAssignment Role(v1::CommitteeRole role, bool confirmed) {
  v1::RoleAssignment r;
  r.set_role(role);
  r.set_source(confirmed ? v1::ROLE_SOURCE_CONFIRMED
                         : v1::ROLE_SOURCE_INFERRED);
  return r;
}

}  // namespace

absl::Time AsOf() { return absl::FromUnixSeconds(1793491200); }  // 2026-11-01

Records CommitteeTree(const std::string& root_id, uint64_t seed) {
  Rng rng = RngFor(seed, 1, 0);
  Records out;
  const std::string root = absl::StrCat("accounts/", root_id);
  const std::array<std::string, 3> ids = {root_id, root_id + "-north",
                                          root_id + "-south"};
  const std::array<const char*, 3> names = {"Harbor Valley Health",
                                            "Harbor Valley North Hospital",
                                            "Harbor Valley South Hospital"};
  for (int a = 0; a < 3; ++a) {
    v1::Account account;
    account.set_name(absl::StrCat("accounts/", ids[a]));
    account.set_display_name(names[a]);
    account.add_domains(absl::StrCat(ids[a], ".example.org"));
    account.set_country_code("US");
    account.set_subdivision_code("US-NJ");
    account.set_facility_type(a == 0 ? v1::FACILITY_TYPE_HEALTH_SYSTEM
                                     : v1::FACILITY_TYPE_HOSPITAL_LAB);
    account.add_testing_scopes("molecular");
    account.add_testing_scopes("microbiology");
    account.set_annual_test_volume(a == 0 ? 2'400'000 : 600'000);
    account.add_accreditations("CAP");
    account.add_current_systems("Epic");
    account.set_evaluation_stage(v1::EVALUATION_STAGE_ACTIVE_COMPARISON);
    account.set_owner("team-east");
    if (a > 0) account.set_parent(root);
    out.accounts.push_back(account);
  }
  // Sites: 1 at the system, 2 at each hospital.
  const std::array<int, 5> site_account = {0, 1, 1, 2, 2};
  for (int i = 0; i < 5; ++i) {
    v1::Site site;
    site.set_name(
        absl::StrCat("accounts/", ids[site_account[i]], "/sites/lab-", i + 1));
    site.set_display_name(absl::StrCat("Laboratory ", i + 1));
    if (i == 4) site.set_subdivision_code("US-NY");
    if (i % 2 == 1) site.add_testing_scopes(Pick(rng, kScopes));
    if (i == 2) site.set_annual_test_volume(40'000);
    site.set_clia_number(absl::StrFormat("31D%07d", 1000 + i));
    out.sites.push_back(site);
  }
  // 40 people: the first of each account leads it; roles cycle through the
  // committee so every role has holders in the tree.
  std::array<std::vector<std::string>, 3> by_account;
  for (int i = 0; i < 40; ++i) {
    const int a = i % 3;
    const Person& p = kPeople[i % kPeople.size()];
    v1::Stakeholder s;
    const std::string id = absl::StrCat("person-", i + 1);
    s.set_name(absl::StrCat("accounts/", ids[a], "/stakeholders/", id));
    s.set_display_name(absl::StrCat("Person ", i + 1));
    s.set_email(absl::StrCat(id, "@", ids[a], ".example.org"));
    s.set_title(p.title);
    *s.add_roles() = Role(p.role, i % 4 == 0);
    if (i % 7 == 3)
      *s.add_roles() = Role(v1::COMMITTEE_ROLE_CLINICAL_USER, false);
    for (int site = 0; site < 5; ++site) {
      if (site_account[site] == a && Uniform(rng, 0, 1) == 1) {
        s.add_sites(out.sites[site].name());
      }
    }
    s.set_engagement(i < 3 ? v1::ENGAGEMENT_CHAMPION : Pick(rng, kEngagements));
    by_account[a].push_back(s.name());
    out.stakeholders.push_back(s);
  }
  // Reporting lines: everyone reports to their account's first person, who
  // reports to the system's first person; plus influence and peer edges.
  int rel = 0;
  auto edge = [&](const std::string& from, const std::string& to,
                  v1::RelationshipType type) {
    v1::Relationship r;
    const std::string account = from.substr(0, from.find("/stakeholders/"));
    r.set_name(absl::StrCat(account, "/relationships/rel-", ++rel));
    r.set_source(from);
    r.set_target(to);
    r.set_type(type);
    r.set_strength(0.25 * Uniform(rng, 1, 4));
    out.relationships.push_back(r);
  };
  for (int a = 0; a < 3; ++a) {
    if (a > 0)
      edge(by_account[a][0], by_account[0][0],
           v1::RELATIONSHIP_TYPE_REPORTS_TO);
    for (size_t j = 1; j < by_account[a].size(); ++j) {
      edge(by_account[a][j], by_account[a][0],
           v1::RELATIONSHIP_TYPE_REPORTS_TO);
    }
  }
  for (int k = 0; k < 12; ++k) {
    const int a = k % 3;
    const auto& people = by_account[a];
    const int x = Uniform(rng, 1, static_cast<int>(people.size()) - 1);
    const int y = Uniform(rng, 1, static_cast<int>(people.size()) - 1);
    if (x == y) continue;
    edge(people[x], people[y],
         k % 2 ? v1::RELATIONSHIP_TYPE_INFLUENCES
               : v1::RELATIONSHIP_TYPE_WORKS_WITH);
  }
  // 500 signals over the year, two in three tied to a person.
  for (int i = 0; i < 500; ++i) {
    const auto& s = out.stakeholders[Uniform(rng, 0, 39)];
    v1::CreateSignalRequest r;
    r.set_parent(s.name().substr(0, s.name().find("/stakeholders/")));
    r.set_signal_id(absl::StrCat("t-", i + 1));
    *r.mutable_signal() = MakeSignal(rng, InLastYear(rng));
    if (i % 3 != 0) r.mutable_signal()->set_stakeholder(s.name());
    out.signals.push_back(r);
  }
  return out;
}

std::string SmallAccountId(int64_t index) {
  return absl::StrFormat("acct-%06d", index);
}

Records SmallAccount(int64_t index, uint64_t seed) {
  Rng rng = RngFor(seed, 2, index);
  Records out;
  const std::string id = SmallAccountId(index);
  const std::string name = absl::StrCat("accounts/", id);
  v1::Account account;
  account.set_name(name);
  account.set_display_name(absl::StrFormat("Laboratory %06d", index));
  account.add_domains(absl::StrCat(id, ".example.com"));
  account.set_country_code(Pick(rng, kCountries));
  account.set_facility_type(Pick(rng, kFacilities));
  account.add_testing_scopes(Pick(rng, kScopes));
  account.set_annual_test_volume(Uniform(rng, 1, 40) * 10'000);
  account.add_current_systems(Pick(rng, kSystems));
  account.set_evaluation_stage(Pick(rng, kStages));
  account.set_owner(absl::StrCat("team-", Uniform(rng, 1, 5)));
  out.accounts.push_back(account);

  v1::Site site;
  site.set_name(absl::StrCat(name, "/sites/main"));
  site.set_display_name("Main laboratory");
  // One site in four overrides the account's country or facility type.
  if (Uniform(rng, 0, 3) == 0) site.set_country_code(Pick(rng, kCountries));
  if (Uniform(rng, 0, 3) == 0) site.set_facility_type(Pick(rng, kFacilities));
  out.sites.push_back(site);

  for (int j = 0; j < 3; ++j) {
    const Person& p =
        kPeople[Uniform(rng, 0, static_cast<int>(kPeople.size()) - 1)];
    v1::Stakeholder s;
    s.set_name(absl::StrCat(name, "/stakeholders/p", j + 1));
    s.set_display_name(absl::StrCat("Person ", j + 1));
    s.set_email(absl::StrCat("p", j + 1, "@", id, ".example.com"));
    s.set_title(p.title);
    *s.add_roles() = Role(p.role, Uniform(rng, 0, 2) == 0);
    s.add_sites(site.name());
    s.set_engagement(Pick(rng, kEngagements));
    out.stakeholders.push_back(s);
  }
  for (int k = 0; k < 5; ++k) {
    v1::CreateSignalRequest r;
    r.set_parent(name);
    r.set_signal_id(absl::StrCat("s-", k + 1));
    *r.mutable_signal() = MakeSignal(rng, InLastYear(rng));
    if (Uniform(rng, 0, 1) == 1) {
      r.mutable_signal()->set_stakeholder(
          out.stakeholders[Uniform(rng, 0, 2)].name());
    }
    out.signals.push_back(r);
  }
  return out;
}

std::vector<v1::CreateSignalRequest> History(const std::string& account_id,
                                             int64_t first, int64_t count,
                                             uint64_t seed) {
  std::vector<v1::CreateSignalRequest> out;
  out.reserve(count);
  for (int64_t i = first; i < first + count; ++i) {
    Rng rng = RngFor(seed, 3, i);
    v1::CreateSignalRequest r;
    r.set_parent(absl::StrCat("accounts/", account_id));
    r.set_signal_id(absl::StrCat("h-", i));
    *r.mutable_signal() = MakeSignal(rng, InLastYear(rng));
    out.push_back(std::move(r));
  }
  return out;
}

v1::SubmitLeadRequest Lead(int64_t index, uint64_t seed) {
  Rng rng = RngFor(seed, 4, index);
  v1::SubmitLeadRequest request;
  auto* lead = request.mutable_lead();
  const std::string company = absl::StrFormat("Lead Lab %06d", index);
  const std::string domain =
      absl::StrFormat("lead-lab-%06d.example.net", index);
  lead->set_email(absl::StrCat("director@", domain));
  lead->set_first_name("Alex");
  lead->set_last_name(absl::StrFormat("Lead%06d", index));
  lead->set_title(
      kPeople[Uniform(rng, 0, static_cast<int>(kPeople.size()) - 1)].title);
  lead->set_company(company);
  lead->set_website(absl::StrCat("https://www.", domain));
  lead->set_country("US");
  lead->set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  lead->set_source(v1::SOURCE_CHANNEL_DEMO_FORM);
  lead->set_campaign("bench");
  auto* signal = lead->mutable_signal();
  signal->set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
  signal->set_topic(v1::SIGNAL_TOPIC_WORKFLOW);
  *signal->mutable_occur_time() =
      Stamp(AsOf() - absl::Hours(Uniform(rng, 1, 200)));
  request.set_request_id(absl::StrFormat("bench-lead-%06d", index));
  return request;
}

v1::CreateSignalRequest FreshSignal(const std::string& account_id,
                                    absl::Duration age) {
  v1::CreateSignalRequest r;
  r.set_parent(absl::StrCat("accounts/", account_id));
  r.mutable_signal()->set_type(v1::SIGNAL_TYPE_PAGE_VIEW);
  r.mutable_signal()->set_topic(v1::SIGNAL_TOPIC_WORKFLOW);
  *r.mutable_signal()->mutable_occur_time() = Stamp(AsOf() - age);
  return r;
}

}  // namespace quorum::bench
