#include "graph/titles.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "graph/normalize.h"

namespace quorum::graph {
namespace {

using v1::CommitteeRole;
using Phrases = std::vector<std::string>;

// ------------------------------------------------------------------ Tables

// Word groups the rules refer to as "@name".
const std::vector<std::pair<std::string, Phrases>>& WordGroups() {
  static const auto* groups = new std::vector<std::pair<std::string, Phrases>>{
      {"lab",
       {"lab", "labs", "laboratory", "laboratories", "laboratorium",
        "laboratoria", "laboratoire", "laboratoires", "laboratorio", "labo",
        "labor", "labors", "zentrallabor*"}},
      {"lab-section", {"microbiology", "mikrobiologie",      "microbiologie",
                       "chemistry",    "clinical chemistry", "klinische chemie",
                       "biochemistry", "hematology",         "haematology",
                       "hamatologie",  "hematologie",        "immunology",
                       "serology",     "virology",           "molecular",
                       "cytogenetics", "histology",          "cytology",
                       "blood bank",   "transfusion",        "urinalysis",
                       "coagulation",  "toxicology",         "phlebotomy",
                       "specimen",     "point of care",      "poct"}},
      {"head",
       {"director", "directors", "dir", "directeur", "directrice", "direktor",
        "direktorin", "directora", "head", "chief", "chef", "chefin", "hoofd",
        "leiter", "leiterin", "leitung"}},
      {"ops-role",
       {"manager",        "managers",       "mgr",          "management",
        "supervisor",     "supervisors",    "supv",         "administrator",
        "administrative", "admin",          "operations",   "operational",
        "coordinator",    "coord",          "lead",         "leader",
        "teamleider",     "teamleiter*",    "koordinator*", "technologist",
        "technologists",  "technician",     "technicians",  "tech",
        "techs",          "technicien",     "technicienne", "scientist",
        "scientists",     "specialist",     "analyst",      "analist",
        "responsable",    "cadre",          "section head", "bedrijfsvoering",
        "beheerder",      "verantwortlich*"}},
      {"not-director",
       {"administrative", "admin", "operations", "operational", "manager",
        "supervisor", "coordinator", "technologist", "*technologist",
        "technician", "tech", "scientist"}},
      {"function",
       {"quality", "qualitat*",  "qualite*",    "kwaliteit*",    "qa",
        "qc",      "regulatory", "compliance",  "accreditation", "it",
        "ict",     "edv",        "informatic*", "informatique*", "information",
        "lis",     "lims",       "procurement", "purchasing",    "purchaser",
        "buyer",   "supply",     "sourcing",    "materials",     "einkauf*",
        "inkoop*", "achat*",     "financ*",     "finanz*",       "budget",
        "billing", "controller", "controlling"}},
      {"clinical-dept",
       {"emergency",
        "critical care",
        "icu",
        "intensive care",
        "internal medicine",
        "family medicine",
        "primary care",
        "hospital medicine",
        "infectious disease",
        "infectious diseases",
        "urgent care",
        "dialysis",
        "nephrology",
        "oncology",
        "cardiology",
        "pediatrics",
        "paediatrics",
        "obstetrics",
        "surgery",
        "surgical",
        "anesthesia",
        "anaesthesia",
        "neonatal",
        "nicu",
        "picu",
        "maternity",
        "intensivmedizin",
        "notaufnahme",
        "urgences",
        "spoedeisende hulp"}},
      {"lab-doctor",
       {"*pathologist", "*pathologists", "pathology", "pathologie",
        "laboratory medicine", "laboratoriumsmedizin", "labormedizin",
        "laborarzt*", "biologiste", "*microbiologist", "microbioloog"}},
  };
  return *groups;
}

// Phrases rewritten before matching, so that they cannot be misread.
const std::vector<std::pair<std::string, std::string>>& Rewrites() {
  static const auto* rewrites =
      new std::vector<std::pair<std::string, std::string>>{
          {"labor and delivery", "obstetrics"},
          {"labour and delivery", "obstetrics"},
          {"l and d", "obstetrics"},
          {"labor relations", "employee relations"},
      };
  return *rewrites;
}

// A title containing one of these gets no role: the person is not (or no
// longer) on a buying committee, or sits on the selling side.
const Phrases& Exclusions() {
  static const auto* exclusions = new Phrases{"executive assistant",
                                              "administrative assistant",
                                              "personal assistant",
                                              "assistant to",
                                              "secretary",
                                              "sekretar*",
                                              "secretaresse",
                                              "secretaire",
                                              "student",
                                              "students",
                                              "intern",
                                              "internship",
                                              "trainee",
                                              "apprentice",
                                              "auszubildende*",
                                              "stagiair*",
                                              "former",
                                              "retired",
                                              "ehemalig*",
                                              "sales",
                                              "account executive",
                                              "account manager",
                                              "marketing",
                                              "recruiter",
                                              "vertrieb*",
                                              "verkoop*"};
  return *exclusions;
}

std::vector<TitleRule>* BuildRules() {
  using v1::COMMITTEE_ROLE_CLINICAL_USER;
  using v1::COMMITTEE_ROLE_EXECUTIVE;
  using v1::COMMITTEE_ROLE_FINANCE;
  using v1::COMMITTEE_ROLE_INFORMATICS;
  using v1::COMMITTEE_ROLE_LAB_DIRECTOR;
  using v1::COMMITTEE_ROLE_LAB_OPERATIONS;
  using v1::COMMITTEE_ROLE_MEDICAL_DIRECTOR;
  using v1::COMMITTEE_ROLE_PROCUREMENT;
  using v1::COMMITTEE_ROLE_QUALITY;
  return new std::vector<TitleRule>{
      // ---------------------------------------------------- Lab director
      {"lab-director-compound",
       COMMITTEE_ROLE_LAB_DIRECTOR,
       {"laborleit*", "laboratoriumdirect*", "laborchef*", "klinisch chemicus"},
       {},
       {},
       false,
       {"Laborleiter", "Laborleiterin", "Laborleitung Zentrallabor",
        "Klinisch chemicus"}},
      {"lab-director",
       COMMITTEE_ROLE_LAB_DIRECTOR,
       {"@head"},
       {"@lab", "@lab-section"},
       {"@function", "@not-director"},
       false,
       {"Laboratory Director", "Lab Director",
        "Director of Laboratory Services", "Director, Clinical Laboratory",
        "CLIA Laboratory Director", "Head of Laboratory",
        "Directeur de laboratoire", "Leiter Zentrallabor", "Hoofd laboratorium",
        "Director of Microbiology"}},
      // ---------------------------------------------------- Medical director
      {"medical-director",
       COMMITTEE_ROLE_MEDICAL_DIRECTOR,
       {"medical director", "medical directors", "director medical",
        "directeur medical", "directrice medicale", "medizinischer leiter",
        "medizinische leiterin", "arztlicher leiter", "arztliche leiterin",
        "arztliche leitung"},
       {},
       {"@clinical-dept"},
       false,
       {"Medical Director", "Medical Director of Microbiology",
        "Laboratory Medical Director", "Ärztlicher Leiter",
        "Directeur médical"}},
      {"pathologist",
       COMMITTEE_ROLE_MEDICAL_DIRECTOR,
       {"*pathologist", "*pathologists", "pathologe", "pathologin", "patholoog",
        "pathologiste", "anatomopathologiste"},
       {},
       {"speech", "language", "assistant"},
       false,
       {"Pathologist", "Clinical Pathologist", "Consultant Histopathologist",
        "Dermatopathologist", "Facharzt für Pathologie, Pathologe"}},
      {"pathology-head",
       COMMITTEE_ROLE_MEDICAL_DIRECTOR,
       {"pathology", "pathologie"},
       {"@head", "chair", "chairman", "chairperson", "chairwoman", "vice chair",
        "chefarzt*", "medical"},
       {"@function", "@not-director"},
       false,
       {"Chief of Pathology", "Chair of Pathology",
        "Director of Anatomic Pathology", "Chefarzt Pathologie"}},
      {"laboratory-medicine-physician",
       COMMITTEE_ROLE_MEDICAL_DIRECTOR,
       {"laboratory medicine", "laboratoriumsmedizin", "labormedizin",
        "medical biology", "biologie medicale"},
       {"@head", "chair", "chairman", "physician", "consultant", "doctor",
        "specialist", "facharzt*", "arzt", "arztin", "oberarzt*", "chefarzt*",
        "medecin"},
       {"@function", "@not-director"},
       false,
       {"Chair, Department of Laboratory Medicine",
        "Facharzt für Laboratoriumsmedizin", "Oberärztin Labormedizin"}},
      {"laboratory-physician",
       COMMITTEE_ROLE_MEDICAL_DIRECTOR,
       {"laborarzt*", "biologiste", "medical microbiologist",
        "consultant microbiologist", "clinical microbiologist",
        "medisch microbioloog", "arts microbioloog", "klinisch microbioloog",
        "consultant virologist"},
       {},
       {},
       false,
       {"Laborarzt", "Médecin biologiste", "Biologiste responsable",
        "Consultant Microbiologist", "Arts-microbioloog"}},
      // ---------------------------------------------------- Quality
      {"quality",
       COMMITTEE_ROLE_QUALITY,
       {"quality", "qualitat*", "qualite*", "kwaliteit*", "qa", "qc",
        "regulatory", "compliance", "accreditation", "akkreditierung*",
        "accreditatie", "qmb", "patient safety", "risk management",
        "risk manager", "auditor", "iso 15189"},
       {},
       {},
       false,
       {"Quality Manager", "QA/QC Specialist", "Regulatory Affairs Manager",
        "Compliance Officer", "Quality Assurance Coordinator",
        "Qualitätsmanagementbeauftragte", "Responsable qualité",
        "Kwaliteitsfunctionaris", "Laboratory Quality Director"}},
      // ---------------------------------------------------- Informatics
      {"informatics",
       COMMITTEE_ROLE_INFORMATICS,
       {"it",
        "ict",
        "edv",
        "informatic*",
        "informatique*",
        "informatiker*",
        "informatie*",
        "information technology",
        "information technologies",
        "information systems",
        "information system",
        "information services",
        "information security",
        "lis",
        "lims",
        "cio",
        "cmio",
        "cto",
        "chief information officer",
        "chief medical information officer",
        "chief technology officer",
        "chief digital officer",
        "application analyst",
        "applications analyst",
        "clinical applications",
        "beaker",
        "epic",
        "cerner",
        "sunquest",
        "meditech",
        "middleware",
        "hl7",
        "interface*",
        "systems analyst",
        "system analyst",
        "systems administrator",
        "system administrator",
        "sysadmin",
        "network engineer",
        "network administrator",
        "database",
        "software",
        "developer",
        "digital health",
        "ehr",
        "emr",
        "cybersecurity",
        "dsi",
        "systemes d information"},
       {},
       {},
       false,
       {"LIS Manager", "Laboratory Information Systems Analyst", "Informatics",
        "IT Director", "CIO", "Chief Information Officer",
        "Application Analyst, Beaker", "Leiter IT", "Responsable informatique",
        "Informatiemanager"}},
      // ---------------------------------------------------- Procurement
      {"procurement",
       COMMITTEE_ROLE_PROCUREMENT,
       {"procurement",
        "purchasing",
        "purchaser",
        "buyer",
        "buyers",
        "supply chain",
        "supply management",
        "materials management",
        "materials manager",
        "material management",
        "value analysis",
        "sourcing",
        "contracting",
        "contract manager",
        "contracts manager",
        "contract specialist",
        "contracts specialist",
        "contract administrator",
        "category manager",
        "vendor management",
        "vendor relations",
        "tender",
        "tenders",
        "einkauf*",
        "beschaffung*",
        "ausschreibung*",
        "achat*",
        "acheteur",
        "acheteuse",
        "approvisionnement*",
        "inkoop*",
        "inkoper",
        "aanbesteding*",
        "gpo"},
       {},
       {},
       false,
       {"Procurement Manager", "Purchasing Agent", "Buyer",
        "Supply Chain Director", "Materials Management",
        "Value Analysis Coordinator", "Strategic Sourcing Manager", "Einkauf",
        "Leiterin Einkauf", "Acheteur", "Inkoper"}},
      // ---------------------------------------------------- Lab operations
      {"lab-operations",
       COMMITTEE_ROLE_LAB_OPERATIONS,
       {"@ops-role"},
       {"@lab", "@lab-section", "pathology", "pathologie"},
       {"@function"},
       false,
       {"Laboratory Manager", "Lab Operations Manager", "Core Lab Supervisor",
        "Laboratory Administrator", "Administrative Director, Laboratory",
        "Director of Laboratory Operations", "Microbiology Supervisor",
        "Point of Care Coordinator", "Pathology Manager",
        "Responsable de laboratoire"}},
      {"lab-bench",
       COMMITTEE_ROLE_LAB_OPERATIONS,
       {"medical technologist",
        "medical technologists",
        "medical laboratory",
        "medical lab",
        "med tech",
        "cytotechnolog*",
        "histotechn*",
        "mls",
        "mlt",
        "ascp",
        "mta",
        "mtla",
        "laborant*",
        "laborassist*",
        "biomedical scientist",
        "biomedical scientists",
        "biomedizinisch*",
        "clinical scientist",
        "lead technologist",
        "chief technologist",
        "senior technologist",
        "supervisory technologist",
        "technical supervisor",
        "general supervisor",
        "technical consultant",
        "pathologist assistant",
        "pathologists assistant",
        "laboratoriumanalist*",
        "hoofdanalist"},
       {},
       {},
       false,
       {"Lead Medical Technologist", "Chief Biomedical Scientist", "MLS(ASCP)",
        "Leitende MTA", "Histotechnologist", "Technical Supervisor",
        "Pathologists' Assistant"}},
      // ---------------------------------------------------- Clinical users
      {"clinician",
       COMMITTEE_ROLE_CLINICAL_USER,
       {"physician",
        "physicians",
        "clinician",
        "clinicians",
        "hospitalist",
        "hospitalists",
        "intensivist",
        "attending",
        "nurse",
        "nurses",
        "nursing",
        "rn",
        "np",
        "doctor",
        "infection prevention",
        "infection preventionist",
        "infection control",
        "epidemiologist",
        "antimicrobial stewardship",
        "pharmacist",
        "general practitioner",
        "gp",
        "internist",
        "pediatrician",
        "paediatrician",
        "obstetrician",
        "gynecologist",
        "gynaecologist",
        "surgeon",
        "anesthesiologist",
        "anaesthetist",
        "neonatologist",
        "oncologist",
        "cardiologist",
        "hematologist",
        "haematologist",
        "endocrinologist",
        "nephrologist",
        "pulmonologist",
        "gastroenterologist",
        "rheumatologist",
        "urologist",
        "dermatologist",
        "neurologist",
        "radiologist",
        "arzt",
        "arztin",
        "arzte",
        "oberarzt*",
        "assistenzarzt*",
        "facharzt*",
        "chefarzt*",
        "hausarzt*",
        "pflege*",
        "krankenschwester",
        "krankenpfleger*",
        "medecin",
        "infirmier",
        "infirmiere",
        "huisarts",
        "verpleegkundige*",
        "medisch specialist"},
       {},
       {"@lab-doctor", "@lab"},
       false,
       {"Physician", "Infectious Disease Physician", "Nurse Manager",
        "Clinician", "Hospitalist", "Infection Preventionist",
        "Oberarzt Innere Medizin", "Infirmière", "Chief Nursing Officer"}},
      {"clinical-department",
       COMMITTEE_ROLE_CLINICAL_USER,
       {"@clinical-dept"},
       {},
       {"@lab-doctor", "@lab"},
       false,
       {"Medical Director, Emergency Department", "ICU Director",
        "Oncology Service Line Manager"}},
      // ---------------------------------------------------- Executives
      {"executive",
       COMMITTEE_ROLE_EXECUTIVE,
       {"ceo",
        "coo",
        "president",
        "vice president",
        "vp",
        "svp",
        "evp",
        "avp",
        "chief executive",
        "chief operating officer",
        "chief operations officer",
        "chief administrative officer",
        "chief medical officer",
        "chief nursing officer",
        "chief strategy officer",
        "chief scientific officer",
        "chief science officer",
        "executive director",
        "managing director",
        "general manager",
        "hospital administrator",
        "hospital director",
        "managing partner",
        "board member",
        "board of directors",
        "chair of the board",
        "chairman of the board",
        "trustee",
        "geschaftsfuhrer*",
        "geschaftsfuhrung",
        "vorstand*",
        "verwaltungsdirektor*",
        "kaufmannischer direktor",
        "kaufmannische direktorin",
        "directeur general",
        "directrice generale",
        "pdg",
        "algemeen directeur",
        "bestuurder",
        "raad van bestuur"},
       {},
       {},
       false,
       {"CEO", "COO", "Chief Operating Officer", "VP Laboratory Services",
        "Vice President", "Hospital Administrator", "Executive Director",
        "President & CEO", "Geschäftsführer", "Directeur général"}},
      {"administrator",
       COMMITTEE_ROLE_EXECUTIVE,
       {"administrator"},
       {},
       {"@lab", "@lab-section", "@function", "system", "systems", "network",
        "database", "application", "applications", "contract", "contracts"},
       false,
       {"Administrator", "Practice Administrator"}},
      {"owner",
       COMMITTEE_ROLE_EXECUTIVE,
       {"owner", "co owner", "founder", "founders", "cofounder", "co founder"},
       {},
       {"process", "product", "system", "systems", "application", "data"},
       false,
       {"Owner", "Co-Founder"}},
      {"chief-officer",
       COMMITTEE_ROLE_EXECUTIVE,
       {"chief"},
       {"officer"},
       {},
       true,
       {"Chief Experience Officer", "Chief Transformation Officer"}},
      {"operations-director",
       COMMITTEE_ROLE_EXECUTIVE,
       {"director of operations", "operations director", "director operations",
        "administrative director", "director of administration"},
       {},
       {},
       true,
       {"Director of Operations", "Administrative Director"}},
      // ---------------------------------------------------- Finance
      {"finance",
       COMMITTEE_ROLE_FINANCE,
       {"cfo",           "chief financial officer",
        "financ*",       "finanz*",
        "controller",    "comptroller",
        "controlling",   "budget",
        "budgets",       "accounting",
        "accountant",    "accounts payable",
        "treasurer",     "treasury",
        "revenue cycle", "reimbursement",
        "billing",       "kaufmannisch*",
        "comptab*",      "boekhoud*",
        "buchhalt*",     "daf"},
       {},
       {},
       false,
       {"CFO", "Finance Director", "Controller", "Budget Analyst",
        "Director of Revenue Cycle", "Leiter Finanzen", "Directeur financier",
        "Kaufmännische Leiterin"}},
  };
}

// ------------------------------------------------------------------ Matching

// One word of a phrase.
struct WordPattern {
  enum Kind { kExact, kPrefix, kSuffix } kind;
  std::string text;

