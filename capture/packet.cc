#include "capture/packet.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace uxcom::capture {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100;     // 802.1Q
constexpr uint16_t kEtherQinQ = 0x88A8;     // 802.1ad
constexpr uint16_t kEtherQinQOld = 0x9100;  // pre-standard QinQ
constexpr uint8_t kIpProtoTcp = 6;

uint16_t Load16(std::span<const std::byte> d, size_t at) {
  return static_cast<uint16_t>((std::to_integer<uint16_t>(d[at]) << 8) |
                               std::to_integer<uint16_t>(d[at + 1]));
}
uint32_t Load32(std::span<const std::byte> d, size_t at) {
  return (uint32_t{Load16(d, at)} << 16) | Load16(d, at + 2);
}
uint8_t Byte(std::span<const std::byte> d, size_t at) { return std::to_integer<uint8_t>(d[at]); }

absl::Status Truncated(const char* layer, size_t needed, size_t captured) {
  return absl::OutOfRangeError(absl::StrCat(layer, " header needs ", needed,
                                            " bytes, the capture holds ", captured,
                                            " (snapshot length too small)"));
}
absl::Status NotTcp(std::string what) { return absl::UnimplementedError(std::move(what)); }

// Where the network layer starts and which it is, after the link layer.
struct NetworkLayer {
  size_t offset = 0;
  enum { kIpv4, kIpv6 } kind = kIpv4;
};

// `type_at`: the first EtherType; `payload_at`: where what it announces starts. A VLAN tag
// there is a TCI (2 bytes) and the next EtherType, as often as they come.
absl::StatusOr<NetworkLayer> FromEtherType(std::span<const std::byte> d, size_t type_at,
                                           size_t payload_at, const char* layer) {
  if (d.size() < type_at + 2) return Truncated(layer, type_at + 2, d.size());
  uint16_t type = Load16(d, type_at);
  while (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld) {
    if (d.size() < payload_at + 4) return Truncated(layer, payload_at + 4, d.size());
    type = Load16(d, payload_at + 2);
    payload_at += 4;
  }
  if (type == kEtherIpv4) return NetworkLayer{payload_at, NetworkLayer::kIpv4};
  if (type == kEtherIpv6) return NetworkLayer{payload_at, NetworkLayer::kIpv6};
  return NotTcp(
      absl::StrCat(layer, ": EtherType 0x", absl::Hex(type, absl::kZeroPad4), " is not IP"));
}

absl::StatusOr<NetworkLayer> FromAddressFamily(uint32_t family) {
  // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD),
  // 30 (macOS).
  if (family == 2) return NetworkLayer{4, NetworkLayer::kIpv4};
  if (family == 10 || family == 24 || family == 28 || family == 30) {
    return NetworkLayer{4, NetworkLayer::kIpv6};
  }
  return NotTcp(absl::StrCat("loopback header: address family ", family, " is not IP"));
}

absl::StatusOr<NetworkLayer> LinkLayer(int link_type, std::span<const std::byte> d) {
  switch (link_type) {
    case kLinkEthernet:
      if (d.size() < 14) return Truncated("Ethernet", 14, d.size());
      return FromEtherType(d, 12, 14, "Ethernet");
    case kLinkLinuxSll:
      // packet type, ARPHRD type, address length, 8 address bytes, protocol.
      if (d.size() < 16) return Truncated("Linux cooked (SLL)", 16, d.size());
      return FromEtherType(d, 14, 16, "Linux cooked (SLL)");
    case kLinkLinuxSll2:
      // protocol, reserved, interface index, ARPHRD type, packet type, address length, address.
      if (d.size() < 20) return Truncated("Linux cooked (SLL2)", 20, d.size());
      return FromEtherType(d, 0, 20, "Linux cooked (SLL2)");
    case kLinkRaw:
    case kLinkRawAlt: {
      if (d.empty()) return Truncated("raw IP", 1, 0);
      const uint8_t version = Byte(d, 0) >> 4;
      if (version == 4) return NetworkLayer{0, NetworkLayer::kIpv4};
      if (version == 6) return NetworkLayer{0, NetworkLayer::kIpv6};
      return absl::InvalidArgumentError(absl::StrCat("raw IP: version ", version));
    }
    case kLinkIpv4:
      return NetworkLayer{0, NetworkLayer::kIpv4};
    case kLinkIpv6:
      return NetworkLayer{0, NetworkLayer::kIpv6};
    case kLinkNull: {
      if (d.size() < 4) return Truncated("loopback", 4, d.size());
      uint32_t family;
      std::memcpy(&family, d.data(), 4);  // the capturing host's byte order
      if (family > 0xFFFF) family = __builtin_bswap32(family);
      return FromAddressFamily(family);
    }
    case kLinkLoop:
      if (d.size() < 4) return Truncated("loopback", 4, d.size());
      return FromAddressFamily(Load32(d, 0));
    default:
      return NotTcp(absl::StrCat("link-layer type ", link_type, " is not supported"));
  }
}

}  // namespace

bool IsSupportedLinkType(int t) {
  return t == kLinkNull || t == kLinkEthernet || t == kLinkRaw || t == kLinkRawAlt ||
         t == kLinkLoop || t == kLinkLinuxSll || t == kLinkIpv4 || t == kLinkIpv6 ||
         t == kLinkLinuxSll2;
}

std::string Endpoint::AddressString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, address.data(), text, sizeof text);
  return text;
}

std::string Endpoint::ToString() const {
  if (v6) return absl::StrCat("[", AddressString(), "]:", port);
  return absl::StrCat(AddressString(), ":", port);
}

