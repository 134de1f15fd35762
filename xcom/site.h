// Site: one XCom configuration (site_def), as the transport needs to know it.
//
// A site lists the group's members in node-number order with their addresses and protocol
// ranges, and says which of them this node is. The transport keeps a server object for every
// distinct address of every retained site; messages are addressed by (site, node number).
// Sites are immutable once installed.
//
//   Site site{.group_id = 0x1234, .nodeno = 0,
//             .nodes = {{.address = "10.0.0.1:33061", .proto = {kX1_0, kX1_6}},
//                       {.address = "10.0.0.2:33061", .proto = {kX1_0, kX1_4}}}};
//   CommonXcomVersion(site, kX1_6);   // x_1_4: the group may use no feature newer than that
#ifndef UXCOM_XCOM_SITE_H_
#define UXCOM_XCOM_SITE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "xdr/pax_msg.h"
#include "xdr/protocol_version.h"

namespace uxcom::xcom {

using NodeNo = uint32_t;
// Identifies an installed site within one transport (increasing, never reused).
using SiteId = uint64_t;
// VOID_NODE_NO: "not a member of this site".
inline constexpr NodeNo kVoidNodeNo = 0xFFFFFFFF;

struct SiteNode {
  std::string address{};  // "host:port" or "[v6]:port", as in XCom's node_address
  std::string uuid{};     // opaque per-incarnation identifier
  // The versions the node speaks. A node decoded from an x_1_0 node list has none on the
  // wire; like 8.0.18, uxcom takes {x_1_0, x_1_0} for it.
  xdr::XProtoRange proto{xdr::kMinProtocolVersion, xdr::kMaxProtocolVersion};
};

struct Site {
  uint32_t group_id = 0;
  // This node's number in `nodes`, or kVoidNodeNo when it is not a member (a joiner, a
  // client). Its server delivers locally.
  NodeNo nodeno = kVoidNodeNo;
  std::vector<SiteNode> nodes{};
  xdr::SynodeNo start{};  // the first message number the site applies to (informational)

  // A site from a decoded node list (an add_node / unified_boot cargo, a config).
  static Site FromNodeList(const xdr::NodeList& nodes, uint32_t group_id, NodeNo nodeno);
};

// common_xcom_version: the lowest max_proto of the site's nodes, starting from `own_max`.
// The group uses it for feature gates (event horizon x_1_4, IPv6 x_1_5); framing always uses
// each connection's own negotiated version.
xdr::ProtocolVersion CommonXcomVersion(const Site& site, xdr::ProtocolVersion own_max);

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_SITE_H_
