// A transport in steady state allocates nothing per message: once a burst of a given shape has
// gone through once, the same bursts again (every node broadcasting, every message held until
// the burst is in, then all released) make no heap allocation at all, for 100-byte, 16 KiB and
// 200 KiB messages (the last larger than the 64 KiB read buffer: kept in the memory it arrived
// in). What makes it so: the pools keep pooled_messages idle objects, pooled frames keep their
// arenas up to 32 KiB, larger buffers go to per-thread shelves, the inbox's queue is sized up
// front, and an outbound connection's frame tracking is reserved at its first write
// (xcom/README.md, "Steady state allocates nothing").
//
// Every heap allocation of the process is counted by interposing malloc
// (//bench:allocation_counter). Sanitizer builds have their own allocator and no coroutine
// frame cache: there the test skips, visibly.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bench/allocation_counter.h"
#include "net/detail/frame_cache.h"
#include "net/testing.h"
#include "xcom/testing/testing.h"
#include "xcom/transport.h"

namespace uxcom::xcom {
namespace {

using testing::AppMessage;
using testing::Group;

// Every node broadcasts `burst` messages of `payload`; every node then receives all
// 3 x burst and holds them until the last is in. OK, or what went wrong.
net::Task<absl::Status> Burst(Group& g, int burst, const xdr::PaxMsg& msg,
                              std::vector<IncomingMessage>& held) {
  for (int i = 0; i < g.size(); ++i) {
    for (int k = 0; k < burst; ++k) {
      SendReport r = co_await g[i].SendToAll(g.sites[i], msg);
      if (!r.status.ok()) co_return r.status;
    }
  }
  for (int i = 0; i < g.size(); ++i) {
    for (int k = 0; k < burst * g.size(); ++k) {
      absl::StatusOr<IncomingMessage> in = co_await g[i].Receive();
      if (!in.ok()) co_return in.status();
      held.push_back(*std::move(in));
    }
    held.clear();
  }
  co_return absl::OkStatus();
}

TEST_CASE("bursts of the same shape allocate nothing once the first has gone through") {
  if (!bench::HeapAllocationCountingEnabled() || !net::detail::kFrameCacheEnabled) {
    return net::testing::Skip(net::testing::Need::kBuildConfig,
                              "transport allocation count: sanitizers replace malloc and turn "
                              "the coroutine frame cache off");
  }
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3, [](int, TransportOptions& o) { o.log = nullptr; });
  // Messages sent per node and burst: every node holds 3 x that many at once. The three nodes
  // share one thread here, so the 200 KiB bursts stay within what one thread's shelves keep
  // of large buffers (32 receive buffers, 8 MiB of frames: xcom/README.md).
  for (auto [payload, burst] : {std::pair{size_t{100}, 48}, std::pair{size_t{16384}, 48},
                                std::pair{size_t{200 << 10}, 4}}) {
    CAPTURE(payload);
    const std::string bytes(payload, 'p');
    const xdr::PaxMsg msg = AppMessage(bytes);
    std::vector<IncomingMessage> held;
    held.reserve(3 * static_cast<size_t>(burst));
    uint64_t allocations = 0;
    ex->BlockOn([&]() -> net::Task<void> {
      for (int round = 0; round < 2; ++round) {  // the first shapes the pools, the second checks
        absl::Status s = co_await Burst(g, burst, msg, held);
        REQUIRE(s.ok());
      }
      const uint64_t before = bench::HeapAllocations();
      for (int round = 0; round < 5; ++round) {
        absl::Status s = co_await Burst(g, burst, msg, held);
        if (!s.ok()) FAIL(s.ToString());
      }
      allocations = bench::HeapAllocations() - before;
    }());
    CHECK(allocations == 0);
  }
  ex->BlockOn(g.Stop());
}

}  // namespace
}  // namespace uxcom::xcom
