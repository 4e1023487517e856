// Store under injected write faults (graph::FaultPlan), on a real LMDB in a
// temporary folder. Every write use case runs once on a normal store and once
// on a store whose write attempts meet a fault first:
// - a full map (each write's first attempt; the map grows and the write runs
//   again): the answer and everything stored, byte for byte in every LMDB
//   database, are the same as on the normal store, and the indexes check;
// - an I/O error or a full disk (the first write): RESOURCE_EXHAUSTED,
//   nothing stored changes, writable() is false until the same write, sent
//   again, succeeds with the normal store's answer and outcome.
// Faults strike either at the commit (after the write function has built all
// its state) or at the attempt's first Put or Delete.
#include <lmdb.h>

#include <climits>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/time_util.h"
#include "graph/rules/policy.h"
#include "graph/storage/lmdb_env.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::testing {
namespace {

using google::protobuf::util::TimeUtil;
using graph::WriteFault;
using graph::WriteStep;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

// ------------------------------------------------------------- injection

// Where in a write attempt a fault strikes.
enum class Where {
  kCommit,       // Before the commit: the write function has run to its end.
  kFirstChange,  // At the first Put or Delete (at the commit when none).
};

// What the fault plan of a store injects; the test arms it between writes.
struct Injection {
  WriteFault fault = WriteFault::kNone;
  Where where = Where::kCommit;
  int remaining = 0;  // Faults still to inject, each into a first attempt.
  int injected = 0;
};

graph::FaultPlan PlanOf(Injection* injection) {
  return [injection](const WriteStep& step) {
    if (injection->remaining == 0 || step.attempt != 1) {
      return WriteFault::kNone;
    }
    const bool here =
        injection->where == Where::kCommit ? step.commit : step.changes == 0;
    if (!here) return WriteFault::kNone;
    --injection->remaining;
    ++injection->injected;
    return injection->fault;
  };
}

// ------------------------------------------------------- store contents

// Every key and value of every named database: a store's whole content.
// Protobuf values are held as text (ShortDebugString), because their
// serialization is not canonical: map entries (Account.labels) come out in
// an order that differs between processes and messages.
using Contents = std::map<std::string, std::map<std::string, std::string>>;

// The message type of a value in database `db` at `key`; null for values
// that are plain bytes (names, index entries, sequence numbers).
const google::protobuf::Message* TypeOf(absl::string_view db,
                                        absl::string_view key) {
  static const auto* const kTypes =
      new std::map<std::string, const google::protobuf::Message*, std::less<>>{
          {"accounts", &v1::Account::default_instance()},
          {"sites", &v1::Site::default_instance()},
          {"stakeholders", &v1::Stakeholder::default_instance()},
          {"relationships", &v1::Relationship::default_instance()},
          {"signals", &v1::Signal::default_instance()},
          {"policies", &v1::PolicyRevision::default_instance()},
          {"notes", &v1::Note::default_instance()},
          {"intake_requests", &v1::SubmitLeadResponse::default_instance()},
          {"status_changes", &v1::StatusChange::default_instance()},
          {"handoffs", &v1::Handoff::default_instance()},
          {"readiness_events", &v1::ReadinessEvent::default_instance()},
          // request_ids: "{method}\n{request ID}" -> the method's response.
          {"CreateAccount", &v1::Account::default_instance()},
          {"CreateSite", &v1::Site::default_instance()},
          {"CreateStakeholder", &v1::Stakeholder::default_instance()},
          {"CreateRelationship", &v1::Relationship::default_instance()},
          {"TransitionStatus",
           &v1::TransitionStatusResponse::default_instance()},
          {"CreateHandoff", &v1::Handoff::default_instance()},
          {"unplaced_leads", &v1::UnplacedLead::default_instance()},
          {"PlaceLead", &v1::PlaceLeadResponse::default_instance()},
      };
  if (db == "request_ids") db = key.substr(0, key.find('\n'));
  auto it = kTypes->find(db);
  return it == kTypes->end() ? nullptr : it->second;
}

// A stored value as compared: the message as text, else the bytes.
std::string Canonical(absl::string_view db, absl::string_view key,
                      std::string value) {
  const google::protobuf::Message* type = TypeOf(db, key);
  if (type == nullptr) return value;
  std::string prefix;
  if (db == "request_ids") {  // "{fingerprint}\n{response}"
    const size_t split = value.find('\n');
    if (split == std::string::npos) return value;
    prefix = value.substr(0, split + 1);
    value.erase(0, split + 1);
  }
  std::unique_ptr<google::protobuf::Message> message(type->New());
  if (!message->ParseFromString(value)) return "unparsable: " + value;
  return absl::StrCat(prefix, message->ShortDebugString());
}

// Reads the LMDB environment in `path` (not open elsewhere in the process).
Contents ReadEnvironment(const std::string& path) {
  Contents out;
  MDB_env* env = nullptr;
  EXPECT_EQ(mdb_env_create(&env), MDB_SUCCESS);
  mdb_env_set_maxdbs(env, 128);
  int rc = mdb_env_open(env, path.c_str(), MDB_RDONLY | MDB_NOTLS, 0644);
  EXPECT_EQ(rc, MDB_SUCCESS) << mdb_strerror(rc);
  MDB_txn* txn = nullptr;
  if (rc == MDB_SUCCESS) rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
  auto scan = [&](MDB_dbi dbi, auto visit) {
    MDB_cursor* cursor = nullptr;
    if (mdb_cursor_open(txn, dbi, &cursor) != MDB_SUCCESS) return;
    MDB_val k, v;
    for (int r = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); r == MDB_SUCCESS;
         r = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
      visit(std::string(static_cast<const char*>(k.mv_data), k.mv_size),
            std::string(static_cast<const char*>(v.mv_data), v.mv_size));
    }
    mdb_cursor_close(cursor);
  };
  if (rc == MDB_SUCCESS) {
    // The unnamed database lists the named ones.
    MDB_dbi main_dbi;
    std::vector<std::string> names;
    if (mdb_dbi_open(txn, nullptr, 0, &main_dbi) == MDB_SUCCESS) {
      scan(main_dbi, [&](std::string key, std::string) {
        names.push_back(std::move(key));
      });
    }
    for (const std::string& name : names) {
      MDB_dbi dbi;
      rc = mdb_dbi_open(txn, name.c_str(), 0, &dbi);
      EXPECT_EQ(rc, MDB_SUCCESS) << name << ": " << mdb_strerror(rc);
      if (rc != MDB_SUCCESS) continue;
      auto& db = out[name];
      scan(dbi, [&](std::string key, std::string value) {
        std::string canonical = Canonical(name, key, std::move(value));
        db.emplace(std::move(key), std::move(canonical));
      });
    }
    mdb_txn_abort(txn);
  }
  mdb_env_close(env);
  return out;
}