  bool Matches(const std::string& word) const {
    switch (kind) {
      case kExact:
        return word == text;
      case kPrefix:
        return absl::StartsWith(word, text);
      case kSuffix:
        return absl::EndsWith(word, text);
    }
    return false;
  }
};
using CompiledPhrase = std::vector<WordPattern>;
using CompiledPhrases = std::vector<CompiledPhrase>;

// Phrases are written folded already; compiling splits them into words.
CompiledPhrase CompilePhrase(absl::string_view phrase) {
  CompiledPhrase out;
  for (absl::string_view word :
       absl::StrSplit(phrase, ' ', absl::SkipEmpty())) {
    if (absl::ConsumeSuffix(&word, "*")) {
      out.push_back({WordPattern::kPrefix, std::string(word)});
    } else if (absl::ConsumePrefix(&word, "*")) {
      out.push_back({WordPattern::kSuffix, std::string(word)});
    } else {
      out.push_back({WordPattern::kExact, std::string(word)});
    }
  }
  return out;
}

// Expands "@group" references.
CompiledPhrases Compile(const Phrases& phrases) {
  CompiledPhrases out;
  for (const std::string& phrase : phrases) {
    if (absl::StartsWith(phrase, "@")) {
      for (const auto& [name, members] : WordGroups()) {
        if (name != phrase.substr(1)) continue;
        for (const std::string& member : members) {
          out.push_back(CompilePhrase(member));
        }
      }
    } else {
      out.push_back(CompilePhrase(phrase));
    }
  }
  return out;
}

bool ContainsPhrase(const std::vector<std::string>& words,
                    const CompiledPhrase& phrase) {
  if (phrase.empty() || phrase.size() > words.size()) return false;
  for (size_t i = 0; i + phrase.size() <= words.size(); ++i) {
    bool all = true;
    for (size_t j = 0; j < phrase.size() && all; ++j) {
      all = phrase[j].Matches(words[i + j]);
    }
    if (all) return true;
  }
  return false;
}

bool ContainsAny(const std::vector<std::string>& words,
                 const CompiledPhrases& phrases) {
  return std::any_of(
      phrases.begin(), phrases.end(),
      [&](const CompiledPhrase& p) { return ContainsPhrase(words, p); });
}

struct CompiledRule {
  CommitteeRole role;
  CompiledPhrases any;
  CompiledPhrases with;
  CompiledPhrases unless;
  bool fallback;

