// InFlightFrames: which frames a connection handed to the kernel may still be lost, without I/O.
//
// A completed write only means the kernel took the bytes. When the connection then breaks, the
// bytes the peer never acknowledged (Stream::Queued().unacknowledged) may never arrive; the
// frames they belong to are the ones to count as lost (DropReason::kLostInFlight). This keeps
// the end offset of every frame written, in stream order, and answers how many frames have a
// byte among the last `n` written. Entries the peer has acknowledged are dropped as the
// connection goes (Acknowledged), so memory follows the kernel's send queue, not the traffic.
//
//   InFlightFrames f;
//   f.Written(100);  f.Written(50);            // two frames, 150 bytes
//   f.FramesWithin(60);                         // 2: the last 60 bytes touch both
//   f.Acknowledged(/*unacknowledged=*/50);      // the first frame arrived: forgotten
//
// Executor thread only.
#ifndef UXCOM_XCOM_INTERNAL_IN_FLIGHT_FRAMES_H_
#define UXCOM_XCOM_INTERNAL_IN_FLIGHT_FRAMES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace uxcom::xcom::internal {

class InFlightFrames {
 public:
  // One frame of `bytes` was written completely (after the frames before it).
  void Written(uint64_t bytes) {
    total_ += bytes;
    if (head_ == ends_.size()) {  // nothing tracked: start over at the front
      ends_.clear();
      head_ = 0;
    } else if (head_ >= kCompactAfter && 2 * head_ >= ends_.size()) {
      ends_.erase(ends_.begin(), ends_.begin() + static_cast<ptrdiff_t>(head_));
      head_ = 0;
    }
    ends_.push_back(total_);
  }
  // Frames with at least one byte among the last `unacknowledged` bytes written.
  uint64_t FramesWithin(uint64_t unacknowledged) const {
    if (unacknowledged == 0) return 0;
    const uint64_t acknowledged = unacknowledged >= total_ ? 0 : total_ - unacknowledged;
    uint64_t n = 0;
    for (size_t i = ends_.size(); i > head_ && ends_[i - 1] > acknowledged; --i) ++n;
    return n;
  }
  // Forgets the frames whose every byte is acknowledged (all but the last `unacknowledged`).
  void Acknowledged(uint64_t unacknowledged) {
    const uint64_t acknowledged = unacknowledged >= total_ ? 0 : total_ - unacknowledged;
    while (head_ < ends_.size() && ends_[head_] <= acknowledged) ++head_;
  }
  size_t tracked() const { return ends_.size() - head_; }
  uint64_t bytes_written() const { return total_; }

 private:
  // Forgotten entries are dropped from the front once they are this many and at least half:
  // amortised O(1), and the vector's capacity is kept (no allocation per frame, as a deque's
  // block per 64 entries would be).
  static constexpr size_t kCompactAfter = 256;
  uint64_t total_ = 0;
  std::vector<uint64_t> ends_;  // cumulative end offset of each frame, from head_ on tracked
  size_t head_ = 0;
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_IN_FLIGHT_FRAMES_H_