// The whole content of an open store, read from a backup of it.
Contents ContentsOf(graph::UseCases& store) {
  TempDir dir;
  const std::string copy = dir.path() + "/copy";
  auto backup = store.admin().Backup(copy);
  EXPECT_TRUE(backup.ok()) << backup.status();
  if (!backup.ok()) return {};
  Contents contents = ReadEnvironment(copy);
  EXPECT_GT(contents.size(), 10u) << "the store's databases were not found";
  return contents;
}

// The differences between two contents, for a readable failure.
std::string Diff(const Contents& want, const Contents& got) {
  std::vector<std::string> lines;
  auto visible = [](const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
      out += (c >= 0x20 && c < 0x7f) ? std::string(1, c)
                                     : absl::StrCat("\\x", absl::Hex(c));
    }
    return out.size() > 120 ? out.substr(0, 120) + "..." : out;
  };
  Contents all = want;
  for (const auto& [db, rows] : got) all[db];
  for (const auto& [db, unused] : all) {
    static const std::map<std::string, std::string> kEmpty;
    auto w = want.find(db);
    auto g = got.find(db);
    const auto& wr = w == want.end() ? kEmpty : w->second;
    const auto& gr = g == got.end() ? kEmpty : g->second;
    std::map<std::string, std::string> keys;
    for (const auto& [k, v] : wr) keys[k];
    for (const auto& [k, v] : gr) keys[k];
    for (const auto& [k, unused2] : keys) {
      auto wi = wr.find(k);
      auto gi = gr.find(k);
      if (wi == wr.end()) {
        lines.push_back(absl::StrCat(db, " ", visible(k), ": unexpected"));
      } else if (gi == gr.end()) {
        lines.push_back(absl::StrCat(db, " ", visible(k), ": missing"));
      } else if (wi->second != gi->second) {
        lines.push_back(absl::StrCat(db, " ", visible(k), ": want ",
                                     visible(wi->second), " got ",
                                     visible(gi->second)));
      }
    }
  }
  if (lines.size() > 20) lines.resize(20);
  return absl::StrJoin(lines, "\n");
}

// ------------------------------------------------------------- answers

// What a write answered: its status and, when OK, its response.
struct Answer {
  absl::Status status;
  std::string response;

  bool operator==(const Answer& other) const {
    return status == other.status && response == other.response;
  }
};

std::ostream& operator<<(std::ostream& os, const Answer& a) {
  return os << a.status << "\n" << a.response;
}

Answer AnswerOf(const absl::Status& status) { return {status, ""}; }

template <typename T>
Answer AnswerOf(const absl::StatusOr<T>& result) {
  if (!result.ok()) return {result.status(), ""};
  if constexpr (std::is_base_of_v<google::protobuf::Message, T>) {
    return {absl::OkStatus(), result->DebugString()};
  } else {
    return {absl::OkStatus(), absl::StrCat(*result)};
  }
}

template <typename T>
Answer AnswerOfMessages(const absl::StatusOr<std::vector<T>>& result) {
  if (!result.ok()) return {result.status(), ""};
  std::string text;
  for (const T& m : *result) absl::StrAppend(&text, m.DebugString(), "--\n");
  return {absl::OkStatus(), text};
}

