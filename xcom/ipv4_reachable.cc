#include "xcom/ipv4_reachable.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "net/address.h"
#include "net/resolver.h"

namespace uxcom::xcom {

net::Task<absl::Status> CheckIpv4Reachable(std::string address) {
  absl::StatusOr<net::HostPort> hp = net::ParseHostPort(address);
  if (!hp.ok()) co_return hp.status();
  absl::StatusOr<std::vector<net::SocketAddress>> resolved =
      co_await net::Resolve(hp->host, hp->port);
  if (!resolved.ok()) {
    co_return absl::Status(resolved.status().code(), absl::StrCat("cannot resolve ", address, ": ",
                                                                  resolved.status().message()));
  }
  std::string found;
  for (const net::SocketAddress& a : *resolved) {
    if (a.is_ipv4()) co_return absl::OkStatus();
    absl::StrAppend(&found, found.empty() ? "" : ", ", a.HostString());
  }
  co_return absl::FailedPreconditionError(
      absl::StrCat(address, " has no IPv4 address (it resolves to ", found, ")"));
}

}  // namespace uxcom::xcom
