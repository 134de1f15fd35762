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
#include <deque>

namespace uxcom::xcom::internal {

class InFlightFrames {
 public:
  // One frame of `bytes` was written completely (after the frames before it).
  void Written(uint64_t bytes) {
    total_ += bytes;
    ends_.push_back(total_);
  }
  // Frames with at least one byte among the last `unacknowledged` bytes written.
  uint64_t FramesWithin(uint64_t unacknowledged) const {
    if (unacknowledged == 0) return 0;
    const uint64_t acknowledged = unacknowledged >= total_ ? 0 : total_ - unacknowledged;
    uint64_t n = 0;
    for (auto it = ends_.rbegin(); it != ends_.rend() && *it > acknowledged; ++it) ++n;
    return n;
  }
  // Forgets the frames whose every byte is acknowledged (all but the last `unacknowledged`).
  void Acknowledged(uint64_t unacknowledged) {
    const uint64_t acknowledged = unacknowledged >= total_ ? 0 : total_ - unacknowledged;
    while (!ends_.empty() && ends_.front() <= acknowledged) ends_.pop_front();
  }
  size_t tracked() const { return ends_.size(); }
  uint64_t bytes_written() const { return total_; }

 private:
  uint64_t total_ = 0;
  std::deque<uint64_t> ends_;  // cumulative end offset of each tracked frame
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_IN_FLIGHT_FRAMES_H_
