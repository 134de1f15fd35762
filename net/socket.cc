#include "net/socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "net/detail/errno_status.h"

namespace uxcom::net {

absl::StatusOr<Socket> Socket::CreateTcp(int family) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    return detail::ErrnoStatus(
        errno, absl::StrCat("socket(", family == AF_INET6 ? "AF_INET6" : "AF_INET", ")"));
  }
  return Socket(fd);
}

void Socket::Close() {
  if (fd_ >= 0) {
    // Linux releases the fd even when close() reports EINTR: never retry.
    ::close(fd_);
    fd_ = -1;
  }
}

namespace {
absl::Status SetInt(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    return detail::ErrnoStatus(errno, absl::StrCat("setsockopt(", what, ") fd ", fd));
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status Socket::SetNoDelay(bool on) {
  return SetInt(fd_, IPPROTO_TCP, TCP_NODELAY, on, "TCP_NODELAY");
}
absl::Status Socket::SetReuseAddress(bool on) {
  return SetInt(fd_, SOL_SOCKET, SO_REUSEADDR, on, "SO_REUSEADDR");
}
absl::Status Socket::SetKeepAlive(bool on) {
  return SetInt(fd_, SOL_SOCKET, SO_KEEPALIVE, on, "SO_KEEPALIVE");
}
absl::Status Socket::SetSendBufferSize(int bytes) {
  return SetInt(fd_, SOL_SOCKET, SO_SNDBUF, bytes, "SO_SNDBUF");
}
absl::Status Socket::SetReceiveBufferSize(int bytes) {
  return SetInt(fd_, SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF");
}
absl::Status Socket::SetLinger(bool on, int seconds) {
  linger l{on ? 1 : 0, seconds};
  if (::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) {
    return detail::ErrnoStatus(errno, absl::StrCat("setsockopt(SO_LINGER) fd ", fd_));
  }
  return absl::OkStatus();
}
absl::Status Socket::SetNonBlocking(bool on) {
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) != 0) {
    return detail::ErrnoStatus(errno, absl::StrCat("fcntl(O_NONBLOCK) fd ", fd_));
  }
  return absl::OkStatus();
}

absl::StatusOr<SocketAddress> Socket::LocalAddress() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return detail::ErrnoStatus(errno, absl::StrCat("getsockname fd ", fd_));
  }
  return SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

absl::StatusOr<SocketAddress> Socket::PeerAddress() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return detail::ErrnoStatus(errno, absl::StrCat("getpeername fd ", fd_));
  }
  return SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace uxcom::net
