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

#include "capture/packet.h"
#include "capture/pcap_source.h"
#include "capture/testing.h"
#include "doctest/doctest.h"
#include "net/testing.h"
#include "test/process.h"
#include "xdr/json.h"
#include "xdr/tools/xcomdump.h"

namespace uxcom::test {
namespace {

using namespace std::chrono_literals;
using Json = xdr::Json;

constexpr int kSmall = 20;  // messages of 300 bytes per node
constexpr int kLarge = 2;   // messages of 300 000 bytes per node (several segments each)
constexpr int kPerNode = kSmall + kLarge;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + std::to_string(getpid()) + "_" + name;
}

bool CanCapture(std::string* why) {
  if (geteuid() != 0) {
    *why = "needs root (tcpdump, network namespaces)";
    return false;
  }
  if (access("/usr/bin/tcpdump", X_OK) != 0) {
    *why = "tcpdump is not installed (tools/install_deps.sh)";
    return false;
  }
  absl::StatusOr<std::unique_ptr<capture::PcapSource>> lo = capture::PcapSource::OpenLive("lo", {});
  if (!lo.ok()) {
    *why = "cannot capture on lo here: " + std::string(lo.status().message());
    return false;
  }
  return true;
}

std::vector<Json> Dump(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"xcomdump"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::istringstream in;
  std::ostringstream out, err;
  const int status = xdr::tools::XcomdumpMain(argv, in, out, err);
  INFO(err.str());
  CHECK(status == 0);
  std::vector<Json> records;
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) records.push_back(Json::parse(line));
  return records;
}

std::optional<std::string> WaitForLine(Process& p, std::string_view text) {
  const Clock::time_point deadline = Clock::now() + 30s;
  while (std::optional<std::string> line = p.ReadLine(deadline)) {
    if (line->find(text) != std::string::npos) return line;
  }
  return std::nullopt;
}

struct GroupOptions {
  bool ipv6 = false;
  std::string interface = "lo";
  std::vector<std::string> prefix;  // e.g. {"/usr/sbin/ip", "netns", "exec", "ns"}
};

struct GroupCapture {
  std::string pcap;
  std::vector<Json> stopped;  // each node's final event, with its statistics
  uint64_t sent_frames = 0;   // client_msg frames the nodes report writing to sockets
  uint64_t sent_bytes = 0;
};

