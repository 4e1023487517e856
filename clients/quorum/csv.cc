#include "clients/quorum/csv.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "clients/quorum/cli.h"

namespace quorum::cli {

CsvReader::CsvReader(const std::string& path, char delimiter) : path_(path) {
  if (path == "-") {
    file_ = stdin;
  } else {
    file_ = std::fopen(path.c_str(), "rb");
    if (file_ == nullptr) {
      throw UsageError("cannot read " + path + ": " + std::strerror(errno));
    }
    owns_file_ = true;
    struct stat st;
    if (fstat(fileno(file_), &st) == 0 && S_ISREG(st.st_mode))
      size_ = st.st_size;
  }
  csv_init(&parser_, 0);
  csv_set_delim(&parser_, static_cast<unsigned char>(delimiter));
}

CsvReader::~CsvReader() {
  csv_free(&parser_);
  if (owns_file_) std::fclose(file_);
}

void CsvReader::OnField(void* data, size_t length, void* self) {
  auto* reader = static_cast<CsvReader*>(self);
  reader->current_.emplace_back(data == nullptr ? "" : static_cast<char*>(data),
                                length);
}

void CsvReader::OnRow(int, void* self) {
  auto* reader = static_cast<CsvReader*>(self);
  reader->ready_.push_back(std::move(reader->current_));
  reader->current_.clear();
  ++reader->rows_parsed_;
}

long long CsvReader::bytes_done() const {
  if (rows_parsed_ == 0) return 0;
  return static_cast<long long>(static_cast<double>(bytes_read_) *
                                static_cast<double>(rows_returned_) /
                                static_cast<double>(rows_parsed_));
}

bool CsvReader::Next(std::vector<std::string>& row) {
  char buffer[1 << 16];
  while (ready_.empty() && !done_) {
    size_t n = std::fread(buffer, 1, sizeof buffer, file_);
    bytes_read_ += static_cast<long long>(n);
    if (n > 0 && csv_parse(&parser_, buffer, n, OnField, OnRow, this) != n) {
      throw UsageError(path_ + ": " + csv_strerror(csv_error(&parser_)));
    }
    if (n < sizeof buffer) {
      if (std::ferror(file_)) {
        throw UsageError("cannot read " + path_ + ": " + std::strerror(errno));
      }
      if (std::feof(file_)) {
        csv_fini(&parser_, OnField, OnRow, this);
        done_ = true;
      }
    }
  }
  if (ready_.empty()) return false;
  row = std::move(ready_.front());
  ready_.pop_front();
  ++rows_returned_;
  return true;
}

CsvWriter::CsvWriter(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) {
    throw UsageError("cannot write " + path + ": " + std::strerror(errno));
  }
}

CsvWriter::~CsvWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void CsvWriter::Write(const std::vector<std::string>& row) {
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) std::fputc(',', file_);
    csv_fwrite(file_, row[i].data(), row[i].size());
  }
  std::fputc('\n', file_);
}

void CsvWriter::Close() {
  if (file_ == nullptr) return;
  bool ok = std::fflush(file_) == 0 && !std::ferror(file_);
  ok = std::fclose(file_) == 0 && ok;
  file_ = nullptr;
  if (!ok) throw UsageError("cannot write " + path_);
}

}  // namespace quorum::cli
