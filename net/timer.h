// Timers: Sleep, SleepUntil, Yield and WithTimeout.
//
// Timers live in the executor's min-heap (no kernel timer per sleep); the loop waits until
// the earliest deadline. Every timer awaitable is cancellable: a cancelled sleep returns
// kCancelled at once.
//
//   absl::Status s = co_await Sleep(std::chrono::milliseconds(100));   // OK or kCancelled
//   absl::StatusOr<Stream> c = co_await WithTimeout(std::chrono::seconds(10),
//                                                   Stream::Connect(ex, address));
//   // kDeadlineExceeded if Connect() did not finish within 10 s.
#ifndef UXCOM_NET_TIMER_H_
#define UXCOM_NET_TIMER_H_

#include <chrono>
#include <coroutine>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "net/cancellation.h"
#include "net/detail/timer_heap.h"
#include "net/executor.h"
#include "net/task.h"

namespace uxcom::net {

namespace detail {

class UXCOM_AWAITABLE SleepAwaiter {
 public:
  // `deadline` absolute, or `relative` to the current time (a fresh clock reading when the
  // sleep starts, not the cached Now() of the turn, which may be older: a sleep never ends
  // early; under virtual time, the virtual time).
  SleepAwaiter(TimePoint deadline, Duration relative, bool is_relative)
      : deadline_(deadline), relative_(relative), is_relative_(is_relative) {
    hook_.self = this;
    node_.self = this;
  }
  SleepAwaiter(const SleepAwaiter&) = delete;
  ~SleepAwaiter() {
    if (executor_ != nullptr) ExecutorAccess::RemoveTimer(*executor_, &node_);
  }

  bool await_ready() const noexcept { return false; }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> handle) {
    TaskContext* context = handle.promise().context;
    handle_ = handle;
    if (context->cancel != nullptr && !context->cancel->Register(&hook_)) {
      cancelled_ = true;
      return false;
    }
    executor_ = context->executor;
    node_.deadline = is_relative_ ? ExecutorAccess::ReadClock(*executor_) + relative_ : deadline_;
    node_.callback = &OnTimer;
    ExecutorAccess::AddTimer(*executor_, &node_);
    return true;
  }
  absl::Status await_resume() const {
    if (cancelled_) return absl::CancelledError("sleep cancelled");
    return absl::OkStatus();
  }

 private:
  struct Hook : CancelRegistration {
    Hook() : CancelRegistration(&OnCancel) {}
    SleepAwaiter* self = nullptr;
  };
  static void OnTimer(TimerNode* node);
  static void OnCancel(CancelRegistration* reg);

  TimePoint deadline_;
  Duration relative_;
  bool is_relative_;
  struct Node : TimerNode {
    SleepAwaiter* self = nullptr;
  };
  bool cancelled_ = false;
  Executor* executor_ = nullptr;
  std::coroutine_handle<> handle_;
  Node node_;
  Hook hook_;
};

struct UXCOM_AWAITABLE YieldAwaiter {
  bool await_ready() const noexcept { return false; }
  template <typename P>
  void await_suspend(std::coroutine_handle<P> handle) {
    ExecutorAccess::Schedule(*handle.promise().context->executor, handle);
  }
  void await_resume() const noexcept {}
};

template <typename T>
struct IsStatusLike : std::false_type {};
template <>
struct IsStatusLike<absl::Status> : std::true_type {};
template <typename U>
struct IsStatusLike<absl::StatusOr<U>> : std::true_type {};

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename U>
const absl::Status& StatusOf(const absl::StatusOr<U>& s) {
  return s.status();
}

// A timer that cancels a CancelSource when it fires.
struct CancelTimer : TimerNode {
  Executor* executor = nullptr;
  CancelSource* source = nullptr;
  bool fired = false;
  ~CancelTimer() {
    if (queued()) ExecutorAccess::RemoveTimer(*executor, this);
  }
  static void OnFire(TimerNode* node) {
    auto* self = static_cast<CancelTimer*>(node);
    self->fired = true;
    self->source->Cancel();
  }
};

}  // namespace detail

// Suspends the task for at least `duration` (from a fresh clock reading, not the cached
// Now()); under virtual time, for exactly `duration`.
// Returns OK, or kCancelled if the task is cancelled first.
inline detail::SleepAwaiter Sleep(Duration duration) {
  return detail::SleepAwaiter(TimePoint{}, duration, true);
}
inline detail::SleepAwaiter SleepUntil(TimePoint deadline) {
  return detail::SleepAwaiter(deadline, Duration{0}, false);
}

// Lets every other ready task run once before this one continues.
inline detail::YieldAwaiter Yield() { return {}; }

