#include "net/detail/uring_listener.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace uxcom::net::detail {

UringListener::UringListener(UringRing* ring, int fd) : ring_(ring) {
  fd_ = fd;
  accept_c_.fn = &OnAccept;
  accept_c_.owner = this;
}

void UringListener::Arm() {
  if (armed_ || closed_ || ring_->aborting()) return;
  io_uring_sqe* sqe = ring_->Sqe();
  multishot_ = ring_->multishot_accept();
  if (multishot_) {
    io_uring_prep_multishot_accept(sqe, fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  } else {
    io_uring_prep_accept(sqe, fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  }
  ring_->Track(sqe, &accept_c_);
  armed_ = true;
  ++kernel_ops_;
}

bool UringListener::StartAccept(AcceptOp* op) {
  if (acceptor_ != nullptr) {
    op->result = -EBUSY;
    return true;
  }
  if (!ready_.empty()) {
    op->result = ready_.front();
    ready_.pop_front();
    return true;
  }
  acceptor_ = op;
  op->target = this;
  op->pending = true;
  Arm();
  return false;
}

void UringListener::OnAccept(Completion* c, int32_t res, uint32_t flags) {
  UringListener* self = static_cast<OwnedCompletion<UringListener>*>(c)->owner;
  if (!(flags & IORING_CQE_F_MORE)) {
    --self->kernel_ops_;
    self->armed_ = false;
    self->cancelling_ = false;
  }
  if (res == -EINVAL && self->multishot_) {
    self->ring_->DisableMultishotAccept();  // kernel < 5.19
    if (self->acceptor_ != nullptr) self->Arm();
  } else if (res == -ECANCELED) {
    if (self->acceptor_ != nullptr && !self->closed_) self->Arm();
  } else if (self->closed_) {
    if (res >= 0) ::close(res);
  } else if (self->acceptor_ != nullptr) {
    std::exchange(self->acceptor_, nullptr)->Finish(res);
  } else {
    self->ready_.push_back(res);
    // Nobody is accepting: stop, and let the backlog (not this queue) hold new connections.
    if ((flags & IORING_CQE_F_MORE) && !self->cancelling_ && self->ready_.size() >= 16) {
      self->ring_->CancelRequest(&self->accept_c_);
      self->cancelling_ = true;
    }
  }
  self->MaybeFinalize();
}

void UringListener::Close() {
  if (closed_) return;
  closed_ = true;
  if (acceptor_ != nullptr) std::exchange(acceptor_, nullptr)->Finish(-ECANCELED);
  if (armed_) ring_->CancelRequest(&accept_c_);
  for (int fd : ready_) {
    if (fd >= 0) ::close(fd);
  }
  ready_.clear();
  MaybeFinalize();
}

void UringListener::Release() {
  released_ = true;
  if (closed_) {
    MaybeFinalize();
  } else {
    Close();
  }
}

void UringListener::MaybeFinalize() {
  if (!closed_ || kernel_ops_ > 0) return;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (released_) delete this;
}

}  // namespace uxcom::net::detail
