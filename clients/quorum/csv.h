// CSV reading and writing with libcsv (RFC 4180 quoting; fields may hold
// delimiters, quotes and newlines). Not thread-safe.
#ifndef QUORUM_CLIENTS_QUORUM_CSV_H_
#define QUORUM_CLIENTS_QUORUM_CSV_H_

#include <csv.h>

#include <cstdio>
#include <deque>
#include <string>
#include <vector>

namespace quorum::cli {

// Reads rows from a file (or standard input) in chunks, so files larger than
// memory stream through. Empty lines are skipped.
class CsvReader {
 public:
  // Opens `path` ("-" for standard input); throws UsageError when it cannot.
  CsvReader(const std::string& path, char delimiter);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // The next row; false at the end of the input. Throws UsageError on a read
  // error.
  bool Next(std::vector<std::string>& row);

  // The file's size (0 when unknown: a pipe).
  long long size() const { return size_; }
  // Bytes of the file behind the rows returned so far, estimated from the
  // bytes read ahead and the rows parsed from them.
  long long bytes_done() const;

 private:
  static void OnField(void* data, size_t length, void* self);
  static void OnRow(int terminator, void* self);

  std::string path_;
  FILE* file_ = nullptr;
  bool owns_file_ = false;
  csv_parser parser_;
  bool done_ = false;
  std::vector<std::string> current_;
  std::deque<std::vector<std::string>> ready_;
  long long bytes_read_ = 0;
  long long size_ = 0;
  long long rows_parsed_ = 0;
  long long rows_returned_ = 0;
};

// Writes rows to a file, quoting every field.
class CsvWriter {
 public:
  // Creates or truncates `path`; throws UsageError when it cannot.
  explicit CsvWriter(const std::string& path);
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  void Write(const std::vector<std::string>& row);
  // Flushes and closes; throws UsageError when the data did not reach disk.
  void Close();

 private:
  std::string path_;
  FILE* file_ = nullptr;
};

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_CSV_H_
