// The signal index qualification reads: a history grown with With() answers
// as one built at once, and its running sums agree with summing the terms.
#include "graph/rules/signal_history.h"

#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"

#include "gtest/gtest.h"
#include "graph/model/time.h"

namespace quorum::graph {
namespace {

constexpr int64_t kDay = 86400LL * 1000000000LL;
const int64_t kBase = absl::ToUnixNanos(absl::FromCivil(
    absl::CivilDay(2026, 6, 1), absl::UTCTimeZone()));

v1::Signal MakeSignal(int i, int64_t nanos, v1::SignalType type,
                      v1::SignalTopic topic, std::string stakeholder = "") {
  v1::Signal s;
  s.set_name(absl::StrCat("accounts/a/signals/s", i));
  s.set_type(type);
  s.set_topic(topic);
  *s.mutable_occur_time() = ToProto(absl::FromUnixNanos(nanos));
  s.set_stakeholder(std::move(stakeholder));
  return s;
}

std::vector<v1::Signal> RandomSignals(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<v1::Signal> out;
  for (int i = 0; i < n; ++i) {
    // Many equal times, so that ties by name are exercised.
    const int64_t t = kBase + static_cast<int64_t>(rng() % 400) * kDay / 2;
    out.push_back(MakeSignal(
        i, t, static_cast<v1::SignalType>(1 + rng() % 4),
        static_cast<v1::SignalTopic>(rng() % 3),
        rng() % 2 ? absl::StrCat("accounts/a/stakeholders/p", rng() % 3) : ""));
  }
  return out;
}

// Every entry of a series, oldest first.
std::vector<std::pair<int64_t, std::string>> Entries(const TimeSeries& s) {
  std::vector<std::pair<int64_t, std::string>> out;
  for (size_t i = 0; i < s.size(); ++i) out.push_back({s.At(i).nanos, s.At(i).name});
  return out;
}

TEST(SignalHistoryTest, GrowingByWithAnswersAsBuildingAtOnce) {
  const absl::Duration half_life = absl::Hours(24 * 30);
  const auto all = RandomSignals(2000, 7);
  auto grown = SignalHistory::Build({}, half_life);
  for (size_t at = 0; at < all.size();) {
    const size_t n = std::min<size_t>(all.size() - at, 1 + at % 37);
    grown = grown->With({all.begin() + at, all.begin() + at + n});
    at += n;
  }
  const auto built = SignalHistory::Build(all, half_life);
  ASSERT_EQ(grown->size(), built->size());
  EXPECT_EQ(grown->newest_nanos(), built->newest_nanos());
  ASSERT_EQ(grown->kinds().size(), built->kinds().size());
  for (size_t k = 0; k < built->kinds().size(); ++k) {
    const auto& a = grown->kinds()[k];
    const auto& b = built->kinds()[k];
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.topic, b.topic);
    EXPECT_EQ(Entries(*a.series), Entries(*b.series));
    for (int64_t as_of : {kBase - kDay, kBase + 50 * kDay, kBase + 500 * kDay}) {
      const size_t count = b.series->CountUpTo(as_of);
      EXPECT_EQ(a.series->CountUpTo(as_of), count);
      const double x = a.series->DecayedSum(count, as_of, half_life);
      const double y = b.series->DecayedSum(count, as_of, half_life);
      EXPECT_NEAR(x, y, 1e-9 * std::max(1.0, y));
    }
  }
  for (int p = 0; p < 3; ++p) {
    const std::string who = absl::StrCat("accounts/a/stakeholders/p", p);
    const auto* a = grown->OfStakeholder(who);
    const auto* b = built->OfStakeholder(who);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    ASSERT_EQ(a->size(), b->size());
    for (size_t k = 0; k < a->size(); ++k) {
      EXPECT_EQ(Entries(*(*a)[k].series), Entries(*(*b)[k].series));
    }
  }
  EXPECT_EQ(built->OfStakeholder("accounts/a/stakeholders/nobody"), nullptr);
}

TEST(SignalHistoryTest, KeepsTheOrderVerdictsListSignalsIn) {
  // Equal times: walking back from the newest gives names ascending.
  const auto history = SignalHistory::Build(
      {MakeSignal(2, kBase, v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TOPIC_GENERAL),
       MakeSignal(1, kBase, v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TOPIC_UNSPECIFIED),
       MakeSignal(3, kBase - kDay, v1::SIGNAL_TYPE_DEMO_REQUEST,
                  v1::SIGNAL_TOPIC_GENERAL)},
      absl::Hours(24));
  ASSERT_EQ(history->kinds().size(), 1u) << "UNSPECIFIED counts as GENERAL";
  const TimeSeries& s = *history->kinds()[0].series;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.At(2).name, "accounts/a/signals/s1");
  EXPECT_EQ(s.At(1).name, "accounts/a/signals/s2");
  EXPECT_EQ(s.At(0).name, "accounts/a/signals/s3");
  EXPECT_EQ(s.CountUpTo(kBase - 1), 1u);
  EXPECT_EQ(s.CountUpTo(kBase), 3u);
  EXPECT_EQ(s.FirstFrom(kBase), 1u);
  EXPECT_EQ(s.FirstFrom(kBase + 1), 3u);
}

