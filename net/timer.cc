#include "net/timer.h"

namespace uxcom::net::detail {

void SleepAwaiter::OnTimer(TimerNode* node) {
  SleepAwaiter* self = static_cast<Node*>(node)->self;
  self->hook_.Unlink();
  self->executor_->Schedule(self->handle_);
}

void SleepAwaiter::OnCancel(CancelRegistration* reg) {
  SleepAwaiter* self = static_cast<Hook*>(reg)->self;
  self->cancelled_ = true;
  self->executor_->RemoveTimer(&self->node_);
  self->executor_->Schedule(self->handle_);
}

}  // namespace uxcom::net::detail