// ------------------------------------------------------------ use cases

using Store = graph::UseCases;

v1::CreateSignalRequest SignalRequest(absl::string_view account,
                                      v1::SignalType type,
                                      absl::string_view id = "",
                                      absl::string_view stakeholder = "") {
  v1::CreateSignalRequest r;
  r.set_parent(AccountName(account));
  r.set_signal_id(std::string(id));
  r.mutable_signal()->set_type(type);
  r.mutable_signal()->set_topic(v1::SIGNAL_TOPIC_WORKFLOW);
  *r.mutable_signal()->mutable_occur_time() = Ts(kNow - absl::Hours(2));
  r.mutable_signal()->set_stakeholder(std::string(stakeholder));
  return r;
}

v1::Note NewNote(std::string learned) {
  v1::Note note;
  note.set_learned(std::move(learned));
  note.set_author("ana");
  *note.mutable_occur_time() = Ts(kNow - absl::Hours(1));
  return note;
}

template <typename T>
void Must(const absl::StatusOr<T>& result, absl::string_view what) {
  EXPECT_TRUE(result.ok()) << what << ": " << result.status();
}

// The graph every use case starts from: the default policy; a US hospital
// lab (accounts/lab, domain lab.example) with a demo request (it routes to
// sales), a site, two people (ana reports to bo) and a note; a child account
// (accounts/clinic); an empty account (accounts/empty).
void Seed(Store& store) {
  Must(store.policies().PublishPolicy(graph::DefaultPolicy(), "default"),
       "policy");
  v1::Account lab = NewAccount("Lab lab");
  lab.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  lab.add_domains("lab.example");
  Must(store.accounts().CreateAccount(lab, "lab"), "lab");
  v1::Account clinic = NewAccount("Clinic");
  clinic.set_parent(AccountName("lab"));
  clinic.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  Must(store.accounts().CreateAccount(clinic, "clinic"), "clinic");
  Must(store.accounts().CreateAccount(NewAccount("Empty"), "empty"), "empty");
  Must(store.accounts().CreateSite(AccountName("lab"), NewSite("Main"), "main"),
       "site");
  Must(store.accounts().CreateSite(AccountName("lab"), NewSite("Spare"),
                                   "spare"),
       "spare site");
  v1::Stakeholder ana = NewStakeholder("Ana Ops", "ana@lab.example");
  ana.set_title("Laboratory Operations Manager");
  ana.add_sites(SiteName("lab", "main"));
  Must(store.accounts().CreateStakeholder(AccountName("lab"), ana, "ana"),
       "ana");
  Must(store.accounts().CreateStakeholder(
           AccountName("lab"), NewStakeholder("Bo Boss", "bo@lab.example"),
           "bo"),
       "bo");
  Must(store.accounts().CreateRelationship(
           AccountName("lab"),
           NewRelationship(StakeholderName("lab", "ana"),
                           StakeholderName("lab", "bo"),
                           v1::RELATIONSHIP_TYPE_REPORTS_TO),
           "ana-bo"),
       "relationship");
  v1::RecordSignalsRequest signals;
  *signals.add_requests() =
      SignalRequest("lab", v1::SIGNAL_TYPE_DEMO_REQUEST, "demo");
  Must(store.signals().RecordSignals(signals), "signals");
}

void SeedWithNote(Store& store) {
  Seed(store);
  Must(store.notes().CreateNote(AccountName("lab"), NewNote("wants faster TAT"),
                                ""),
       "note");
}

v1::CreateHandoffRequest HandoffRequest(bool with_plan) {
  v1::CreateHandoffRequest r;
  r.set_parent(AccountName("lab"));
  r.set_actor("ana");
  if (with_plan) {
    r.set_decision_owner_plan("ask the lab manager who signs off");
  } else {
    r.set_force(true);
    r.set_force_reason("the rep met them at a congress");
  }
  return r;
}

// A complete handoff of accounts/lab, for the feedback use cases.
void SeedWithHandoff(Store& store) {
  SeedWithNote(store);
  Must(store.workflow().CreateHandoff(HandoffRequest(true)), "handoff");
}

v1::SubmitLeadRequest NewLead(std::string email, std::string request_id) {
  v1::SubmitLeadRequest r;
  r.set_request_id(std::move(request_id));
  v1::Lead* lead = r.mutable_lead();
  lead->set_email(std::move(email));
  lead->set_first_name("Megan");
  lead->set_last_name("Ortiz");
  lead->set_title("Laboratory Director");
  lead->set_phone("(503) 555-0142");
  lead->set_company("Cascade Valley Health, Inc.");
  lead->set_website("https://www.cascade-valley.org/labs");
  lead->set_country("United States");
  lead->set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  lead->set_source(v1::SOURCE_CHANNEL_DEMO_FORM);
  lead->set_campaign("q4-workflow");
  lead->mutable_signal()->set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
  lead->mutable_signal()->set_topic(v1::SIGNAL_TOPIC_WORKFLOW);
  lead->mutable_note()->set_learned("Wants shorter turnaround");
  return r;
}

