// Socket: an owned, non-blocking socket file descriptor (RAII) and its options.
//
// A Socket closes its fd when destroyed. It knows nothing about executors; Stream and Listener
// take one over. All setters return a Status naming the option, the fd and the errno text.
//
//   absl::StatusOr<Socket> s = Socket::CreateTcp(AF_INET6);
//   s->SetNoDelay(true);
#ifndef UXCOM_NET_SOCKET_H_
#define UXCOM_NET_SOCKET_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/address.h"

namespace uxcom::net {

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    if (this != &other) {
      Close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Socket() { Close(); }

  // A non-blocking, close-on-exec TCP socket of `family` (AF_INET or AF_INET6).
  static absl::StatusOr<Socket> CreateTcp(int family);

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Close();

  absl::Status SetNoDelay(bool on);
  absl::Status SetReuseAddress(bool on);
  absl::Status SetKeepAlive(bool on);
  absl::Status SetSendBufferSize(int bytes);
  absl::Status SetReceiveBufferSize(int bytes);
  // SO_LINGER {on, seconds}; {true, 0} makes close() send RST instead of FIN.
  absl::Status SetLinger(bool on, int seconds);
  absl::Status SetNonBlocking(bool on);

  absl::StatusOr<SocketAddress> LocalAddress() const;
  absl::StatusOr<SocketAddress> PeerAddress() const;

 private:
  int fd_ = -1;
};

}  // namespace uxcom::net

#endif  // UXCOM_NET_SOCKET_H_
