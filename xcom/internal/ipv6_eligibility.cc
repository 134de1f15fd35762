// is_new_node_eligible_for_ipv6: a peer that speaks a version older than IPv6 support can join
// only if every member of the current configuration has an IPv4 address. The lookups run off
// the executor (8.0.18 blocks its only thread on getaddrinfo for every member).
#include "xcom/internal/transport_state.h"
#include "xcom/ipv4_reachable.h"

namespace uxcom::xcom::internal {

net::Task<bool> Ipv6Eligible(Site site) {
  for (const SiteNode& node : site.nodes) {
    absl::Status reachable = co_await CheckIpv4Reachable(node.address);
    if (!reachable.ok()) co_return false;
  }
  co_return true;
}

}  // namespace uxcom::xcom::internal