v1::TransitionStatusRequest Transition(std::string request_id) {
  v1::TransitionStatusRequest r;
  r.set_name(AccountName("lab"));
  r.set_status(v1::LIFECYCLE_STATUS_RESEARCHING);
  r.set_reason("reviewed the account");
  r.set_actor("ana");
  r.set_request_id(std::move(request_id));
  return r;
}

std::vector<v1::ImportRecordsRequest> ImportRecords() {
  std::vector<v1::ImportRecordsRequest> records(6);
  // A new account on its own; an update; an unchanged record.
  v1::Account fresh = NewAccount("Imported");
  fresh.set_name(AccountName("imported"));
  *records[0].mutable_account() = fresh;
  v1::Account renamed = NewAccount("Empty, renamed");
  renamed.set_name(AccountName("empty"));
  *records[1].mutable_account() = renamed;
  v1::Account same = NewAccount("Clinic");
  same.set_name(AccountName("clinic"));
  same.set_parent(AccountName("lab"));
  same.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  *records[2].mutable_account() = same;
  // A group that goes in, an account and its site.
  v1::Account grouped = NewAccount("Grouped");
  grouped.set_name(AccountName("grouped"));
  *records[3].mutable_account() = grouped;
  records[3].set_group("row-4");
  v1::Site site = NewSite("Grouped site");
  site.set_name(SiteName("grouped", "hq"));
  *records[4].mutable_site() = site;
  records[4].set_group("row-4");
  // A record rejected on its own (the e-mail is ana's).
  v1::Stakeholder taken = NewStakeholder("Copy", "ana@lab.example");
  taken.set_name(StakeholderName("clinic", "copy"));
  *records[5].mutable_stakeholder() = taken;
  return records;
}

v1::ResourceBundle Bundle() {
  v1::ResourceBundle bundle;
  v1::Account a = NewAccount("Bundled");
  a.set_name(AccountName("bundled"));
  *bundle.add_accounts() = a;
  *bundle.add_accounts() = [] {  // Exists already: skipped.
    v1::Account lab = NewAccount("Lab lab");
    lab.set_name(AccountName("lab"));
    return lab;
  }();
  v1::Site s = NewSite("Bundled site");
  s.set_name(SiteName("bundled", "hq"));
  *bundle.add_sites() = s;
  v1::Stakeholder p = NewStakeholder("Bundled One", "one@bundled.example");
  p.set_name(StakeholderName("bundled", "one"));
  *bundle.add_stakeholders() = p;
  v1::Stakeholder q = NewStakeholder("Bundled Two");
  q.set_name(StakeholderName("bundled", "two"));
  *bundle.add_stakeholders() = q;
  v1::Relationship r = NewRelationship(StakeholderName("bundled", "one"),
                                       StakeholderName("bundled", "two"),
                                       v1::RELATIONSHIP_TYPE_REPORTS_TO);
  r.set_name(RelationshipName("bundled", "one-two"));
  *bundle.add_relationships() = r;
  v1::Signal sig = SignalRequest("bundled", v1::SIGNAL_TYPE_PAGE_VIEW).signal();
  sig.set_name("accounts/bundled/signals/web-1");
  *bundle.add_signals() = sig;
  return bundle;
}

struct UseCase {
  std::string name;
  std::function<void(Store&)> setup;  // Runs with nothing injected.
  std::function<Answer(Store&)> run;  // The write under test.
};

void PrintTo(const UseCase& use_case, std::ostream* os) {
  *os << use_case.name;
}

