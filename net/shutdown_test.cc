// Executor shutdown with 10,000 operations pending: everything is cancelled, every frame is
// destroyed, every fd is closed (LeakSanitizer checks the memory under --config=asan).
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "net/channel.h"
#include "net/event.h"
#include "net/executor.h"
#include "net/listener.h"
#include "net/scope.h"
#include "net/stream.h"
#include "net/testing.h"
#include "net/timer.h"

namespace uxcom::net {
namespace {

using namespace std::chrono_literals;

struct Counts {
  int started = 0;
  int finished = 0;
};

// Finishes (and counts) only when its operation completes: frames destroyed by force never do.
Task<void> Reader(Stream& s, Counts& c) {
  ++c.started;
  std::byte buf[64];
  (void)co_await s.ReadSome(buf);
  ++c.finished;
}

TEST_CASE("shutting down an executor with 10,000 pending operations cancels and frees them all") {
  testing::RaiseFdLimit(8192);
  int fds_before = testing::CountOpenFds();
  Counts counts;
  std::vector<int> accepted_fds;
  {
    ExecutorOptions options;
    options.shutdown_grace = std::chrono::milliseconds(300);
    auto ex = testing::NewExecutor(options);
    Channel<int> channel;
    Event event;
    std::vector<Stream> streams;
    std::unique_ptr<Listener> listener;
    auto setup = [&]() -> Task<void> {
      absl::StatusOr<Listener> l =
          Listener::Listen(*ex, {.address = SocketAddress::Loopback4(0), .backlog = 4096});
      REQUIRE(l.ok());
      listener = std::make_unique<Listener>(std::move(*l));
      for (int i = 0; i < 1500; ++i) {
        auto pair = co_await testing::ConnectedPair(*ex);
        REQUIRE(pair.ok());
        streams.push_back(std::move(pair->first));
        streams.push_back(std::move(pair->second));
      }
    };
    ex->BlockOn(setup());
    for (Stream& s : streams) ex->Spawn(Reader(s, counts));  // 3,000 reads
    for (int i = 0; i < 4000; ++i) {
      ex->Spawn([](Counts& c) -> Task<void> {
        ++c.started;
        (void)co_await Sleep(1h);
        ++c.finished;
      }(counts));
    }
    for (int i = 0; i < 1500; ++i) {
      ex->Spawn([](Channel<int>& ch, Counts& c) -> Task<void> {
        ++c.started;
        (void)co_await ch.Pop();
        ++c.finished;
      }(channel, counts));
    }
    for (int i = 0; i < 1499; ++i) {
      ex->Spawn([](Event& e, Counts& c) -> Task<void> {
        ++c.started;
        (void)co_await e.Wait();
        ++c.finished;
      }(event, counts));
    }
    ex->Spawn([](Listener& l, Counts& c) -> Task<void> {
      ++c.started;
      (void)co_await l.Accept();
      ++c.finished;
    }(*listener, counts));
    // A task that ignores cancellation: shutdown must destroy it rather than wait forever.
    ex->Spawn([](Counts& c) -> Task<void> {
      ++c.started;
      for (;;) {
        (void)co_await Sleep(1h);
        co_await Yield();  // suspends, but never gives up
      }
    }(counts));
    // Let everything start and block.
    ex->BlockOn([]() -> Task<void> { co_await Sleep(20ms); }());
    CHECK(counts.started == 10001);
    CHECK(counts.finished == 0);
    MESSAGE(ex->metrics().ToString());
    auto start = std::chrono::steady_clock::now();
    ex->Shutdown();
    MESSAGE(
        "shutdown took ",
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
        " ms");
    ExecutorMetrics::Snapshot m = ex->metrics();
    CHECK(m.tasks_finished == m.tasks_spawned);
    // Cancelled operations let their tasks run to the end; only the stubborn one was destroyed.
    CHECK(counts.finished == 10000);
    streams.clear();
    listener.reset();
  }
  CHECK(testing::CountOpenFds() == fds_before);
}

TEST_CASE("destroying an executor with tasks mid-I/O and no explicit shutdown leaks nothing") {
  int fds_before = testing::CountOpenFds();
  {
    auto ex = testing::NewExecutor();
    auto pair = ex->BlockOn(testing::ConnectedPair(*ex));
    REQUIRE(pair.ok());
    auto streams = std::make_shared<std::pair<Stream, Stream>>(std::move(*pair));
    ex->Spawn([](std::shared_ptr<std::pair<Stream, Stream>> s) -> Task<void> {
      std::vector<std::byte> big(16 << 20);
      (void)co_await s->first.Write(big);  // blocks: nobody reads
    }(streams));
    ex->Spawn([](std::shared_ptr<std::pair<Stream, Stream>> s) -> Task<void> {
      std::byte b[1];
      (void)co_await s->second.ReadChunk([](std::span<const std::byte>) { return size_t{0}; });
      (void)co_await s->second.ReadSome(b);
    }(streams));
    ex->BlockOn([]() -> Task<void> { co_await Sleep(5ms); }());
  }
  CHECK(testing::CountOpenFds() == fds_before);
}

}  // namespace
}  // namespace uxcom::net
