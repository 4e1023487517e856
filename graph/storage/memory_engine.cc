#include "graph/storage/memory_engine.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace quorum::graph {
namespace {

using Table = MemoryEngine::Table;
using Data = MemoryEngine::Data;

// A write's changes to one database: a value, or nullopt for a delete.
using Changes = std::map<std::string, std::optional<std::string>, std::less<>>;
using Overlay = std::map<std::string, Changes, std::less<>>;

bool HoldableKey(absl::string_view key) {
  return !key.empty() && key.size() <= kMaxKeyBytes;
}

class MemoryTxn : public Txn {
 public:
  // `overlay` is null for a read transaction.
  MemoryTxn(const Data* data, Overlay* overlay)
      : data_(data), overlay_(overlay) {}

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view db, absl::string_view key) override {
    auto table = TableOf(db);
    if (!table.ok()) return table.status();
    if (overlay_ != nullptr) {
      auto changes = overlay_->find(db);
      if (changes != overlay_->end()) {
        auto it = changes->second.find(key);
        if (it != changes->second.end()) return it->second;
      }
    }
    auto it = (*table)->find(key);
    if (it == (*table)->end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  absl::Status Put(absl::string_view db, absl::string_view key,
                   absl::string_view value) override {
    absl::Status refused = CheckWrite(db, key, "put");
    if (!refused.ok()) return refused;
    (*overlay_)[std::string(db)][std::string(key)] = std::string(value);
    return absl::OkStatus();
  }

  absl::Status Delete(absl::string_view db, absl::string_view key) override {
    absl::Status refused = CheckWrite(db, key, "del");
    if (!refused.ok()) return refused;
    (*overlay_)[std::string(db)][std::string(key)] = std::nullopt;
    return absl::OkStatus();
  }

  absl::Status Scan(absl::string_view db, absl::string_view prefix,
                    absl::string_view start_after,
                    const Visitor& visit) override {
    auto table = TableOf(db);
    if (!table.ok()) return table.status();
    static const Changes kNone;
    const Changes* changes = &kNone;
    if (overlay_ != nullptr) {
      auto found = overlay_->find(db);
      if (found != overlay_->end()) changes = &found->second;
    }
    // Keys with the prefix all sort after a `start_after` below the prefix.
    const absl::string_view from = start_after > prefix ? start_after : prefix;
    auto Begin = [&](const auto& map) {
      auto it = map.lower_bound(from);
      if (it != map.end() && !start_after.empty() && it->first == start_after) {
        ++it;
      }
      return it;
    };
    auto base = Begin(**table);
    auto mine = Begin(*changes);
    auto InPrefix = [&](absl::string_view key) {
      return key.substr(0, prefix.size()) == prefix;
    };
    // Merges the committed keys with the write's own, which win.
    for (;;) {
      const bool base_left = base != (*table)->end() && InPrefix(base->first);
      const bool mine_left = mine != changes->end() && InPrefix(mine->first);
      if (!base_left && !mine_left) break;
      if (mine_left && (!base_left || mine->first <= base->first)) {
        if (base_left && base->first == mine->first) ++base;
        const auto& [key, value] = *mine++;
        if (value && !visit(key, *value)) break;
      } else {
        const auto& [key, value] = *base++;
        if (!visit(key, value)) break;
      }
    }
    return absl::OkStatus();
  }

  absl::Status Savepoint(const std::function<absl::Status(Txn&)>& fn) override {
    if (overlay_ == nullptr) {
      return absl::InternalError("savepoints need a write transaction");
    }
    Overlay before = *overlay_;
    absl::Status status = fn(*this);
    if (!status.ok()) *overlay_ = std::move(before);
    return status;
  }

  uint64_t version() const override {
    return data_->version + (overlay_ != nullptr ? 1 : 0);
  }

 private:
  absl::StatusOr<const Table*> TableOf(absl::string_view db) const {
    auto it = data_->tables.find(db);
    if (it == data_->tables.end()) {
      return absl::InternalError(absl::StrCat("unknown database ", db));
    }
    return it->second.get();
  }

  absl::Status CheckWrite(absl::string_view db, absl::string_view key,
                          absl::string_view what) const {
    auto table = TableOf(db);
    if (!table.ok()) return table.status();
    if (overlay_ == nullptr) {
      return absl::InternalError(
          absl::StrCat("memory ", what, ": a read transaction cannot write"));
    }
    if (!HoldableKey(key)) {
      return absl::InternalError(absl::StrCat(
          "memory ", what, ": a key must hold 1 to ", kMaxKeyBytes, " bytes"));
    }
    return absl::OkStatus();
  }

  const Data* data_;
  Overlay* overlay_;
};

}  // namespace

MemoryEngine::MemoryEngine(const std::vector<std::string>& databases) {
  auto data = std::make_shared<Data>();
  for (const std::string& name : databases) {
    data->tables.emplace(name, std::make_shared<const Table>());
  }
  data_ = std::move(data);
}

std::shared_ptr<const Data> MemoryEngine::Current() const {
  std::lock_guard lock(data_mu_);
  return data_;
}

absl::Status MemoryEngine::Read(const TxnFn& fn) const {
  std::shared_ptr<const Data> data = Current();
  MemoryTxn txn(data.get(), nullptr);
  return fn(txn);
}

absl::Status MemoryEngine::Write(const TxnFn& fn, const CommitFn& committed) {
  std::lock_guard writer(writer_mu_);
  absl::Status status;
  // A full engine cannot happen here, but a write function may still say so
  // (a wrapping engine injecting it): run it again, as the contract says.
  do {
    std::shared_ptr<const Data> data = Current();
    Overlay overlay;
    MemoryTxn txn(data.get(), &overlay);
    status = fn(txn);
    if (status.ok()) {
      auto next = std::make_shared<Data>(*data);
      next->version = data->version + 1;
      for (auto& [db, changes] : overlay) {
        auto table = std::make_shared<Table>(*next->tables.at(db));
        for (auto& [key, value] : changes) {
          if (value) {
            (*table)[key] = std::move(*value);
          } else {
            table->erase(key);
          }
        }
        next->tables[db] = std::move(table);
      }
      const uint64_t version = next->version;
      {
        std::lock_guard lock(data_mu_);
        data_ = std::move(next);
      }
      if (committed) committed(version);
    }
  } while (IsMapFull(status));
  NoteWriteOutcome(status);
  return status;
}

absl::Status MemoryEngine::CopyCompacted(const std::string& dir) const {
  return absl::UnimplementedError(
      absl::StrCat("the in-memory engine has no files to copy into ", dir));
}

size_t MemoryEngine::map_size() const {
  std::shared_ptr<const Data> data = Current();
  size_t bytes = 0;
  for (const auto& [name, table] : data->tables) {
    for (const auto& [key, value] : *table) bytes += key.size() + value.size();
  }
  return bytes;
}

}  // namespace quorum::graph
