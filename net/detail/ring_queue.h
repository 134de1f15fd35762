// RingQueue<T>: a FIFO in a power-of-two ring buffer that grows by doubling and keeps its
// capacity (like a std::vector), so a queue in steady use allocates nothing per item
// (std::deque allocates and frees a block every few dozen items). Release() frees the ring.
#ifndef UXCOM_NET_DETAIL_RING_QUEUE_H_
#define UXCOM_NET_DETAIL_RING_QUEUE_H_

#include <cstddef>
#include <memory>
#include <utility>

namespace uxcom::net::detail {

template <typename T>
class RingQueue {
 public:
  RingQueue() = default;
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;
  ~RingQueue() { Release(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& front() { return data_[head_]; }
  const T& front() const { return data_[head_]; }
  const T& at(size_t i) const { return data_[(head_ + i) & (capacity_ - 1)]; }  // i < size()
  void push_back(T&& item) {
    if (size_ == capacity_) Grow();
    std::construct_at(data_ + ((head_ + size_) & (capacity_ - 1)), std::move(item));
    ++size_;
  }
  void pop_front() {
    std::destroy_at(data_ + head_);
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }
  // Room for at least n items (a power of two), so that a queue whose length is bounded grows
  // once, before its steady state, instead of at the first burst that reaches a new high.
  void Reserve(size_t n) {
    size_t capacity = capacity_ == 0 ? 16 : capacity_;
    while (capacity < n) capacity *= 2;
    if (capacity != capacity_) GrowTo(capacity);
  }
  // Destroys every item and frees the ring.
  void Release() {
    while (size_ > 0) pop_front();
    if (data_ != nullptr) std::allocator<T>().deallocate(data_, capacity_);
    data_ = nullptr;
    capacity_ = head_ = 0;
  }

 private:
  void Grow() { GrowTo(capacity_ == 0 ? 16 : 2 * capacity_); }
  void GrowTo(size_t capacity) {
    T* data = std::allocator<T>().allocate(capacity);
    for (size_t i = 0; i < size_; ++i) {
      T* from = data_ + ((head_ + i) & (capacity_ - 1));
      std::construct_at(data + i, std::move(*from));
      std::destroy_at(from);
    }
    if (data_ != nullptr) std::allocator<T>().deallocate(data_, capacity_);
    data_ = data;
    capacity_ = capacity;
    head_ = 0;
  }

  T* data_ = nullptr;
  size_t capacity_ = 0;  // 0 or a power of two
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_RING_QUEUE_H_
