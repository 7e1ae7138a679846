// A lock-free latency histogram for the callback round trip (engine thread → device actor →
// engine thread): many engine threads record() at once, anyone reads percentile() at any time.
//
// Buckets are log-linear over nanoseconds, like HDR histograms with 3 sub-bucket bits: values
// 0…7 ns get a bucket each, and every octave [2^e, 2^(e+1)) above is cut into 8 equal buckets
// (bucket width / bucket start <= 1/8, i.e. a ratio of at most 1.125 between neighbours). A
// reported percentile is the midpoint of its bucket, so it is within 6.25 % of the true sample.
// Octaves run up to 2^42 ns (~73 min); anything longer lands in the last bucket.
//
// Every counter is a relaxed atomic: record() is three fetch_adds and a CAS loop on the maximum
// that exits at once in the common case. A reader racing with writers sees a snapshot that may
// be a few samples behind, never a torn or out-of-range one.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>

namespace pvg::engine {
class LatencyHistogram {
 public:
  static constexpr uint32_t kSubBits = 3;
  static constexpr uint32_t kSub = 1u << kSubBits;  // buckets per octave
  static constexpr uint32_t kMaxOctave = 42;        // 2^42 ns ≈ 73 minutes
  static constexpr uint32_t kBuckets = kSub * (kMaxOctave - kSubBits + 2);

  // The bucket of a value in ns.
  static constexpr uint32_t bucketOf(uint64_t ns) {
    if (ns < kSub) return static_cast<uint32_t>(ns);
    const uint32_t e = 63u - static_cast<uint32_t>(__builtin_clzll(ns));  // >= kSubBits
    const uint32_t sub = static_cast<uint32_t>(ns >> (e - kSubBits)) & (kSub - 1);
    const uint32_t index = kSub * (e - kSubBits + 1) + sub;
    return index < kBuckets ? index : kBuckets - 1;
  }
  // The smallest value that falls into bucket `index`.
  static constexpr uint64_t bucketLow(uint32_t index) {
    if (index < kSub) return index;
    const uint32_t e = index / kSub + kSubBits - 1;
    return (uint64_t{kSub} + index % kSub) << (e - kSubBits);
  }
  // One past the largest value of bucket `index` (the last bucket is open-ended).
  static constexpr uint64_t bucketHigh(uint32_t index) { return index + 1 < kBuckets ? bucketLow(index + 1) : bucketLow(index) * 2; }

  void record(int64_t ns) {
    const uint64_t v = ns < 0 ? 0 : static_cast<uint64_t>(ns);
    buckets_[bucketOf(v)].fetch_add(1, std::memory_order_relaxed);
    sumNs_.fetch_add(v, std::memory_order_relaxed);
    uint64_t seen = maxNs_.load(std::memory_order_relaxed);
    while (v > seen && !maxNs_.compare_exchange_weak(seen, v, std::memory_order_relaxed)) {
    }
    // Last, so a reader that sees the count also finds (almost always) the bucket filled.
    count_.fetch_add(1, std::memory_order_relaxed);
  }

  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t maxNs() const { return maxNs_.load(std::memory_order_relaxed); }
  double meanNs() const {
    const uint64_t n = count();
    return n == 0 ? 0.0 : static_cast<double>(sumNs_.load(std::memory_order_relaxed)) / static_cast<double>(n);
  }

  // The p-th percentile (p in [0, 100]) in ns: the midpoint of the bucket that holds the sample
  // of rank ceil(p/100 × n) (at least the first one), capped at the largest value recorded.
  // 0 when nothing was recorded.
  double percentileNs(double p) const {
    std::array<uint64_t, kBuckets> snap;
    uint64_t total = 0;
    for (uint32_t i = 0; i < kBuckets; ++i) total += snap[i] = buckets_[i].load(std::memory_order_relaxed);
    if (total == 0) return 0.0;
    if (!(p > 0)) p = 0;  // NaN too
    if (p > 100) p = 100;
    uint64_t rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(total) + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > total) rank = total;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < kBuckets; ++i) {
      seen += snap[i];
      if (seen >= rank) {
        const double mid = i < kSub ? static_cast<double>(i) : (static_cast<double>(bucketLow(i)) + static_cast<double>(bucketHigh(i) - 1)) / 2.0;
        const double max = static_cast<double>(maxNs());
        return max > 0 && mid > max ? max : mid;
      }
    }
    return static_cast<double>(maxNs());
  }
  double percentileUs(double p) const { return percentileNs(p) / 1e3; }

  void reset() {
    for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
    count_.store(0, std::memory_order_relaxed);
    sumNs_.store(0, std::memory_order_relaxed);
    maxNs_.store(0, std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0}, sumNs_{0}, maxNs_{0};
};
}  // namespace pvg::engine
