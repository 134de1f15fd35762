#include "net/address.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <cctype>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace uxcom::net {

absl::StatusOr<SocketAddress> SocketAddress::FromSockaddr(const sockaddr* address,
                                                          socklen_t length) {
  SocketAddress a;
  if (address == nullptr) return absl::InvalidArgumentError("null sockaddr");
  socklen_t need = 0;
  if (address->sa_family == AF_INET) {
    need = sizeof(sockaddr_in);
  } else if (address->sa_family == AF_INET6) {
    need = sizeof(sockaddr_in6);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported address family ", address->sa_family));
  }
  if (length < need) {
    return absl::InvalidArgumentError(
        absl::StrCat("sockaddr length ", length, " is shorter than ", need));
  }
  std::memcpy(&a.storage_, address, need);
  a.length_ = need;
  return a;
}

absl::StatusOr<SocketAddress> SocketAddress::FromNumeric(std::string_view host, uint16_t port) {
  std::string text(host);
  if (text.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("numeric address contains a NUL byte");
  }
  SocketAddress a;
  sockaddr_in v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    std::memcpy(&a.storage_, &v4, sizeof v4);
    a.length_ = sizeof v4;
    return a;
  }
  sockaddr_in6 v6{};
  std::string scope;
  if (size_t pct = text.find('%'); pct != std::string::npos) {
    scope = text.substr(pct + 1);
    text.resize(pct);
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    if (!scope.empty()) {
      unsigned index = if_nametoindex(scope.c_str());
      if (index == 0) {
        return absl::InvalidArgumentError(absl::StrCat("unknown IPv6 scope \"", scope, "\""));
      }
      v6.sin6_scope_id = index;
    }
    std::memcpy(&a.storage_, &v6, sizeof v6);
    a.length_ = sizeof v6;
    return a;
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", absl::string_view(host.data(), host.size()),
                                                 "\" is not a numeric IPv4 or IPv6 address"));
}

SocketAddress SocketAddress::Loopback4(uint16_t port) { return *FromNumeric("127.0.0.1", port); }
SocketAddress SocketAddress::Loopback6(uint16_t port) { return *FromNumeric("::1", port); }
SocketAddress SocketAddress::Any4(uint16_t port) { return *FromNumeric("0.0.0.0", port); }
SocketAddress SocketAddress::Any6(uint16_t port) { return *FromNumeric("::", port); }

uint16_t SocketAddress::port() const {
  if (is_ipv4()) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (is_ipv6()) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

void SocketAddress::set_port(uint16_t port) {
  if (is_ipv4()) reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  if (is_ipv6()) reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
}

std::string SocketAddress::HostString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_ipv4()) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
  } else if (is_ipv6()) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
              sizeof buf);
  } else {
    return "unspecified";
  }
  return buf;
}

std::string SocketAddress::ToString() const {
  if (is_ipv4()) return absl::StrCat(HostString(), ":", port());
  if (is_ipv6()) return absl::StrCat("[", HostString(), "]:", port());
  return "unspecified";
}

bool operator==(const SocketAddress& a, const SocketAddress& b) {
  return a.length_ == b.length_ && std::memcmp(&a.storage_, &b.storage_, a.length_) == 0;
}

namespace {

absl::Status Malformed(absl::string_view address, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\": ", why));
}

// strtol(base 10) syntax over the whole of `text`, with the range check the original lacked.
absl::StatusOr<uint16_t> ParsePort(absl::string_view address, absl::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  size_t digits_start = i;
  uint64_t value = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (value <= 65535) value = value * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  if (i == digits_start) return Malformed(address, "port is missing or not a number");
  if (i != text.size()) {
    return Malformed(address, absl::StrCat("unexpected \"", text.substr(i), "\" after the port"));
  }
  if (value == 0) return Malformed(address, "port 0 is not allowed");
  if (negative || value > 65535) {
    return Malformed(address, absl::StrCat("port \"", text, "\" is outside 1..65535"));
  }
  return static_cast<uint16_t>(value);
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(std::string_view address_in) {
  absl::string_view address(address_in.data(), address_in.size());
  if (address.empty()) return Malformed(address, "empty");
  if (address.find('\0') != absl::string_view::npos) return Malformed(address, "contains NUL");
  HostPort out;
  size_t close = address.find(']');
  if (close != absl::string_view::npos) {
    size_t open = address.find('[');
    if (open == absl::string_view::npos) return Malformed(address, "']' without '['");
    if (close < open) return Malformed(address, "']' before '['");
    absl::string_view host = address.substr(open + 1, close - open - 1);
    if (host.size() > kMaxHostLength) {
      return Malformed(address, absl::StrCat("host longer than ", kMaxHostLength, " bytes"));
    }
    if (host.find(':') == absl::string_view::npos) {
      return Malformed(address, "malformed IPv6 address: no ':' between the brackets");
    }
    out.host = std::string(host);
    out.bracketed = true;
  } else {
    size_t colon = address.find(':');
    if (colon == absl::string_view::npos) return Malformed(address, "no ':<port>'");
    if (address.find(':', colon + 1) != absl::string_view::npos) {
      return Malformed(address, "more than one ':' (write IPv6 addresses as [addr]:port)");
    }
    if (colon > kMaxHostLength) {
      return Malformed(address, absl::StrCat("host longer than ", kMaxHostLength, " bytes"));
    }
    if (colon == 0) return Malformed(address, "empty host");
    out.host = std::string(address.substr(0, colon));
  }
  absl::StatusOr<uint16_t> port = ParsePort(address, address.substr(address.rfind(':') + 1));
  if (!port.ok()) return port.status();
  out.port = *port;
  return out;
}

}  // namespace uxcom::net
