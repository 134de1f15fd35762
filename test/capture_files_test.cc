// xcomdump on captures tcpdump wrote once (test/captures, recorded by capture_test with
// UXCOM_RECORD_CAPTURES): needs neither root nor tcpdump, so it runs everywhere. The nodes'
// own counts at recording time are in captures.json.
#include <fstream>
#include <string>
#include <vector>

#include "capture/testing.h"
#include "doctest/doctest.h"
#include "test/capture_checks.h"
#include "test/process.h"

namespace uxcom::test {
namespace {

std::string CapturesDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr) {
    return std::string(srcdir) + "/" + (workspace != nullptr ? workspace : "uxcom") +
           "/test/captures";
  }
  return "test/captures";
}

TEST_CASE("checked-in tcpdump captures decode frame for frame, as pcap and as pcapng") {
  const std::string dir = CapturesDir();
  std::ifstream index_file(dir + "/captures.json");
  REQUIRE_MESSAGE(index_file.good(), dir, "/captures.json not found");
  const Json index = Json::parse(index_file);
  REQUIRE(index.size() >= 2);
  for (const auto& [file, expected] : index.items()) {
    INFO(file);
    const std::string path = dir + "/" + file;
    const std::vector<Json> records = Dump({path});
    CheckFrameForFrame(expected["sent_frames"], expected["sent_bytes"], expected["per_node"],
                       records);
    int link = 0;
    const std::vector<Packet> packets = ReadPackets(path, &link);
    std::vector<capture::testing::CapturedPacket> raw;
    for (const Packet& p : packets) raw.push_back(p.raw);
    const std::string ng = TempPath(file + ".pcapng");
    std::ofstream(ng, std::ios::binary) << capture::testing::PcapngFile(link, raw);
    const std::vector<Json> again = Dump({ng});
    REQUIRE(again.size() == records.size());
    for (size_t i = 0; i + 1 < records.size(); ++i) CHECK(again[i] == records[i]);
  }
}

TEST_CASE("a checked-in capture cut at arbitrary bytes resynchronises within one frame") {
  const std::string path = CapturesDir() + "/lo_ipv4.pcap";  // Ethernet, IPv4: CutAt's format
  int link = 0;
  const std::vector<Packet> packets = ReadPackets(path, &link);
  const Direction d = Busiest(Dump({"--with_offsets", path}), packets);
  REQUIRE(d.frames.size() >= 10);
  const uint64_t end = d.frames.back()["offset"].get<uint64_t>();
  std::vector<uint64_t> cuts;
  for (uint64_t cut = 1; cut < end; cut += end / 23 + 1) cuts.push_back(cut);
  CheckCuts(packets, link, d, cuts);
}

}  // namespace
}  // namespace uxcom::test
