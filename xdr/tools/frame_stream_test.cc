// FrameStream on golden frames: frames in order when the stream starts at a frame, and found
// again within one frame wherever the stream starts, after gaps of every kind and after a
// frame that does not decode; never a frame invented from skipped bytes.
#include "xdr/tools/frame_stream.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "test/vectors/golden_vectors.h"
#include "xdr/arena.h"
#include "xdr/big_endian.h"
#include "xdr/decode.h"
#include "xdr/negotiation.h"

namespace uxcom::xdr::tools {
namespace {

using Bytes = std::vector<std::byte>;

// Decodes with the header's version; the record is the header and the offset in the stream.
FrameVerdict DecodeForTest(const FrameHeader& h, std::span<const std::byte> body) {
  FrameVerdict v;
  v.json = FrameHeaderToJson(h);
  if (h.type != MessageType::kNormal) {
    v.decoded = true;
    return v;
  }
  Arena arena;
  absl::StatusOr<Decoded> d = Decode(h.version, body, arena);
  v.decoded = d.ok();
  if (d.ok()) v.trailing_bytes = d->trailing_bytes != 0;
  if (!d.ok()) v.reason = std::string(d.status().message());
  return v;
}

struct Recorder : FrameStreamSink {
  std::vector<uint64_t> frames;  // offsets
  std::vector<Resync> resyncs;
  std::vector<std::string> errors;
  void OnFrame(const FrameHeader&, uint64_t offset, FrameVerdict&) override {
    frames.push_back(offset);
  }
  void OnError(uint64_t, uint64_t frame_offset, const std::string&,
               const std::string& reason) override {
    errors.push_back(std::to_string(frame_offset) + ": " + reason);
  }
  void OnResync(const Resync& r) override { resyncs.push_back(r); }
};

// A stream of golden frames of several versions and sizes, and where each starts.
struct Stream {
  Bytes bytes;
  std::vector<uint64_t> starts;
  void Add(const std::string& file) {
    starts.push_back(bytes.size());
    Bytes f = testing::ReadVector(file);
    bytes.insert(bytes.end(), f.begin(), f.end());
  }
};

Stream Sample() {
  Stream s;
  for (const char* f : {"v1_6/007_op_learn_op.bin", "v1_0/000_op_client_msg.bin",
                        "v1_4/035_unified_boot_type_nodes_1.bin", "v1_6/015_op_i_am_alive_op.bin",
                        "v1_2/023_op_tiny_learn_op.bin", "v1_6/118_full_combo_learn.bin",
                        "v1_6/000_op_client_msg.bin"}) {
    s.Add(f);
  }
  return s;
}

// Pushes `bytes` in chunks of random sizes (as TCP segments would cut them).
void PushChunked(FrameStream& fs, std::span<const std::byte> bytes, std::mt19937& rng) {
  std::uniform_int_distribution<size_t> size(1, 700);
  for (size_t at = 0; at < bytes.size();) {
    const size_t n = std::min(size(rng), bytes.size() - at);
    fs.Push(bytes.subspan(at, n));
    at += n;
  }
}

TEST_CASE("a stream that starts at a frame yields every frame, whatever the chunking") {
  const Stream s = Sample();
  std::mt19937 rng(1);
  Recorder r;
  FrameStream fs({}, DecodeForTest, &r, true);
  PushChunked(fs, s.bytes, rng);
  CHECK_FALSE(fs.Finish(true).has_value());
  CHECK(r.frames == s.starts);
  CHECK(r.resyncs.empty());
  CHECK(r.errors.empty());
}

TEST_CASE("a stream cut at any byte of a frame resynchronises at the next frame") {
  const Stream s = Sample();
  std::mt19937 rng(2);
  // Every cut inside the first three frames (the third is x_1_4, the others x_1_6 / x_1_0).
  for (uint64_t cut = 1; cut < s.starts[3]; ++cut) {
    Recorder r;
    FrameStream fs({}, DecodeForTest, &r, /*at_frame_boundary=*/false);
    PushChunked(fs, std::span<const std::byte>(s.bytes).subspan(cut), rng);
    fs.Finish(true);
    const auto next = std::lower_bound(s.starts.begin(), s.starts.end(), cut);
    const uint64_t resume = *next - cut;  // offsets count from the cut
    INFO("cut at ", cut);
    REQUIRE(r.resyncs.size() == 1);
    CHECK(r.resyncs[0].cause == ResyncCause::kMidStream);
    CHECK(r.resyncs[0].resumed == resume);
    CHECK(r.resyncs[0].skipped == resume);
    REQUIRE(r.frames.size() == static_cast<size_t>(s.starts.end() - next));
    for (size_t i = 0; i < r.frames.size(); ++i) CHECK(r.frames[i] == *(next + i) - cut);
    CHECK(r.errors.empty());
  }
}

TEST_CASE("a gap inside a frame whose header was read: the frame is lost, the next is known") {
  const Stream s = Sample();
  Recorder r;
  FrameStream fs({}, DecodeForTest, &r, true);
  const uint64_t lost = s.starts[2], lost_end = s.starts[3];
  fs.Push(std::span<const std::byte>(s.bytes).first(lost + 40));
  FrameStream::GapEffect e = fs.Gap(100);
  REQUIRE(e.lost_header.has_value());
  CHECK(e.lost_frame_offset == lost);
  CHECK(e.boundary_known);
  fs.Push(std::span<const std::byte>(s.bytes).subspan(lost + 140));
  fs.Finish(true);
  CHECK(r.resyncs.empty());
  std::vector<uint64_t> expected(s.starts.begin(), s.starts.begin() + 2);
  expected.insert(expected.end(), s.starts.begin() + 3, s.starts.end());
  CHECK(r.frames == expected);
  CHECK(lost_end > lost + 140);
}

TEST_CASE("a gap across a frame boundary: search after it, resume at the next frame") {
  const Stream s = Sample();
  Recorder r;
  FrameStream fs({}, DecodeForTest, &r, true);
  const uint64_t gap_from = s.starts[1] + 20, gap_to = s.starts[3] + 30;
  fs.Push(std::span<const std::byte>(s.bytes).first(gap_from));
  FrameStream::GapEffect e = fs.Gap(gap_to - gap_from);
  CHECK_FALSE(e.boundary_known);
  fs.Push(std::span<const std::byte>(s.bytes).subspan(gap_to));
  fs.Finish(true);
  REQUIRE(r.resyncs.size() == 1);
  CHECK(r.resyncs[0].cause == ResyncCause::kAfterGap);
  CHECK(r.resyncs[0].from == gap_to);
  CHECK(r.resyncs[0].resumed == s.starts[4]);
  CHECK(r.resyncs[0].skipped == s.starts[4] - gap_to);
  std::vector<uint64_t> expected = {s.starts[0]};
  expected.insert(expected.end(), s.starts.begin() + 4, s.starts.end());
  CHECK(r.frames == expected);
}

TEST_CASE("a gap whose far side is not a frame after all: the stream searches, no error") {
  Stream s = Sample();
  Recorder r;
  FrameStream fs({}, DecodeForTest, &r, true);
  // The lost frame's header claims 50 bytes more than it has: after the gap its "next frame"
  // is 50 bytes into the real next frame.
  const uint64_t at = s.starts[2];
  StoreBigEndian32(&s.bytes[at + 4],
                   static_cast<uint32_t>(s.starts[3] - s.starts[2] - kFrameHeaderSize + 50));
  fs.Push(std::span<const std::byte>(s.bytes).first(at + 20));
  CHECK(fs.Gap(10).boundary_known);
  fs.Push(std::span<const std::byte>(s.bytes).subspan(at + 30));
  fs.Finish(true);
  CHECK(r.errors.empty());
  REQUIRE(r.resyncs.size() == 1);
  CHECK(r.resyncs[0].cause == ResyncCause::kAfterGap);
  CHECK(r.resyncs[0].resumed == s.starts[4]);
  CHECK(r.frames.back() == s.starts.back());
}

// A connection's frames all carry its version (8.0.18 drops it otherwise), so a frame of
// another version, however well it decodes, is not where that connection's framing resumes.
Stream OneConnectionAndAStranger() {
  Stream s;
  for (const char* f : {"v1_6/007_op_learn_op.bin", "v1_6/015_op_i_am_alive_op.bin",
                        "v1_4/035_unified_boot_type_nodes_1.bin", "v1_6/000_op_client_msg.bin"}) {
    s.Add(f);
  }
  return s;
}

TEST_CASE("the negotiated version narrows the search: a frame of another version is skipped") {
  const Stream s = OneConnectionAndAStranger();
  const uint64_t cut = s.starts[2] - 7;  // the end of an x_1_6 frame, then the x_1_4 one
  for (const bool negotiated : {false, true}) {
    CAPTURE(negotiated);
    Recorder r;
    FrameStream fs({}, DecodeForTest, &r, /*at_frame_boundary=*/false);
    if (negotiated) fs.SetVersion(ProtocolVersion::kX1_6);
    fs.Push(std::span<const std::byte>(s.bytes).subspan(cut));
    fs.Finish(true);
    REQUIRE(r.resyncs.size() == 1);
    // Unknown version: the next frame of any version; x_1_6: past the x_1_4 frame.
    const uint64_t resume = negotiated ? s.starts[3] : s.starts[2];
    CHECK(r.resyncs[0].resumed == resume - cut);
    CHECK(r.resyncs[0].skipped == resume - cut);
    CHECK(r.errors.empty());
  }
}

TEST_CASE("learn_version: the first frame's version, then a gap; the stranger is not trusted") {
  const Stream s = OneConnectionAndAStranger();
  // The gap ends exactly where the x_1_4 frame starts, so the lost frame's length points at it.
  for (const bool learn : {false, true}) {
    CAPTURE(learn);
    Recorder r;
    FrameStream fs({.learn_version = learn}, DecodeForTest, &r, true);
    fs.Push(std::span<const std::byte>(s.bytes).first(s.starts[1] + 20));
    CHECK(fs.Gap(s.starts[2] - s.starts[1] - 20).boundary_known);
    fs.Push(std::span<const std::byte>(s.bytes).subspan(s.starts[2]));
    fs.Finish(true);
    CHECK(r.errors.empty());
    if (!learn) {
      CHECK(r.resyncs.empty());
      CHECK(r.frames == std::vector<uint64_t>{s.starts[0], s.starts[2], s.starts[3]});
    } else {
      CHECK(fs.version() == ProtocolVersion::kX1_6);
      REQUIRE(r.resyncs.size() == 1);
      CHECK(r.resyncs[0].cause == ResyncCause::kAfterGap);
      CHECK(r.resyncs[0].resumed == s.starts[3]);
      CHECK(r.resyncs[0].skipped == s.starts[3] - s.starts[2]);
      CHECK(r.frames == std::vector<uint64_t>{s.starts[0], s.starts[3]});
    }
  }
}

TEST_CASE("without --keep_going an error stops the stream; with it, the search goes on") {
  Stream s = Sample();
  s.bytes[s.starts[1]] = std::byte(0x7F);  // version 0x7F000001: no layout
  Recorder stop;
  FrameStream a({}, DecodeForTest, &stop, true);
  a.Push(s.bytes);
  a.Finish(true);
  CHECK(a.stopped());
  CHECK(stop.errors.size() == 1);
  CHECK(stop.frames.size() == 1);

  Recorder go;
  FrameStream b({.keep_going = true}, DecodeForTest, &go, true);
  b.Push(s.bytes);
  b.Finish(true);
  CHECK(go.errors.size() == 1);
  REQUIRE(go.resyncs.size() == 1);
  CHECK(go.resyncs[0].cause == ResyncCause::kAfterError);
  CHECK(go.resyncs[0].resumed == s.starts[2]);
  CHECK(go.frames.size() == s.starts.size() - 1);
}

TEST_CASE("the end of the stream: truncation is an error, or handed back for a capture") {
  const Stream s = Sample();
  Recorder r;
  FrameStream fs({}, DecodeForTest, &r, true);
  fs.Push(std::span<const std::byte>(s.bytes).first(s.starts[1] + 5));
  CHECK_FALSE(fs.Finish(true).has_value());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0] == std::to_string(s.starts[1]) + ": truncated frame header: 5 of 12 bytes");