  bool Applies(const std::vector<std::string>& words) const {
    return ContainsAny(words, any) &&
           (with.empty() || ContainsAny(words, with)) &&
           !ContainsAny(words, unless);
  }
};

struct Compiled {
  std::vector<CompiledRule> rules;
  std::vector<std::pair<CompiledPhrase, std::string>> rewrites;
  CompiledPhrases exclusions;
};

const Compiled& CompiledTable() {
  static const Compiled* compiled = [] {
    auto* c = new Compiled;
    for (const TitleRule& rule : TitleRules()) {
      c->rules.push_back({rule.role, Compile(rule.any), Compile(rule.with),
                          Compile(rule.unless), rule.fallback});
    }
    for (const auto& [from, to] : Rewrites()) {
      c->rewrites.emplace_back(CompilePhrase(from), to);
    }
    c->exclusions = Compile(Exclusions());
    return c;
  }();
  return *compiled;
}

// Replaces every occurrence of `from` in `words` by the words of `to`.
void Rewrite(const CompiledPhrase& from, absl::string_view to,
             std::vector<std::string>* words) {
  const std::vector<std::string> replacement = absl::StrSplit(to, ' ');
  for (size_t i = 0; i + from.size() <= words->size();) {
    bool all = true;
    for (size_t j = 0; j < from.size() && all; ++j) {
      all = from[j].Matches((*words)[i + j]);
    }
    if (!all) {
      ++i;
      continue;
    }
    words->erase(words->begin() + i, words->begin() + i + from.size());
    words->insert(words->begin() + i, replacement.begin(), replacement.end());
    i += replacement.size();
  }
}

// ------------------------------------------------------------------ Markdown

std::string RoleName(CommitteeRole role) {
  absl::string_view name = v1::CommitteeRole_Name(role);
  absl::ConsumePrefix(&name, "COMMITTEE_ROLE_");
  return std::string(name);
}

std::string CodeList(const Phrases& phrases) {
  if (phrases.empty()) return "";
  std::vector<std::string> quoted;
  for (const std::string& p : phrases)
    quoted.push_back(absl::StrCat("`", p, "`"));
  return absl::StrJoin(quoted, ", ");
}

std::string RenderMarkdown() {
  std::string md;
  absl::StrAppend(&md,
                  "| # | rule | role | title has one of | and one of | "
                  "but none of | examples |\n");
  absl::StrAppend(&md, "|---|---|---|---|---|---|---|\n");
  int n = 0;
  for (const TitleRule& rule : TitleRules()) {
    absl::StrAppend(&md, "| ", ++n, " | ", rule.id,
                    rule.fallback ? " (fallback)" : "", " | ",
                    RoleName(rule.role), " | ", CodeList(rule.any), " | ",
                    CodeList(rule.with), " | ", CodeList(rule.unless), " | ",
                    absl::StrJoin(rule.examples, "; "), " |\n");
  }
  absl::StrAppend(&md, "\nWord groups:\n\n| group | phrases |\n|---|---|\n");
  for (const auto& [name, phrases] : WordGroups()) {
    absl::StrAppend(&md, "| `@", name, "` | ", CodeList(phrases), " |\n");
  }
  absl::StrAppend(&md,
                  "\nRewrites, applied first:\n\n| phrase | becomes |\n"
                  "|---|---|\n");
  for (const auto& [from, to] : Rewrites()) {
    absl::StrAppend(&md, "| `", from, "` | `", to, "` |\n");
  }
  absl::StrAppend(&md, "\nExclusions (a title containing one gets no role): ",
                  CodeList(Exclusions()), "\n");
  return md;
}

}  // namespace

const std::vector<TitleRule>& TitleRules() {
  static const std::vector<TitleRule>* rules = BuildRules();
  return *rules;
}

std::vector<CommitteeRole> InferRoles(absl::string_view title) {
  const Compiled& table = CompiledTable();
  std::vector<std::string> words = FoldWords(title, Apostrophes::kSplit);
  if (words.empty()) return {};
  for (const auto& [from, to] : table.rewrites) Rewrite(from, to, &words);
  if (ContainsAny(words, table.exclusions)) return {};

  std::set<CommitteeRole> roles;
  for (const CompiledRule& rule : table.rules) {
    if (!rule.fallback && rule.Applies(words)) roles.insert(rule.role);
  }
  if (roles.empty()) {
    for (const CompiledRule& rule : table.rules) {
      if (rule.fallback && rule.Applies(words)) roles.insert(rule.role);
    }
  }
  return std::vector<CommitteeRole>(roles.begin(), roles.end());
}

absl::string_view TitleRulesMarkdown() {
  static const std::string* markdown = new std::string(RenderMarkdown());
  return *markdown;
}

}  // namespace quorum::graph
