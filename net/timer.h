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

class SleepAwaiter {
 public:
  // `deadline` absolute, or `relative` to the current time (Clock::now() when the sleep
  // starts, not the cached Now() of the turn, which may be older: a sleep never ends early).
  SleepAwaiter(TimePoint deadline, Duration relative, bool is_relative)
      : deadline_(deadline), relative_(relative), is_relative_(is_relative) {
    hook_.self = this;
    node_.self = this;
  }
  SleepAwaiter(const SleepAwaiter&) = delete;
  ~SleepAwaiter() {
    if (executor_ != nullptr) executor_->RemoveTimer(&node_);
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
    node_.deadline = is_relative_ ? Clock::now() + relative_ : deadline_;
    node_.callback = &OnTimer;
    executor_->AddTimer(&node_);
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

struct YieldAwaiter {
  bool await_ready() const noexcept { return false; }
  template <typename P>
  void await_suspend(std::coroutine_handle<P> handle) {
    handle.promise().context->executor->Schedule(handle);
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
    if (queued()) executor->RemoveTimer(this);
  }
  static void OnFire(TimerNode* node) {
    auto* self = static_cast<CancelTimer*>(node);
    self->fired = true;
    self->source->Cancel();
  }
};

}  // namespace detail

// Suspends the task for at least `duration` (from the current time, not the cached Now()).
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
  timer.deadline = Clock::now() + timeout;  // not the cached Now(): never early
  parent->executor->AddTimer(&timer);
  T result = co_await std::move(task).WithContext(&context);
  parent->executor->RemoveTimer(&timer);
  if (timer.fired && !detail::StatusOf(result).ok() &&
      detail::StatusOf(result).code() == absl::StatusCode::kCancelled &&
      (parent->cancel == nullptr || !parent->cancel->cancelled())) {
    co_return absl::DeadlineExceededError(
        absl::StrCat(detail::StatusOf(result).message(), ": timed out after ",
                     std::chrono::duration<double, std::milli>(timeout).count(), " ms"));
  }
  co_return result;
}

// True if the calling task has been asked to stop (its scope was cancelled).
struct CancellationRequestedAwaiter {
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
struct CurrentExecutorAwaiter {
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