  Recorder c;
  FrameStream cut({}, DecodeForTest, &c, true);
  cut.Push(std::span<const std::byte>(s.bytes).first(s.starts[1] + 50));
  std::optional<FrameStream::Incomplete> inc = cut.Finish(false);
  REQUIRE(inc.has_value());
  CHECK(inc->offset == s.starts[1]);
  CHECK(inc->have == 50);
  CHECK(inc->header.has_value());
  CHECK(c.errors.empty());
}

TEST_CASE("a plausible header announcing a huge body never holds the search beyond the end") {
  Stream s = Sample();
  // Bytes that look like a header of a 1 MiB x_1_6 frame, then real frames.
  Bytes fake(12);
  StoreBigEndian32(&fake[0], 7);
  StoreBigEndian32(&fake[4], 1 << 20);
  s.bytes.insert(s.bytes.begin(), fake.begin(), fake.end());
  Recorder r;
  FrameStream fs({}, DecodeForTest, &r, false);
  fs.Push(s.bytes);
  CHECK(r.frames.empty());  // waiting: the candidate could still be a frame
  fs.Finish(true);
  REQUIRE(r.resyncs.size() == 1);
  CHECK(r.resyncs[0].resumed == 12);
  CHECK(r.frames.size() == s.starts.size());

  SUBCASE("and beyond resync_max_body it is not even waited for") {
    Recorder q;
    FrameStream bounded({.resync_max_body = 65536}, DecodeForTest, &q, false);
    bounded.Push(s.bytes);
    CHECK(q.frames.size() == s.starts.size());
  }
}

TEST_CASE("negotiation frames pass in sync; a search never takes one for a resync point") {
  const FrameHeader req = VersionRequest(ProtocolVersion::kX1_6, 313);
  Bytes bytes;
  auto raw = FrameHeaderBytes(req);
  bytes.insert(bytes.end(), raw.begin(), raw.end());
  const Bytes learn = testing::ReadVector("v1_6/007_op_learn_op.bin");
  bytes.insert(bytes.end(), learn.begin(), learn.end());
  Recorder sync;
  FrameStream a({}, DecodeForTest, &sync, true);
  a.Push(bytes);
  CHECK(sync.frames == std::vector<uint64_t>{0, 12});
  Recorder search;
  FrameStream b({}, DecodeForTest, &search, false);
  b.Push(bytes);
  CHECK(search.frames == std::vector<uint64_t>{12});
}

}  // namespace
}  // namespace uxcom::xdr::tools
