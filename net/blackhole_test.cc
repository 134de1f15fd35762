// Connect timeout to a blackhole: in a network namespace this test creates, 10.255.255.0/24 is
// routed onto the namespace's own loopback, where the SYN arrives for an address nobody owns and
// is silently dropped (no forwarding). Nothing ever answers and nothing leaves the namespace.
// Needs root and iproute2 (`ip`); skips otherwise (test/skip.h: counted as skipped, a failure in
// CI).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "net/executor.h"
#include "net/stream.h"
#include "net/testing.h"

namespace uxcom::net {
namespace {

using namespace std::chrono_literals;
using testing::Need;
using testing::Skip;

TEST_CASE("connect to a blackhole address times out with kDeadlineExceeded") {
  if (geteuid() != 0) return Skip(Need::kRoot, "the blackhole: creating a network namespace");
  if (std::system("command -v ip >/dev/null 2>&1") != 0) {
    return Skip(Need::kTool, "the blackhole: iproute2's `ip` is not installed");
  }
  int original = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  REQUIRE(original >= 0);
  // A fresh namespace for this thread only.
  if (unshare(CLONE_NEWNET) != 0) {
    close(original);
    return Skip(Need::kRoot,
                std::string("the blackhole: unshare(CLONE_NEWNET) failed (sandboxed?): ") +
                    std::strerror(errno));
  }
  int rc = std::system("ip link set lo up && ip route add 10.255.255.0/24 dev lo");
  if (rc != 0) {
    REQUIRE(setns(original, CLONE_NEWNET) == 0);
    close(original);
    return Skip(Need::kTool, "the blackhole: `ip` could not configure the route (exit " +
                                 std::to_string(rc) + ")");
  }
  {
    auto ex = testing::NewExecutor();
    auto body = [&]() -> Task<void> {
      absl::StatusOr<SocketAddress> target = SocketAddress::FromNumeric("10.255.255.2", 9);
      REQUIRE(target.ok());
      TimePoint start = Clock::now();
      absl::StatusOr<Stream> s = co_await Stream::Connect(*ex, *target, 200ms);
      Duration took = Clock::now() - start;
      INFO(s.status().ToString());
      CHECK(absl::IsDeadlineExceeded(s.status()));
      CHECK(std::string(s.status().message()).find("10.255.255.2:9") != std::string::npos);
      CHECK(took >= 200ms);
      CHECK(took < 3s);
    };
    ex->BlockOn(body());
  }
  REQUIRE(setns(original, CLONE_NEWNET) == 0);
  close(original);
}

}  // namespace
}  // namespace uxcom::net
