// xcomdump on real captures: tcpdump records a 3-node group of xcom_node processes, and the
// dump must account for every frame the nodes report sending, once each, with its content;
// then the same capture cut at arbitrary bytes, with a packet lost, and as pcapng; a capture
// with `-i any` (Linux cooked v2) over IPv6; and one with real retransmissions (a network
// namespace whose nftables input chain drops a tenth of the group's segments).
//
// Needs root and tcpdump (tools/install_deps.sh) and runs outside the sandbox; skips with a
// message otherwise.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "capture/packet.h"
#include "capture/pcap_source.h"
#include "capture/testing.h"
#include "doctest/doctest.h"
#include "net/testing.h"
#include "test/capture_checks.h"
#include "test/process.h"
#include "test/skip.h"
#include "xdr/json.h"

namespace uxcom::test {
namespace {

using namespace std::chrono_literals;
using Json = xdr::Json;

constexpr int kSmall = 20;  // messages of 300 bytes per node
constexpr int kLarge = 2;   // messages of 300 000 bytes per node (several segments each)
constexpr int kPerNode = kSmall + kLarge;

// Whether tcpdump can capture here; if not, records the skip (test/skip.h) naming `what`.
bool CanCapture(std::string_view what) {
  if (geteuid() != 0) {
    ::uxcom::testing::Skip(::uxcom::testing::Need::kRoot,
                           absl::StrCat(std::string(what), ": needs root (tcpdump, namespaces)"));
    return false;
  }
  if (access("/usr/bin/tcpdump", X_OK) != 0) {
    ::uxcom::testing::Skip(
        ::uxcom::testing::Need::kTool,
        absl::StrCat(std::string(what), ": tcpdump is not installed (tools/install_deps.sh)"));
    return false;
  }
  absl::StatusOr<std::unique_ptr<capture::PcapSource>> lo = capture::PcapSource::OpenLive("lo", {});
  if (!lo.ok()) {
    ::uxcom::testing::Skip(
        ::uxcom::testing::Need::kRoot,
        absl::StrCat(std::string(what), ": cannot capture on lo: ", lo.status().message()));
    return false;
  }
  return true;
}

std::optional<std::string> WaitForLine(Process& p, std::string_view text) {
  return p.ReadLineContaining(text, Clock::now() + 30s);
}

struct GroupOptions {
  bool ipv6 = false;
  std::string interface = "lo";
  std::vector<std::string> prefix;  // e.g. {"/usr/sbin/ip", "netns", "exec", "ns"}
  int large_bytes = 300000;         // payload of the kLarge messages
  bool live_xcomdump = false;       // capture with `xcomdump -i` instead of tcpdump
};

struct GroupCapture {
  std::string pcap;
  std::vector<Json> live_records;  // what `xcomdump -i` printed (live_xcomdump)
  std::vector<Json> stopped;       // each node's final event, with its statistics
  uint64_t sent_frames = 0;        // client_msg frames the nodes report writing to sockets
  uint64_t sent_bytes = 0;
};

// Dials `marker` (nothing listens there) from where the group ran, and waits until tcpdump
// has written that dial to `pcap`. A packet socket delivers in order, so everything the
// group sent before is in the file then: SIGINT makes tcpdump drop what it has not read yet
// (neither "captured" nor "dropped by kernel" in its counts), which once lost a frame here.
void WaitForMarker(const std::string& pcap, const GroupOptions& o, uint16_t marker) {
  std::vector<std::string> argv = o.prefix;
  const std::string host = o.ipv6 ? "::1" : "127.0.0.1";
  for (const std::string& a :
       {std::string("/usr/bin/bash"), std::string("-c"),
        "{ echo > /dev/tcp/" + host + "/" + std::to_string(marker) + "; } 2>/dev/null"}) {
    argv.push_back(a);
  }
  std::string error;
  std::unique_ptr<Process> dial = Process::Start("marker", argv, &error);
  REQUIRE_MESSAGE(dial != nullptr, error);
  (void)dial->Wait(Clock::now() + 10s);  // refused: its exit status says nothing
  const Clock::time_point deadline = Clock::now() + 30s;
  while (Clock::now() < deadline) {
    // The file may end in a record tcpdump is still writing: read what is whole.
    absl::StatusOr<std::unique_ptr<capture::PcapSource>> src = capture::PcapSource::OpenFile(pcap);
    if (src.ok()) {
      const int link = (*src)->link_type();
      for (;;) {
        absl::StatusOr<std::optional<capture::RawPacket>> p = (*src)->Next();
        if (!p.ok() || !*p) break;
        absl::StatusOr<capture::TcpSegment> s =
            capture::DecodePacket(link, (*p)->data, (*p)->wire_length, (*p)->time);
        if (s.ok() && (s->dst.port == marker || s->src.port == marker)) return;
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  MESSAGE("the marker dial never reached the capture: tcpdump may have missed the last packets");
}

// Runs 3 xcom_node processes that each broadcast kSmall + kLarge messages while tcpdump
// records them; returns the capture and what the nodes report.
GroupCapture RunGroup(const std::string& name, const GroupOptions& o) {
  GroupCapture g;
  g.pcap = TempPath(name + ".pcap");
  std::vector<uint16_t> ports;
  std::string members, filter;
  // Nothing listens here: a dial to it after the group stopped marks the capture's end.
  const uint16_t marker = net::testing::ReservePort();
  filter = "tcp port " + std::to_string(marker);
  for (int i = 0; i < 3; ++i) {
    ports.push_back(net::testing::ReservePort());
    const std::string host = o.ipv6 ? "[::1]" : "127.0.0.1";
    members += (i ? "," : "") + host + ":" + std::to_string(ports[i]);
    filter += " or tcp port " + std::to_string(ports[i]);
  }
  std::string error;
  std::unique_ptr<Process> td;
  if (o.live_xcomdump) {
    std::vector<std::string> argv = o.prefix;
    for (const std::string& a : {Runfile("xdr/tools/xcomdump"), std::string("-i"), o.interface,
                                 std::string("--snaplen=262144"), filter}) {
      argv.push_back(a);
    }
    td = Process::Start("xcomdump", argv, &error);
    REQUIRE_MESSAGE(td != nullptr, error);
    for (int i = 0; i < 100 && td->Transcript().find("capturing on") == std::string::npos; ++i) {
      std::this_thread::sleep_for(50ms);
    }
    REQUIRE_MESSAGE(td->Transcript().find("capturing on") != std::string::npos, td->Transcript());
  } else {
    std::vector<std::string> tcpdump = o.prefix;
    for (const std::string& a :
         {std::string("/usr/bin/tcpdump"), std::string("-i"), o.interface,
          std::string("--immediate-mode"), std::string("-U"), std::string("-s"), std::string("0"),
          std::string("-B"), std::string("65536"), std::string("-Z"), std::string("root"),
          std::string("-w"), g.pcap, filter}) {
      tcpdump.push_back(a);
    }
    td = Process::Start("tcpdump", tcpdump, &error);
    REQUIRE_MESSAGE(td != nullptr, error);
    // tcpdump writes the file header once it listens.
    for (int i = 0; i < 100; ++i) {
      struct stat st;
      if (stat(g.pcap.c_str(), &st) == 0 && st.st_size >= 24) break;
      std::this_thread::sleep_for(50ms);
    }
  }
  std::this_thread::sleep_for(300ms);

  std::vector<std::unique_ptr<Process>> nodes;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> argv = o.prefix;
    argv.push_back(Runfile("xcom/tools/xcom_node"));
    argv.push_back("--self=" + std::string(o.ipv6 ? "[::1]" : "127.0.0.1") + ":" +
                   std::to_string(ports[i]));
    argv.push_back("--members=" + members);
    argv.push_back("--print_deliveries=false");
    nodes.push_back(Process::Start("node" + std::to_string(i), argv, &error));
    REQUIRE_MESSAGE(nodes.back() != nullptr, error);
    REQUIRE_MESSAGE(WaitForLine(*nodes.back(), "\"event\":\"ready\""), nodes.back()->Transcript());
  }
  for (auto& n : nodes) {
    n->Send("send " + std::to_string(kSmall) + " 300");
    n->Send("send " + std::to_string(kLarge) + " " + std::to_string(o.large_bytes));
  }
  // Until every node has received every other node's messages.
  const Clock::time_point deadline = Clock::now() + 60s;
  for (auto& n : nodes) {
    for (;;) {
      REQUIRE_MESSAGE(Clock::now() < deadline, n->Transcript());
      n->Send("stats");
      std::optional<std::string> line = WaitForLine(*n, "\"event\":\"stats\"");
      REQUIRE(line);
      const Json s = Json::parse(*line)["statistics"];
      const Json& r = s["received"];
      if (r.contains("client_msg") && r["client_msg"]["count"] == 2 * kPerNode) break;
      std::this_thread::sleep_for(100ms);
    }
  }
  for (auto& n : nodes) n->Send("quit");
  for (auto& n : nodes) {
    std::optional<std::string> line = WaitForLine(*n, "\"event\":\"stopped\"");
    REQUIRE_MESSAGE(line, n->Transcript());
    g.stopped.push_back(Json::parse(*line));
    const Json& sent = g.stopped.back()["statistics"]["sent"]["client_msg"];
    g.sent_frames += sent["count"].get<uint64_t>();
    g.sent_bytes += sent["bytes"].get<uint64_t>();
    CHECK(DescribeStatus(n->Wait(Clock::now() + 10s)) == "exit 0");
  }
  std::this_thread::sleep_for(500ms);  // the FINs and last ACKs
  if (!o.live_xcomdump) WaitForMarker(g.pcap, o, marker);
  if (o.live_xcomdump) {
    // SIGINT stops xcomdump where it is, leaving what the kernel still buffers unread, so wait
    // for it to catch up first (a sanitizer build on a loaded machine lags).
    const Clock::time_point caught_up = Clock::now() + 60s;
    uint64_t seen = 0;
    while (seen < g.sent_frames) {
      std::optional<std::string> line = td->ReadLine(caught_up);
      if (!line) break;
      g.live_records.push_back(Json::parse(*line));
      if (Frames({g.live_records.back()}).size() == 1) ++seen;
    }
  }
  td->Kill(SIGINT);
  if (o.live_xcomdump) {
    while (std::optional<std::string> line = td->ReadLine(Clock::now() + 20s)) {
      g.live_records.push_back(Json::parse(*line));
    }
  }
  REQUIRE_MESSAGE(DescribeStatus(td->Wait(Clock::now() + 10s)) == "exit 0", td->Transcript());
  return g;
}

TEST_CASE("a 3-node group captured by tcpdump on lo decodes frame for frame") {
  if (!CanCapture("a group captured on lo")) return;
  const GroupCapture g = RunGroup("lo_ipv4", {});
  const std::vector<Json> records = Dump({g.pcap});
  CheckFrameForFrame(g.sent_frames, g.sent_bytes, kPerNode, records);
  const std::vector<Json> capture = Kind(records, "capture");
  REQUIRE(capture.size() == 1);
  CHECK(capture[0]["link_type"] == "EN10MB");
  // Sides from the handshake, the version from the negotiation.
  for (const Json& f : Frames(records)) CHECK(f["direction"] == "client_to_server");
  for (const Json& c : Kind(Dump({"--summary", g.pcap}), "connection")) {
    if (c["client_to_server"]["frames"] == 0) continue;  // refused dials
    CHECK(c["roles"] == "handshake");
    CHECK(c["version"]["negotiated"] == "x_1_6 (7)");
    CHECK(c["version"]["source"] == "negotiation");
  }

  int link = 0;
  const std::vector<Packet> packets = ReadPackets(g.pcap, &link);
  const std::vector<Json> with_offsets = Dump({"--with_offsets", g.pcap});
  const Direction d = Busiest(with_offsets, packets);
  REQUIRE(d.frames.size() >= static_cast<size_t>(kPerNode));

  SUBCASE("the same capture as pcapng reads the same") {
    std::vector<capture::testing::CapturedPacket> raw;
    for (const Packet& p : packets) raw.push_back(p.raw);
    const std::string ng = TempPath("lo_ipv4.pcapng");
    std::ofstream(ng, std::ios::binary) << capture::testing::PcapngFile(link, raw);
    std::vector<Json> a = Dump({g.pcap}), b = Dump({ng});
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i + 1 < a.size(); ++i) CHECK(a[i] == b[i]);  // all but "capture"
  }

  SUBCASE("cut at arbitrary bytes: framing found again at the next frame, nothing invented") {
    const uint64_t end = d.frames.back()["offset"].get<uint64_t>();
    CheckCuts(packets, link, d, {1, 7, end / 3 + 5, end / 2 + 1, end - 3});
  }

  SUBCASE("a lost packet: a gap of its exact size, then frames again") {
    // A segment strictly inside a large frame: the frame is lost, the next one's place known.
    // A segment holding a frame's start: framing is searched for after the gap.
    std::vector<std::pair<uint64_t, uint64_t>> frames;  // [offset, end)
    for (const Json& f : d.frames) {
      const uint64_t at = f["offset"];
      frames.push_back({at, at + 12 + f["header"]["length"].get<uint64_t>()});
    }
    for (const bool inside : {true, false}) {
      std::optional<size_t> victim;
      for (size_t i = 0; i < packets.size() && !victim; ++i) {
        const Packet& p = packets[i];
        if (!Of(p, d) || p.tcp->payload.empty()) continue;
        const uint64_t from = OffsetOf(p, d), to = from + p.tcp->payload.size();
        // Not a segment the capture also holds a retransmission of (its loss would be no gap).
        bool copied = false;
        for (size_t j = 0; j < packets.size() && !copied; ++j) {
          const Packet& q = packets[j];
          copied = j != i && Of(q, d) && !q.tcp->payload.empty() && OffsetOf(q, d) < to &&
                   from < OffsetOf(q, d) + q.tcp->payload.size();
        }
        if (copied) continue;
        for (const auto& [a, b] : frames) {
          if (inside ? (a < from && to < b) : (from == a && to < frames.back().first)) {
            victim = i;
            break;
          }
        }
      }
      REQUIRE(victim.has_value());
      const Packet& lost = packets[*victim];
      const uint64_t from = OffsetOf(lost, d), to = from + lost.tcp->payload.size();
      std::vector<Packet> kept = packets;
      kept.erase(kept.begin() + static_cast<long>(*victim));
      const std::vector<Json> loss = Dump({Write("loss.pcap", link, kept)});
      std::vector<Json> gaps;
      for (const Json& r : Kind(loss, "gap")) {
        if (r["src"] == d.src) gaps.push_back(r);
      }
      const std::string where = inside ? "inside a frame" : "at a frame's start";
      INFO(where);
      REQUIRE(gaps.size() == 1);
      CHECK(gaps[0]["offset"] == from);
      CHECK(gaps[0]["bytes"] == to - from);
      CHECK(gaps[0]["reason"] == "not_captured");
      CHECK(gaps[0]["next_frame"] == (inside ? "known" : "search"));
      std::vector<Json> expected;  // the frames the lost bytes did not touch
      for (size_t i = 0; i < frames.size(); ++i) {
        if (frames[i].second <= from || frames[i].first >= to) {
          expected.push_back(d.frames[i]["pax_msg"]);
        }
      }
      CHECK(FramesOf(loss, d) == expected);
      CHECK(Kind(loss, "error").empty());
    }
  }
}

TEST_CASE("xcomdump -i lo: a live capture of a group decodes frame for frame") {
  if (!CanCapture("xcomdump -i lo")) return;
  const GroupCapture g = RunGroup("live", {.prefix = {}, .live_xcomdump = true});
  std::vector<Json> records = g.live_records;
  REQUIRE_FALSE(records.empty());
  // The last records: the capture's counters, then the stopped record of the SIGINT.
  const Json stopped = records.back();
  records.pop_back();
  CHECK(stopped["stopped"]["signal"] == "SIGINT");
  CHECK(stopped["stopped"]["errors"] == 0);
  const std::vector<Json> capture = Kind(records, "capture");
  REQUIRE(capture.size() == 1);
  INFO("capture record: ", capture[0].dump());
  CHECK(capture[0]["link_type"] == "EN10MB");
  // A live capture on a loaded machine can lose packets in the kernel before xcomdump reads
  // them (counted by libpcap). A lost packet with payload must be reported as a gap, never
  // decoded over; lost packets without payload (pure ACKs) leave no gap, and then every frame
  // must still be there.
  const uint64_t dropped = capture[0].value("kernel_dropped", uint64_t{0}) +
                           capture[0].value("interface_dropped", uint64_t{0});
  CHECK(Kind(records, "error").empty());
  if (dropped > 0) {
    const bool gaps = !Kind(records, "gap").empty();
    MESSAGE("the kernel dropped ", dropped,
            " packets before xcomdump read them (a loaded machine): ",
            gaps ? "the loss is reported as gaps" : "no gap, so every frame must be there");
    if (gaps) return;
  }
  CheckFrameForFrame(g.sent_frames, g.sent_bytes, kPerNode, records);
}

TEST_CASE("tcpdump -i any (Linux cooked v2) of a group on IPv6 loopback") {
  if (!CanCapture("a group captured on any, IPv6")) return;
  const GroupCapture g =
      RunGroup("any_ipv6", {.ipv6 = true, .interface = "any", .prefix = {}, .large_bytes = 300000});
  const std::vector<Json> records = Dump({g.pcap});
  CheckFrameForFrame(g.sent_frames, g.sent_bytes, kPerNode, records);
  const std::vector<Json> capture = Kind(records, "capture");
  REQUIRE(capture.size() == 1);
  CHECK(std::string(capture[0]["link_type"]).starts_with("LINUX_SLL"));
  CHECK(Frames(records)[0]["src"].get<std::string>().starts_with("[::1]:"));
}

TEST_CASE("retransmitted segments (nftables drops a tenth on input) are decoded once") {
  if (!CanCapture("retransmissions")) return;
  if (access("/usr/sbin/nft", X_OK) != 0) {
    return ::uxcom::testing::Skip(
        ::uxcom::testing::Need::kTool,
        "retransmissions: nftables is not installed (tools/install_deps.sh)");
  }
  const std::string ns = "uxcom_capture_" + std::to_string(getpid());
  const std::string setup = "ip netns add " + ns + " && ip netns exec " + ns +
                            " sh -c 'ip link set lo up && nft add table inet t && nft add chain "
                            "inet t input \"{ type filter hook input priority 0; }\" && nft add "
                            "rule inet t input \"tcp flags & (syn|fin|rst) == 0 numgen random "
                            "mod 10 == 0 drop\"'";
  if (std::system(setup.c_str()) != 0) {
    (void)!std::system(("ip netns del " + ns + " 2>/dev/null").c_str());
    return ::uxcom::testing::Skip(
        ::uxcom::testing::Need::kRoot,
        "retransmissions: cannot set up a network namespace with nftables");
  }
  GroupCapture g = RunGroup("retransmissions", {.prefix = {"/usr/sbin/ip", "netns", "exec", ns}});
  (void)!std::system(("ip netns del " + ns).c_str());
  const std::vector<Json> records = Dump({g.pcap});
  CheckFrameForFrame(g.sent_frames, g.sent_bytes, kPerNode, records);
  // The capture really holds retransmissions: data segments seen twice.
  int link = 0;
  std::set<std::tuple<std::string, uint32_t, size_t>> segments;
  int repeated = 0;
  for (const Packet& p : ReadPackets(g.pcap, &link)) {
    if (!p.tcp || p.tcp->payload.empty()) continue;
    if (!segments.insert({p.tcp->src.ToString(), p.tcp->seq, p.tcp->payload.size()}).second) {
      ++repeated;
    }
  }
  MESSAGE(repeated, " retransmitted data segments in the capture");
  CHECK(repeated > 0);
}

// Records the small captures checked in under test/captures (capture_files_test reads them):
//   bazel test //test:capture_test --test_env=UXCOM_RECORD_CAPTURES=$PWD/test/captures
TEST_CASE("record the checked-in captures (only with UXCOM_RECORD_CAPTURES)") {
  const char* dir = std::getenv("UXCOM_RECORD_CAPTURES");
  if (dir == nullptr || !CanCapture("recording the captures")) return;
  Json index = Json::object();
  for (const bool ipv6 : {false, true}) {
    const std::string name = ipv6 ? "any_ipv6" : "lo_ipv4";
    const GroupCapture g = RunGroup(
        name, {.ipv6 = ipv6, .interface = ipv6 ? "any" : "lo", .prefix = {}, .large_bytes = 3000});
    CheckFrameForFrame(g.sent_frames, g.sent_bytes, kPerNode, Dump({g.pcap}));
    const std::string file = name + ".pcap";
    std::ifstream in(g.pcap, std::ios::binary);
    std::ofstream(std::string(dir) + "/" + file, std::ios::binary) << in.rdbuf();
    index[file] = {
        {"sent_frames", g.sent_frames},
        {"sent_bytes", g.sent_bytes},
        {"per_node", kPerNode},
        {"recorded_with", ipv6 ? "tcpdump -i any (IPv6 loopback)" : "tcpdump -i lo (IPv4)"}};
  }
  std::ofstream(std::string(dir) + "/captures.json") << index.dump(2) << "\n";
}

}  // namespace
}  // namespace uxcom::test