std::vector<UseCase> UseCases() {
  std::vector<UseCase> cases;
  auto add = [&](std::string name, std::function<void(Store&)> setup,
                 std::function<Answer(Store&)> run) {
    cases.push_back({std::move(name), std::move(setup), std::move(run)});
  };
  // ---- accounts
  add("CreateAccount", Seed, [](Store& s) {
    v1::Account a = NewAccount("Fresh Lab", "DE");
    a.add_domains("fresh.example");
    a.set_parent(AccountName("lab"));
    return AnswerOf(s.accounts().CreateAccount(a, "fresh"));
  });
  add("CreateAccountWithRequestId", Seed, [](Store& s) {
    return AnswerOf(
        s.accounts().CreateAccount(NewAccount("Fresh Lab"), "", "req-1"));
  });
  add(
      "CreateAccountRetriedWithItsRequestId",
      [](Store& s) {
        Seed(s);
        Must(s.accounts().CreateAccount(NewAccount("Fresh Lab"), "", "req-1"),
             "first");
      },
      [](Store& s) {
        return AnswerOf(
            s.accounts().CreateAccount(NewAccount("Fresh Lab"), "", "req-1"));
      });
  add("UpdateAccount", Seed, [](Store& s) {
    v1::Account patch;
    patch.set_name(AccountName("lab"));
    patch.set_display_name("Lab, renamed");
    patch.add_domains("lab.example");
    patch.add_domains("lab2.example");
    (*patch.mutable_labels())["tier"] = "1";
    return AnswerOf(s.accounts().UpdateAccount(
        patch, Mask({"display_name", "domains", "labels"})));
  });
  add("MoveAccountUnderAnotherParent", Seed, [](Store& s) {
    v1::Account patch;
    patch.set_name(AccountName("clinic"));
    patch.set_parent(AccountName("empty"));
    return AnswerOf(s.accounts().UpdateAccount(patch, Mask({"parent"})));
  });
  add("DeleteAccount", Seed, [](Store& s) {
    return AnswerOf(
        s.accounts().DeleteAccount(AccountName("empty"), "", false));
  });
  add("DeleteAccountTreeWithForce", SeedWithHandoff, [](Store& s) {
    return AnswerOf(s.accounts().DeleteAccount(AccountName("lab"), "", true));
  });
  // ---- sites
  add("CreateSite", Seed, [](Store& s) {
    return AnswerOf(
        s.accounts().CreateSite(AccountName("clinic"), NewSite("North"), ""));
  });
  add("UpdateSite", Seed, [](Store& s) {
    v1::Site patch;
    patch.set_name(SiteName("lab", "main"));
    patch.set_display_name("Main campus");
    return AnswerOf(s.accounts().UpdateSite(patch, Mask({"display_name"})));
  });
  add("DeleteSite", Seed, [](Store& s) {
    return AnswerOf(s.accounts().DeleteSite(SiteName("lab", "spare"), ""));
  });
  // ---- stakeholders
  add("CreateStakeholder", Seed, [](Store& s) {
    v1::Stakeholder p = NewStakeholder("Quinn Quality", "quinn@lab.example");
    p.set_title("Quality Manager");
    p.add_sites(SiteName("lab", "main"));
    return AnswerOf(
        s.accounts().CreateStakeholder(AccountName("clinic"), p, "quinn"));
  });
  add("UpdateStakeholder", Seed, [](Store& s) {
    v1::Stakeholder patch;
    patch.set_name(StakeholderName("lab", "bo"));
    patch.set_email("bo.boss@lab.example");
    auto* role = patch.add_roles();
    role->set_role(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
    role->set_source(v1::ROLE_SOURCE_CONFIRMED);
    return AnswerOf(
        s.accounts().UpdateStakeholder(patch, Mask({"email", "roles"})));
  });
  add("DeleteStakeholderWithTheirRelationships", Seed, [](Store& s) {
    return AnswerOf(
        s.accounts().DeleteStakeholder(StakeholderName("lab", "ana"), ""));
  });
  // ---- relationships
  add("CreateRelationship", Seed, [](Store& s) {
    return AnswerOf(s.accounts().CreateRelationship(
        AccountName("lab"),
        NewRelationship(StakeholderName("lab", "bo"),
                        StakeholderName("lab", "ana"),
                        v1::RELATIONSHIP_TYPE_INFLUENCES),
        ""));
  });
  add("DeleteRelationship", Seed, [](Store& s) {
    return AnswerOf(
        s.accounts().DeleteRelationship(RelationshipName("lab", "ana-bo"), ""));
  });
  // ---- signals
  add("RecordSignals", Seed, [](Store& s) {
    v1::RecordSignalsRequest batch;
    *batch.add_requests() = SignalRequest("lab", v1::SIGNAL_TYPE_PAGE_VIEW, "",
                                          StakeholderName("lab", "ana"));
    *batch.add_requests() =
        SignalRequest("clinic", v1::SIGNAL_TYPE_PRICING_INQUIRY);
    *batch.add_requests() =  // A duplicate of the seed's.
        SignalRequest("lab", v1::SIGNAL_TYPE_DEMO_REQUEST, "demo");
    return AnswerOfMessages(s.signals().RecordSignals(batch));
  });
  add("RecordSignalStream", Seed, [](Store& s) {
    std::vector<v1::CreateSignalRequest> stream = {
        SignalRequest("lab", v1::SIGNAL_TYPE_PAGE_VIEW, "w-1"),
        SignalRequest("ghost", v1::SIGNAL_TYPE_PAGE_VIEW),  // No account.
        SignalRequest("lab", v1::SIGNAL_TYPE_DEMO_REQUEST, "demo"),  // Dup.
        SignalRequest("clinic", v1::SIGNAL_TYPE_PRICING_INQUIRY, "",
                      StakeholderName("lab", "bo")),
    };
    auto outcomes = s.intake().RecordSignalStream(stream);
    if (!outcomes.ok()) return AnswerOf(outcomes.status());
    std::string text;
    for (const absl::Status& o : *outcomes) {
      absl::StrAppend(&text, o.ToString(), "\n");
    }
    return Answer{absl::OkStatus(), text};
  });
  // ---- intake
  add("ImportBatch", Seed, [](Store& s) {
    auto outcomes = s.intake().ImportBatch(ImportRecords());
    if (!outcomes.ok()) return AnswerOf(outcomes.status());
    std::string text;
    for (const auto& o : *outcomes) {
      if (o.ok()) {
        absl::StrAppend(&text, static_cast<int>(*o), "\n");
      } else {
        absl::StrAppend(&text, o.status().ToString(), "\n");
      }
    }
    return Answer{absl::OkStatus(), text};
  });
  add("SubmitLeadCreatingAccountAndPerson", Seed, [](Store& s) {
    return AnswerOf(
        s.intake().SubmitLead(NewLead("megan@cascade-valley.org", "l-1")));
  });
  add("SubmitLeadMatchingAKnownPerson", Seed, [](Store& s) {
    v1::SubmitLeadRequest r = NewLead("ANA@lab.example", "l-2");
    r.mutable_lead()->set_company("");
    r.mutable_lead()->set_website("");
    return AnswerOf(s.intake().SubmitLead(r));
  });
  add(
      "SubmitLeadRetriedWithItsRequestId",
      [](Store& s) {
        Seed(s);
        Must(s.intake().SubmitLead(NewLead("megan@cascade-valley.org", "l-1")),
             "first");
      },
      [](Store& s) {
        return AnswerOf(
            s.intake().SubmitLead(NewLead("megan@cascade-valley.org", "l-1")));
      });
  // ---- the triage queue
  add("SubmitLeadQueuedForTriage", Seed, [](Store& s) {
    v1::SubmitLeadRequest r = NewLead("megan@gmail.com", "l-3");
    r.mutable_lead()->set_company("");
    r.mutable_lead()->set_website("");
    return AnswerOf(s.intake().SubmitLead(r));
  });
  auto seed_queued = [](Store& s) {
    Seed(s);
    v1::SubmitLeadRequest r = NewLead("megan@gmail.com", "l-3");
    r.mutable_lead()->set_company("");
    r.mutable_lead()->set_website("");
    Must(s.intake().SubmitLead(r), "queued lead");
  };
  add("PlaceLead", seed_queued, [](Store& s) {
    const std::string name = OrFail(s.intake().ListUnplacedLeads(
                                        v1::UNPLACED_REASON_UNSPECIFIED, 1, ""),
                                    "queue")
                                 .items.at(0)
                                 .name();
    v1::PlaceLeadRequest r;
    r.set_name(name);
    r.set_account(AccountName("lab"));
    r.set_request_id("p-1");
    return AnswerOf(s.intake().PlaceLead(r));
  });
  add("DeleteUnplacedLead", seed_queued, [](Store& s) {
    return AnswerOf(s.intake().DeleteUnplacedLead(
        OrFail(s.intake().ListUnplacedLeads(v1::UNPLACED_REASON_UNSPECIFIED, 1,
                                            ""),
               "queue")
            .items.at(0)
            .name()));
  });
  // ---- notes
  add("CreateNote", Seed, [](Store& s) {
    v1::Note note = NewNote("the director signs");
    note.set_stakeholder(StakeholderName("lab", "bo"));
    return AnswerOf(s.notes().CreateNote(AccountName("lab"), note, ""));
  });
  add("CreateNoteWithItsId", Seed, [](Store& s) {
    return AnswerOf(
        s.notes().CreateNote(AccountName("clinic"), NewNote("hi"), "n1"));
  });
  // ---- workflow
  add("TransitionStatus", Seed, [](Store& s) {
    return AnswerOf(s.workflow().TransitionStatus(Transition("")));
  });
  add(
      "TransitionStatusRetriedWithItsRequestId",
      [](Store& s) {
        Seed(s);
        Must(s.workflow().TransitionStatus(Transition("t-1")), "first");
      },
      [](Store& s) {
        return AnswerOf(s.workflow().TransitionStatus(Transition("t-1")));
      });
  add("CreateHandoffComplete", SeedWithNote, [](Store& s) {
    return AnswerOf(s.workflow().CreateHandoff(HandoffRequest(true)));
  });
  add("CreateHandoffForcedWithNotesAndMissingItems", SeedWithNote,
      [](Store& s) {
        return AnswerOf(s.workflow().CreateHandoff(HandoffRequest(false)));
      });
  add("CreateHandoffForcedWithoutNotes", Seed, [](Store& s) {
    v1::CreateHandoffRequest r = HandoffRequest(false);
    r.set_request_id("h-1");
    return AnswerOf(s.workflow().CreateHandoff(r));
  });
  add("RecordHandoffFeedbackAccepted", SeedWithHandoff, [](Store& s) {
    v1::RecordHandoffFeedbackRequest r;
    r.set_name(
        OrFail(s.workflow().ListHandoffs(AccountName("lab"), 1, ""), "list")
            .items.at(0)
            .name());
    r.set_outcome(v1::HANDOFF_OUTCOME_ACCEPTED);
    r.set_actor("sam");
    return AnswerOf(s.workflow().RecordHandoffFeedback(r));
  });
  add("RecordHandoffFeedbackRejectedMovesTheStatus", SeedWithHandoff,
      [](Store& s) {
        v1::RecordHandoffFeedbackRequest r;
        r.set_name(
            OrFail(s.workflow().ListHandoffs(AccountName("lab"), 1, ""), "list")
                .items.at(0)
                .name());
        r.set_outcome(v1::HANDOFF_OUTCOME_REJECTED);
        r.set_rejection_reason(v1::REJECTION_REASON_TOO_EARLY);
        r.set_comment("budget comes next year");
        r.set_actor("sam");
        return AnswerOf(s.workflow().RecordHandoffFeedback(r));
      });
  // ---- policies and bundles
  add("PublishPolicy", Seed, [](Store& s) {
    v1::Policy policy = graph::DefaultPolicy();
    policy.mutable_handoff()->set_min_notes(2);
    return AnswerOf(
        s.policies().PublishPolicy(policy, "two notes per handoff"));
  });
  add("LoadBundle", Seed,
      [](Store& s) { return AnswerOf(s.intake().LoadBundle(Bundle())); });
  return cases;
}

// ---------------------------------------------------------------- tests

class StoreFaultTest
    : public ::testing::TestWithParam<std::tuple<UseCase, Where>> {
 protected:
  // A store in `dir` with a fault plan reading `injection`, seeded by the
  // use case with nothing injected.
  std::unique_ptr<Store> Open(const TempDir& dir, Injection* injection) {
    graph::Store::Options options;
    options.path = dir.path();
    options.initial_map_size = 1 << 20;
    options.clock = [] { return kNow; };
    if (injection != nullptr) options.fault_plan = PlanOf(injection);
    auto store = Store::Open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    use_case().setup(**store);
    return *std::move(store);
  }

  const UseCase& use_case() const { return std::get<0>(GetParam()); }
  Where where() const { return std::get<1>(GetParam()); }

  // The use case on a store without faults: its answer and outcome.
  void RunNormally() {
    normal_ = Open(normal_dir_, nullptr);
    ASSERT_NE(normal_, nullptr);
    expected_ = use_case().run(*normal_);
    ASSERT_TRUE(expected_.status.ok())
        << "the use case itself must succeed: " << expected_.status;
    ASSERT_OK(normal_->admin().CheckIndexes());
    expected_contents_ = ContentsOf(*normal_);
  }

  // The use case on a store whose first write meets `fault`, then the same
  // write again.
  void ExpectWriteFailsCleanlyThenSucceeds(WriteFault fault) {
    ASSERT_NO_FATAL_FAILURE(RunNormally());
    Injection injection;
    std::unique_ptr<Store> store = Open(faulted_dir_, &injection);
    ASSERT_NE(store, nullptr);
    const Contents before = ContentsOf(*store);
    ASSERT_TRUE(store->store().writable());

    injection = {fault, where(), 1, 0};
    const Answer failed = use_case().run(*store);
    EXPECT_EQ(injection.injected, 1);
    EXPECT_EQ(failed.status.code(), absl::StatusCode::kResourceExhausted)
        << failed.status;
    EXPECT_THAT(std::string(failed.status.message()),
                HasSubstr("the data folder cannot be written"));
    EXPECT_TRUE(graph::IsStorageUnwritable(failed.status)) << failed.status;
    EXPECT_FALSE(store->store().writable());
    const Contents after_failure = ContentsOf(*store);
    EXPECT_TRUE(after_failure == before) << "the failed write changed:\n"
                                         << Diff(before, after_failure);
    EXPECT_FALSE(store->store().writable())
        << "reads do not make the store writable";

    const Answer retried = use_case().run(*store);
    EXPECT_EQ(retried, expected_);
    EXPECT_TRUE(store->store().writable());
    EXPECT_OK(store->admin().CheckIndexes());
    const Contents contents = ContentsOf(*store);
    EXPECT_TRUE(contents == expected_contents_)
        << Diff(expected_contents_, contents);
  }

  TempDir normal_dir_;
  TempDir faulted_dir_;
  std::unique_ptr<Store> normal_;
  Answer expected_;
  Contents expected_contents_;
};

TEST_P(StoreFaultTest, FullMapOnEachFirstAttemptLeavesTheSameAnswerAndStore) {
  ASSERT_NO_FATAL_FAILURE(RunNormally());
  Injection injection;
  std::unique_ptr<Store> store = Open(faulted_dir_, &injection);
  ASSERT_NE(store, nullptr);
  const size_t map_before = store->store().map_size();

  injection = {WriteFault::kMapFull, where(), INT_MAX, 0};
  const Answer answer = use_case().run(*store);
  injection.remaining = 0;

  EXPECT_GE(injection.injected, 1);
  EXPECT_GT(store->store().map_size(), map_before)
      << "the map grew for the retry";
  EXPECT_EQ(answer, expected_);
  EXPECT_TRUE(store->store().writable());
  EXPECT_OK(store->admin().CheckIndexes());
  const Contents contents = ContentsOf(*store);
  EXPECT_TRUE(contents == expected_contents_)
      << Diff(expected_contents_, contents);
}

TEST_P(StoreFaultTest, IoErrorFailsTheWriteWholeAndTheRetrySucceeds) {
  ExpectWriteFailsCleanlyThenSucceeds(WriteFault::kIoError);
}

TEST_P(StoreFaultTest, FullDiskFailsTheWriteWholeAndTheRetrySucceeds) {
  ExpectWriteFailsCleanlyThenSucceeds(WriteFault::kDiskFull);
}

INSTANTIATE_TEST_SUITE_P(
    EveryWriteUseCase, StoreFaultTest,
    ::testing::Combine(::testing::ValuesIn(UseCases()),
                       ::testing::Values(Where::kCommit, Where::kFirstChange)),
    [](const ::testing::TestParamInfo<std::tuple<UseCase, Where>>& info) {
      return absl::StrCat(std::get<0>(info.param).name,
                          std::get<1>(info.param) == Where::kCommit
                              ? "_AtCommit"
                              : "_AtFirstChange");
    });

// The defect of issue 10: a handoff built by a write function that ran twice
// held the first run's notes and missing items as well.
TEST(StoreFaultRegressionTest,
     HandoffCreatedWhileTheMapGrowsHoldsEachNoteAndMissingItemOnce) {
  TempDir dir;
  Injection injection;
  graph::Store::Options options;
  options.path = dir.path();
  options.clock = [] { return kNow; };
  options.fault_plan = PlanOf(&injection);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       Store::Open(std::move(options)));
  SeedWithNote(*store);

  injection = {WriteFault::kMapFull, Where::kCommit, 1, 0};
  ASSERT_OK_AND_ASSIGN(v1::Handoff handoff,
                       store->workflow().CreateHandoff(HandoffRequest(false)));
  ASSERT_EQ(injection.injected, 1);

  ASSERT_THAT(handoff.notes(), SizeIs(1));
  EXPECT_EQ(handoff.notes(0).learned(), "wants faster TAT");
  ASSERT_THAT(handoff.missing(), SizeIs(1));
  EXPECT_THAT(handoff.missing(0), StartsWith("decision_owner_plan:"));
  ASSERT_OK_AND_ASSIGN(v1::Handoff stored,
                       store->workflow().GetHandoff(handoff.name()));
  EXPECT_THAT(stored, EqualsProto(handoff));
}

