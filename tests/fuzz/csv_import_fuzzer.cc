// libFuzzer target: a CSV file through libcsv (CsvReader) and the shipped
// CMS CLIA mapping, row by row as `quorum import` does.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "clients/quorum/cli.h"
#include "clients/quorum/csv.h"
#include "clients/quorum/mapping.h"

namespace {

const quorum::cli::Mapping& CliaMapping() {
  static const auto* mapping = [] {
    std::ifstream in(QUORUM_CLIA_MAPPING);
    std::stringstream text;
    text << in.rdbuf();
    return new quorum::cli::Mapping(
        quorum::cli::Mapping::Parse(text.str(), QUORUM_CLIA_MAPPING));
  }();
  return *mapping;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      "/tmp/quorum-csv-fuzz-" + std::to_string(getpid()) + ".csv";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
    quorum::cli::Mapping mapping = CliaMapping();
    quorum::cli::CsvReader reader(path, mapping.delimiter());
    std::vector<std::string> row;
    if (!reader.Next(row)) return 0;
    mapping.Bind(row);
    const size_t columns = row.size();
    int rows = 0;
    while (reader.Next(row) && ++rows < 1000) {
      row.resize(columns);
      (void)mapping.Convert(row);
    }
  } catch (const quorum::cli::UsageError&) {
  }
  return 0;
}
