// Captured packets to TCP segments: the link, IP and TCP layers of what libpcap hands over.
//
// DecodePacket() takes one captured packet (its link-layer type, the captured bytes and the
// length it had on the wire) and returns the TCP segment inside it, or says why there is none.
// It knows nothing of libpcap (link types are the LINKTYPE_/DLT_ numbers) nor of what the TCP
// payload means, so tests feed it hand-made packets.
//
// Link layers: Ethernet (DLT_EN10MB, with any number of 802.1Q / 802.1ad VLAN tags), Linux
// cooked captures v1 and v2 (DLT_LINUX_SLL, DLT_LINUX_SLL2: what `tcpdump -i any` writes), raw
// IP (DLT_RAW, LINKTYPE_IPV4/IPV6) and BSD loopback (DLT_NULL, DLT_LOOP). Network layers:
// IPv4 (options skipped) and IPv6 (hop-by-hop, routing, destination options and AH extension
// headers skipped). IP fragments are not reassembled: they are reported as kFragment (TCP
// stacks set DF; a fragmented TCP segment is rare and is then a gap in its stream).
//
// Truncation: a packet cut by the capture's snapshot length still yields its segment when the
// IP and TCP headers are whole; `payload` holds the captured bytes and `payload_length` the
// bytes the segment carried on the wire, so the reassembler can report the rest as a gap.
// Link-layer padding after the IP datagram (short Ethernet frames) is never taken as payload.
//
//   absl::StatusOr<TcpSegment> s = DecodePacket(DLT_EN10MB, bytes, wire_length, time);
//   if (s.ok()) tracker.Add(*s);
//   else if (IsNotTcp(s.status())) ++other_packets;   // ARP, UDP, ICMP …
//   else Report(s.status());                           // malformed or truncated headers
#ifndef UXCOM_CAPTURE_PACKET_H_
#define UXCOM_CAPTURE_PACKET_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace uxcom::capture {

// Link-layer types (pcap LINKTYPE_ values as libpcap's pcap_datalink() reports them).
inline constexpr int kLinkNull = 0;         // DLT_NULL: 4-byte address family, host order
inline constexpr int kLinkEthernet = 1;     // DLT_EN10MB
inline constexpr int kLinkRaw = 12;         // DLT_RAW (LINKTYPE_RAW 101 on disk)
inline constexpr int kLinkRawAlt = 101;     // LINKTYPE_RAW, should a reader pass it through
inline constexpr int kLinkLoop = 108;       // DLT_LOOP: 4-byte address family, network order
inline constexpr int kLinkLinuxSll = 113;   // DLT_LINUX_SLL
inline constexpr int kLinkIpv4 = 228;       // LINKTYPE_IPV4
inline constexpr int kLinkIpv6 = 229;       // LINKTYPE_IPV6
inline constexpr int kLinkLinuxSll2 = 276;  // DLT_LINUX_SLL2
bool IsSupportedLinkType(int link_type);

// An IPv4 or IPv6 address and a port.
struct Endpoint {
  bool v6 = false;
  std::array<uint8_t, 16> address{};  // IPv4 in the first 4 bytes
  uint16_t port = 0;

  // "10.0.0.1:33061" or "[fe80::1]:33061".
  std::string ToString() const;
  // The address alone: "10.0.0.1", "fe80::1".
  std::string AddressString() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

// TCP header flags.
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;

struct TcpSegment {
  absl::Time time;
  Endpoint src;
  Endpoint dst;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  // The captured payload bytes (they point into the packet passed to DecodePacket).
  std::span<const std::byte> payload;
  // The payload's length on the wire: larger than payload.size() when the snapshot length
  // cut the packet.
  uint32_t payload_length = 0;

  bool has(uint8_t flag) const { return (flags & flag) != 0; }
  bool truncated() const { return payload.size() < payload_length; }
};

// The segment inside one captured packet. `wire_length` is the packet's original length
// (pcap's `len`); `data` its captured bytes (`caplen` of them). Errors, each naming the layer
// and the byte offset:
//   kUnimplemented     not TCP over IP (ARP, UDP, ICMP, an unknown link type …): IsNotTcp()
//   kOutOfRange        the headers end beyond the captured bytes (snapshot length too small)
//   kInvalidArgument   a malformed header (bad IP version, header length, …)
//   kFailedPrecondition an IP fragment (IsFragment())
absl::StatusOr<TcpSegment> DecodePacket(int link_type, std::span<const std::byte> data,
                                        uint32_t wire_length, absl::Time time);

bool IsNotTcp(const absl::Status& status);
bool IsFragment(const absl::Status& status);
bool IsTruncatedHeaders(const absl::Status& status);

}  // namespace uxcom::capture

#endif  // UXCOM_CAPTURE_PACKET_H_
