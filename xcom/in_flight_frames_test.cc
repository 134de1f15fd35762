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

}  // namespace
}  // namespace uxcom::xcom::internal
