// TcpReassembler on synthetic segments: every byte delivered once and in order, every missing
// byte reported as a gap of the exact size, whatever order, duplication or loss the capture
// shows.
#include "capture/tcp_reassembler.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "capture/testing.h"

namespace uxcom::capture {
namespace {

using testing::Segment;
using testing::V4;

const Endpoint kA = V4("10.0.0.1", 40000);
const Endpoint kB = V4("10.0.0.2", 33061);
const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

// Records the stream as text: data as is, a gap as "<gap N>", the end as "<fin>" etc.
struct Recorder : StreamSink {
  std::string text;
  uint64_t expected_offset = 0;
  bool first = true;
  std::vector<Gap> gaps;
  std::optional<StreamEnd> end;
  std::optional<bool> start;
  void OnStart(bool from_connection_start) override {
    CHECK_FALSE(start.has_value());
    CHECK(text.empty());
    start = from_connection_start;
  }
  void OnData(std::span<const std::byte> bytes, uint64_t offset, absl::Time) override {
    if (!first) CHECK(offset == expected_offset);  // the calls tile the stream
    first = false;
    text.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    expected_offset = offset + bytes.size();
  }
  void OnGap(const Gap& gap) override {
    if (!first) CHECK(gap.offset == expected_offset);
    first = false;
    gaps.push_back(gap);
    text += "<gap " + std::to_string(gap.bytes) + ">";
    expected_offset = gap.offset + gap.bytes;
  }
  void OnEnd(StreamEnd e, uint64_t offset, absl::Time) override {
    CHECK_FALSE(end.has_value());
    CHECK(offset == expected_offset);
    end = e;
  }
};

struct Fixture {
  Recorder out;
  TcpReassembler r;
  explicit Fixture(ReassemblyOptions o = {}) : r(o, &out) {}
  // Adds a data segment at `seq` (the payload must outlive the call only).
  void Data(uint32_t seq, std::string_view payload, absl::Time t = kT0, uint8_t flags = kTcpAck) {
    r.Add(Segment(kA, kB, seq, flags, payload, t));
  }
};

constexpr uint32_t kIsn = 1000;

TEST_CASE("SYN anchors the stream; in-order data comes out as sent; FIN ends it") {
  Fixture f;
  f.r.Add(Segment(kA, kB, kIsn, kTcpSyn, ""));
  f.Data(kIsn + 1, "hello ");
  f.Data(kIsn + 7, "world");
  CHECK(f.out.text == "hello world");
  CHECK(f.out.start == true);
  CHECK(f.r.saw_syn());
  CHECK_FALSE(f.r.started_mid_stream());
  f.Data(kIsn + 12, "", kT0, kTcpAck | kTcpFin);
  CHECK(f.out.end == StreamEnd::kFin);
  CHECK(f.r.ended());
  f.Data(kIsn + 12, "late");  // after the end: ignored
  CHECK(f.out.text == "hello world");
}

TEST_CASE("retransmissions and overlaps deliver each byte once") {
  Fixture f;
  f.r.Add(Segment(kA, kB, kIsn, kTcpSyn, ""));
  f.Data(kIsn + 1, "abcdef");
  f.Data(kIsn + 1, "abcdef");                   // whole retransmission
  f.Data(kIsn + 4, "defghi");                   // overlaps 3 bytes
  f.Data(kIsn + 1, "abcdefghijkl");             // repacketized retransmission, 3 new bytes
  f.r.Add(Segment(kA, kB, kIsn, kTcpSyn, ""));  // retransmitted SYN
  CHECK(f.out.text == "abcdefghijkl");
  CHECK(f.r.stats().retransmitted_bytes == 6 + 3 + 9);
  CHECK(f.out.gaps.empty());
}

TEST_CASE("out-of-order segments wait for the hole, then come out in order") {
  Fixture f;
  f.r.Add(Segment(kA, kB, kIsn, kTcpSyn, ""));
  f.Data(kIsn + 7, "ghi");
  f.Data(kIsn + 10, "jkl");
  f.Data(kIsn + 7, "ghi");  // a duplicate of a buffered segment
  CHECK(f.out.text.empty());
  CHECK(f.r.buffered_bytes() == 6);
  f.Data(kIsn + 4, "def");
  CHECK(f.out.text.empty());
  f.Data(kIsn + 1, "abc");
  CHECK(f.out.text == "abcdefghijkl");
  CHECK(f.r.buffered_bytes() == 0);
  CHECK(f.r.stats().out_of_order_segments == 4);
  // Overlapping buffered segments are trimmed when drained.
  f.Data(kIsn + 17, "qrst");
  f.Data(kIsn + 15, "opqr");
  f.Data(kIsn + 13, "mn");
  CHECK(f.out.text == "abcdefghijklmnopqrst");
}

TEST_CASE("a hole that never fills is a gap of the exact size, at the end of the stream") {
  Fixture f;
  f.r.Add(Segment(kA, kB, kIsn, kTcpSyn, ""));
  f.Data(kIsn + 1, "abc");
  f.Data(kIsn + 11, "klm");  // 7 bytes (d…j) never captured
  f.Data(kIsn + 14, "", kT0, kTcpAck | kTcpFin);
  CHECK(f.out.text == "abc");  // FIN waits for the hole
  CHECK_FALSE(f.r.ended());
  f.r.Flush(kT0 + absl::Seconds(1));
  CHECK(f.out.text == "abc<gap 7>klm");
  REQUIRE(f.out.gaps.size() == 1);
  CHECK(f.out.gaps[0].offset == 3);
  CHECK(f.out.gaps[0].reason == GapReason::kNotCaptured);
  CHECK(f.out.gaps[0].trigger == GapTrigger::kStreamEnd);
  CHECK(f.out.end == StreamEnd::kFin);
  CHECK(f.r.stats().gap_bytes == 7);
}

TEST_CASE("bytes missing just before a FIN are a gap too") {
  Fixture f;
  f.r.Add(Segment(kA, kB, kIsn, kTcpSyn, ""));
  f.Data(kIsn + 1, "abc");
  f.Data(kIsn + 8, "", kT0, kTcpAck | kTcpFin);  // 4 bytes lost before the FIN
  f.r.Flush(kT0);
  CHECK(f.out.text == "abc<gap 4>");
  CHECK(f.out.end == StreamEnd::kFin);
}

TEST_CASE("the buffer bound turns a hole into a gap instead of growing") {
  Fixture f({.max_buffered_bytes = 10});
  f.r.Add(Segment(kA, kB, kIsn, kTcpSyn, ""));
  f.Data(kIsn + 1, "ab");
  f.Data(kIsn + 6, "fghij");  // c, d, e missing
  f.Data(kIsn + 11, "klmno");
  CHECK(f.out.text == "ab");  // 10 bytes buffered: at the bound, not above
  f.Data(kIsn + 16, "p");
  CHECK(f.out.text == "ab<gap 3>fghijklmnop");
  CHECK(f.out.gaps[0].trigger == GapTrigger::kBufferLimit);
  CHECK(f.r.stats().max_buffered == 11);
  f.Data(kIsn + 3, "cde");  // the lost bytes, too late: counted, not delivered
  CHECK(f.out.text == "ab<gap 3>fghijklmnop");
  CHECK(f.r.stats().retransmitted_bytes == 3);
}

TEST_CASE("a hole older than max_hole_age (capture time) is a gap") {
  Fixture f({.max_hole_age = absl::Seconds(2)});
  f.r.Add(Segment(kA, kB, kIsn, kTcpSyn, ""));
  f.Data(kIsn + 1, "ab");
  f.Data(kIsn + 5, "ef", kT0);
  f.r.ExpireHoles(kT0 + absl::Seconds(1));
  CHECK(f.out.text == "ab");
  f.r.ExpireHoles(kT0 + absl::Seconds(3));
  CHECK(f.out.text == "ab<gap 2>ef");
  CHECK(f.out.gaps[0].trigger == GapTrigger::kHoleAge);
}

TEST_CASE("RST ends the stream at once; what waited behind a hole comes out after the gap") {
  Fixture f;
  f.r.Add(Segment(kA, kB, kIsn, kTcpSyn, ""));
  f.Data(kIsn + 1, "ab");
  f.Data(kIsn + 5, "ef");
  f.r.Add(Segment(kA, kB, kIsn + 7, kTcpRst, ""));
  CHECK(f.out.text == "ab<gap 2>ef");
  CHECK(f.out.end == StreamEnd::kReset);
}

TEST_CASE("sequence numbers wrap around 2^32 without a hiccup") {
  Fixture f;
  const uint32_t isn = 0xFFFFFFF8;
  f.r.Add(Segment(kA, kB, isn, kTcpSyn, ""));
  f.Data(isn + 1, "abcd");      // 0xFFFFFFF9 …
  f.Data(isn + 9, "ijkl");      // wrapped: 1, out of order
  f.Data(isn + 5, "efgh");      // 0xFFFFFFFD … 0
  f.Data(isn + 3, "cdefghij");  // an overlapping retransmission across the wrap
  f.Data(isn + 13, "mnop");
  CHECK(f.out.text == "abcdefghijklmnop");
  CHECK(f.r.next_offset() == 16);
  CHECK(f.out.gaps.empty());
}

TEST_CASE("a stream whose start was not captured starts at the first byte seen") {
  Fixture f;
  f.r.Add(Segment(kA, kB, 5000, kTcpAck, ""));  // an ACK alone anchors nothing
  CHECK_FALSE(f.r.started_mid_stream());
  f.Data(777777, "middle");
  f.Data(777783, " of it");
  CHECK(f.out.text == "middle of it");
  CHECK(f.out.start == false);
  CHECK(f.r.started_mid_stream());
  CHECK_FALSE(f.r.saw_syn());
}

TEST_CASE("a packet cut by the snapshot length: captured bytes, then a gap for the rest") {
  Fixture f;
  f.r.Add(Segment(kA, kB, kIsn, kTcpSyn, ""));
  TcpSegment cut = Segment(kA, kB, kIsn + 1, kTcpAck, "abcdefgh");
  cut.payload = cut.payload.first(3);  // 8 on the wire, 3 captured
  f.r.Add(cut);
  f.Data(kIsn + 9, "ijk");
  CHECK(f.out.text == "abc<gap 5>ijk");
  REQUIRE(f.out.gaps.size() == 1);
  CHECK(f.out.gaps[0].reason == GapReason::kSnapLength);
  CHECK(f.out.gaps[0].offset == 3);
  CHECK(f.r.stats().truncated_segments == 1);

  SUBCASE("out of order too") {
    Fixture g;
    g.r.Add(Segment(kA, kB, kIsn, kTcpSyn, ""));
    TcpSegment later = Segment(kA, kB, kIsn + 4, kTcpAck, "defgh");
    later.payload = later.payload.first(2);
    g.r.Add(later);
    g.Data(kIsn + 1, "abc");
    g.Data(kIsn + 9, "ijk");
    CHECK(g.out.text == "abcde<gap 3>ijk");
  }
}

TEST_CASE("SYN with data (TCP Fast Open) delivers the data") {
  Fixture f;
  f.r.Add(Segment(kA, kB, kIsn, kTcpSyn, "early"));
  f.Data(kIsn + 6, " bird");
  CHECK(f.out.text == "early bird");
}

}  // namespace
}  // namespace uxcom::capture
