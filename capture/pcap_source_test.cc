// PcapSource through libpcap: both file formats with their timestamp precisions, streams,
// BPF filters, damaged files, and (as root) a live capture on loopback.
#include "capture/pcap_source.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "capture/packet.h"
#include "capture/testing.h"

namespace uxcom::capture {
namespace {

using namespace testing;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000) + absl::Nanoseconds(123456789);

std::vector<CapturedPacket> ThreePackets() {
  std::vector<CapturedPacket> out;
  for (int i = 0; i < 3; ++i) {
    SegmentSpec spec{.src = V4("10.0.0.1", 40000),
                     .dst = V4("10.0.0.2", static_cast<uint16_t>(33061 + i)),
                     .seq = static_cast<uint32_t>(100 * i),
                     .payload = "packet " + std::to_string(i)};
    out.push_back({.time = kT0 + absl::Milliseconds(i), .data = Ethernet(IpTcp(spec))});
  }
  return out;
}

std::vector<TcpSegment> ReadAll(PcapSource& src, std::vector<absl::Time>* times = nullptr) {
  std::vector<TcpSegment> out;
  for (;;) {
    absl::StatusOr<std::optional<RawPacket>> p = src.Next();
    REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    if (!*p) break;
    absl::StatusOr<TcpSegment> s =
        DecodePacket(src.link_type(), (*p)->data, (*p)->wire_length, (*p)->time);
    REQUIRE(s.ok());
    if (times != nullptr) times->push_back((*p)->time);
    out.push_back(*s);
  }
  return out;
}

TEST_CASE("pcap (micro- and nanosecond) and pcapng files read the same packets") {
  const std::vector<CapturedPacket> packets = ThreePackets();
  struct Variant {
    const char* name;
    std::string bytes;
    absl::Duration precision;
  };
  std::vector<Variant> variants = {
      {"micro.pcap", PcapFile(kLinkEthernet, packets), absl::Microseconds(1)},
      {"nano.pcap", PcapFile(kLinkEthernet, packets, 262144, true), absl::Nanoseconds(1)},
      {"nano.pcapng", PcapngFile(kLinkEthernet, packets), absl::Nanoseconds(1)},
  };
  for (const Variant& v : variants) {
    INFO(v.name);
    absl::StatusOr<std::unique_ptr<PcapSource>> src =
        PcapSource::OpenFile(WriteTempFile(v.name, v.bytes));
    REQUIRE_MESSAGE(src.ok(), src.status().ToString());
    CHECK((*src)->link_type() == kLinkEthernet);
    CHECK((*src)->link_type_name() == "EN10MB");
    CHECK_FALSE((*src)->live());
    std::vector<absl::Time> times;
    std::vector<TcpSegment> segments = ReadAll(**src, &times);
    REQUIRE(segments.size() == 3);
    CHECK(segments[2].dst.port == 33063);
    CHECK(times[0] == absl::UnixEpoch() + absl::Floor(kT0 - absl::UnixEpoch(), v.precision));
    CHECK(times[2] - times[0] == absl::Milliseconds(2));
  }
}

TEST_CASE("a capture read from a stream (tcpdump -w - | xcomdump -)") {
  const std::string bytes = PcapngFile(
      kLinkLinuxSll2,
      {{.time = kT0,
        .data = LinuxSll2(
            IpTcp({.src = V4("127.0.0.1", 1), .dst = V4("127.0.0.1", 2), .payload = "x"}))}});
  FILE* f = fmemopen(const_cast<char*>(bytes.data()), bytes.size(), "rb");
  REQUIRE(f != nullptr);
  absl::StatusOr<std::unique_ptr<PcapSource>> src = PcapSource::OpenStream(f, "<stdin>");
  REQUIRE(src.ok());
  CHECK((*src)->link_type_name() == "LINUX_SLL2");
  CHECK(ReadAll(**src).size() == 1);
}

TEST_CASE("a BPF filter selects packets; a bad one is refused with libpcap's reason") {
  const std::string path = WriteTempFile("filter.pcap", PcapFile(kLinkEthernet, ThreePackets()));
  absl::StatusOr<std::unique_ptr<PcapSource>> src = PcapSource::OpenFile(path);
  REQUIRE(src.ok());
  REQUIRE((*src)->SetFilter("tcp dst port 33062").ok());
  std::vector<TcpSegment> segments = ReadAll(**src);
  REQUIRE(segments.size() == 1);
  CHECK(segments[0].dst.port == 33062);
  absl::Status bad = (*src)->SetFilter("tcp port banana");
  CHECK(absl::IsInvalidArgument(bad));
  CHECK(std::string(bad.message()).starts_with("filter 'tcp port banana': "));
}

TEST_CASE("missing, foreign and damaged files are errors that say so") {
  CHECK(absl::IsNotFound(PcapSource::OpenFile("/no/such/file.pcap").status()));
  absl::StatusOr<std::unique_ptr<PcapSource>> text =
      PcapSource::OpenFile(WriteTempFile("text.pcap", "this is not a capture file at all"));
  CHECK(absl::IsInvalidArgument(text.status()));

  std::string cut = PcapFile(kLinkEthernet, ThreePackets());
  cut.resize(cut.size() - 10);  // the last packet record is short
  absl::StatusOr<std::unique_ptr<PcapSource>> src =
      PcapSource::OpenFile(WriteTempFile("cut.pcap", cut));
  REQUIRE(src.ok());
  CHECK((*src)->Next()->has_value());
  CHECK((*src)->Next()->has_value());
  absl::StatusOr<std::optional<RawPacket>> last = (*src)->Next();
  CHECK(absl::IsDataLoss(last.status()));
  CHECK(std::string(last.status().message()).find("truncated") != std::string::npos);
}

}  // namespace
}  // namespace uxcom::capture
