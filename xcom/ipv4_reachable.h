// Whether an XCom node address can be reached over IPv4.
//
// x_1_5 is the protocol version that brought IPv6 (minimum_ipv6_version). Peers older than that
// cannot reach a node through an IPv6 address, so MySQL 8.0.18 checks, before it lets one in,
// that every address concerned resolves to at least one IPv4 address: the accepting side for
// every member of its configuration (is_new_node_eligible_for_ipv6, the transport's IPv6 gate)
// and the joining client for every address of its add_node (are_we_allowed_to_upgrade_to_v6,
// SendOnce). Both use this check; the lookup runs off the executor (net::Resolve), where
// 8.0.18 blocks its only thread on getaddrinfo.
//
//   absl::Status s = co_await CheckIpv4Reachable("db1.example:33061");
//   // OK; kInvalidArgument (does not parse); the lookup's error (kNotFound: no such host);
//   // kFailedPrecondition (only IPv6 addresses, which are named)
#ifndef UXCOM_XCOM_IPV4_REACHABLE_H_
#define UXCOM_XCOM_IPV4_REACHABLE_H_

#include <string>

#include "absl/status/status.h"
#include "net/task.h"
#include "xdr/protocol_version.h"

namespace uxcom::xcom {

// minimum_ipv6_version(): the first protocol version that speaks IPv6.
inline constexpr xdr::ProtocolVersion kFirstIpv6Version = xdr::ProtocolVersion::kX1_5;

net::Task<absl::Status> CheckIpv4Reachable(std::string address);

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_IPV4_REACHABLE_H_
