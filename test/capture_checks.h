// What the capture tests check, shared by the live ones (capture_test: tcpdump, root) and the
// ones on captures checked in (capture_files_test): xcomdump's records against what the nodes
// reported sending, and captures rewritten as if cut or lossy (testonly).
#ifndef UXCOM_TEST_CAPTURE_CHECKS_H_
#define UXCOM_TEST_CAPTURE_CHECKS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "capture/packet.h"
#include "capture/testing.h"
#include "xdr/json.h"

namespace uxcom::test {

using Json = xdr::Json;

// A fresh path under TEST_TMPDIR.
std::string TempPath(const std::string& name);
// xcomdump's records for `args` (run in process); checks it exits 0.
std::vector<Json> Dump(const std::vector<std::string>& args);
// (from, to, seq) of a client_msg frame of xcom_node ("node=<from>;seq=<n>;…").
std::tuple<int, int, int> Identity(const Json& frame);
std::vector<Json> Frames(const std::vector<Json>& records, const std::string& op = "client_msg");
// The inner objects of records of one kind ("gap", "resync", "error", …).
std::vector<Json> Kind(const std::vector<Json>& records, const char* kind);
// Every client_msg of a 3-node group (`per_node` from each node to each other node) is there
// exactly once; counts and bytes equal what the nodes report; no error, no gap.
void CheckFrameForFrame(uint64_t sent_frames, uint64_t sent_bytes, int per_node,
                        const std::vector<Json>& records);

struct Packet {
  capture::testing::CapturedPacket raw;
  std::optional<capture::TcpSegment> tcp;  // points into raw.data
  size_t payload_at = 0;
};
std::vector<Packet> ReadPackets(const std::string& path, int* link);
// Writes packets as a (nanosecond) pcap file under TEST_TMPDIR; returns its path.
std::string Write(const std::string& name, int link, const std::vector<Packet>& packets);

// One direction of one connection: its endpoints, its ISN and its frames' stream offsets.
struct Direction {
  std::string src, dst;
  uint32_t isn = 0;
  std::vector<Json> frames;  // with "offset"
};
// The direction with the most frames (records dumped --with_offsets).
Direction Busiest(const std::vector<Json>& with_offsets, const std::vector<Packet>& packets);
bool Of(const Packet& p, const Direction& d);
uint64_t OffsetOf(const Packet& p, const Direction& d);
// The capture as if it had started at stream offset `cut` of `d` (IPv4 over Ethernet).
std::vector<Packet> CutAt(const std::vector<Packet>& packets, const Direction& d, uint64_t cut);
std::vector<Json> FramesOf(const std::vector<Json>& records, const Direction& d);
// Cuts at each of `cuts` and checks: one resync for `d`, skipping exactly to the next frame,
// every later frame as in the original, no error.
void CheckCuts(const std::vector<Packet>& packets, int link, const Direction& d,
               const std::vector<uint64_t>& cuts);

}  // namespace uxcom::test

#endif  // UXCOM_TEST_CAPTURE_CHECKS_H_
