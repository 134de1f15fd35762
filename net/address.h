// Socket addresses and XCom "host:port" strings.
//
// SocketAddress holds a resolved IPv4 or IPv6 address and port (a sockaddr_storage).
// ParseHostPort() splits an XCom node address into host and port with exactly the acceptance
// rules of MySQL 8.0.18's get_ip_and_port(), plus the range checks the original lacks:
//
//   "[<text with ':'>]:<port>"  IPv6 form; the text inside the first '[' ... first ']' is the
//                               host and must contain a ':' (so "[name]:1" is rejected)
//   "<host>:<port>"             IPv4 address or host name; exactly one ':' (a bare IPv6
//                               address is rejected)
//   port                        the text after the LAST ':' of the whole string, read like
//                               strtol(base 10): leading whitespace and a sign are allowed,
//                               anything after the digits is an error
//   host length                 at most kMaxHostLength (511) bytes (IP_MAX_SIZE 512 with NUL)
//
// Quirks kept for compatibility (MySQL accepts these, so valid configurations must parse):
// leading whitespace in the host is kept as part of it, text before '[' and between ']' and
// the last ':' is ignored ("x[::1]y:3306" is host "::1", port 3306), and the bracketed host is
// not otherwise validated. Differences from the original, all rejections of input it would
// have mangled: the port must be in 1..65535 (the original truncated "-1" to 65535 and
// "70000" to 4464), the host must not be empty (":3306"), ']' without '[' is an error (the
// original read garbage), and so is an embedded NUL.
//
//   absl::StatusOr<HostPort> hp = ParseHostPort("[::1]:33061");   // {"::1", 33061, true}
//   absl::StatusOr<SocketAddress> a = SocketAddress::FromNumeric("::1", 33061);
//   a->ToString();                                                 // "[::1]:33061"
#ifndef UXCOM_NET_ADDRESS_H_
#define UXCOM_NET_ADDRESS_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace uxcom::net {

class SocketAddress {
 public:
  SocketAddress() = default;  // AF_UNSPEC: "unspecified"

  // Errors: kInvalidArgument for a family other than AF_INET/AF_INET6 or a short length.
  static absl::StatusOr<SocketAddress> FromSockaddr(const sockaddr* address, socklen_t length);
  // A numeric IPv4 ("127.0.0.1") or IPv6 ("::1", "fe80::1%eth0") literal; no name lookup.
  static absl::StatusOr<SocketAddress> FromNumeric(std::string_view host, uint16_t port);
  static SocketAddress Loopback4(uint16_t port);
  static SocketAddress Loopback6(uint16_t port);
  static SocketAddress Any4(uint16_t port);
  static SocketAddress Any6(uint16_t port);

  int family() const { return storage_.ss_family; }
  bool is_ipv4() const { return family() == AF_INET; }
  bool is_ipv6() const { return family() == AF_INET6; }
  uint16_t port() const;
  void set_port(uint16_t port);
  const sockaddr* data() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const { return length_; }

  // "1.2.3.4:5", "[::1]:5", or "unspecified".
  std::string ToString() const;
  // The address without port: "1.2.3.4", "::1".
  std::string HostString() const;

  friend bool operator==(const SocketAddress& a, const SocketAddress& b);

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

// IP_MAX_SIZE (512) minus the terminating NUL.
inline constexpr size_t kMaxHostLength = 511;

struct HostPort {
  std::string host;
  uint16_t port = 0;
  bool bracketed = false;  // written as "[...]:port"
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// Splits an XCom node address; kInvalidArgument (naming the address and the rule it broke)
// for anything get_ip_and_port() rejects and for the range violations listed above.
absl::StatusOr<HostPort> ParseHostPort(std::string_view address);

}  // namespace uxcom::net

#endif  // UXCOM_NET_ADDRESS_H_
