// SendNow: a write attempted at once with non-blocking sendmsg, shared by both backends (epoll
// writes this way whenever the socket is writable; io_uring speculates that it is, and skips a
// ring round trip when it was right).
#ifndef UXCOM_NET_DETAIL_SEND_NOW_H_
#define UXCOM_NET_DETAIL_SEND_NOW_H_

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "net/detail/backend.h"
#include "net/metrics.h"

namespace uxcom::net::detail {

// Writes what `op` still holds until it is done, the socket is full or an error occurs.
// Returns true when `op` is finished (op->result set: bytes written, or -errno), false when the
// socket would block with bytes left (op advanced past what was written).
inline bool SendNow(int fd, WriteOp* op, ExecutorMetrics& metrics) {
  while (op->iov_count > 0) {
    msghdr msg{};
    msg.msg_iov = op->iov;
    msg.msg_iovlen = static_cast<size_t>(std::min(op->iov_count, 1024));  // IOV_MAX
    ssize_t n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    ExecutorMetrics::Add(metrics.syscalls, 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      op->result = -errno;
      return true;
    }
    ExecutorMetrics::Add(metrics.bytes_sent, static_cast<uint64_t>(n));
    op->Advance(static_cast<size_t>(n));
  }
  op->result = static_cast<int64_t>(op->written);
  return true;
}

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_SEND_NOW_H_