// Runs 3 xcom_node processes that each broadcast kSmall + kLarge messages while tcpdump
// records them; returns the capture and what the nodes report.
GroupCapture RunGroup(const std::string& name, const GroupOptions& o) {
  GroupCapture g;
  g.pcap = TempPath(name + ".pcap");
  std::vector<uint16_t> ports;
  std::string members, filter;
  for (int i = 0; i < 3; ++i) {
    ports.push_back(net::testing::ReservePort());
    const std::string host = o.ipv6 ? "[::1]" : "127.0.0.1";
    members += (i ? "," : "") + host + ":" + std::to_string(ports[i]);
    filter += (i ? " or " : "") + std::string("tcp port ") + std::to_string(ports[i]);
  }
  std::string error;
  std::vector<std::string> tcpdump = o.prefix;
  for (const std::string& a :
       {std::string("/usr/bin/tcpdump"), std::string("-i"), o.interface, std::string("-U"),
        std::string("-s"), std::string("0"), std::string("-B"), std::string("65536"),
        std::string("-Z"), std::string("root"), std::string("-w"), g.pcap, filter}) {
    tcpdump.push_back(a);
  }
  std::unique_ptr<Process> td = Process::Start("tcpdump", tcpdump, &error);
  REQUIRE_MESSAGE(td != nullptr, error);
  // tcpdump writes the file header once it listens.
  for (int i = 0; i < 100; ++i) {
    struct stat st;
    if (stat(g.pcap.c_str(), &st) == 0 && st.st_size >= 24) break;
    std::this_thread::sleep_for(50ms);
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
    n->Send("send " + std::to_string(kLarge) + " 300000");
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
  td->Kill(SIGINT);
  REQUIRE_MESSAGE(DescribeStatus(td->Wait(Clock::now() + 10s)) == "exit 0", td->Transcript());
  return g;
}

// (from, to, seq) of a client_msg frame, from its payload "node=<from>;seq=<n>;…".
std::tuple<int, int, int> Identity(const Json& frame) {
  const Json& m = frame["pax_msg"];
  const std::string hex = m["a"]["body"]["data"].get<std::string>().substr(0, 64);
  std::string text;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    text += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  const size_t at = text.find(";seq=");
  REQUIRE(at != std::string::npos);
  return {m["from"].get<int>(), m["to"].get<int>(), std::atoi(text.c_str() + at + 5)};
}

std::vector<Json> Frames(const std::vector<Json>& records, const std::string& op = "client_msg") {
  std::vector<Json> out;
  for (const Json& r : records) {
    if (r.contains("pax_msg") && r["pax_msg"]["op"]["name"] == op) out.push_back(r);
  }
  return out;
}

std::vector<Json> Kind(const std::vector<Json>& records, const char* kind) {
  std::vector<Json> out;
  for (const Json& r : records) {
    if (r.contains(kind)) out.push_back(r[kind]);
  }
  return out;
}

// Every message the nodes sent over sockets is in the capture exactly once, with its content;
// counts and bytes equal what the nodes report.
void CheckFrameForFrame(const GroupCapture& g, const std::vector<Json>& records) {
  const std::vector<Json> frames = Frames(records);
  CHECK(frames.size() == g.sent_frames);
  uint64_t bytes = 0;
  std::multiset<std::tuple<int, int, int>> seen;
  for (const Json& f : frames) {
    bytes += 12 + f["header"]["length"].get<uint64_t>();
    seen.insert(Identity(f));
  }
  CHECK(bytes == g.sent_bytes);
  std::multiset<std::tuple<int, int, int>> expected;
  for (int from = 0; from < 3; ++from) {
    for (int to = 0; to < 3; ++to) {
      if (from == to) continue;  // delivered locally, never on the wire
      for (int seq = 0; seq < kPerNode; ++seq) expected.insert({from, to, seq});
    }
  }
  CHECK(seen == expected);
  CHECK(Kind(records, "error").empty());
  CHECK(Kind(records, "gap").empty());
}

// --- rewriting captures -------------------------------------------------------------------

struct Packet {
  capture::testing::CapturedPacket raw;
  std::optional<capture::TcpSegment> tcp;  // points into raw.data
  size_t payload_at = 0;
};

std::vector<Packet> ReadPackets(const std::string& path, int* link) {
  absl::StatusOr<std::unique_ptr<capture::PcapSource>> src = capture::PcapSource::OpenFile(path);
  REQUIRE(src.ok());
  *link = (*src)->link_type();
  std::vector<Packet> out;
  for (;;) {
    absl::StatusOr<std::optional<capture::RawPacket>> p = (*src)->Next();
    REQUIRE(p.ok());
    if (!*p) break;
    Packet packet;
    packet.raw = {.time = (*p)->time,
                  .data = std::vector<std::byte>((*p)->data.begin(), (*p)->data.end()),
                  .wire_length = (*p)->wire_length};
    out.push_back(std::move(packet));
  }
  for (Packet& p : out) {
    absl::StatusOr<capture::TcpSegment> s =
        capture::DecodePacket(*link, p.raw.data, p.raw.wire_length, p.raw.time);
    if (s.ok()) {
      p.tcp = *s;
      p.payload_at = static_cast<size_t>(s->payload.data() - p.raw.data.data());
    }
  }
  return out;
}

std::string Write(const std::string& name, int link, const std::vector<Packet>& packets) {
  std::vector<capture::testing::CapturedPacket> raw;
  for (const Packet& p : packets) raw.push_back(p.raw);
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << capture::testing::PcapFile(link, raw, 262144, true);
  return path;
}

// One direction of one connection: its endpoints, its ISN and its frames' stream offsets.
struct Direction {
  std::string src, dst;
  uint32_t isn = 0;
  std::vector<Json> frames;  // with "offset"
};

Direction Busiest(const std::vector<Json>& with_offsets, const std::vector<Packet>& packets) {
  std::map<std::pair<std::string, std::string>, std::vector<Json>> by;
  for (const Json& r : with_offsets) {
    if (r.contains("pax_msg")) by[{r["src"], r["dst"]}].push_back(r);
  }
  Direction d;
  for (auto& [key, frames] : by) {
    if (frames.size() > d.frames.size()) {
      d.src = key.first;
      d.dst = key.second;
      d.frames = frames;
    }
  }
  for (const Packet& p : packets) {
    if (p.tcp && p.tcp->has(capture::kTcpSyn) && p.tcp->src.ToString() == d.src) {
      d.isn = p.tcp->seq;
    }
  }
  return d;
}

bool Of(const Packet& p, const Direction& d) {
  return p.tcp && p.tcp->src.ToString() == d.src && p.tcp->dst.ToString() == d.dst;
}
bool OfConnection(const Packet& p, const Direction& d) {
  return p.tcp && ((p.tcp->src.ToString() == d.src && p.tcp->dst.ToString() == d.dst) ||
                   (p.tcp->src.ToString() == d.dst && p.tcp->dst.ToString() == d.src));
}
uint64_t OffsetOf(const Packet& p, const Direction& d) {
  return static_cast<uint32_t>(p.tcp->seq - d.isn - 1);
}

// The capture as if it had started at stream offset `cut` of `d`: earlier packets of the
// connection dropped, the packet holding `cut` trimmed to start there (IPv4 over Ethernet).
std::vector<Packet> CutAt(const std::vector<Packet>& packets, const Direction& d, uint64_t cut) {
  std::vector<Packet> out;
  size_t first = packets.size();
  for (size_t i = 0; i < packets.size(); ++i) {
    const Packet& p = packets[i];
    if (Of(p, d) && !p.tcp->payload.empty() && OffsetOf(p, d) <= cut &&
        cut < OffsetOf(p, d) + p.tcp->payload.size()) {
      first = i;
      break;
    }
  }
  REQUIRE(first < packets.size());
  for (size_t i = 0; i < packets.size(); ++i) {
    const Packet& p = packets[i];
    if (OfConnection(p, d) && i < first) continue;
    if (i != first) {
      out.push_back(p);
      continue;
    }
    const size_t k = cut - OffsetOf(p, d);
    Packet trimmed = p;
    std::vector<std::byte>& b = trimmed.raw.data;
    b.erase(b.begin() + static_cast<long>(p.payload_at),
            b.begin() + static_cast<long>(p.payload_at + k));
    const size_t ip = 14, tcp = ip + static_cast<size_t>(std::to_integer<int>(b[ip]) & 0x0F) * 4;
    const uint16_t total = static_cast<uint16_t>(
        ((std::to_integer<int>(b[ip + 2]) << 8) | std::to_integer<int>(b[ip + 3])) - k);
    b[ip + 2] = std::byte(total >> 8);
    b[ip + 3] = std::byte(total & 0xFF);
    const uint32_t seq = p.tcp->seq + static_cast<uint32_t>(k);
    for (int i2 = 0; i2 < 4; ++i2) b[tcp + 4 + i2] = std::byte(seq >> (24 - 8 * i2));
    trimmed.raw.wire_length = static_cast<uint32_t>(b.size());
    out.push_back(std::move(trimmed));
  }
  return out;
}

std::vector<Json> FramesOf(const std::vector<Json>& records, const Direction& d) {
  std::vector<Json> out;
  for (const Json& r : records) {
    if (r.contains("pax_msg") && r["src"] == d.src && r["dst"] == d.dst)
      out.push_back(r["pax_msg"]);
  }
  return out;
}

TEST_CASE("a 3-node group captured by tcpdump on lo decodes frame for frame") {
  std::string why;
  if (!CanCapture(&why)) {
    MESSAGE("SKIPPED: ", why);
    return;
  }
  const GroupCapture g = RunGroup("lo_ipv4", {});
  const std::vector<Json> records = Dump({g.pcap});
  CheckFrameForFrame(g, records);
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
    for (uint64_t cut : {uint64_t{1}, uint64_t{7}, end / 3 + 5, end / 2 + 1, end - 3}) {
      INFO("cut at ", cut);
      const std::vector<Json> cut_records = Dump({Write("cut.pcap", link, CutAt(packets, d, cut))});
      uint64_t next = 0;
      std::vector<Json> after;
      for (const Json& f : d.frames) {
        if (f["offset"].get<uint64_t>() >= cut) {
          if (after.empty()) next = f["offset"];
          after.push_back(f["pax_msg"]);
        }
      }
      std::vector<Json> resyncs;
      for (const Json& r : Kind(cut_records, "resync")) {
        if (r["src"] == d.src && r["dst"] == d.dst) resyncs.push_back(r);
      }
      REQUIRE(resyncs.size() == 1);
      CHECK(resyncs[0]["cause"] == "stream_started_mid_frame");
      CHECK(resyncs[0]["skipped"] == next - cut);
      CHECK(resyncs[0]["resumed_at"] == next - cut);
      CHECK(FramesOf(cut_records, d) == after);
      CHECK(Kind(cut_records, "error").empty());
    }
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

TEST_CASE("tcpdump -i any (Linux cooked v2) of a group on IPv6 loopback") {
  std::string why;
  if (!CanCapture(&why)) {
    MESSAGE("SKIPPED: ", why);
    return;
  }
  const GroupCapture g = RunGroup("any_ipv6", {.ipv6 = true, .interface = "any", .prefix = {}});
  const std::vector<Json> records = Dump({g.pcap});
  CheckFrameForFrame(g, records);
  const std::vector<Json> capture = Kind(records, "capture");
  REQUIRE(capture.size() == 1);
  CHECK(std::string(capture[0]["link_type"]).starts_with("LINUX_SLL"));
  CHECK(Frames(records)[0]["src"].get<std::string>().starts_with("[::1]:"));
}

TEST_CASE("retransmitted segments (nftables drops a tenth on input) are decoded once") {
  std::string why;
  if (!CanCapture(&why)) {
    MESSAGE("SKIPPED: ", why);
    return;
  }
  if (access("/usr/sbin/nft", X_OK) != 0) {
    MESSAGE("SKIPPED: nftables is not installed (tools/install_deps.sh)");
    return;
  }
  const std::string ns = "uxcom_capture_" + std::to_string(getpid());
  const std::string setup = "ip netns add " + ns + " && ip netns exec " + ns +
                            " sh -c 'ip link set lo up && nft add table inet t && nft add chain "
                            "inet t input \"{ type filter hook input priority 0; }\" && nft add "
                            "rule inet t input \"tcp flags & (syn|fin|rst) == 0 numgen random "
                            "mod 10 == 0 drop\"'";
  if (std::system(setup.c_str()) != 0) {
    std::system(("ip netns del " + ns + " 2>/dev/null").c_str());
    MESSAGE("SKIPPED: cannot set up a network namespace with nftables here");
    return;
  }
  GroupCapture g = RunGroup("retransmissions", {.prefix = {"/usr/sbin/ip", "netns", "exec", ns}});
  std::system(("ip netns del " + ns).c_str());
  const std::vector<Json> records = Dump({g.pcap});
  CheckFrameForFrame(g, records);
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

}  // namespace
}  // namespace uxcom::test
