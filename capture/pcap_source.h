// PcapSource: packets from a capture file (pcap or pcapng), a stream, or a live interface,
// through libpcap.
//
//   absl::StatusOr<std::unique_ptr<PcapSource>> src = PcapSource::OpenFile("group.pcapng");
//   (*src)->SetFilter("tcp port 33061");             // optional, BPF syntax as in tcpdump
//   while (true) {
//     absl::StatusOr<std::optional<RawPacket>> p = (*src)->Next();
//     if (!p.ok()) return p.status();                  // a damaged file, an interface gone
//     if (!*p) break;                                  // end of the capture
//     DecodePacket((*src)->link_type(), (*p)->data, (*p)->wire_length, (*p)->time);
//   }
//
// Live captures (root or CAP_NET_RAW) use immediate mode, so a packet is handed over as soon
// as it arrives; Next() waits at most its `wait` argument and returns nullopt when nothing
// came (a file returns nullopt only at its end). The kernel's drop counters are live_stats().
//
// Timestamps keep the file's precision (nanoseconds when it has them). pcapng files whose
// interfaces have different link-layer types are refused by libpcap 1.10 (the error says so).
#ifndef UXCOM_CAPTURE_PCAP_SOURCE_H_
#define UXCOM_CAPTURE_PCAP_SOURCE_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct pcap;

namespace uxcom::capture {

struct RawPacket {
  absl::Time time;
  std::span<const std::byte> data;  // captured bytes; valid until the next Next()
  uint32_t wire_length = 0;         // length on the wire (≥ data.size())
};

struct LiveOptions {
  int snapshot_length = 262144;  // bytes kept per packet (tcpdump's default)
  int buffer_bytes = 16 << 20;   // kernel ring; packets beyond it are dropped and counted
  bool promiscuous = false;
};

// What the kernel reports for a live capture (pcap_stats).
struct LiveStats {
  uint64_t received = 0;
  uint64_t dropped = 0;            // no room in the buffer: lost to the capture
  uint64_t interface_dropped = 0;  // dropped by the interface or its driver
};

class PcapSource {
 public:
  // A pcap or pcapng file. kNotFound / kPermissionDenied / kInvalidArgument (not a capture).
  static absl::StatusOr<std::unique_ptr<PcapSource>> OpenFile(const std::string& path);
  // A capture read from `file` (e.g. a pipe from tcpdump -w -); takes ownership of it.
  // `name` is used in messages.
  static absl::StatusOr<std::unique_ptr<PcapSource>> OpenStream(FILE* file, std::string name);
  // A live capture. kPermissionDenied without capture rights, kNotFound for no such interface.
  static absl::StatusOr<std::unique_ptr<PcapSource>> OpenLive(const std::string& interface,
                                                              const LiveOptions& options);
  ~PcapSource();
  PcapSource(const PcapSource&) = delete;
  PcapSource& operator=(const PcapSource&) = delete;

  // A BPF filter (tcpdump's syntax). kInvalidArgument names the expression and libpcap's
  // complaint.
  absl::Status SetFilter(const std::string& expression);

  int link_type() const;
  // "EN10MB", "LINUX_SLL2", …
  std::string link_type_name() const;
  bool live() const { return live_; }
  int snapshot_length() const;

  // The next packet; nullopt at the end of a file, or (live) when none arrived before
  // `wait` elapsed or `wake_fd` (if not -1) became readable. kDataLoss for a damaged or
  // truncated file, kUnavailable when a live interface goes away.
  absl::StatusOr<std::optional<RawPacket>> Next(absl::Duration wait = absl::Milliseconds(200),
                                                int wake_fd = -1);
  // A descriptor that polls readable when a live capture has packets (-1 for files).
  int selectable_fd() const;
  // Live captures only (zeros otherwise).
  LiveStats live_stats() const;

 private:
  PcapSource(pcap* handle, std::string name, bool live);
  pcap* handle_;
  std::string name_;
  bool live_;
  bool nanosecond_ = false;
};

}  // namespace uxcom::capture

#endif  // UXCOM_CAPTURE_PCAP_SOURCE_H_
