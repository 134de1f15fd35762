// Channel<T>: an asynchronous FIFO between tasks of one executor.
//
// Any number of producers, usually one consumer. A bounded channel (capacity > 0) applies
// backpressure: Push() suspends while the channel is full. TryPush() never suspends and
// reports why it could not enqueue, leaving the item with the caller, so a producer can apply
// an explicit drop policy (XCom's per-peer queues).
//
// Status codes:
//   Push / TryPush: OK; kResourceExhausted (TryPush only: full); kFailedPrecondition (closed);
//                   kCancelled (Push only: the producer was cancelled while waiting for room,
//                   the item was not enqueued).
//   Pop:            the item; kOutOfRange once the channel is closed and drained;
//                   kCancelled if the consumer is cancelled while waiting.
//
// Close() refuses further pushes and wakes every waiter: blocked producers get
// kFailedPrecondition (their items are destroyed); consumers still receive every item
// enqueued before the close, then kOutOfRange. Drain() removes and returns everything queued
// (e.g. to purge a queue while a peer is down) and admits blocked producers into the freed
// room. Destroying a channel closes it. Executor thread only.
//
// Memory: items live in a ring buffer that doubles when full and keeps its capacity (like a
// std::vector), so a channel in steady use allocates nothing per item; Drain() gives the
// memory back.
//
//   Channel<Message> queue(/*capacity=*/1000);
//   if (absl::Status s = queue.TryPush(std::move(m)); absl::IsResourceExhausted(s)) ++dropped;
//   absl::StatusOr<Message> next = co_await queue.Pop();
#ifndef UXCOM_NET_CHANNEL_H_
#define UXCOM_NET_CHANNEL_H_

#include <coroutine>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/detail/intrusive_list.h"
#include "net/detail/ring_queue.h"
#include "net/detail/waiter.h"
#include "net/task.h"

namespace uxcom::net {

template <typename T>
class Channel {
  struct PopWaiter : detail::Waiter {
    std::optional<T> slot;
  };

 public:
  static constexpr size_t kUnbounded = 0;

  explicit Channel(size_t capacity = kUnbounded) : capacity_(capacity) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel() { Close(); }

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  size_t capacity() const { return capacity_; }
  bool full() const { return capacity_ != kUnbounded && items_.size() >= capacity_; }
  bool closed() const { return closed_; }
  // Room for `n` items without growing (see Memory above).
  void Reserve(size_t n) { items_.Reserve(n); }

  // Enqueues without suspending. On failure `item` is not moved from.
  absl::Status TryPush(T&& item) {
    if (closed_) return ClosedError();
    if (PopWaiter* p = poppers_.pop_front()) {  // a waiting consumer implies an empty queue
      p->slot.emplace(std::move(item));
      p->Wake();
      return absl::OkStatus();
    }
    if (full()) return absl::ResourceExhaustedError("channel full");
    items_.push_back(std::move(item));
    return absl::OkStatus();
  }
  absl::Status TryPush(const T& item) {
    T copy(item);
    return TryPush(std::move(copy));
  }

  // The oldest item without removing it, or nullptr when empty (valid until the next change).
  const T* Front() const { return items_.empty() ? nullptr : &items_.front(); }

  std::optional<T> TryPop() {
    if (items_.empty()) return std::nullopt;
    std::optional<T> out(std::move(items_.front()));
    items_.pop_front();
    AdmitPushers();
    return out;
  }

  class UXCOM_AWAITABLE PushAwaiter {
   public:
    PushAwaiter(Channel* channel, T item) : channel_(channel), item_(std::move(item)) {}
    // Movable until it is awaited (e.g. into net::WithTimeout or net::WhenAny).
    PushAwaiter(PushAwaiter&& other) noexcept
        : channel_(other.channel_), item_(std::move(other.item_)) {}
    PushAwaiter(const PushAwaiter&) = delete;
    bool await_ready() {
      result_ = channel_->TryPush(std::move(*item_));
      return !absl::IsResourceExhausted(result_);
    }
    template <typename P>
    bool await_suspend(std::coroutine_handle<P> handle) {
      if (!waiter_.Arm(handle.promise().context, handle)) return false;
      waiter_.owner = this;
      channel_->pushers_.push_back(&waiter_);
      return true;
    }
    absl::Status await_resume() {
      if (waiter_.cancelled()) return absl::CancelledError("channel push cancelled");
      if (waiter_.reason == kClosedReason) return ClosedError();
      return result_;  // OK: admitted by a consumer, or decided in await_ready
    }

   private:
    friend class Channel;
    struct Waiter : detail::Waiter {
      PushAwaiter* owner = nullptr;
    };
    Channel* channel_;
    std::optional<T> item_;
    absl::Status result_;
    Waiter waiter_;
  };
  // Enqueues `item`, suspending while the channel is full.
  PushAwaiter Push(T item) { return PushAwaiter(this, std::move(item)); }

  class UXCOM_AWAITABLE PopAwaiter {
   public:
    explicit PopAwaiter(Channel* channel) : channel_(channel) {}
    // Movable until it is awaited (e.g. into net::WithTimeout or net::WhenAny).
    PopAwaiter(PopAwaiter&& other) noexcept : channel_(other.channel_) {}
    PopAwaiter(const PopAwaiter&) = delete;
    bool await_ready() {
      waiter_.slot = channel_->TryPop();
      return waiter_.slot.has_value() || channel_->closed_;
    }
    template <typename P>
    bool await_suspend(std::coroutine_handle<P> handle) {
      if (!waiter_.Arm(handle.promise().context, handle)) return false;
      channel_->poppers_.push_back(&waiter_);
      return true;
    }
    absl::StatusOr<T> await_resume() {
      if (waiter_.slot.has_value()) return std::move(*waiter_.slot);
      if (waiter_.cancelled()) return absl::CancelledError("channel pop cancelled");
      return absl::OutOfRangeError("channel closed and drained");
    }

   private:
    PopWaiter waiter_;
    Channel* channel_;
  };
  // Dequeues the oldest item, suspending while the channel is empty and open.
  PopAwaiter Pop() { return PopAwaiter(this); }

  // Refuses further pushes; wakes blocked producers (kFailedPrecondition) and, if empty,
  // consumers (kOutOfRange). Queued items stay for Pop()/Drain(). Idempotent.
  void Close() {
    closed_ = true;
    while (detail::Waiter* w = pushers_.front()) {
      w->reason = kClosedReason;
      w->Wake();
    }
    while (PopWaiter* p = poppers_.front()) p->Wake();
  }

  // Removes and returns every queued item, then admits blocked producers into the room.
  std::vector<T> Drain() {
    std::vector<T> out;
    out.reserve(items_.size());
    while (!items_.empty()) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    items_.Release();
    AdmitPushers();
    return out;
  }

 private:
  static constexpr int kClosedReason = 1;
  static absl::Status ClosedError() { return absl::FailedPreconditionError("channel closed"); }

  void AdmitPushers() {
    while (!pushers_.empty() && !full()) {
      auto* w = static_cast<typename PushAwaiter::Waiter*>(pushers_.front());
      items_.push_back(std::move(*w->owner->item_));
      w->owner->result_ = absl::OkStatus();
      w->Wake();
    }
  }

  size_t capacity_;
  bool closed_ = false;
  detail::RingQueue<T> items_;
  detail::IntrusiveList<detail::Waiter> pushers_;
  detail::IntrusiveList<PopWaiter> poppers_;
};

}  // namespace uxcom::net

#endif  // UXCOM_NET_CHANNEL_H_
