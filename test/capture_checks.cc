#include "test/capture_checks.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "capture/pcap_source.h"
#include "doctest/doctest.h"
#include "xdr/tools/xcomdump.h"

namespace uxcom::test {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + std::to_string(getpid()) + "_" + name;
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

std::vector<Json> Frames(const std::vector<Json>& records, const std::string& op) {
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
void CheckFrameForFrame(uint64_t sent_frames, uint64_t sent_bytes, int per_node,
                        const std::vector<Json>& records) {
  const std::vector<Json> frames = Frames(records);
  CHECK(frames.size() == sent_frames);
  uint64_t bytes = 0;
  std::multiset<std::tuple<int, int, int>> seen;
  for (const Json& f : frames) {
    bytes += 12 + f["header"]["length"].get<uint64_t>();
    seen.insert(Identity(f));
  }
  CHECK(bytes == sent_bytes);
  std::multiset<std::tuple<int, int, int>> expected;
  for (int from = 0; from < 3; ++from) {
    for (int to = 0; to < 3; ++to) {
      if (from == to) continue;  // delivered locally, never on the wire
      for (int seq = 0; seq < per_node; ++seq) expected.insert({from, to, seq});
    }
  }
  CHECK(seen == expected);
  CHECK(Kind(records, "error").empty());
  CHECK(Kind(records, "gap").empty());
}

// --- rewriting captures -------------------------------------------------------------------

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
static bool OfConnection(const Packet& p, const Direction& d) {
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

void CheckCuts(const std::vector<Packet>& packets, int link, const Direction& d,
               const std::vector<uint64_t>& cuts) {
  for (uint64_t cut : cuts) {
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

}  // namespace uxcom::test
