// Event: a manual-reset asynchronous event for coordinating tasks on one executor.
//
// Wait() suspends until the event is set (returns at once if it already is). Set() wakes every
// waiter; the event stays set until Reset(). Typical use: one coroutine of a connection waits
// for another to finish a negotiation handshake.
//
//   Event negotiated;
//   // reader task:                       // sender task:
//   ...decode reply...                    absl::Status s = co_await negotiated.Wait();
//   negotiated.Set();                     if (!s.ok()) co_return;
//                                         ...send queued messages...
//
// Wait() returns OK once set, or kCancelled if the waiting task is cancelled first or the
// Event is destroyed while it waits. Executor thread only.
#ifndef UXCOM_NET_EVENT_H_
#define UXCOM_NET_EVENT_H_

#include <coroutine>

#include "absl/status/status.h"
#include "net/detail/intrusive_list.h"
#include "net/detail/waiter.h"
#include "net/task.h"

namespace uxcom::net {

class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() { WakeAll(kDestroyed); }

  bool is_set() const { return set_; }
  void Set() {
    set_ = true;
    WakeAll(kSet);
  }
  void Reset() { set_ = false; }

  struct UXCOM_AWAITABLE Awaiter {
    explicit Awaiter(Event* e) : event(e) {}
    // Movable until it is awaited (e.g. into net::WithTimeout or net::WhenAny).
    Awaiter(Awaiter&& other) noexcept : event(other.event) {}
    Event* event;
    detail::Waiter waiter;
    bool await_ready() const noexcept { return event->set_; }
    template <typename P>
    bool await_suspend(std::coroutine_handle<P> handle) {
      if (!waiter.Arm(handle.promise().context, handle)) return false;
      event->waiters_.push_back(&waiter);
      return true;
    }
    absl::Status await_resume() const {
      if (waiter.cancelled()) return absl::CancelledError("event wait cancelled");
      if (waiter.reason == kDestroyed) return absl::CancelledError("event destroyed");
      return absl::OkStatus();
    }
  };
  Awaiter Wait() { return Awaiter(this); }

 private:
  static constexpr int kSet = 1;
  static constexpr int kDestroyed = 2;
  void WakeAll(int reason) {
    while (detail::Waiter* w = waiters_.front()) {
      w->reason = reason;
      w->Wake();
    }
  }
  bool set_ = false;
  detail::IntrusiveList<detail::Waiter> waiters_;
};

}  // namespace uxcom::net

#endif  // UXCOM_NET_EVENT_H_
