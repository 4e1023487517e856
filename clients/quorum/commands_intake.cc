// quorum lead submit|unplaced|place|delete | signals send | notes add|list.
#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <sstream>

#include "clients/quorum/channel.h"
#include "clients/quorum/cli.h"
#include "clients/quorum/errors.h"
#include "clients/quorum/output.h"
#include "clients/quorum/render.h"
#include "clients/quorum/text.h"
#include "graph/model/page_size.h"
#include "quorum/v1/intake_service.grpc.pb.h"
#include "quorum/v1/note_service.grpc.pb.h"

namespace quorum::cli {
namespace {

using google::protobuf::util::JsonStringToMessage;

// ------------------------------------------------------------- lead submit

struct LeadOptions {
  std::string file;
  std::string request_id;
  std::string email, first_name, last_name, title, phone, company, website,
      country, facility_type, source, campaign;
  std::string signal_type, signal_topic, signal_time, signal_description;
  std::string note, next_step, note_kind, note_author;
};

void SetIfGiven(const std::string& value, std::string* field) {
  if (!value.empty()) *field = value;
}

quorum::v1::Lead BuildLead(const LeadOptions& o) {
  quorum::v1::Lead lead;
  if (!o.file.empty()) {
    auto status = JsonStringToMessage(ReadInput(o.file), &lead);
    if (!status.ok()) {
      throw UsageError(o.file + ": not a quorum.v1.Lead in JSON: " +
                       std::string(status.message()));
    }
  }
  SetIfGiven(o.email, lead.mutable_email());
  SetIfGiven(o.first_name, lead.mutable_first_name());
  SetIfGiven(o.last_name, lead.mutable_last_name());
  SetIfGiven(o.title, lead.mutable_title());
  SetIfGiven(o.phone, lead.mutable_phone());
  SetIfGiven(o.company, lead.mutable_company());
  SetIfGiven(o.website, lead.mutable_website());
  SetIfGiven(o.country, lead.mutable_country());
  SetIfGiven(o.campaign, lead.mutable_campaign());
  if (!o.facility_type.empty()) {
    lead.set_facility_type(static_cast<quorum::v1::FacilityType>(
        ParseEnum("--facility-type", o.facility_type,
                  quorum::v1::FacilityType_descriptor())));
  }
  if (!o.source.empty()) {
    lead.set_source(static_cast<quorum::v1::SourceChannel>(ParseEnum(
        "--source", o.source, quorum::v1::SourceChannel_descriptor())));
  }
  if (!o.signal_type.empty()) {
    lead.mutable_signal()->set_type(
        static_cast<quorum::v1::SignalType>(ParseEnum(
            "--signal", o.signal_type, quorum::v1::SignalType_descriptor())));
  }
  if (!o.signal_topic.empty()) {
    lead.mutable_signal()->set_topic(static_cast<quorum::v1::SignalTopic>(
        ParseEnum("--signal-topic", o.signal_topic,
                  quorum::v1::SignalTopic_descriptor())));
  }
  if (!o.signal_time.empty()) {
    *lead.mutable_signal()->mutable_occur_time() =
        ParseTime("--signal-time", o.signal_time);
  }
  if (!o.signal_description.empty()) {
    lead.mutable_signal()->set_description(o.signal_description);
  }
  if (lead.has_signal() &&
      lead.signal().type() == quorum::v1::SIGNAL_TYPE_UNSPECIFIED) {
    throw UsageError("--signal is required with the other --signal-* flags");
  }
  if (!o.note.empty()) lead.mutable_note()->set_learned(o.note);
  if (!o.next_step.empty()) lead.mutable_note()->set_next_step(o.next_step);
  if (!o.note_author.empty()) lead.mutable_note()->set_author(o.note_author);
  if (!o.note_kind.empty()) {
    lead.mutable_note()->set_kind(static_cast<quorum::v1::NoteKind>(ParseEnum(
        "--note-kind", o.note_kind, quorum::v1::NoteKind_descriptor())));
  }
  if (lead.has_note() && lead.note().learned().empty()) {
    throw UsageError(
        "--note (what was learned) is required with --next-step, "
        "--note-kind or --note-author");
  }
  return lead;
}

int RunLeadSubmit(Cli& cli, const LeadOptions& o) {
  quorum::v1::SubmitLeadRequest request;
  *request.mutable_lead() = BuildLead(o);
  request.set_request_id(o.request_id);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::SubmitLeadResponse response;
  auto status = quorum::v1::IntakeService::NewStub(cli.Channel())
                    ->SubmitLead(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  return PrintResponse(cli.format(), response, RenderLeadResponse);
}

// ------------------------------------------ lead unplaced | place | delete

// "unplacedLeads/x" for "x"; a text with a slash unchanged, for the server
// to judge.
std::string UnplacedLeadName(const std::string& lead) {
  return lead.find('/') == std::string::npos ? "unplacedLeads/" + lead : lead;
}

struct TriageOptions {
  std::string lead;  // unplacedLeads/ID or ID.
  std::string account, stakeholder, request_id;
  std::string reason;
  int page_size = 0;
  std::string page_token;
  bool all = false;
};

std::string PersonOf(const quorum::v1::Lead& lead) {
  std::string name = lead.first_name();
  if (!lead.last_name().empty()) {
    name += (name.empty() ? "" : " ") + lead.last_name();
  }
  return name.empty() ? "-" : name;
}

std::string RenderUnplaced(const quorum::v1::ListUnplacedLeadsResponse& r,
                           const Style& style) {
  if (r.unplaced_leads_size() == 0) return "No unplaced leads.\n";
  Table t({{"QUEUED", 10},
           {"REASON", 10},
           {"LEAD", 21},
           {"E-MAIL", 30},
           {"PERSON", 24},
           {"COMPANY", 40}});
  for (const auto& u : r.unplaced_leads()) {
    const quorum::v1::Lead& lead = u.normalized();
    t.AddRow({FormatDate(u.create_time()),
              {Short(u.reason()), "yellow"},
              LastSegment(u.name()),
              lead.email().empty() ? "-" : lead.email(),
              PersonOf(lead),
              lead.company().empty() ? "-" : lead.company()},
             u.reason_detail());
  }
  std::string out = t.Render(style);
  out += "\n" + std::to_string(r.unplaced_leads_size()) + " unplaced lead" +
         (r.unplaced_leads_size() == 1 ? "" : "s") + ", oldest first\n";
  if (!r.next_page_token().empty()) {
    out += "More: --page-token " + r.next_page_token() + " (or --all)\n";
  }
  return out;
}

std::string UnplacedCsv(const quorum::v1::ListUnplacedLeadsResponse& r) {
  std::vector<std::vector<std::string>> rows = {
      {"name", "create_time", "reason", "reason_detail", "email", "first_name",
       "last_name", "title", "company", "country", "request_id"}};
  for (const auto& u : r.unplaced_leads()) {
    const quorum::v1::Lead& lead = u.normalized();
    rows.push_back({u.name(), FormatTime(u.create_time()), Short(u.reason()),
                    u.reason_detail(), lead.email(), lead.first_name(),
                    lead.last_name(), lead.title(), lead.company(),
                    lead.country(), u.request_id()});
  }
  return ToCsv(rows);
}

int RunLeadUnplaced(Cli& cli, const TriageOptions& o) {
  quorum::v1::ListUnplacedLeadsRequest request;
  if (!o.reason.empty()) {
    request.set_reason(static_cast<quorum::v1::UnplacedReason>(ParseEnum(
        "--reason", o.reason, quorum::v1::UnplacedReason_descriptor())));
  }
  request.set_page_size(o.all && o.page_size == 0 ? quorum::graph::kMaxPageSize
                                                  : o.page_size);
  request.set_page_token(o.page_token);
  auto stub = quorum::v1::IntakeService::NewStub(cli.Channel());
  quorum::v1::ListUnplacedLeadsResponse all;
  while (true) {
    grpc::ClientContext context;
    cli.Prepare(context);
    quorum::v1::ListUnplacedLeadsResponse page;
    auto status = stub->ListUnplacedLeads(&context, request, &page);
    if (!status.ok()) return ReportRpcError(status);
    for (auto& u : *page.mutable_unplaced_leads()) {
      *all.add_unplaced_leads() = std::move(u);
    }
    all.set_next_page_token(page.next_page_token());
    if (!o.all || page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  if (cli.format() == OutputFormat::kCsv) {
    std::cout << UnplacedCsv(all) << std::flush;
    return kExitOk;
  }
  return PrintResponse(cli.format(), all, RenderUnplaced);
}

int RunLeadPlace(Cli& cli, const TriageOptions& o) {
  quorum::v1::PlaceLeadRequest request;
  request.set_name(UnplacedLeadName(o.lead));
  request.set_account(AccountName(o.account));
  if (!o.stakeholder.empty()) {
    request.set_stakeholder(o.stakeholder.find('/') == std::string::npos
                                ? request.account() + "/stakeholders/" +
                                      o.stakeholder
                                : o.stakeholder);
  }
  // Always one, so that a retried call (UNAVAILABLE) is applied once.
  request.set_request_id(o.request_id.empty() ? NewRequestId() : o.request_id);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::PlaceLeadResponse response;
  auto status = quorum::v1::IntakeService::NewStub(cli.Channel())
                    ->PlaceLead(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  return PrintResponse(
      cli.format(), response,
      [](const quorum::v1::PlaceLeadResponse& r, const Style& style) {
        return "Placed       " + r.unplaced_lead() + " (out of the queue)\n" +
               RenderLeadResponse(r.intake(), style);
      });
}

int RunLeadDelete(Cli& cli, const TriageOptions& o) {
  quorum::v1::DeleteUnplacedLeadRequest request;
  request.set_name(UnplacedLeadName(o.lead));
  grpc::ClientContext context;
  cli.Prepare(context);
  google::protobuf::Empty response;
  auto status = quorum::v1::IntakeService::NewStub(cli.Channel())
                    ->DeleteUnplacedLead(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (cli.json()) {
    cli.PrintStructured(response);
  } else {
    std::cout << "deleted " << request.name() << "\n";
  }
  return kExitOk;
}

// ------------------------------------------------------------ signals send

struct SignalsOptions {
  std::string file;
  int batch = 500;       // Signals per stream message.
  int per_call = 10000;  // Signals per call (each has its own deadline).
};

// Sends `signals` (with their input positions) as one StreamSignals call and
// adds the outcome to `total`, with positions mapped back to the input.
grpc::Status SendCall(
    Cli& cli, const SignalsOptions& o,
    const std::vector<quorum::v1::CreateSignalRequest>& signals,
    const std::vector<int64_t>& positions,
    quorum::v1::StreamSignalsResponse& total) {
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::StreamSignalsResponse response;
  auto writer = quorum::v1::IntakeService::NewStub(cli.Channel())
                    ->StreamSignals(&context, &response);
  quorum::v1::StreamSignalsRequest message;
  for (size_t i = 0; i < signals.size(); ++i) {
    *message.add_signals() = signals[i];
    if (message.signals_size() == o.batch || i + 1 == signals.size()) {
      if (!writer->Write(message)) break;  // Finish() says why.
      message.Clear();
    }
  }
  writer->WritesDone();
  auto status = writer->Finish();
  if (!status.ok()) return status;
  total.set_received(total.received() + response.received());
  total.set_accepted(total.accepted() + response.accepted());
  total.set_duplicates(total.duplicates() + response.duplicates());
  total.set_rejected(total.rejected() + response.rejected());
  for (const auto& e : response.errors()) {
    auto* error = total.add_errors();
    *error = e;
    if (e.position() >= 0 &&
        e.position() < static_cast<int64_t>(positions.size())) {
      error->set_position(positions[e.position()]);
    }
  }
  return status;
}

int RunSignalsSend(Cli& cli, const SignalsOptions& o) {
  std::istringstream lines(ReadInput(o.file));
  quorum::v1::StreamSignalsResponse total;
  std::vector<quorum::v1::CreateSignalRequest> pending;
  std::vector<int64_t> positions;
  std::vector<int64_t> line_of;  // Input position -> line number.
  std::string line;
  int64_t line_number = 0;
  grpc::Status status;
  auto flush = [&] {
    if (pending.empty() || !status.ok()) return;
    status = SendCall(cli, o, pending, positions, total);
    pending.clear();
    positions.clear();
  };
  while (std::getline(lines, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    int64_t position = static_cast<int64_t>(line_of.size());
    line_of.push_back(line_number);
    quorum::v1::CreateSignalRequest request;
    auto parsed = JsonStringToMessage(line, &request);
    if (!parsed.ok()) {  // Rejected here; the rest goes on.
      total.set_received(total.received() + 1);
      total.set_rejected(total.rejected() + 1);
      auto* error = total.add_errors();
      error->set_position(position);
      error->set_reason("not a quorum.v1.CreateSignalRequest in JSON: " +
                        std::string(parsed.message()));
      continue;
    }
    pending.push_back(std::move(request));
    positions.push_back(position);
    if (static_cast<int>(pending.size()) == o.per_call) flush();
  }
  flush();
  if (!status.ok()) return ReportRpcError(status, "signals send");
  // Errors in input order.
  std::sort(
      total.mutable_errors()->begin(), total.mutable_errors()->end(),
      [](const auto& a, const auto& b) { return a.position() < b.position(); });
  if (cli.json()) {
    cli.PrintStructured(total);
  } else {
    std::cout << "received " << total.received() << ", accepted "
              << total.accepted() << ", duplicates " << total.duplicates()
              << ", rejected " << total.rejected() << "\n";
    for (const auto& e : total.errors()) {
      std::string where = e.position() < static_cast<int64_t>(line_of.size())
                              ? "line " + std::to_string(line_of[e.position()])
                              : "position " + std::to_string(e.position());
      std::cout << Paragraph(
          (e.field().empty() ? "" : e.field() + ": ") + e.reason(),
          "  " + where + ": ", "    ");
    }
    if (total.rejected() > total.errors_size()) {
      std::cout << "  (the server reports the first 100 rejections of each "
                   "call; lower --per-call to see them all)\n";
    }
  }
  return total.rejected() > 0 ? kExitServerError : kExitOk;
}

// ------------------------------------------------------------------ notes

struct NoteOptions {
  std::string account;
  std::string learned, next_step, kind, author, stakeholder, when, id;
  int page_size = 20;
};

int RunNoteAdd(Cli& cli, const NoteOptions& o) {
  quorum::v1::CreateNoteRequest request;
  request.set_parent(AccountName(o.account));
  request.set_note_id(o.id);
  auto* note = request.mutable_note();
  note->set_learned(o.learned);
  note->set_next_step(o.next_step);
  note->set_author(DefaultActor(o.author));
  if (!o.kind.empty()) {
    note->set_kind(static_cast<quorum::v1::NoteKind>(
        ParseEnum("--kind", o.kind, quorum::v1::NoteKind_descriptor())));
  }
  if (!o.stakeholder.empty()) {
    note->set_stakeholder(o.stakeholder.find('/') == std::string::npos
                              ? request.parent() + "/stakeholders/" +
                                    o.stakeholder
                              : o.stakeholder);
  }
  if (!o.when.empty())
    *note->mutable_occur_time() = ParseTime("--when", o.when);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::Note response;
  auto status = quorum::v1::NoteService::NewStub(cli.Channel())
                    ->CreateNote(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (cli.json()) {
    cli.PrintStructured(response);
  } else {
    std::cout << RenderNotes({response}, Style(StdoutWantsColor()));
  }
  return kExitOk;
}

int RunNoteList(Cli& cli, const NoteOptions& o) {
  quorum::v1::ListNotesRequest request;
  request.set_parent(AccountName(o.account));
  request.set_page_size(o.page_size);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::ListNotesResponse response;
  auto status = quorum::v1::NoteService::NewStub(cli.Channel())
                    ->ListNotes(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (cli.json()) {
    cli.PrintStructured(response);
  } else {
    std::cout << RenderNotes({response.notes().begin(), response.notes().end()},
                             Style(StdoutWantsColor()));
  }
  return kExitOk;
}

}  // namespace

void AddIntakeCommands(CLI::App& app, Action& action) {
  // lead submit
  auto lead = std::make_shared<LeadOptions>();
  auto* lead_cmd = app.add_subcommand("lead", "Leads (IntakeService)");
  lead_cmd->require_subcommand(1);
  auto* submit = lead_cmd->add_subcommand(
      "submit", "Submit a lead: normalized, checked, matched, qualified");
  submit
      ->add_option("--request-id", lead->request_id,
                   "Client request ID; a retry with the same ID writes "
                   "nothing and returns the first answer")
      ->required();
  submit->add_option("--file", lead->file,
                     "A quorum.v1.Lead in JSON (- for stdin); flags override");
  submit->add_option("--email", lead->email, "Contact e-mail");
  submit->add_option("--first-name", lead->first_name, "Given name");
  submit->add_option("--last-name", lead->last_name, "Family name");
  submit->add_option("--title", lead->title, "Job title");
  submit->add_option("--phone", lead->phone, "Phone, any common format");
  submit->add_option("--company", lead->company, "Company name");
  submit->add_option("--website", lead->website, "Company website");
  submit->add_option("--country", lead->country, "Country code or name");
  submit->add_option("--facility-type", lead->facility_type,
                     "e.g. hospital_lab, reference_lab");
  submit->add_option("--source", lead->source, "e.g. webinar, demo_form");
  submit->add_option("--campaign", lead->campaign, "Campaign");
  submit->add_option("--signal", lead->signal_type,
                     "Signal that brought the lead, e.g. demo_request");
  submit->add_option("--signal-topic", lead->signal_topic, "e.g. workflow");
  submit->add_option("--signal-time", lead->signal_time,
                     "When it happened (RFC 3339); now by default");
  submit->add_option("--signal-description", lead->signal_description,
                     "What happened");
  submit->add_option("--note", lead->note, "A note: what was learned");
  submit->add_option("--next-step", lead->next_step, "The note's next step");
  submit->add_option("--note-kind", lead->note_kind, "e.g. call, discovery");
  submit->add_option("--note-author", lead->note_author, "Author of the note");
  submit->callback([&action, lead] {
    action = [lead](Cli& cli) { return RunLeadSubmit(cli, *lead); };
  });

  // lead unplaced | place | delete: the triage queue
  auto triage = std::make_shared<TriageOptions>();
  auto* unplaced = lead_cmd->add_subcommand(
      "unplaced",
      "The triage queue: leads that could not be placed on an account, "
      "oldest first");
  unplaced->add_option("--reason", triage->reason,
                       "Only this reason: no_company, no_country");
  unplaced
      ->add_option("--page-size", triage->page_size,
                   "Leads per page (the server's default when 0)")
      ->check(CLI::Range(0, quorum::graph::kMaxPageSize));
  unplaced->add_option("--page-token", triage->page_token,
                       "Token of the next page");
  unplaced->add_flag("--all", triage->all, "Every page");
  unplaced->callback([&action, triage] {
    action = [triage](Cli& cli) { return RunLeadUnplaced(cli, *triage); };
  });
  auto* place = lead_cmd->add_subcommand(
      "place",
      "Place a queued lead on an account: its stakeholder, signal and note "
      "follow");
  place->add_option("lead", triage->lead, "unplacedLeads/ID or ID")->required();
  place->add_option("--account", triage->account, "accounts/ID or ID")
      ->required();
  place->add_option("--stakeholder", triage->stakeholder,
                    "An existing stakeholder of the account who is the "
                    "lead's person (ID or name)");
  place->add_option("--request-id", triage->request_id,
                    "Client request ID (default: a new one); a retry with "
                    "the same ID writes "
                    "nothing and returns the first answer");
  place->callback([&action, triage] {
    action = [triage](Cli& cli) { return RunLeadPlace(cli, *triage); };
  });
  auto* discard = lead_cmd->add_subcommand(
      "delete", "Delete a queued lead without placing it (spam, tests)");
  discard->add_option("lead", triage->lead, "unplacedLeads/ID or ID")
      ->required();
  discard->callback([&action, triage] {
    action = [triage](Cli& cli) { return RunLeadDelete(cli, *triage); };
  });

  // signals send
  auto signals = std::make_shared<SignalsOptions>();
  auto* signals_cmd = app.add_subcommand("signals", "Signals (StreamSignals)");
  signals_cmd->require_subcommand(1);
  auto* send = signals_cmd->add_subcommand(
      "send",
      "Stream signals from JSON lines of quorum.v1.CreateSignalRequest");
  send->add_option("file", signals->file, "JSON-lines file, or - for stdin")
      ->required();
  send->add_option("--batch", signals->batch, "Signals per stream message")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  send->add_option("--per-call", signals->per_call,
                   "Signals per StreamSignals call (each call has the "
                   "--timeout deadline)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  send->callback([&action, signals] {
    action = [signals](Cli& cli) { return RunSignalsSend(cli, *signals); };
  });

  // notes add | list
  auto note = std::make_shared<NoteOptions>();
  auto* notes_cmd =
      app.add_subcommand("notes", "Notes on accounts (NoteService)");
  notes_cmd->require_subcommand(1);
  auto* add = notes_cmd->add_subcommand("add", "Log what was learned");
  add->add_option("account", note->account, "accounts/ID or ID")->required();
  add->add_option("--learned", note->learned, "What was learned")->required();
  add->add_option("--next-step", note->next_step, "The agreed next step");
  add->add_option("--kind", note->kind, "call, discovery, meeting, ...");
  add->add_option("--author", note->author,
                  "Author ($QUORUM_ACTOR or $USER by default)");
  add->add_option("--stakeholder", note->stakeholder,
                  "The stakeholder it is about (ID or name)");
  add->add_option("--when", note->when, "When it happened (RFC 3339)");
  add->add_option("--id", note->id, "Note ID; a retry with it creates nothing");
  add->callback([&action, note] {
    action = [note](Cli& cli) { return RunNoteAdd(cli, *note); };
  });
  auto* list =
      notes_cmd->add_subcommand("list", "An account's notes, newest first");
  list->add_option("account", note->account, "accounts/ID or ID")->required();
  list->add_option("--page-size", note->page_size, "How many")
      ->check(CLI::Range(1, quorum::graph::kMaxPageSize))
      ->capture_default_str();
  list->callback([&action, note] {
    action = [note](Cli& cli) { return RunNoteList(cli, *note); };
  });
}

}  // namespace quorum::cli
