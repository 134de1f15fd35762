// InFlightFrames: which written frames a broken connection may have lost, from the count of
// unacknowledged bytes the kernel reports.
#include "xcom/internal/in_flight_frames.h"

#include <doctest/doctest.h>

#include <algorithm>

namespace uxcom::xcom::internal {
namespace {

TEST_CASE("a frame with any unacknowledged byte counts as in flight") {
  InFlightFrames f;
  f.Written(100);
  f.Written(50);
  f.Written(10);
  CHECK(f.FramesWithin(0) == 0);
  CHECK(f.FramesWithin(10) == 1);
  CHECK(f.FramesWithin(11) == 2);  // one byte of the middle frame
  CHECK(f.FramesWithin(60) == 2);
  CHECK(f.FramesWithin(61) == 3);
  CHECK(f.FramesWithin(1000) == 3);  // more than was written: every frame
}

TEST_CASE("acknowledged frames are forgotten; the count stays right") {
  InFlightFrames f;
  for (int i = 0; i < 10; ++i) f.Written(100);
  f.Acknowledged(250);  // the last 250 bytes are not acknowledged: frames 8, 9, 10 (part)
  CHECK(f.tracked() == 3);
  CHECK(f.FramesWithin(250) == 3);
  f.Written(100);
  CHECK(f.FramesWithin(350) == 4);
  f.Acknowledged(0);
  CHECK(f.tracked() == 0);
  CHECK(f.bytes_written() == 1100);
  CHECK(f.FramesWithin(0) == 0);
}

TEST_CASE("a long run of written and acknowledged frames keeps counting right") {
  // Far past the point where forgotten entries are dropped from the front, several times.
  InFlightFrames f;
  for (int i = 0; i < 5000; ++i) {
    f.Written(10);
    f.Acknowledged(25);  // the last 25 bytes unacknowledged: the last three frames
    REQUIRE(f.tracked() == std::min(i + 1, 3));
    CHECK(f.FramesWithin(25) == static_cast<uint64_t>(std::min(i + 1, 3)));
    CHECK(f.FramesWithin(5) == 1);
  }
  CHECK(f.bytes_written() == 50000);
  f.Acknowledged(0);
  CHECK(f.tracked() == 0);
  f.Written(7);
  CHECK(f.tracked() == 1);
  CHECK(f.FramesWithin(100) == 1);
}

TEST_CASE(
    "asked when prune_due says, a connection's tracker keeps the capacity of its first write") {
  // A connection whose kernel holds the last `queued` frames unacknowledged, for several sizes
  // of send queue up to what the reserved capacity is for: no growth, whatever the traffic.
  for (uint64_t queued : {0, 1, 3, 50, 120, 250, 380}) {
    CAPTURE(queued);
    InFlightFrames f;
    f.Written(100);
    const size_t reserved = f.capacity();
    REQUIRE(reserved >= 256);
    int asked = 0;
    for (int i = 1; i < 100000; ++i) {
      f.Written(100);
      if (f.prune_due()) {
        ++asked;
        f.Acknowledged(std::min(f.bytes_written(), queued * 100));
      }
      REQUIRE(f.capacity() == reserved);
    }
    CHECK(f.FramesWithin(queued * 100) == queued);
    // Asked at most once per 128 frames (once per 256 while few are queued), not per frame.
    CHECK(asked <= 100000 / 128);
    CHECK(asked >= 100000 / 512);
  }
}

TEST_CASE(
    "past three quarters of the capacity unacknowledged, the tracker grows and counts right") {
  InFlightFrames f;
  f.Written(100);
  const size_t reserved = f.capacity();
  const uint64_t queued = reserved;  // more than fits with room to forget
  for (int i = 1; i < 20000; ++i) {
    f.Written(100);
    if (f.prune_due()) f.Acknowledged(std::min(f.bytes_written(), queued * 100));
  }
  CHECK(f.capacity() > reserved);
  CHECK(f.FramesWithin(queued * 100) == queued);
  CHECK(f.FramesWithin(f.bytes_written()) == f.tracked());
}

TEST_CASE("when the kernel cannot say, nothing is forgotten and it is asked again later") {
  InFlightFrames f;
  for (int i = 0; i < 256; ++i) f.Written(10);
  REQUIRE(f.prune_due());
  f.Acknowledged(f.bytes_written());  // Stream::Queued() failed
  CHECK(f.tracked() == 256);
  CHECK_FALSE(f.prune_due());  // not again at the next frame
  for (int i = 0; i < 255; ++i) f.Written(10);
  CHECK_FALSE(f.prune_due());
  for (int i = 0; i < 2; ++i) f.Written(10);
  CHECK(f.prune_due());  // at twice what was tracked
}

}  // namespace
}  // namespace uxcom::xcom::internal
