// What every implementation in //bench:net_bench shares, so that all of them do the same work:
// the loopback socket pairs, the length-prefixed message format, the batching rule and the
// streaming parser. Header-only and plain C++ (no asio, no uxcom), so each asio variant's
// shared object compiles its own copy.
#ifndef UXCOM_BENCH_NET_COMMON_H_
#define UXCOM_BENCH_NET_COMMON_H_

#include <cstddef>
#include <cstdint>
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