TEST(SignalHistoryTest, RunningSumsMatchTheTermsAcrossManyChunks) {
  std::vector<v1::Signal> signals;
  for (int i = 0; i < 1000; ++i) {
    signals.push_back(MakeSignal(i, kBase + i * kDay / 4,
                                 v1::SIGNAL_TYPE_PAGE_VIEW,
                                 v1::SIGNAL_TOPIC_GENERAL));
  }
  const absl::Duration half_life = absl::Hours(24 * 7);
  const auto history = SignalHistory::Build(signals, half_life);
  const TimeSeries& s = *history->kinds()[0].series;
  for (int64_t as_of : {kBase + 10 * kDay, kBase + 249 * kDay + 7,
                        kBase + 400 * kDay}) {
    const size_t count = s.CountUpTo(as_of);
    double direct = 0;
    for (size_t i = 0; i < count; ++i) {
      direct += std::exp2(-(static_cast<double>(as_of - s.At(i).nanos)) /
                          absl::ToDoubleNanoseconds(half_life));
    }
    EXPECT_NEAR(s.DecayedSum(count, as_of, half_life), direct, 1e-9 * direct);
    // Another half-life than the sums were built for is summed directly.
    double other = 0;
    for (size_t i = 0; i < count; ++i) {
      other += std::exp2(-(static_cast<double>(as_of - s.At(i).nanos)) /
                         absl::ToDoubleNanoseconds(absl::Hours(24)));
    }
    EXPECT_NEAR(s.DecayedSum(count, as_of, absl::Hours(24)), other,
                1e-9 * std::max(other, 1e-300));
  }
}

TEST(SignalHistoryTest, AsOfFarBeforeTheNewestSignalLosesNothing) {
  // A history spanning thousands of half-lives: the running sums' scale
  // would overflow, so such a chunk is summed term by term.
  const absl::Duration half_life = absl::Hours(1);
  std::vector<v1::Signal> signals;
  for (int i = 0; i < 300; ++i) {
    signals.push_back(MakeSignal(i, kBase + i * kDay, v1::SIGNAL_TYPE_DEMO_REQUEST,
                                 v1::SIGNAL_TOPIC_GENERAL));
  }
  const auto history = SignalHistory::Build(signals, half_life);
  const TimeSeries& s = *history->kinds()[0].series;
  const int64_t as_of = kBase + 2 * kDay;  // Just after the third signal.
  const size_t count = s.CountUpTo(as_of);
  ASSERT_EQ(count, 3u);
  EXPECT_DOUBLE_EQ(s.DecayedSum(count, as_of, half_life),
                   1.0 + std::exp2(-24.0) + std::exp2(-48.0));
}

TEST(SignalHistoryTest, WithSharesWhatTheNewSignalsDoNotTouch) {
  const absl::Duration half_life = absl::Hours(24 * 30);
  const auto before = SignalHistory::Build(RandomSignals(500, 3), half_life);
  const auto after = before->With({MakeSignal(
      9999, kBase, v1::SIGNAL_TYPE_MEETING_HELD, v1::SIGNAL_TOPIC_GENERAL)});
  EXPECT_EQ(after->size(), before->size() + 1);
  int shared = 0;
  for (const auto& kind : before->kinds()) {
    for (const auto& other : after->kinds()) {
      if (other.series == kind.series) ++shared;
    }
  }
  EXPECT_EQ(shared, static_cast<int>(before->kinds().size()))
      << "a new kind leaves every other kind shared";
  EXPECT_EQ(before->size(), 500u) << "the old history is unchanged";
}

}  // namespace
}  // namespace quorum::graph
