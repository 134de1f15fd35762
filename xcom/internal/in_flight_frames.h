// InFlightFrames: which frames a connection handed to the kernel may still be lost, without I/O.
//
// A completed write only means the kernel took the bytes. When the connection then breaks, the
// bytes the peer never acknowledged (Stream::Queued().unacknowledged) may never arrive; the
// frames they belong to are the ones to count as lost (DropReason::kLostInFlight). This keeps
// the end offset of every frame written, in stream order, and answers how many frames have a
// byte among the last `n` written. Entries the peer has acknowledged are dropped as the
// connection goes (Acknowledged), so memory follows the kernel's send queue, not the traffic.
// When to ask the kernel is decided here too (prune_due: after 256 frames, then after twice
// what the last answer left tracked, and whenever the entries fill their capacity), so that
// the entries stay in the capacity reserved at the first write while the kernel holds fewer
// than 3/4 of it unacknowledged, and a steady connection never allocates.
//
//   InFlightFrames f;
//   f.Written(100);  f.Written(50);            // two frames, 150 bytes
//   f.FramesWithin(60);                         // 2: the last 60 bytes touch both
//   f.Acknowledged(/*unacknowledged=*/50);      // the first frame arrived: forgotten
//   if (f.prune_due()) f.Acknowledged(/* Stream::Queued().unacknowledged */);
//
// Executor thread only.
#ifndef UXCOM_XCOM_INTERNAL_IN_FLIGHT_FRAMES_H_
#define UXCOM_XCOM_INTERNAL_IN_FLIGHT_FRAMES_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace uxcom::xcom::internal {

class InFlightFrames {
 public:
  // `initial_capacity` entries are reserved at the first write (8 bytes each): the frames the
  // kernel may hold unacknowledged, 3/4 of it, before the tracker grows.
  static constexpr size_t kDefaultInitialCapacity = 512;
  explicit InFlightFrames(size_t initial_capacity = kDefaultInitialCapacity)
      : initial_capacity_(std::max(initial_capacity, 2 * kCompactAfter)) {}

  // One frame of `bytes` was written completely (after the frames before it).
  void Written(uint64_t bytes) {
    total_ += bytes;
    if (ends_.capacity() == 0) ends_.reserve(initial_capacity_);
    if (head_ == ends_.size()) {  // nothing tracked: start over at the front
      ends_.clear();
      head_ = 0;
    } else if ((head_ >= kCompactAfter && 2 * head_ >= ends_.size()) ||
               (ends_.size() == ends_.capacity() && 4 * head_ >= ends_.size())) {
      // Half forgotten, or full with a quarter forgotten: moving the rest is cheaper than
      // growing (which happens only when the kernel holds 3/4 of the capacity unacknowledged).
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
    next_prune_ = std::max(kCompactAfter, 2 * tracked());
  }
  // Time to ask the kernel what is unacknowledged and call Acknowledged. (When it cannot say,
  // call Acknowledged(bytes_written()): nothing is forgotten, and it is asked again later.)
  bool prune_due() const { return tracked() >= next_prune_ || ends_.size() == ends_.capacity(); }
  size_t tracked() const { return ends_.size() - head_; }
  size_t capacity() const { return ends_.capacity(); }
  uint64_t bytes_written() const { return total_; }

 private:
  // Forgotten entries are dropped from the front once they are this many and at least half:
  // amortised O(1), and the vector's capacity is kept (no allocation per frame, as a deque's
  // block per 64 entries would be).
  static constexpr size_t kCompactAfter = 256;
  // Reserved at the first write, so that a connection pruned when prune_due() reaches its
  // steady capacity at once: growing later would allocate in the middle of a steady workload.
  size_t initial_capacity_;
  uint64_t total_ = 0;
  std::vector<uint64_t> ends_;  // cumulative end offset of each frame, from head_ on tracked
  size_t head_ = 0;
  size_t next_prune_ = kCompactAfter;
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_IN_FLIGHT_FRAMES_H_
