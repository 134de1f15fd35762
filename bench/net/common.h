// What every implementation in //bench:net_bench shares, so that all of them do the same work:
// the loopback socket pairs, the length-prefixed message format, the batching rule and the
// streaming parser. Header-only and plain C++ (no asio, no uxcom), so each asio variant's
// shared object compiles its own copy.
#ifndef UXCOM_BENCH_NET_COMMON_H_
#define UXCOM_BENCH_NET_COMMON_H_

#include <sched.h>
#include <sys/resource.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace uxcom::bench {

// Messages are a 4-byte little-endian length followed by that many payload bytes.
inline constexpr size_t kHeaderSize = 4;
// Senders coalesce whole messages into writes of at most this many bytes (XCom's srv_buf);
// a message that does not fit is written alone as [header, payload] (writev).
inline constexpr size_t kBatchBytes = 64 * 1024;
// Receivers read into a buffer of this size and parse in place.
inline constexpr size_t kReadBytes = 256 * 1024;

// Builds the batch every sender writes repeatedly: as many whole messages of `payload` bytes as
// fit in kBatchBytes (at least one). Returns the number of messages in it.
inline size_t BuildBatch(size_t payload, std::vector<char>* out) {
  size_t per = kHeaderSize + payload;
  size_t count = per > kBatchBytes ? 1 : kBatchBytes / per;
  out->assign(count * per, 'p');
  for (size_t i = 0; i < count; ++i) {
    uint32_t len = static_cast<uint32_t>(payload);
    std::memcpy(out->data() + i * per, &len, kHeaderSize);
  }
  return count;
}

// What one timed run of an implementation reports (a C struct: it crosses the asio objects'
// extern "C" entry points). Side a is the client/sender (the benchmark's calling thread), side b
// the server/receiver (a thread the implementation starts).
struct RunStats {
  double seconds = 0;  // wall time of the timed window
  double cpu_a = 0;    // CPU seconds (user + system) of side a's thread in that window
  double cpu_b = 0;    // ... of side b's thread (softirq work is charged to the thread it
                       // interrupted, as the kernel accounts it)
  long sleeps_a = 0;   // voluntary context switches (the thread blocked waiting for events)
  long sleeps_b = 0;
};

// Resource usage of the calling thread so far.
struct ThreadUsage {
  double cpu = 0;
  long sleeps = 0;
  static ThreadUsage Now() {
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    ThreadUsage u;
    u.cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    u.sleeps = ru.ru_nvcsw;
    return u;
  }
  ThreadUsage operator-(const ThreadUsage& start) const {
    return {cpu - start.cpu, sleeps - start.sleeps};
  }
};

// UXCOM_BENCH_PIN="A,B" pins side a's thread to CPU A and side b's thread to CPU B, for every
// implementation alike (unset: the scheduler places them). Called by each side's thread.
inline void PinSide(int side) {
  const char* pin = std::getenv("UXCOM_BENCH_PIN");
  if (pin == nullptr || *pin == '\0') return;
  int cpus[2] = {0, 1};
  if (std::sscanf(pin, "%d,%d", &cpus[0], &cpus[1]) != 2) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpus[side], &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) std::perror("sched_setaffinity");
}

// Counts complete messages in a byte stream without copying payloads.
class StreamParser {
 public:
  void Feed(const char* data, size_t n) {
    while (n > 0) {
      if (body_left_ > 0) {
        size_t k = body_left_ < n ? body_left_ : n;
        body_left_ -= k;
        data += k;
        n -= k;
        if (body_left_ == 0) ++messages_;
        continue;
      }
      size_t k = kHeaderSize - have_ < n ? kHeaderSize - have_ : n;
      std::memcpy(header_ + have_, data, k);
      have_ += k;
      data += k;
      n -= k;
      if (have_ == kHeaderSize) {
        uint32_t len;
        std::memcpy(&len, header_, kHeaderSize);
        have_ = 0;
        body_left_ = len;
        if (len == 0) ++messages_;
      }
    }
  }
  uint64_t messages() const { return messages_; }

 private:
  char header_[kHeaderSize];
  size_t have_ = 0;
  size_t body_left_ = 0;
  uint64_t messages_ = 0;
};

}  // namespace uxcom::bench

#endif  // UXCOM_BENCH_NET_COMMON_H_
