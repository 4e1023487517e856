// libFuzzer target: an import mapping (the `quorum import --mapping` file)
// parsed, bound to a header and applied to a row. Bad mappings are
// UsageErrors; anything else (a crash, another exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clients/quorum/cli.h"
#include "clients/quorum/mapping.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto mapping = quorum::cli::Mapping::Parse(text, "fuzz.mapping");
    const std::vector<std::string> header = {"PRVDR_NUM",
                                             "FAC_NAME",
                                             "STATE_CD",
                                             "GNRL_FAC_TYPE_CD",
                                             "FORM_116_TEST_VOL_CNT",
                                             "CRTFCT_TYPE_CD",
                                             "PGM_TRMNTN_CD",
                                             "EMAIL"};
    mapping.Bind(header);
    const std::vector<std::string> cells = {
        "31D0123456", "Garden State Lab", "nj", "15", "1250000", "1",
        "00",         "a@b.org"};
    (void)mapping.Convert(cells);
    (void)mapping.Convert(std::vector<std::string>(header.size()));
  } catch (const quorum::cli::UsageError&) {
  }
  return 0;
}
