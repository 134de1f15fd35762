// A binary min-heap of timer nodes keyed by deadline. Nodes live in the awaitables that own
// them and remember their heap index, so removal (cancellation) is O(log n) and never
// allocates beyond the heap's vector of pointers.
#ifndef UXCOM_NET_DETAIL_TIMER_HEAP_H_
#define UXCOM_NET_DETAIL_TIMER_HEAP_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace uxcom::net::detail {

struct TimerNode {
  using Callback = void (*)(TimerNode*);
  std::chrono::steady_clock::time_point deadline;
  Callback callback = nullptr;
  size_t index = kNotQueued;
  uint64_t sequence = 0;  // FIFO among equal deadlines
  static constexpr size_t kNotQueued = ~size_t{0};
  bool queued() const { return index != kNotQueued; }
};

class TimerHeap {
 public:
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  TimerNode* top() const { return heap_.empty() ? nullptr : heap_.front(); }

  void Push(TimerNode* node) {
    node->sequence = next_sequence_++;
    node->index = heap_.size();
    heap_.push_back(node);
    SiftUp(node->index);
  }

  void Remove(TimerNode* node) {
    if (!node->queued()) return;
    size_t i = node->index;
    size_t last = heap_.size() - 1;
    if (i != last) {
      Swap(i, last);
      heap_.pop_back();
      SiftDown(i);
      SiftUp(i);
    } else {
      heap_.pop_back();
    }
    node->index = TimerNode::kNotQueued;
  }

 private:
  static bool Less(const TimerNode* a, const TimerNode* b) {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->sequence < b->sequence);
  }
  void Swap(size_t a, size_t b) {
    std::swap(heap_[a], heap_[b]);
    heap_[a]->index = a;
    heap_[b]->index = b;
  }
  void SiftUp(size_t i) {
    while (i > 0) {
      size_t parent = (i - 1) / 2;
      if (!Less(heap_[i], heap_[parent])) break;
      Swap(i, parent);
      i = parent;
    }
  }
  void SiftDown(size_t i) {
    for (;;) {
      size_t smallest = i;
      size_t left = 2 * i + 1;
      size_t right = left + 1;
      if (left < heap_.size() && Less(heap_[left], heap_[smallest])) smallest = left;
      if (right < heap_.size() && Less(heap_[right], heap_[smallest])) smallest = right;
      if (smallest == i) return;
      Swap(i, smallest);
      i = smallest;
    }
  }

  std::vector<TimerNode*> heap_;
  uint64_t next_sequence_ = 0;
};

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_TIMER_HEAP_H_
