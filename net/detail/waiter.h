// A suspended coroutine parked on a wait list (channel, event, scope join), which the
// awaiting task's cancellation can unpark. Lives in the awaitable, so waiting never allocates.
#ifndef UXCOM_NET_DETAIL_WAITER_H_
#define UXCOM_NET_DETAIL_WAITER_H_

#include <coroutine>

#include "net/cancellation.h"
#include "net/detail/intrusive_list.h"
#include "net/task.h"

namespace uxcom::net {
class Executor;
}  // namespace uxcom::net

namespace uxcom::net::detail {

void ScheduleOn(Executor* executor, std::coroutine_handle<> handle);  // executor.cc

class Waiter : public ListNode {
 public:
  Waiter() = default;
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  ~Waiter() { Unlink(); }

  // Binds to the awaiting task; returns false (nothing armed) if it is already cancelled.
  bool Arm(TaskContext* context, std::coroutine_handle<> handle) {
    executor_ = context->executor;
    handle_ = handle;
    hook_.owner = this;
    if (context->cancel != nullptr && !context->cancel->Register(&hook_)) {
      cancelled_ = true;
      return false;
    }
    return true;
  }

  // Removes this waiter from its list and resumes it on a later turn.
  void Wake() {
    hook_.Unlink();
    Unlink();
    ScheduleOn(executor_, handle_);
  }

  bool cancelled() const { return cancelled_; }
  // Why the waiter was woken, for the container's own use (e.g. "closed", "destroyed").
  int reason = 0;
  Executor* executor() const { return executor_; }

 private:
  struct Hook : CancelRegistration {
    Hook() : CancelRegistration(&OnCancel) {}
    Waiter* owner = nullptr;
  };
  static void OnCancel(CancelRegistration* reg) {
    Waiter* self = static_cast<Hook*>(reg)->owner;
    self->cancelled_ = true;
    self->Wake();
  }

  Executor* executor_ = nullptr;
  std::coroutine_handle<> handle_;
  Hook hook_;
  bool cancelled_ = false;
};

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_WAITER_H_
