// is_new_node_eligible_for_ipv6: a peer that speaks a version older than IPv6 support can join
// only if every member of the current configuration has an IPv4 address. The lookups run off
// the executor (8.0.18 blocks its only thread on getaddrinfo for every member).
#include "net/address.h"
#include "net/resolver.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {

net::Task<bool> Ipv6Eligible(Site site) {
  for (const SiteNode& node : site.nodes) {
    absl::StatusOr<net::HostPort> hp = net::ParseHostPort(node.address);
    if (!hp.ok()) co_return false;
    absl::StatusOr<std::vector<net::SocketAddress>> addresses =
        co_await net::Resolve(hp->host, hp->port);
    if (!addresses.ok()) co_return false;
    bool has_ipv4 = false;
    for (const net::SocketAddress& a : *addresses) has_ipv4 |= a.is_ipv4();
    if (!has_ipv4) co_return false;
  }
  co_return true;
}

}  // namespace uxcom::xcom::internal
