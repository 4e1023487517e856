#include "graph/rules/signal_history.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "graph/model/time.h"

namespace quorum::graph {
namespace {

// Ascending order of a series: older first, equal times by name descending.
bool Before(const SignalEntry& a, const SignalEntry& b) {
  return NewerFirst(b, a);
}

// Beyond this many half-lives between a chunk's newest entry and `as_of`,
// the running sum's scale factor could overflow: add the terms instead.
constexpr double kMaxScaleExponent = 500;

double HalfLifeNanos(absl::Duration half_life) {
  const double h = absl::ToDoubleNanoseconds(half_life);
  return h > 0 ? h : 1;
}

double Term(int64_t t, int64_t as_of, double half_life_nanos) {
  return std::exp2((static_cast<double>(t) - static_cast<double>(as_of)) /
                   half_life_nanos);
}

// What a make_shared object costs beyond itself, and a string's heap.
constexpr size_t kSharedOverhead = 32;
size_t HeapBytes(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

}  // namespace

v1::SignalTopic TopicOf(const v1::Signal& signal) {
  return signal.topic() == v1::SIGNAL_TOPIC_UNSPECIFIED
             ? v1::SIGNAL_TOPIC_GENERAL
             : signal.topic();
}

// -------------------------------------------------------------- TimeSeries

std::shared_ptr<const TimeSeries::Chunk> TimeSeries::MakeChunk(
    std::vector<SignalEntry> entries, double half_life_nanos) {
  auto chunk = std::make_shared<Chunk>();
  chunk->ref = entries.empty() ? 0 : entries.back().nanos;
  chunk->prefix.reserve(entries.size() + 1);
  chunk->prefix.push_back(0);
  for (const SignalEntry& e : entries) {
    chunk->prefix.push_back(chunk->prefix.back() +
                            Term(e.nanos, chunk->ref, half_life_nanos));
  }
  chunk->entries = std::move(entries);
  chunk->bytes = sizeof(Chunk) + kSharedOverhead +
                 chunk->entries.capacity() * sizeof(SignalEntry) +
                 chunk->prefix.capacity() * sizeof(double);
  for (const SignalEntry& e : chunk->entries) {
    chunk->bytes += HeapBytes(e.name) + HeapBytes(e.stakeholder);
  }
  return chunk;
}

void TimeSeries::Index() {
  starts_.clear();
  starts_.reserve(chunks_.size() + 1);
  size_t at = 0;
  bytes_ = sizeof(TimeSeries) + kSharedOverhead +
           chunks_.capacity() * sizeof(chunks_[0]) +
           (chunks_.size() + 1) * sizeof(size_t);
  for (const auto& c : chunks_) {
    starts_.push_back(at);
    at += c->entries.size();
    bytes_ += c->bytes;
  }
  starts_.push_back(at);
}

std::shared_ptr<const TimeSeries> TimeSeries::Build(
    std::vector<SignalEntry> entries, absl::Duration half_life) {
  auto series = std::make_shared<TimeSeries>();
  series->half_life_ = half_life;
  series->half_life_nanos_ = HalfLifeNanos(half_life);
  std::sort(entries.begin(), entries.end(), Before);
  for (size_t at = 0; at < entries.size(); at += kChunk) {
    const size_t end = std::min(entries.size(), at + kChunk);
    std::vector<SignalEntry> part(std::make_move_iterator(entries.begin() + at),
                                  std::make_move_iterator(entries.begin() + end));
    series->chunks_.push_back(MakeChunk(std::move(part), series->half_life_nanos_));
  }
  series->Index();
  return series;
}

std::shared_ptr<const TimeSeries> TimeSeries::With(
    std::vector<SignalEntry> added) const {
  if (chunks_.empty()) return Build(std::move(added), half_life_);
  std::sort(added.begin(), added.end(), Before);
  auto series = std::make_shared<TimeSeries>();
  series->half_life_ = half_life_;
  series->half_life_nanos_ = half_life_nanos_;
  series->chunks_.reserve(chunks_.size() + 1);
  size_t next = 0;  // The next entry of `added` to place.
  for (size_t c = 0; c < chunks_.size(); ++c) {
    const Chunk& chunk = *chunks_[c];
    // Entries up to this chunk's last go here; the last chunk takes the rest.
    size_t end = next;
    const bool last = c + 1 == chunks_.size();
    while (end < added.size() &&
           (last || !Before(chunk.entries.back(), added[end]))) {
      ++end;
    }
    if (end == next) {
      series->chunks_.push_back(chunks_[c]);
      continue;
    }
    std::vector<SignalEntry> merged;
    merged.reserve(chunk.entries.size() + (end - next));
    std::merge(chunk.entries.begin(), chunk.entries.end(),
               std::make_move_iterator(added.begin() + next),
               std::make_move_iterator(added.begin() + end),
               std::back_inserter(merged), Before);
    next = end;
    // Split what outgrew a chunk into chunks of kChunk (the last may hold
    // up to twice that).
    size_t at = 0;
    while (merged.size() - at > 2 * kChunk) {
      std::vector<SignalEntry> part(
          std::make_move_iterator(merged.begin() + at),
          std::make_move_iterator(merged.begin() + at + kChunk));
      series->chunks_.push_back(MakeChunk(std::move(part), half_life_nanos_));
      at += kChunk;
    }
    std::vector<SignalEntry> rest(std::make_move_iterator(merged.begin() + at),
                                  std::make_move_iterator(merged.end()));
    series->chunks_.push_back(MakeChunk(std::move(rest), half_life_nanos_));
  }
  series->Index();
  return series;
}

size_t TimeSeries::CountUpTo(int64_t nanos) const {
  // The first chunk whose newest entry is later than `nanos`.
  auto it = std::upper_bound(
      chunks_.begin(), chunks_.end(), nanos,
      [](int64_t t, const std::shared_ptr<const Chunk>& c) {
        return t < c->entries.back().nanos;
      });
  if (it == chunks_.end()) return size();
  const size_t c = it - chunks_.begin();
  const auto& entries = (*it)->entries;
  auto within = std::upper_bound(
      entries.begin(), entries.end(), nanos,
      [](int64_t t, const SignalEntry& e) { return t < e.nanos; });
  return starts_[c] + (within - entries.begin());
}

size_t TimeSeries::FirstFrom(int64_t nanos) const {
  auto it = std::lower_bound(
      chunks_.begin(), chunks_.end(), nanos,
      [](const std::shared_ptr<const Chunk>& c, int64_t t) {
        return c->entries.back().nanos < t;
      });
  if (it == chunks_.end()) return size();
  const size_t c = it - chunks_.begin();
  const auto& entries = (*it)->entries;
  auto within = std::lower_bound(
      entries.begin(), entries.end(), nanos,
      [](const SignalEntry& e, int64_t t) { return e.nanos < t; });
  return starts_[c] + (within - entries.begin());
}

size_t TimeSeries::ChunkOf(size_t index) const {
  return std::upper_bound(starts_.begin(), starts_.end(), index) -
         starts_.begin() - 1;
}

const SignalEntry& TimeSeries::At(size_t index) const {
  const size_t c = ChunkOf(index);
  return chunks_[c]->entries[index - starts_[c]];
}

double TimeSeries::DecayedSum(size_t count, int64_t as_of_nanos,
                              absl::Duration half_life) const {
  const bool own = half_life == half_life_;
  const double h = own ? half_life_nanos_ : HalfLifeNanos(half_life);
  double sum = 0;
  for (size_t c = 0; c < chunks_.size() && starts_[c] < count; ++c) {
    const Chunk& chunk = *chunks_[c];
    const size_t m = std::min(count - starts_[c], chunk.entries.size());
    const double exponent =
        (static_cast<double>(chunk.ref) - static_cast<double>(as_of_nanos)) / h;
    if (own && exponent <= kMaxScaleExponent) {
      sum += chunk.prefix[m] * std::exp2(exponent);
      continue;
    }
    for (size_t j = 0; j < m; ++j) {
      sum += Term(chunk.entries[j].nanos, as_of_nanos, h);
    }
  }
  return sum;
}

// ----------------------------------------------------------- SignalHistory

namespace {

using KindKey = std::pair<int, int>;  // (type, topic)

KindKey KeyOf(const v1::Signal& s) { return {s.type(), TopicOf(s)}; }

SignalEntry EntryOf(const v1::Signal& s) {
  return SignalEntry{absl::ToUnixNanos(ToTime(s.occur_time())), s.name(),
                     s.stakeholder()};
}

// Adds `entries` to the kind `key` of a sorted kind list (a new kind when
// it has none yet).
template <typename K>
void AddToKinds(std::vector<K>* kinds, KindKey key,
                std::vector<SignalEntry> entries, absl::Duration half_life) {
  auto it = std::lower_bound(
      kinds->begin(), kinds->end(), key, [](const K& k, const KindKey& want) {
        return KindKey(k.type, k.topic) < want;
      });
  if (it != kinds->end() && it->type == key.first && it->topic == key.second) {
    it->series = it->series->With(std::move(entries));
    return;
  }
  K kind;
  kind.type = static_cast<v1::SignalType>(key.first);
  kind.topic = static_cast<v1::SignalTopic>(key.second);
  kind.series = TimeSeries::Build(std::move(entries), half_life);
  kinds->insert(it, std::move(kind));
}

}  // namespace

std::shared_ptr<const SignalHistory> SignalHistory::Build(
    const std::vector<v1::Signal>& signals, absl::Duration half_life) {
  auto history = std::make_shared<SignalHistory>();
  history->half_life_ = half_life;
  return history->With(signals);
}

std::shared_ptr<const SignalHistory> SignalHistory::With(
    const std::vector<v1::Signal>& added) const {
  auto history = std::make_shared<SignalHistory>(*this);
  std::map<KindKey, std::vector<SignalEntry>> by_kind;
  std::map<std::string, std::map<KindKey, std::vector<SignalEntry>>> by_person;
  for (const v1::Signal& s : added) {
    SignalEntry entry = EntryOf(s);
    if (!history->newest_ || entry.nanos > *history->newest_) {
      history->newest_ = entry.nanos;
    }
    if (!s.stakeholder().empty()) {
      by_person[s.stakeholder()][KeyOf(s)].push_back(entry);
    }
    by_kind[KeyOf(s)].push_back(std::move(entry));
  }
  history->size_ += added.size();
  for (auto& [key, entries] : by_kind) {
    AddToKinds(&history->kinds_, key, std::move(entries), half_life_);
  }
  for (auto& [person, kinds] : by_person) {
    auto& slot = history->people_[person];
    auto updated = slot ? std::make_shared<PersonKinds>(*slot)
                        : std::make_shared<PersonKinds>();
    for (auto& [key, entries] : kinds) {
      AddToKinds(updated.get(), key, std::move(entries), half_life_);
    }
    slot = std::move(updated);
  }
  return history;
}

size_t SignalHistory::ApproximateBytes() const {
  size_t bytes = sizeof(SignalHistory) + kSharedOverhead +
                 kinds_.capacity() * sizeof(Kind);
  for (const Kind& k : kinds_) bytes += k.series->ApproximateBytes();
  for (const auto& [person, kinds] : people_) {
    // A map node, the name, the shared vector and its series.
    bytes += 64 + HeapBytes(person) + kSharedOverhead + sizeof(PersonKinds) +
             kinds->capacity() * sizeof(PersonKind);
    for (const PersonKind& k : *kinds) bytes += k.series->ApproximateBytes();
  }
  return bytes;
}

const SignalHistory::PersonKinds* SignalHistory::OfStakeholder(
    const std::string& stakeholder) const {
  auto it = people_.find(stakeholder);
  return it == people_.end() ? nullptr : it->second.get();
}

}  // namespace quorum::graph
