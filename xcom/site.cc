#include "xcom/site.h"

#include <algorithm>

namespace uxcom::xcom {

Site Site::FromNodeList(const xdr::NodeList& nodes, uint32_t group_id, NodeNo nodeno) {
  Site site{.group_id = group_id, .nodeno = nodeno};
  site.nodes.reserve(nodes.size());
  for (const xdr::NodeAddress& n : nodes) {
    site.nodes.push_back({
        .address = std::string(n.address),
        .uuid = std::string(n.uuid.data),
        .proto = n.proto.value_or(
            xdr::XProtoRange{xdr::ProtocolVersion::kX1_0, xdr::ProtocolVersion::kX1_0}),
    });
  }
  return site;
}

xdr::ProtocolVersion CommonXcomVersion(const Site& site, xdr::ProtocolVersion own_max) {
  xdr::ProtocolVersion common = own_max;
  for (const SiteNode& n : site.nodes) common = std::min(common, n.proto.max_proto);
  return common;
}

}  // namespace uxcom::xcom