bool IsNotTcp(const absl::Status& s) { return absl::IsUnimplemented(s); }
bool IsFragment(const absl::Status& s) { return absl::IsFailedPrecondition(s); }
bool IsTruncatedHeaders(const absl::Status& s) { return absl::IsOutOfRange(s); }

absl::StatusOr<TcpSegment> DecodePacket(int link_type, std::span<const std::byte> d,
                                        uint32_t wire_length, absl::Time time) {
  absl::StatusOr<NetworkLayer> net = LinkLayer(link_type, d);
  if (!net.ok()) return net.status();
  TcpSegment s;
  s.time = time;
  const size_t ip = net->offset;
  size_t tcp = 0;
  // Bytes of the IP datagram after the TCP header starts, on the wire and as captured.
  size_t datagram_end_wire = 0;
  if (net->kind == NetworkLayer::kIpv4) {
    if (d.size() < ip + 20) return Truncated("IPv4", ip + 20, d.size());
    const uint8_t version = Byte(d, ip) >> 4;
    const size_t ihl = static_cast<size_t>(Byte(d, ip) & 0x0Fu) * 4;
    if (version != 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("IPv4 header at byte ", ip, ": version ", version));
    }
    if (ihl < 20) {
      return absl::InvalidArgumentError(
          absl::StrCat("IPv4 header at byte ", ip, ": header length ", ihl, " < 20"));
    }
    size_t total = Load16(d, ip + 2);
    const uint16_t fragment = Load16(d, ip + 6);
    const uint8_t protocol = Byte(d, ip + 9);
    if (protocol != kIpProtoTcp) {
      return NotTcp(absl::StrCat("IPv4 protocol ", protocol, " is not TCP"));
    }
    if ((fragment & 0x3FFF) != 0) {  // MF set or a fragment offset
      return absl::FailedPreconditionError("IPv4 fragment (not reassembled)");
    }
    // Total length 0: a segment offloaded to the NIC (TSO), captured before it was split;
    // the packet's own length stands in for it.
    if (total == 0 && wire_length > ip) total = wire_length - ip;
    if (total < ihl) {
      return absl::InvalidArgumentError(absl::StrCat("IPv4 header at byte ", ip, ": total length ",
                                                     total, " < header length ", ihl));
    }
    std::memcpy(s.src.address.data(), &d[ip + 12], 4);
    std::memcpy(s.dst.address.data(), &d[ip + 16], 4);
    tcp = ip + ihl;
    datagram_end_wire = ip + total;
  } else {
    if (d.size() < ip + 40) return Truncated("IPv6", ip + 40, d.size());
    const uint8_t version = Byte(d, ip) >> 4;
    if (version != 6) {
      return absl::InvalidArgumentError(
          absl::StrCat("IPv6 header at byte ", ip, ": version ", version));
    }
    const size_t payload = Load16(d, ip + 4);
    uint8_t next = Byte(d, ip + 6);
    s.src.v6 = s.dst.v6 = true;
    std::memcpy(s.src.address.data(), &d[ip + 8], 16);
    std::memcpy(s.dst.address.data(), &d[ip + 24], 16);
    size_t at = ip + 40;
    datagram_end_wire = payload == 0 ? wire_length : ip + 40 + payload;  // 0: jumbogram
    for (;;) {
      if (next == kIpProtoTcp) break;
      if (next == 0 || next == 43 || next == 60 || next == 51 || next == 44) {
        if (d.size() < at + 8) return Truncated("IPv6 extension", at + 8, d.size());
        const uint8_t following = Byte(d, at);
        size_t length;
        if (next == 44) {
          if ((Load16(d, at + 2) & 0xFFF9) != 0) {  // an offset or more fragments
            return absl::FailedPreconditionError("IPv6 fragment (not reassembled)");
          }
          length = 8;
        } else if (next == 51) {
          length = (size_t{Byte(d, at + 1)} + 2) * 4;
        } else {
          length = (size_t{Byte(d, at + 1)} + 1) * 8;
        }
        next = following;
        at += length;
        continue;
      }
      return NotTcp(absl::StrCat("IPv6 next header ", next, " is not TCP"));
    }
    tcp = at;
  }
  if (d.size() < tcp + 20) return Truncated("TCP", tcp + 20, d.size());
  s.src.port = Load16(d, tcp);
  s.dst.port = Load16(d, tcp + 2);
  s.seq = Load32(d, tcp + 4);
  s.ack = Load32(d, tcp + 8);
  const size_t data_offset = static_cast<size_t>(Byte(d, tcp + 12) >> 4) * 4;
  s.flags = Byte(d, tcp + 13);
  if (data_offset < 20) {
    return absl::InvalidArgumentError(
        absl::StrCat("TCP header at byte ", tcp, ": data offset ", data_offset, " < 20"));
  }
  const size_t payload_at = tcp + data_offset;
  if (datagram_end_wire < payload_at) {
    return absl::InvalidArgumentError(
        absl::StrCat("TCP header at byte ", tcp, ": its options end at byte ", payload_at,
                     ", beyond the IP datagram (", datagram_end_wire, ")"));
  }
  if (d.size() < payload_at) return Truncated("TCP options", payload_at, d.size());
  s.payload_length = static_cast<uint32_t>(datagram_end_wire - payload_at);
  const size_t captured = std::min(d.size(), datagram_end_wire) - payload_at;
  s.payload = d.subspan(payload_at, captured);
  return s;
}

}  // namespace uxcom::capture