// The same defect with LMDB's own MDB_MAP_FULL: handoffs of accounts with
// long notes, on a small map, until one of them makes the map grow.
TEST(StoreFaultRegressionTest,
     HandoffsCreatedWhileARealMapGrowsHoldEachNoteAndMissingItemOnce) {
  TempDir dir;
  graph::Store::Options options;
  options.path = dir.path();
  options.initial_map_size = 256 << 10;
  options.clock = [] { return kNow; };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       Store::Open(std::move(options)));
  ASSERT_OK(store->policies()
                .PublishPolicy(graph::DefaultPolicy(), "default")
                .status());
  bool grew_in_a_handoff = false;
  for (int i = 0; i < 200 && !grew_in_a_handoff; ++i) {
    const std::string id = absl::StrCat("lab-", i);
    SCOPED_TRACE(id);
    v1::Account lab = NewAccount(absl::StrCat("Lab ", i));
    lab.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
    ASSERT_OK(store->accounts().CreateAccount(lab, id).status());
    for (int n = 0; n < 3; ++n) {
      v1::Note note = NewNote(std::string(4000, static_cast<char>('a' + n)));
      ASSERT_OK(store->notes().CreateNote(AccountName(id), note, "").status());
    }
    v1::RecordSignalsRequest signals;
    *signals.add_requests() = SignalRequest(id, v1::SIGNAL_TYPE_DEMO_REQUEST);
    ASSERT_OK(store->signals().RecordSignals(signals).status());
    v1::CreateHandoffRequest request = HandoffRequest(false);
    request.set_parent(AccountName(id));

    const size_t map_before = store->store().map_size();
    ASSERT_OK_AND_ASSIGN(v1::Handoff handoff,
                         store->workflow().CreateHandoff(request));
    grew_in_a_handoff = store->store().map_size() > map_before;

    EXPECT_THAT(handoff.notes(), SizeIs(3));
    ASSERT_THAT(handoff.missing(), SizeIs(1));
    EXPECT_THAT(handoff.missing(0), StartsWith("decision_owner_plan:"));
    ASSERT_OK_AND_ASSIGN(v1::Handoff stored,
                         store->workflow().GetHandoff(handoff.name()));
    EXPECT_THAT(stored, EqualsProto(handoff));
  }
  EXPECT_TRUE(grew_in_a_handoff) << "no handoff met a full map";
  EXPECT_OK(store->admin().CheckIndexes());
}

}  // namespace
}  // namespace quorum::testing
