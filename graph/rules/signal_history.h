// An account tree's signals, indexed so that qualification at any `as_of`
// reads no more than it lists: signals are grouped by kind (type and topic),
// each kind in time order with running sums of decay weights, and each
// stakeholder's signals by kind.
//
// Everything here is immutable and shared: With() returns a new history
// with more signals that shares every part the new signals do not touch (a
// kind's signals are held in chunks, and only the chunks that receive a
// signal are copied). Pure: no storage, no clock.
#ifndef QUORUM_GRAPH_SIGNAL_HISTORY_H_
#define QUORUM_GRAPH_SIGNAL_HISTORY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "quorum/v1/resources.pb.h"

namespace quorum::graph {

// A signal as qualification reads it.
struct SignalEntry {
  int64_t nanos = 0;  // occur_time, Unix nanoseconds.
  std::string name;
  std::string stakeholder;
};

// The order verdicts list signals in: newer first, then by name.
inline bool NewerFirst(const SignalEntry& a, const SignalEntry& b) {
  if (a.nanos != b.nanos) return a.nanos > b.nanos;
  return a.name < b.name;
}

// Signals in time order, oldest first (equal times by name descending, so
// that walking back from the end gives the NewerFirst order), with running
// sums of 2^(t / h) for one half-life h. Immutable.
class TimeSeries {
 public:
  // Chunks hold up to twice this many entries.
  static constexpr size_t kChunk = 128;

  // `entries` in any order; `half_life` for the running sums.
  static std::shared_ptr<const TimeSeries> Build(
      std::vector<SignalEntry> entries, absl::Duration half_life);
  // This series with `added` as well; shares the chunks they do not touch.
  std::shared_ptr<const TimeSeries> With(std::vector<SignalEntry> added) const;

  size_t size() const { return starts_.empty() ? 0 : starts_.back(); }
  // How many entries occurred at or before `nanos`.
  size_t CountUpTo(int64_t nanos) const;
  // The index of the first entry at or after `nanos`.
  size_t FirstFrom(int64_t nanos) const;
  // The entry at `index` (< size()), oldest first.
  const SignalEntry& At(size_t index) const;

  // Approximate heap bytes held (chunks shared with other series count in
  // full here too).
  size_t ApproximateBytes() const { return bytes_; }

  // Sum over the first `count` entries of 2^(-(as_of - t) / half_life).
  // Uses the running sums when `half_life` is the series' own, else adds
  // the terms one by one.
  double DecayedSum(size_t count, int64_t as_of_nanos,
                    absl::Duration half_life) const;


 private:
  struct Chunk {
    std::vector<SignalEntry> entries;
    // prefix[k] = sum over j < k of 2^((entries[j].nanos - ref) / h).
    std::vector<double> prefix;
    int64_t ref = 0;  // The newest entry's time.
    size_t bytes = 0;  // Approximate heap bytes held.
  };
  static std::shared_ptr<const Chunk> MakeChunk(std::vector<SignalEntry> e,
                                                double half_life_nanos);
  void Index();
  size_t ChunkOf(size_t index) const;

  absl::Duration half_life_;
  double half_life_nanos_ = 1;
  std::vector<std::shared_ptr<const Chunk>> chunks_;
  std::vector<size_t> starts_;  // starts_[c]: chunk c's first index; +total.
  size_t bytes_ = 0;
};

class SignalHistory {
 public:
  // A kind: a signal type with a topic (never UNSPECIFIED: GENERAL then).
  struct Kind {
    v1::SignalType type = v1::SIGNAL_TYPE_UNSPECIFIED;
    v1::SignalTopic topic = v1::SIGNAL_TOPIC_GENERAL;
    std::shared_ptr<const TimeSeries> series;
  };
  // A stakeholder's signals of one kind.
  struct PersonKind {
    v1::SignalType type = v1::SIGNAL_TYPE_UNSPECIFIED;
    v1::SignalTopic topic = v1::SIGNAL_TOPIC_GENERAL;
    std::shared_ptr<const TimeSeries> series;
  };
  using PersonKinds = std::vector<PersonKind>;

  // Indexes `signals` with running sums for `half_life` (the active
  // policy's intent.half_life; other half-lives are summed directly).
  static std::shared_ptr<const SignalHistory> Build(
      const std::vector<v1::Signal>& signals, absl::Duration half_life);
  // This history with `added` signals as well (their names must be new).
  std::shared_ptr<const SignalHistory> With(
      const std::vector<v1::Signal>& added) const;

  // Every kind with at least one signal, by type then topic.
  const std::vector<Kind>& kinds() const { return kinds_; }
  // A stakeholder's signals by kind; null when they have none.
  const PersonKinds* OfStakeholder(const std::string& stakeholder) const;

  size_t size() const { return size_; }
  // The newest occur time, if there is a signal.
  std::optional<int64_t> newest_nanos() const { return newest_; }
  absl::Duration half_life() const { return half_life_; }
  // Approximate heap bytes held (for the snapshot cache's budget).
  size_t ApproximateBytes() const;

 private:
  absl::Duration half_life_;
  std::vector<Kind> kinds_;
  std::map<std::string, std::shared_ptr<const PersonKinds>, std::less<>>
      people_;
  size_t size_ = 0;
  std::optional<int64_t> newest_;
};

// The topic a signal counts under: GENERAL when it names none.
v1::SignalTopic TopicOf(const v1::Signal& signal);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_SIGNAL_HISTORY_H_
