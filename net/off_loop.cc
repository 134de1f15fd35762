#include "net/off_loop.h"

#include "net/executor.h"

namespace uxcom::net::detail {

OffLoopAwaiter::OffLoopAwaiter(absl::AnyInvocable<void(const std::atomic<bool>&)> fn)
    : work_(std::make_shared<OffLoopWork>()) {
  work_->fn = std::move(fn);
}

OffLoopAwaiter::~OffLoopAwaiter() {
  // Normally the thread has been joined before the task resumed; this is the frame destroyed
  // while waiting.
  if (work_->thread.joinable()) {
    work_->abandoned = true;
    work_->stop.store(true, std::memory_order_relaxed);
    work_->thread.join();
  }
}

void OffLoopAwaiter::OnCancel(CancelRegistration* reg) {
  // Resumed only when the function returns: it may still be using what the task owns.
  static_cast<Hook*>(reg)->work->stop.store(true, std::memory_order_relaxed);
}

void OffLoopAwaiter::Start(TaskContext* context, std::coroutine_handle<> handle) {
  OffLoopWork& w = *work_;
  w.executor = context->executor;
  w.waiter = handle;
  hook_.work = &w;
  if (context->cancel != nullptr && !context->cancel->Register(&hook_)) {
    w.stop.store(true, std::memory_order_relaxed);  // already cancelled: the function sees it
  }
  ExecutorAccess::BeginExternalWork(*w.executor);
  w.thread = std::thread([work = work_] {
    work->fn(work->stop);
    work->executor->Post([work] {
      ExecutorAccess::EndExternalWork(*work->executor);
      if (work->abandoned) return;
      work->thread.join();  // it has returned (or is about to): this Post was its last act
      ExecutorAccess::Schedule(*work->executor, work->waiter);
    });
  });
}

}  // namespace uxcom::net::detail
