// Sites without I/O: common_xcom_version and Site::FromNodeList (a site from a decoded
// node_list, as an add_node or unified_boot cargo carries it).
#include "xcom/site.h"

#include <doctest/doctest.h>

#include <string>

#include "xdr/pax_msg.h"

namespace uxcom::xcom {
namespace {

using xdr::ProtocolVersion;

Site WithMaxima(std::initializer_list<ProtocolVersion> maxima) {
  Site site{.group_id = 1, .nodeno = 0};
  for (ProtocolVersion max : maxima) {
    site.nodes.push_back({.address = "10.0.0.1:1", .proto = {ProtocolVersion::kX1_0, max}});
  }
  return site;
}

TEST_CASE("common_xcom_version is the lowest maximum of the nodes, starting from our own") {
  CHECK(CommonXcomVersion(WithMaxima({}), ProtocolVersion::kX1_6) == ProtocolVersion::kX1_6);
  CHECK(CommonXcomVersion(
            WithMaxima({ProtocolVersion::kX1_6, ProtocolVersion::kX1_4, ProtocolVersion::kX1_5}),
            ProtocolVersion::kX1_6) == ProtocolVersion::kX1_4);
  // Our own maximum caps it: a group of x_1_6 nodes seen by an x_1_3 node is an x_1_3 group.
  CHECK(CommonXcomVersion(WithMaxima({ProtocolVersion::kX1_6, ProtocolVersion::kX1_6}),
                          ProtocolVersion::kX1_3) == ProtocolVersion::kX1_3);
  // Only max_proto counts: the minimum a node speaks plays no part.
  Site site = WithMaxima({ProtocolVersion::kX1_5});
  site.nodes[0].proto.min_proto = ProtocolVersion::kX1_5;
  CHECK(CommonXcomVersion(site, ProtocolVersion::kX1_6) == ProtocolVersion::kX1_5);
}

TEST_CASE("a site from a node list keeps addresses, uuids and ranges in node order") {
  xdr::NodeList nodes;
  nodes.push_back({.address = "10.0.0.1:33061",
                   .uuid = {.data = std::string_view("uuid-1\0x", 8)},
                   .proto = xdr::XProtoRange{ProtocolVersion::kX1_1, ProtocolVersion::kX1_6}});
  nodes.push_back({.address = "[::1]:33062",
                   .uuid = {.data = "uuid-2"},
                   .proto = xdr::XProtoRange{ProtocolVersion::kX1_0, ProtocolVersion::kX1_4}});
  Site site = Site::FromNodeList(nodes, 0x1234, 1);
  CHECK(site.group_id == 0x1234);
  CHECK(site.nodeno == 1);
  REQUIRE(site.nodes.size() == 2);
  CHECK(site.nodes[0].address == "10.0.0.1:33061");
  CHECK(site.nodes[0].uuid == std::string("uuid-1\0x", 8));  // opaque bytes, NUL included
  CHECK(site.nodes[0].proto.min_proto == ProtocolVersion::kX1_1);
  CHECK(site.nodes[0].proto.max_proto == ProtocolVersion::kX1_6);
  CHECK(site.nodes[1].address == "[::1]:33062");
  CHECK(site.nodes[1].uuid == "uuid-2");
  CHECK(site.nodes[1].proto.max_proto == ProtocolVersion::kX1_4);
  CHECK(CommonXcomVersion(site, ProtocolVersion::kX1_6) == ProtocolVersion::kX1_4);
}

TEST_CASE("a node decoded from an x_1_0 node list speaks x_1_0 only, as 8.0.18 records it") {
  xdr::NodeList nodes;
  nodes.push_back({.address = "10.0.0.1:33061", .uuid = {.data = "u"}});  // no proto on the wire
  nodes.push_back({.address = "10.0.0.2:33061",
                   .uuid = {.data = "v"},
                   .proto = xdr::XProtoRange{ProtocolVersion::kX1_0, ProtocolVersion::kX1_6}});
  Site site = Site::FromNodeList(nodes, 7, kVoidNodeNo);
  CHECK(site.nodeno == kVoidNodeNo);
  CHECK(site.nodes[0].proto.min_proto == ProtocolVersion::kX1_0);
  CHECK(site.nodes[0].proto.max_proto == ProtocolVersion::kX1_0);
  // Such a node makes the whole group x_1_0.
  CHECK(CommonXcomVersion(site, ProtocolVersion::kX1_6) == ProtocolVersion::kX1_0);
}

}  // namespace
}  // namespace uxcom::xcom
