// InFlightFrames: which written frames a broken connection may have lost, from the count of
// unacknowledged bytes the kernel reports.
#include "xcom/internal/in_flight_frames.h"

#include <doctest/doctest.h>

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

}  // namespace
}  // namespace uxcom::xcom::internal
