// What DecodePacket finds in the packets real captures hold: every link layer tcpdump writes
// on Linux (Ethernet with VLAN tags, cooked v1/v2), IPv4 with options and IPv6 with extension
// headers, TCP options, snapshot-length truncation, padding, fragments and other protocols.
#include "capture/packet.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "capture/testing.h"

namespace uxcom::capture {
namespace {

using testing::Ethernet;
using testing::IpTcp;
using testing::LinuxSll;
using testing::LinuxSll2;
using testing::V4;
using testing::V6;

const absl::Time kT = absl::FromUnixSeconds(1700000000);

std::string Payload(const TcpSegment& s) {
  return std::string(reinterpret_cast<const char*>(s.payload.data()), s.payload.size());
}

absl::StatusOr<TcpSegment> Decode(int link, const std::vector<std::byte>& bytes) {
  return DecodePacket(link, bytes, static_cast<uint32_t>(bytes.size()), kT);
}

const testing::SegmentSpec kSpec{.src = V4("10.0.0.1", 40000),
                                 .dst = V4("10.0.0.2", 33061),
                                 .seq = 0xFFFFFFF0,
                                 .ack = 7,
                                 .flags = kTcpAck | kTcpPsh,
                                 .payload = "hello, xcom"};

void CheckSpec(const absl::StatusOr<TcpSegment>& s, const testing::SegmentSpec& spec) {
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  CHECK(s->src == spec.src);
  CHECK(s->dst == spec.dst);
  CHECK(s->seq == spec.seq);
  CHECK(s->ack == spec.ack);
  CHECK(s->flags == spec.flags);
  CHECK(Payload(*s) == spec.payload);
  CHECK(s->payload_length == spec.payload.size());
  CHECK_FALSE(s->truncated());
  CHECK(s->time == kT);
}

TEST_CASE("every supported link layer yields the same segment") {
  const std::vector<std::byte> ip = IpTcp(kSpec);
  CheckSpec(Decode(kLinkEthernet, Ethernet(ip)), kSpec);
  CheckSpec(Decode(kLinkEthernet, Ethernet(ip, {10})), kSpec);        // 802.1Q
  CheckSpec(Decode(kLinkEthernet, Ethernet(ip, {100, 200})), kSpec);  // stacked tags
  CheckSpec(Decode(kLinkLinuxSll, LinuxSll(ip)), kSpec);              // tcpdump -i any (old)
  CheckSpec(Decode(kLinkLinuxSll2, LinuxSll2(ip)), kSpec);            // tcpdump -i any
  CheckSpec(Decode(kLinkLinuxSll2, LinuxSll2(ip, {10})), kSpec);      // SLL2 + VLAN
  CheckSpec(Decode(kLinkRaw, ip), kSpec);
  CheckSpec(Decode(kLinkIpv4, ip), kSpec);
  std::vector<std::byte> bsd(4);
  bsd[0] = std::byte(2);  // AF_INET in little-endian host order
  bsd.insert(bsd.end(), ip.begin(), ip.end());
  CheckSpec(Decode(kLinkNull, bsd), kSpec);
  std::vector<std::byte> loop = {std::byte(0), std::byte(0), std::byte(0), std::byte(2)};
  loop.insert(loop.end(), ip.begin(), ip.end());
  CheckSpec(Decode(kLinkLoop, loop), kSpec);
}

TEST_CASE("IPv6, with extension headers before TCP, and without TCP options") {
  testing::SegmentSpec spec = kSpec;
  spec.src = V6("fe80::1", 40000);
  spec.dst = V6("2001:db8::2", 33061);
  spec.tcp_options = false;
  std::vector<std::byte> ip = IpTcp(spec);
  CheckSpec(Decode(kLinkEthernet, Ethernet(ip)), spec);
  CHECK(Decode(kLinkRaw, ip)->src.ToString() == "[fe80::1]:40000");

  // Insert hop-by-hop options (8 bytes) and destination options (16 bytes).
  std::vector<std::byte> ext = ip;
  ext[6] = std::byte(0);  // next header: hop-by-hop
  std::vector<std::byte> hop = {std::byte(60), std::byte(0), std::byte(1), std::byte(4),
                                std::byte(0),  std::byte(0), std::byte(0), std::byte(0)};
  std::vector<std::byte> dst(16, std::byte(0));
  dst[0] = std::byte(6);  // next: TCP
  dst[1] = std::byte(1);  // (1 + 1) * 8 = 16 bytes
  ext.insert(ext.begin() + 40, dst.begin(), dst.end());
  ext.insert(ext.begin() + 40, hop.begin(), hop.end());
  const uint16_t payload = static_cast<uint16_t>(ext.size() - 40);
  ext[4] = std::byte(payload >> 8);
  ext[5] = std::byte(payload & 0xFF);
  CheckSpec(Decode(kLinkIpv6, ext), spec);
}

TEST_CASE("IPv4 options are skipped, Ethernet padding is never payload") {
  testing::SegmentSpec spec = kSpec;
  spec.payload = "";  // a bare ACK: Ethernet pads it to 60 bytes
  spec.flags = kTcpAck;
  std::vector<std::byte> ip = IpTcp(spec);
  absl::StatusOr<TcpSegment> s = Decode(kLinkEthernet, Ethernet(ip));
  REQUIRE(s.ok());
  CHECK(s->payload.empty());
  CHECK(s->payload_length == 0);

  // IHL 6: four bytes of options (NOP x4) after the 20-byte header.
  std::vector<std::byte> with_options = IpTcp(kSpec);
  with_options.insert(with_options.begin() + 20, 4, std::byte(1));
  with_options[0] = std::byte(0x46);
  const uint16_t total = static_cast<uint16_t>(with_options.size());
  with_options[2] = std::byte(total >> 8);
  with_options[3] = std::byte(total & 0xFF);
  CheckSpec(Decode(kLinkRaw, with_options), kSpec);
}

TEST_CASE("a packet cut by the snapshot length keeps its headers and says what is missing") {
  const std::vector<std::byte> frame = Ethernet(IpTcp(kSpec));
  const size_t cut = frame.size() - 5;  // the last 5 payload bytes were not captured
  absl::StatusOr<TcpSegment> s = DecodePacket(kLinkEthernet, std::span(frame).first(cut),
                                              static_cast<uint32_t>(frame.size()), kT);
  REQUIRE(s.ok());
  CHECK(s->truncated());
  CHECK(Payload(*s) == "hello,");
  CHECK(s->payload_length == kSpec.payload.size());

  // Cut inside the TCP header: no segment, and the error says why.
  absl::StatusOr<TcpSegment> headers = DecodePacket(
      kLinkEthernet, std::span(frame).first(14 + 20 + 10), static_cast<uint32_t>(frame.size()), kT);
  CHECK(IsTruncatedHeaders(headers.status()));
  CHECK(std::string(headers.status().message()).find("snapshot length") != std::string::npos);
}

TEST_CASE("a TSO segment captured with IPv4 total length 0 takes the packet's length") {
  std::vector<std::byte> ip = IpTcp(kSpec);
  ip[2] = ip[3] = std::byte(0);
  CheckSpec(Decode(kLinkRaw, ip), kSpec);
}

TEST_CASE("not TCP, fragments and malformed headers are told apart") {
  testing::SegmentSpec spec = kSpec;
  std::vector<std::byte> udp = IpTcp(spec);
  udp[9] = std::byte(17);
  CHECK(IsNotTcp(Decode(kLinkRaw, udp).status()));

  std::vector<std::byte> arp = Ethernet(IpTcp(spec));
  arp[12] = std::byte(0x08);
  arp[13] = std::byte(0x06);
  CHECK(IsNotTcp(Decode(kLinkEthernet, arp).status()));
  CHECK(IsNotTcp(Decode(147, IpTcp(spec)).status()));  // a link type we do not read
  CHECK_FALSE(IsSupportedLinkType(147));

  std::vector<std::byte> fragment = IpTcp(spec);
  fragment[6] = std::byte(0x20);  // more fragments
  CHECK(IsFragment(Decode(kLinkRaw, fragment).status()));

  std::vector<std::byte> bad = IpTcp(spec);
  bad[0] = std::byte(0x43);  // IHL 3
  absl::StatusOr<TcpSegment> s = Decode(kLinkIpv4, bad);
  CHECK(absl::IsInvalidArgument(s.status()));
  CHECK(std::string(s.status().message()) == "IPv4 header at byte 0: header length 12 < 20");

  std::vector<std::byte> offset = IpTcp(spec);
  offset[20 + 12] = std::byte(0x30);  // TCP data offset 12 bytes
  CHECK(absl::IsInvalidArgument(Decode(kLinkIpv4, offset).status()));
}

}  // namespace
}  // namespace uxcom::capture
