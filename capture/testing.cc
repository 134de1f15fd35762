#include "capture/testing.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

namespace uxcom::capture::testing {
namespace {

void Put16(std::vector<std::byte>& out, uint16_t v) {
  out.push_back(std::byte(v >> 8));
  out.push_back(std::byte(v & 0xFF));
}
void Put32(std::vector<std::byte>& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v));
}
void PutBytes(std::vector<std::byte>& out, const void* p, size_t n) {
  const auto* b = static_cast<const std::byte*>(p);
  out.insert(out.end(), b, b + n);
}

// Little-endian writers for the file formats (written in this host's order, x86).
template <typename T>
void PutHost(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

}  // namespace

Endpoint V4(std::string_view address, uint16_t port) {
  Endpoint e;
  e.port = port;
  inet_pton(AF_INET, std::string(address).c_str(), e.address.data());
  return e;
}

Endpoint V6(std::string_view address, uint16_t port) {
  Endpoint e;
  e.v6 = true;
  e.port = port;
  inet_pton(AF_INET6, std::string(address).c_str(), e.address.data());
  return e;
}

std::vector<std::byte> IpTcp(const SegmentSpec& spec) {
  std::vector<std::byte> tcp;
  const size_t tcp_header = spec.tcp_options ? 32 : 20;
  Put16(tcp, spec.src.port);
  Put16(tcp, spec.dst.port);
  Put32(tcp, spec.seq);
  Put32(tcp, spec.ack);
  tcp.push_back(std::byte((tcp_header / 4) << 4));
  tcp.push_back(std::byte(spec.flags));
  Put16(tcp, 65535);  // window
  Put16(tcp, 0);      // checksum (not checked)
  Put16(tcp, 0);      // urgent pointer
  if (spec.tcp_options) {
    // NOP, NOP, timestamps (kind 8, length 10).
    for (int b : {1, 1, 8, 10}) tcp.push_back(std::byte(b));
    Put32(tcp, 12345);
    Put32(tcp, 54321);
  }
  PutBytes(tcp, spec.payload.data(), spec.payload.size());

  std::vector<std::byte> ip;
  if (!spec.src.v6) {
    ip.push_back(std::byte(0x45));
    ip.push_back(std::byte(0));
    Put16(ip, static_cast<uint16_t>(20 + tcp.size()));
    Put16(ip, 0x1234);  // id
    Put16(ip, 0x4000);  // DF
    ip.push_back(std::byte(64));
    ip.push_back(std::byte(6));
    Put16(ip, 0);  // checksum (not checked)
    PutBytes(ip, spec.src.address.data(), 4);
    PutBytes(ip, spec.dst.address.data(), 4);
  } else {
    Put32(ip, 0x60000000);
    Put16(ip, static_cast<uint16_t>(tcp.size()));
    ip.push_back(std::byte(6));
    ip.push_back(std::byte(64));
    PutBytes(ip, spec.src.address.data(), 16);
    PutBytes(ip, spec.dst.address.data(), 16);
  }
  ip.insert(ip.end(), tcp.begin(), tcp.end());
  return ip;
}

std::vector<std::byte> Ethernet(const std::vector<std::byte>& ip,
                                const std::vector<uint16_t>& vlan_tags) {
  std::vector<std::byte> f;
  for (int i = 0; i < 6; ++i) f.push_back(std::byte(0x02));  // destination
  for (int i = 0; i < 6; ++i) f.push_back(std::byte(0x04));  // source
  for (uint16_t tag : vlan_tags) {
    Put16(f, 0x8100);
    Put16(f, tag);
  }
  Put16(f, (std::to_integer<int>(ip[0]) >> 4) == 6 ? 0x86DD : 0x0800);
  f.insert(f.end(), ip.begin(), ip.end());
  if (f.size() < 60) f.resize(60, std::byte(0xEE));  // padding, not payload
  return f;
}

