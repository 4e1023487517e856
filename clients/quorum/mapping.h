// The mapping from CSV columns to quorum records used by `quorum import`
// (format in docs/cli.md; the CMS CLIA laboratory file's mapping ships as
// clients/quorum/config/clia.mapping):
//
//   [account]                        # one record per row for each section:
//   name = accounts/clia-{PRVDR_NUM|slug}        # account, site, stakeholder
//   display_name = {FAC_NAME}
//   subdivision_code = US-{STATE_CD|upper}
//   facility_type = {GNRL_FAC_TYPE_CD|map:facility-type}
//
//   [map facility-type]              # code tables for `map:`
//   14 = HOSPITAL_LAB
//   * = OTHER                        # optional default
//
//   [filter]                         # rows to import; others are skipped
//   PGM_TRMNTN_CD = 00
//
//   [csv]
//   delimiter = ,                    # "tab" for tab-separated files
//   list_separator = ;               # splits values of repeated fields
//
// A field whose template refers to an empty cell is left unset. Values are
// set through protobuf reflection, so every writable field of
// quorum.v1.Account, Site and Stakeholder can be mapped. Thread-compatible.
#ifndef QUORUM_CLIENTS_QUORUM_MAPPING_H_
#define QUORUM_CLIENTS_QUORUM_MAPPING_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "quorum/v1/intake_service.pb.h"

namespace quorum::cli {

class Mapping {
 public:
  // Parses a mapping; throws UsageError with "SOURCE:LINE: what" for an
  // unknown section, field, filter or map, or a malformed line.
  static Mapping Parse(std::string_view text, const std::string& source);

  // Resolves the column names used by the templates and filters against the
  // CSV header (case-insensitive; a UTF-8 byte-order mark is ignored).
  // Throws UsageError naming the columns the header lacks.
  void Bind(const std::vector<std::string>& header);

  // One converted row.
  struct Row {
    // The records to import, in section order.
    std::vector<quorum::v1::ImportRecordsRequest> records;
    // The row did not pass the [filter] section.
    bool skipped = false;
    // Why the row is rejected ("field: reason; ..."), empty when it is not.
    std::string error;
  };
  // Converts one row of cells (as many as the header's columns).
  Row Convert(const std::vector<std::string>& cells) const;

  char delimiter() const { return delimiter_; }

 private:
  // A piece of a template: literal text, or a column with filters.
  struct Piece {
    std::string literal;
    std::string column;                // Empty for a literal.
    size_t index = 0;                  // The column's index once bound.
    std::vector<std::string> filters;  // "slug", "upper", "lower", "map:NAME".
  };
  static Piece Literal(std::string text);
  struct Field {
    std::string name;
    std::vector<Piece> pieces;
    int line = 0;
  };
  struct Section {
    std::string kind;  // "account", "site" or "stakeholder".
    std::vector<Field> fields;
  };
  struct CodeMap {
    std::map<std::string, std::string> codes;
    bool has_default = false;
    std::string default_value;
  };
  struct Filter {
    std::string column;
    size_t index = 0;
    std::vector<std::string> values;
  };

  // Renders a template; false with `error` set when a code is not mapped.
  // `empty` is set to the column of the first referenced cell that is empty
  // (the field then stays unset).
  bool Render(const Field& field, const std::vector<std::string>& cells,
              std::string& out, std::string& empty, std::string& error) const;

  std::string source_;
  std::vector<Section> sections_;
  std::map<std::string, CodeMap> maps_;
  std::vector<Filter> filters_;
  char delimiter_ = ',';
  char list_separator_ = ';';
};

// "31D0123456" -> "31d0123456": lower-case letters and digits, every other
// run of characters as one '-', no '-' at either end.
std::string Slug(std::string_view text);

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_MAPPING_H_
