#include "graph/rules/titles.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "quorum/v1/resources.pb.h"

namespace quorum::graph {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using v1::CommitteeRole;

constexpr CommitteeRole kLabDirector = v1::COMMITTEE_ROLE_LAB_DIRECTOR;
constexpr CommitteeRole kMedicalDirector = v1::COMMITTEE_ROLE_MEDICAL_DIRECTOR;
constexpr CommitteeRole kQuality = v1::COMMITTEE_ROLE_QUALITY;
constexpr CommitteeRole kInformatics = v1::COMMITTEE_ROLE_INFORMATICS;
constexpr CommitteeRole kProcurement = v1::COMMITTEE_ROLE_PROCUREMENT;
constexpr CommitteeRole kLabOperations = v1::COMMITTEE_ROLE_LAB_OPERATIONS;
constexpr CommitteeRole kClinicalUser = v1::COMMITTEE_ROLE_CLINICAL_USER;
constexpr CommitteeRole kExecutive = v1::COMMITTEE_ROLE_EXECUTIVE;
constexpr CommitteeRole kFinance = v1::COMMITTEE_ROLE_FINANCE;

std::string Names(const std::vector<CommitteeRole>& roles) {
  std::vector<std::string> names;
  for (CommitteeRole r : roles) names.push_back(v1::CommitteeRole_Name(r));
  return absl::StrCat("[", absl::StrJoin(names, ", "), "]");
}

struct TitleCase {
  std::string title;
  std::vector<CommitteeRole> want;
};

// Titles as diagnostics buyers carry them (LinkedIn, CRM exports, trade-show
// badge scans), with the roles a sales team would give them.
const std::vector<TitleCase>& RealWorldTitles() {
  static const auto* cases = new std::vector<TitleCase>{
      // Lab directors.
      {"Laboratory Director", {kLabDirector}},
      {"Director of Laboratory Services", {kLabDirector}},
      {"Lab Director", {kLabDirector}},
      {"Director, Clinical Laboratory", {kLabDirector}},
      {"CLIA Laboratory Director", {kLabDirector}},
      {"Director of Clinical Laboratories", {kLabDirector}},
      {"Head of Laboratory", {kLabDirector}},
      {"Assistant Director, Laboratory Services", {kLabDirector}},
      {"Laborleiter", {kLabDirector}},
      {"Laborleiterin Zentrallabor", {kLabDirector}},
      {"Leiter des Zentrallabors", {kLabDirector}},
      {"Directeur de laboratoire", {kLabDirector}},
      {"Directrice du laboratoire de biologie", {kLabDirector}},
      {"Hoofd Klinisch Chemisch Laboratorium", {kLabDirector}},
      {"Director of Microbiology", {kLabDirector}},
      // Medical directors and pathologists.
      {"Medical Director", {kMedicalDirector}},
      {"Pathologist", {kMedicalDirector}},
      {"Chief of Pathology", {kMedicalDirector}},
      {"Chair of Pathology", {kMedicalDirector}},
      {"Chairman, Department of Pathology", {kMedicalDirector}},
      {"Clinical Pathologist", {kMedicalDirector}},
      {"Staff Pathologist", {kMedicalDirector}},
      {"Consultant Histopathologist", {kMedicalDirector}},
      {"Hematopathologist", {kMedicalDirector}},
      {"Ärztlicher Leiter", {kMedicalDirector}},
      {"Ärztliche Leiterin MVZ", {kMedicalDirector}},
      {"Facharzt für Laboratoriumsmedizin", {kMedicalDirector}},
      {"Médecin biologiste", {kMedicalDirector}},
      {"Consultant Microbiologist", {kMedicalDirector}},
      {"Patholoog", {kMedicalDirector}},
      // Both: decided in titles.h.
      {"Medical Director of Microbiology", {kLabDirector, kMedicalDirector}},
      {"Medical Director of Laboratory", {kLabDirector, kMedicalDirector}},
      {"Laboratory Medical Director", {kLabDirector, kMedicalDirector}},
      {"Lab Director and Medical Director", {kLabDirector, kMedicalDirector}},
      {"Medical Director, Clinical Laboratories & Pathology",
       {kLabDirector, kMedicalDirector}},
      // Lab operations.
      {"Laboratory Manager", {kLabOperations}},
      {"Lab Operations Manager", {kLabOperations}},
      {"Core Lab Supervisor", {kLabOperations}},
      {"Lead Medical Technologist", {kLabOperations}},
      {"Chief Biomedical Scientist", {kLabOperations}},
      {"Laboratory Administrator", {kLabOperations}},
      {"Administrative Director, Laboratory", {kLabOperations}},
      {"Director of Laboratory Operations", {kLabOperations}},
      {"Microbiology Supervisor", {kLabOperations}},
      {"Blood Bank Supervisor", {kLabOperations}},
      {"Point of Care Coordinator", {kLabOperations}},
      {"POCT Coordinator", {kLabOperations}},
      {"Medical Laboratory Scientist", {kLabOperations}},
      {"MLS(ASCP)", {kLabOperations}},
      {"Clinical Laboratory Scientist II", {kLabOperations}},
      {"Histotechnologist", {kLabOperations}},
      {"Technical Supervisor, Chemistry", {kLabOperations}},
      {"Specimen Processing Lead", {kLabOperations}},
      {"Pathology Manager", {kLabOperations}},
      {"Leitende MTA", {kLabOperations}},
      {"Teamleider laboratorium", {kLabOperations}},
      {"Cadre de santé, laboratoire", {kLabOperations}},
      // Quality and regulatory.
      {"Quality Manager", {kQuality}},
      {"QA/QC Specialist", {kQuality}},
      {"Regulatory Affairs", {kQuality}},
      {"Compliance Officer", {kQuality}},
      {"Quality Assurance Coordinator", {kQuality}},
      {"Laboratory Quality Manager", {kQuality}},
      {"Director of Quality & Accreditation", {kQuality}},
      {"Qualitätsmanagementbeauftragte", {kQuality}},
      {"QMB Labor", {kQuality}},
      {"Responsable qualité", {kQuality}},
      {"Chief Quality Officer", {kQuality}},
      // Informatics.
      {"LIS Manager", {kInformatics}},
      {"Laboratory Information Systems Analyst", {kInformatics}},
      {"Informatics", {kInformatics}},
      {"Director of Pathology Informatics", {kInformatics}},
      {"IT Director", {kInformatics}},
      {"CIO", {kInformatics}},
      {"Chief Information Officer", {kInformatics}},
      {"Chief Medical Information Officer", {kInformatics}},
      {"Application Analyst, Beaker", {kInformatics}},
      {"Epic Beaker Analyst", {kInformatics}},
      {"LIS Interface Analyst", {kInformatics}},
      {"Head of Lab IT", {kInformatics}},
      {"Leiter IT", {kInformatics}},
      {"IT-Leiterin", {kInformatics}},
      {"Directeur des systèmes d'information", {kInformatics}},
      // Procurement.
      {"Procurement Manager", {kProcurement}},
      {"Purchasing Agent", {kProcurement}},
      {"Buyer", {kProcurement}},
      {"Senior Buyer, Laboratory", {kProcurement}},
      {"Supply Chain Director", {kProcurement}},
      {"Materials Management", {kProcurement}},
      {"Value Analysis Coordinator", {kProcurement}},
      {"Strategic Sourcing Manager", {kProcurement}},
      {"Contract Administrator", {kProcurement}},
      {"Einkauf", {kProcurement}},
      {"Leiterin Einkauf", {kProcurement}},
      {"Strategischer Einkäufer", {kProcurement}},
      {"Responsable des achats", {kProcurement}},
      {"Inkoper medische hulpmiddelen", {kProcurement}},
      // Executives.
      {"CEO", {kExecutive}},
      {"COO", {kExecutive}},
      {"Chief Operating Officer", {kExecutive}},
      {"President & CEO", {kExecutive}},
      {"VP Laboratory Services", {kExecutive}},
      {"Sr. V.P., Lab Services", {kExecutive}},
      {"Vice President", {kExecutive}},
      {"Hospital Administrator", {kExecutive}},
      {"Executive Director", {kExecutive}},
      {"Managing Director", {kExecutive}},
      {"Chief Medical Officer", {kExecutive}},
      {"Geschäftsführer", {kExecutive}},
      {"Directeur général", {kExecutive}},
      {"Lid Raad van Bestuur", {kExecutive}},
      {"Chief Experience Officer", {kExecutive}},  // Fallback.
      {"Director of Operations", {kExecutive}},    // Fallback.
      // Finance.
      {"CFO", {kFinance}},
      {"Finance Director", {kFinance}},
      {"Controller", {kFinance}},
      {"Budget Analyst", {kFinance}},
      {"Director of Revenue Cycle", {kFinance}},
      {"Kaufmännische Leiterin", {kFinance}},
      {"Directeur administratif et financier", {kFinance}},
      // Clinical users.
      {"Physician", {kClinicalUser}},
      {"Infectious Disease Physician", {kClinicalUser}},
      {"Nurse Manager", {kClinicalUser}},
      {"Nurse Manager, Labor & Delivery", {kClinicalUser}},
      {"Clinician", {kClinicalUser}},
      {"Hospitalist", {kClinicalUser}},
      {"Emergency Medicine Physician", {kClinicalUser}},
      {"Medical Director, Emergency Department", {kClinicalUser}},
      {"Infection Preventionist", {kClinicalUser}},
      {"Oncologist", {kClinicalUser}},
      {"Oberarzt Innere Medizin", {kClinicalUser}},
      {"Infirmière", {kClinicalUser}},
      // Several roles.
      {"VP Finance & Supply Chain", {kProcurement, kExecutive, kFinance}},
      {"Chief Nursing Officer", {kClinicalUser, kExecutive}},
      {"Quality & Compliance Manager, Laboratory IT", {kQuality, kInformatics}},
  };
  return *cases;
}

TEST(InferRolesTest, MapsRealWorldTitles) {
  ASSERT_GE(RealWorldTitles().size(), 60u);
  for (const TitleCase& c : RealWorldTitles()) {
    EXPECT_EQ(Names(InferRoles(c.title)), Names(c.want)) << c.title;
  }
}

TEST(InferRolesTest, CoversEveryRole) {
  std::set<CommitteeRole> covered;
  for (const TitleCase& c : RealWorldTitles()) {
    covered.insert(c.want.begin(), c.want.end());
  }
  EXPECT_EQ(covered.size(), 9u);
}

TEST(InferRolesTest, UnknownAndNonCommitteeTitlesGiveNoRole) {
  for (const char* title :
       {"",
        "   ",
        "Marketing Coordinator",
        "Student",
        "Medical Student",
        "Director",
        "Manager",
        "Consultant",
        "Engineer",
        "Office Manager",
        "Equality and Diversity Lead",  // "quality" inside a word.
        "Security Manager",
        "Facilities Director",
        "Community Outreach",
        "Unit Secretary",
        "Editor",  // "it" inside words.
        "Sales Representative",
        "Account Executive, Diagnostics",
        "Laboratory Sales Specialist",
        "Executive Assistant to the CEO",
        "Assistant to the Laboratory Director",
        "Former Lab Director",
        "Retired Pathologist",
        "Product Owner",
        "Director of Labor Relations",
        "Speech-Language Pathologist",
        "Radiologic Technologist",
        "Qualified Person",  // Not "quality".
        "\xff\xfe",
        ",;/-"}) {
    EXPECT_THAT(InferRoles(title), IsEmpty()) << title;
  }
}

TEST(InferRolesTest, MatchesWholeWordsOnly) {
  EXPECT_THAT(InferRoles("IT Manager"), ElementsAre(kInformatics));
  EXPECT_THAT(InferRoles("Quality Manager"), ElementsAre(kQuality));
  EXPECT_THAT(InferRoles("Facility Manager"), IsEmpty());
  EXPECT_THAT(InferRoles("Equality Manager"), IsEmpty());
  EXPECT_THAT(InferRoles("Buyers' Guide Editor"), ElementsAre(kProcurement));
  EXPECT_THAT(InferRoles("Collaborator"), IsEmpty());  // Not "lab".
  EXPECT_THAT(InferRoles("Elaboration Director"), IsEmpty());
}

TEST(InferRolesTest, IgnoresCaseAccentsAndPunctuation) {
  const std::vector<CommitteeRole> lab_director = {kLabDirector};
  for (const char* title :
       {"LABORATORY DIRECTOR", "laboratory director", "Laboratory-Director",
        "  Laboratory   Director  ", "Laboratory Director.",
        "Laboratory Director (CLIA)", "Dir. Laboratory"}) {
    EXPECT_EQ(Names(InferRoles(title)), Names(lab_director)) << title;
  }
  EXPECT_EQ(InferRoles("Arztlicher Leiter"), InferRoles("Ärztlicher Leiter"));
  EXPECT_EQ(InferRoles("Directeur medical"), InferRoles("Directeur médical"));
}

TEST(InferRolesTest, ReturnsEachRoleOnceInEnumOrder) {
  const std::vector<CommitteeRole> roles = InferRoles(
      "Medical Director, Laboratory Director, Lab Director and Pathologist");
  EXPECT_THAT(roles, ElementsAre(kLabDirector, kMedicalDirector));
  const std::vector<CommitteeRole> many =
      InferRoles("CFO and CIO, Physician, Buyer, Quality");
  EXPECT_TRUE(std::is_sorted(many.begin(), many.end()));
  EXPECT_THAT(many, ElementsAre(kQuality, kInformatics, kProcurement,
                                kClinicalUser, kFinance));
}

TEST(InferRolesTest, FallbackRulesOnlyApplyWhenNothingElseDid) {
  EXPECT_THAT(InferRoles("Chief Experience Officer"), ElementsAre(kExecutive));
  EXPECT_THAT(InferRoles("Chief Quality Officer"), ElementsAre(kQuality));
  EXPECT_THAT(InferRoles("Chief Financial Officer"), ElementsAre(kFinance));
  EXPECT_THAT(InferRoles("Director of Operations"), ElementsAre(kExecutive));
  EXPECT_THAT(InferRoles("Director of Operations, Laboratory"),
              ElementsAre(kLabOperations));
}

TEST(MatchTitleTest, NamesTheRuleThatGaveEachRole) {
  const std::vector<TitleMatch> matches = MatchTitle("Chief Quality Officer");
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(matches[0].role, kQuality);
  EXPECT_EQ(matches[0].rule_id, "quality");
  std::vector<TitleMatch> director = MatchTitle("Laboratory Director");
  ASSERT_EQ(director.size(), 1u);
  EXPECT_EQ(director[0].rule_id, "lab-director");
  EXPECT_TRUE(MatchTitle("Sales Manager").empty());
}

TEST(MatchTitleTest, GivesTheSameRolesAsInferRoles) {
  for (const TitleCase& c : RealWorldTitles()) {
    std::vector<CommitteeRole> roles;
    for (const TitleMatch& m : MatchTitle(c.title)) {
      roles.push_back(m.role);
      EXPECT_FALSE(m.rule_id.empty()) << c.title;
    }
    EXPECT_EQ(Names(roles), Names(InferRoles(c.title))) << c.title;
  }
}

// ------------------------------------------------------------ The table

TEST(TitleRulesTest, EveryRuleHasAUniqueIdARoleAndExamples) {
  std::set<std::string> ids;
  for (const TitleRule& rule : TitleRules()) {
    SCOPED_TRACE(rule.id);
    EXPECT_TRUE(ids.insert(rule.id).second) << "duplicate id";
    EXPECT_NE(rule.role, v1::COMMITTEE_ROLE_UNSPECIFIED);
    EXPECT_FALSE(rule.any.empty());
    EXPECT_FALSE(rule.examples.empty());
  }
}

TEST(TitleRulesTest, EveryDocumentedExampleGetsItsRulesRole) {
  int examples = 0;
  for (const TitleRule& rule : TitleRules()) {
    for (const std::string& example : rule.examples) {
      SCOPED_TRACE(absl::StrCat(rule.id, ": ", example));
      const std::vector<CommitteeRole> roles = InferRoles(example);
      EXPECT_NE(std::find(roles.begin(), roles.end(), rule.role), roles.end())
          << Names(roles);
      ++examples;
    }
  }
  EXPECT_GE(examples, 40);
}

TEST(TitleRulesTest, DocsTitlesMdHoldsTheGeneratedTable) {
  // The source tree, as CMake knows it (not __FILE__, which a compiler
  // cache may make relative to the build folder).
  const std::string root = QUORUM_SOURCE_DIR "/";
  std::ifstream in(root + "docs/titles.md");
  ASSERT_TRUE(in.good()) << "cannot read " << root << "docs/titles.md";
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_TRUE(absl::StrContains(doc.str(), TitleRulesMarkdown()))
      << "docs/titles.md is out of date; the table between the GENERATED "
         "markers must read:\n"
      << TitleRulesMarkdown();
}

}  // namespace
}  // namespace quorum::graph