std::vector<std::byte> LinuxSll(const std::vector<std::byte>& ip) {
  std::vector<std::byte> f;
  Put16(f, 4);    // packet type: outgoing
  Put16(f, 772);  // ARPHRD_LOOPBACK
  Put16(f, 6);    // address length
  for (int i = 0; i < 8; ++i) f.push_back(std::byte(0));
  Put16(f, (std::to_integer<int>(ip[0]) >> 4) == 6 ? 0x86DD : 0x0800);
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

std::vector<std::byte> LinuxSll2(const std::vector<std::byte>& ip,
                                 const std::vector<uint16_t>& vlan_tags) {
  std::vector<std::byte> f;
  const uint16_t ip_type = (std::to_integer<int>(ip[0]) >> 4) == 6 ? 0x86DD : 0x0800;
  Put16(f, vlan_tags.empty() ? ip_type : 0x8100);
  Put16(f, 0);                // reserved
  Put32(f, 1);                // interface index
  Put16(f, 1);                // ARPHRD_ETHER
  f.push_back(std::byte(0));  // packet type: to us
  f.push_back(std::byte(6));  // address length
  for (int i = 0; i < 8; ++i) f.push_back(std::byte(0x02));
  for (size_t i = 0; i < vlan_tags.size(); ++i) {
    Put16(f, vlan_tags[i]);
    Put16(f, i + 1 < vlan_tags.size() ? 0x8100 : ip_type);
  }
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

TcpSegment Segment(Endpoint src, Endpoint dst, uint32_t seq, uint8_t flags,
                   std::string_view payload, absl::Time time) {
  TcpSegment s;
  s.time = time;
  s.src = src;
  s.dst = dst;
  s.seq = seq;
  s.flags = flags;
  s.payload = std::span<const std::byte>(reinterpret_cast<const std::byte*>(payload.data()),
                                         payload.size());
  s.payload_length = static_cast<uint32_t>(payload.size());
  return s;
}

std::string PcapFile(int link_type, const std::vector<CapturedPacket>& packets,
                     uint32_t snapshot_length, bool nanoseconds) {
  std::string out;
  PutHost<uint32_t>(out, nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4);
  PutHost<uint16_t>(out, 2);
  PutHost<uint16_t>(out, 4);
  PutHost<int32_t>(out, 0);
  PutHost<uint32_t>(out, 0);
  PutHost<uint32_t>(out, snapshot_length);
  PutHost<uint32_t>(out, static_cast<uint32_t>(link_type));
  for (const CapturedPacket& p : packets) {
    const int64_t ns = absl::ToUnixNanos(p.time);
    PutHost<uint32_t>(out, static_cast<uint32_t>(ns / 1000000000));
    const int64_t fraction = ns % 1000000000;
    PutHost<uint32_t>(out, static_cast<uint32_t>(nanoseconds ? fraction : fraction / 1000));
    PutHost<uint32_t>(out, static_cast<uint32_t>(p.data.size()));
    PutHost<uint32_t>(out, p.wire_length ? p.wire_length : static_cast<uint32_t>(p.data.size()));
    out.append(reinterpret_cast<const char*>(p.data.data()), p.data.size());
  }
  return out;
}

std::string PcapngFile(int link_type, const std::vector<CapturedPacket>& packets,
                       uint32_t snapshot_length) {
  std::string out;
  // Section header block.
  PutHost<uint32_t>(out, 0x0A0D0D0A);
  PutHost<uint32_t>(out, 28);
  PutHost<uint32_t>(out, 0x1A2B3C4D);
  PutHost<uint16_t>(out, 1);
  PutHost<uint16_t>(out, 0);
  PutHost<int64_t>(out, -1);
  PutHost<uint32_t>(out, 28);
  // Interface description block with if_tsresol = 9 (nanoseconds).
  PutHost<uint32_t>(out, 1);
  PutHost<uint32_t>(out, 32);
  PutHost<uint16_t>(out, static_cast<uint16_t>(link_type));
  PutHost<uint16_t>(out, 0);
  PutHost<uint32_t>(out, snapshot_length);
  PutHost<uint16_t>(out, 9);  // if_tsresol
  PutHost<uint16_t>(out, 1);
  out.append("\x09\0\0\0", 4);
  PutHost<uint32_t>(out, 0);  // opt_endofopt
  PutHost<uint32_t>(out, 32);
  for (const CapturedPacket& p : packets) {
    const size_t padded = (p.data.size() + 3) & ~size_t{3};
    const uint32_t total = static_cast<uint32_t>(32 + padded);
    const uint64_t ns = static_cast<uint64_t>(absl::ToUnixNanos(p.time));
    PutHost<uint32_t>(out, 6);
    PutHost<uint32_t>(out, total);
    PutHost<uint32_t>(out, 0);  // interface
    PutHost<uint32_t>(out, static_cast<uint32_t>(ns >> 32));
    PutHost<uint32_t>(out, static_cast<uint32_t>(ns));
    PutHost<uint32_t>(out, static_cast<uint32_t>(p.data.size()));
    PutHost<uint32_t>(out, p.wire_length ? p.wire_length : static_cast<uint32_t>(p.data.size()));
    out.append(reinterpret_cast<const char*>(p.data.data()), p.data.size());
    out.append(padded - p.data.size(), '\0');
    PutHost<uint32_t>(out, total);
  }
  return out;
}

std::string WriteTempFile(std::string_view name, const std::string& bytes) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/" + std::to_string(getpid()) +
                     "_" + std::string(name);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  return path;
}

}  // namespace uxcom::capture::testing
