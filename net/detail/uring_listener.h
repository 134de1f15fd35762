// The io_uring backend's listening socket: one multishot accept (one-shot on kernels before
// 5.19) while someone is accepting; connections accepted with nobody waiting queue here, up to
// 16, then the accept is cancelled and the kernel's backlog holds the rest.
//
// Created by UringRing::NewListener; see detail/backend.h for the ListenerCore contract.
#ifndef UXCOM_NET_DETAIL_URING_LISTENER_H_
#define UXCOM_NET_DETAIL_URING_LISTENER_H_

#include <deque>

#include "net/detail/backend.h"
#include "net/detail/uring_ring.h"

namespace uxcom::net::detail {

class UringListener final : public ListenerCore {
 public:
  UringListener(UringRing* ring, int fd);
  bool StartAccept(AcceptOp* op) override;
  void Close() override;
  void Release() override;

 private:
  static void OnAccept(Completion* c, int32_t res, uint32_t flags);
  void Arm();
  void MaybeFinalize();

  UringRing* ring_;
  int kernel_ops_ = 0;
  bool armed_ = false;
  bool multishot_ = false;
  bool cancelling_ = false;
  bool closed_ = false;
  bool released_ = false;
  std::deque<int> ready_;  // accepted fds (or -errno) nobody asked for yet
  OwnedCompletion<UringListener> accept_c_;
};

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_URING_LISTENER_H_
