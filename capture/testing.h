// Test support for //capture and its users (testonly): hand-made packets and capture files.
//
//   using namespace uxcom::capture::testing;
//   std::vector<std::byte> ip = IpTcp({.src = V4("10.0.0.1", 40000), .dst = V4("10.0.0.2", 33061),
//                                      .seq = 1000, .flags = kTcpAck, .payload = "hello"});
//   std::string file = PcapFile(kLinkEthernet, {{.time = t, .data = Ethernet(ip)}});
//   std::string ng = PcapngFile(kLinkEthernet, {{.time = t, .data = Ethernet(ip)}});
#ifndef UXCOM_CAPTURE_TESTING_H_
#define UXCOM_CAPTURE_TESTING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "capture/packet.h"

namespace uxcom::capture::testing {

Endpoint V4(std::string_view address, uint16_t port);
Endpoint V6(std::string_view address, uint16_t port);

struct SegmentSpec {
  Endpoint src;
  Endpoint dst;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = kTcpAck;
  std::string payload;
  bool tcp_options = true;  // MSS-less timestamp option block (12 bytes), as Linux sends
};

// An IPv4 or IPv6 (by the endpoints) datagram carrying one TCP segment, without link layer.
std::vector<std::byte> IpTcp(const SegmentSpec& spec);

// Link layers around an IP datagram. Ethernet pads to its 60-byte minimum like a NIC does.
std::vector<std::byte> Ethernet(const std::vector<std::byte>& ip,
                                const std::vector<uint16_t>& vlan_tags = {});
std::vector<std::byte> LinuxSll(const std::vector<std::byte>& ip);
std::vector<std::byte> LinuxSll2(const std::vector<std::byte>& ip,
                                 const std::vector<uint16_t>& vlan_tags = {});

// A TcpSegment as DecodePacket would return it, its payload pointing into `payload`.
TcpSegment Segment(Endpoint src, Endpoint dst, uint32_t seq, uint8_t flags,
                   std::string_view payload, absl::Time time = absl::UnixEpoch());

struct CapturedPacket {
  absl::Time time;
  std::vector<std::byte> data;
  uint32_t wire_length = 0;  // 0: data.size()
};

// The bytes of a capture file: classic pcap (microsecond or nanosecond magic) or pcapng (one
// section, one interface with nanosecond timestamps, enhanced packet blocks).
std::string PcapFile(int link_type, const std::vector<CapturedPacket>& packets,
                     uint32_t snapshot_length = 262144, bool nanoseconds = false);
std::string PcapngFile(int link_type, const std::vector<CapturedPacket>& packets,
                       uint32_t snapshot_length = 262144);

// Writes `bytes` to a fresh file under TEST_TMPDIR (or /tmp) and returns its path.
std::string WriteTempFile(std::string_view name, const std::string& bytes);

}  // namespace uxcom::capture::testing

#endif  // UXCOM_CAPTURE_TESTING_H_