// Awaits `task` but cancels it if it has not finished after `timeout`; a task that then
// returns kCancelled is reported as kDeadlineExceeded ("... timed out after ..."). The task
// always finishes before WithTimeout returns, so its buffers are no longer in use.
// T is absl::Status or absl::StatusOr<U>.
template <typename T>
Task<T> WithTimeout(Duration timeout, Task<T> task) {
  static_assert(detail::IsStatusLike<T>::value, "WithTimeout needs a Task<Status[Or]>");
  TaskContext* parent = co_await detail::CurrentContext();
  CancelSource source(parent->cancel);
  TaskContext context{parent->executor, &source};
  detail::CancelTimer timer;
  timer.executor = parent->executor;
  timer.source = &source;
  timer.callback = &detail::CancelTimer::OnFire;
  // A fresh reading, not the cached Now(): never early.
  timer.deadline = detail::ExecutorAccess::ReadClock(*parent->executor) + timeout;
  detail::ExecutorAccess::AddTimer(*parent->executor, &timer);
  T result = co_await std::move(task).WithContext(&context);
  detail::ExecutorAccess::RemoveTimer(*parent->executor, &timer);
  if (timer.fired && !detail::StatusOf(result).ok() &&
      detail::StatusOf(result).code() == absl::StatusCode::kCancelled &&
      (parent->cancel == nullptr || !parent->cancel->cancelled())) {
    co_return absl::DeadlineExceededError(
        absl::StrCat(detail::StatusOf(result).message(), ": timed out after ",
                     std::chrono::duration<double, std::milli>(timeout).count(), " ms"));
  }
  co_return result;
}

// A one-shot timer that calls `on_expiry` on the executor's thread unless disarmed first. For a
// deadline that ends a whole activity rather than one await (close a connection whose write
// has stalled: WithTimeout would need a coroutine per write); it lives in the object it guards
// and costs no allocation. Derive from it to reach your own state from the callback.
// Executor thread only.
//
//   struct StallTimer : DeadlineTimer {
//     StallTimer() : DeadlineTimer([](DeadlineTimer& t) {
//     static_cast<StallTimer&>(t).conn->Close(); }) {} Connection* conn;
//   };
//   timer.ArmAfter(executor, std::chrono::seconds(10));   ... timer.Disarm();
class DeadlineTimer {
 public:
  using Callback = void (*)(DeadlineTimer& timer);
  explicit DeadlineTimer(Callback on_expiry) : on_expiry_(on_expiry) {
    node_.owner = this;
    node_.callback = &Fire;
  }
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;
  ~DeadlineTimer() { Disarm(); }

  // (Re)arms it to fire `timeout` after now (a fresh clock reading: never early).
  void ArmAfter(Executor& executor, Duration timeout) {
    Disarm();
    executor_ = &executor;
    armed_at_ = detail::ExecutorAccess::ReadClock(executor);
    node_.deadline = armed_at_ + timeout;
    detail::ExecutorAccess::AddTimer(executor, &node_);
  }
  void Disarm() {
    if (executor_ != nullptr) detail::ExecutorAccess::RemoveTimer(*executor_, &node_);
  }
  bool armed() const { return node_.queued(); }
  // When it was last armed, and when it fires (or fired).
  TimePoint armed_at() const { return armed_at_; }
  TimePoint deadline() const { return node_.deadline; }
  Executor* executor() const { return executor_; }

 private:
  struct Node : detail::TimerNode {
    DeadlineTimer* owner = nullptr;
  };
  static void Fire(detail::TimerNode* node) {
    DeadlineTimer* self = static_cast<Node*>(node)->owner;
    self->on_expiry_(*self);
  }

  Callback on_expiry_;
  Node node_;
  Executor* executor_ = nullptr;
  TimePoint armed_at_{};
};

// The same for any movable awaitable: `co_await WithTimeout(5s, transport.Receive())`.
template <Awaiter A>
auto WithTimeout(Duration timeout, A awaiter) {
  return WithTimeout(timeout, AsTask(std::move(awaiter)));
}

// True if the calling task has been asked to stop (its scope was cancelled).
struct UXCOM_AWAITABLE CancellationRequestedAwaiter {
  bool requested = false;
  bool await_ready() const noexcept { return false; }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> handle) noexcept {
    CancelSource* c = handle.promise().context->cancel;
    requested = c != nullptr && c->cancelled();
    return false;
  }
  bool await_resume() const noexcept { return requested; }
};
inline CancellationRequestedAwaiter CancellationRequested() { return {}; }

// The executor the calling task runs on.
struct UXCOM_AWAITABLE CurrentExecutorAwaiter {
  Executor* executor = nullptr;
  bool await_ready() const noexcept { return false; }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> handle) noexcept {
    executor = handle.promise().context->executor;
    return false;
  }
  Executor& await_resume() const noexcept { return *executor; }
};
inline CurrentExecutorAwaiter CurrentExecutor() { return {}; }

}  // namespace uxcom::net

#endif  // UXCOM_NET_TIMER_H_
