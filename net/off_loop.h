// RunOffLoop: runs CPU-heavy work on a thread of its own while the executor keeps turning.
//
// The executor is one thread: a function that computes for a second (decoding a huge frame)
// freezes every connection's deliveries and timers for that second. RunOffLoop runs it on a
// fresh thread and resumes the awaiting task on its executor when it returns.
//
// Lifetime is structured: the task resumes only after the function has returned, so the
// function may use everything the task owns (by reference) until then. Cancelling the task
// sets the `stop` flag the function is given and still waits for it to return: the function
// checks `stop` often enough to make cancellation prompt. If the task's frame is destroyed
// while it waits (a shutdown past its grace period), the destructor sets `stop` and joins the
// thread. Under virtual time, time stands still while the function runs.
//
// Costs one thread start (tens of microseconds): for work of milliseconds or more, not per
// message.
//
//   absl::Status status;
//   co_await net::RunOffLoop(Crunch{&input, &status});   // Crunch::operator()(stop) checks stop
#ifndef UXCOM_NET_OFF_LOOP_H_
#define UXCOM_NET_OFF_LOOP_H_

#include <atomic>
#include <coroutine>
#include <memory>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "net/cancellation.h"
#include "net/task.h"

namespace uxcom::net {

class Executor;

namespace detail {

struct OffLoopWork {
  absl::AnyInvocable<void(const std::atomic<bool>& stop)> fn;
  std::atomic<bool> stop{false};
  std::thread thread;
  // Executor-thread state.
  Executor* executor = nullptr;
  std::coroutine_handle<> waiter;
  bool abandoned = false;  // the awaiter is gone: nobody to resume
};

class OffLoopAwaiter {
 public:
  explicit OffLoopAwaiter(absl::AnyInvocable<void(const std::atomic<bool>&)> fn);
  OffLoopAwaiter(const OffLoopAwaiter&) = delete;
  OffLoopAwaiter& operator=(const OffLoopAwaiter&) = delete;
  ~OffLoopAwaiter();

  bool await_ready() const noexcept { return false; }
  template <typename P>
  void await_suspend(std::coroutine_handle<P> handle) {
    Start(handle.promise().context, handle);
  }
  void await_resume() { hook_.Unlink(); }

 private:
  struct Hook : CancelRegistration {
    Hook() : CancelRegistration(&OnCancel) {}
    OffLoopWork* work = nullptr;
  };
  static void OnCancel(CancelRegistration* reg);
  void Start(TaskContext* context, std::coroutine_handle<> handle);

  std::shared_ptr<OffLoopWork> work_;
  Hook hook_;
};

}  // namespace detail

// Runs `fn(stop)` on another thread; completes when it has returned.
inline Task<void> RunOffLoop(absl::AnyInvocable<void(const std::atomic<bool>& stop)> fn) {
  detail::OffLoopAwaiter awaiter(std::move(fn));
  co_await awaiter;
}

}  // namespace uxcom::net

#endif  // UXCOM_NET_OFF_LOOP_H_
