// Typed access to the databases of layout.h: protobuf records read, written
// and scanned through any engine's transaction, with corrupt bytes reported
// as DATA_LOSS naming the key instead of a crash or a half-parsed message.
#ifndef QUORUM_GRAPH_STORAGE_TABLE_H_
#define QUORUM_GRAPH_STORAGE_TABLE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "graph/storage/kv_engine.h"

namespace quorum::graph {

// One page of a listing.
template <typename T>
struct Page {
  std::vector<T> items;
  // Whether more items follow the last one.
  bool more = false;
  // The storage key of the last item: where the next page starts.
  std::string last_key;
};

// The most bytes of records one page of a listing holds.
inline constexpr size_t kMaxPageBytes = 1 << 20;

// `bytes` parsed as a T, or DATA_LOSS naming `key`.
template <typename T>
absl::StatusOr<T> ParseRecord(absl::string_view key, absl::string_view bytes) {
  T message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("corrupt record at ", key));
  }
  return message;
}

// The record at `key` of `db`, or nullopt when absent.
template <typename T>
absl::StatusOr<std::optional<T>> Load(Txn& txn, absl::string_view db,
                                      absl::string_view key) {
  absl::StatusOr<std::optional<std::string>> bytes = txn.Get(db, key);
  if (!bytes.ok()) return bytes.status();
  if (!*bytes) return std::optional<T>();
  absl::StatusOr<T> message = ParseRecord<T>(key, **bytes);
  if (!message.ok()) return message.status();
  return std::optional<T>(*std::move(message));
}

// The record at `name`, NOT_FOUND ("{name} not found") when absent.
template <typename T>
absl::StatusOr<T> LoadExisting(Txn& txn, absl::string_view db,
                               absl::string_view name) {
  absl::StatusOr<std::optional<T>> found = Load<T>(txn, db, name);
  if (!found.ok()) return found.status();
  if (!*found) return absl::NotFoundError(absl::StrCat(name, " not found"));
  return **std::move(found);
}

// Stores `message` at `key`. Fields this server does not know (sent by a
// client with a newer or hostile schema) are discarded first, everywhere in
// the message, so they are neither stored nor served back.
inline absl::Status Save(Txn& txn, absl::string_view db, absl::string_view key,
                         google::protobuf::Message& message) {
  message.DiscardUnknownFields();
  return txn.Put(db, key, message.SerializeAsString());
}

// Every record whose key starts with `prefix`, in key order.
template <typename T>
absl::StatusOr<std::vector<T>> ScanAll(Txn& txn, absl::string_view db,
                                       absl::string_view prefix) {
  std::vector<T> out;
  absl::Status parse_error;
  absl::Status status = txn.Scan(
      db, prefix, "", [&](absl::string_view key, absl::string_view value) {
        absl::StatusOr<T> message = ParseRecord<T>(key, value);
        if (!message.ok()) {
          parse_error = message.status();
          return false;
        }
        out.push_back(*std::move(message));
        return true;
      });
  if (!status.ok()) return status;
  if (!parse_error.ok()) return parse_error;
  return out;
}

// One page of the records under `prefix` after key `start_after`, in one
// read transaction: at most `limit` items, and fewer once the page holds
// kMaxPageBytes (AIP-158 lets a page be shorter than asked), so that large
// records never make a page too big to send.
template <typename T>
absl::StatusOr<Page<T>> ScanPage(const KvEngine& engine, absl::string_view db,
                                 absl::string_view prefix, int limit,
                                 absl::string_view start_after) {
  Page<T> page;
  absl::Status status = engine.Read([&](Txn& txn) -> absl::Status {
    page = Page<T>();
    absl::Status parse_error;
    size_t bytes = 0;
    absl::Status scanned = txn.Scan(
        db, prefix, start_after,
        [&](absl::string_view key, absl::string_view value) {
          if (static_cast<int>(page.items.size()) == limit ||
              (!page.items.empty() && bytes + value.size() > kMaxPageBytes)) {
            page.more = true;
            return false;
          }
          absl::StatusOr<T> message = ParseRecord<T>(key, value);
          if (!message.ok()) {
            parse_error = message.status();
            return false;
          }
          bytes += value.size();
          page.last_key = std::string(key);
          page.items.push_back(*std::move(message));
          return true;
        });
    if (!scanned.ok()) return scanned;
    return parse_error;
  });
  if (!status.ok()) return status;
  return page;
}

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_STORAGE_TABLE_H_
