#include "net/timer.h"

namespace uxcom::net::detail {

void SleepAwaiter::OnTimer(TimerNode* node) {
  SleepAwaiter* self = static_cast<Node*>(node)->self;
  self->hook_.Unlink();
  ExecutorAccess::Schedule(*self->executor_, self->handle_);
}

void SleepAwaiter::OnCancel(CancelRegistration* reg) {
  SleepAwaiter* self = static_cast<Hook*>(reg)->self;
  self->cancelled_ = true;
  ExecutorAccess::RemoveTimer(*self->executor_, &self->node_);
  ExecutorAccess::Schedule(*self->executor_, self->handle_);
}

}  // namespace uxcom::net::detail
