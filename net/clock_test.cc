// Virtual time (ExecutorOptions::clock = ClockKind::kVirtual): timers fire in deadline order at
// exactly their deadlines, and time moves only once real work has settled.
#include <doctest/doctest.h>

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "net/event.h"
#include "net/executor.h"
#include "net/resolver.h"
#include "net/scope.h"
#include "net/stream.h"
#include "net/task.h"
#include "net/testing.h"
#include "net/timer.h"

namespace uxcom::net {
namespace {

using namespace std::chrono_literals;

// When something happened, in virtual time.
struct Stamp {
  std::string what;
  TimePoint at;
  bool operator==(const Stamp&) const = default;
};

Task<void> SleepAndStamp(Duration d, std::string what, std::vector<Stamp>* log) {
  absl::Status slept = co_await Sleep(d);
  REQUIRE(slept.ok());
  Executor& ex = co_await CurrentExecutor();
  log->push_back({std::move(what), ex.Now()});
}

Task<absl::Status> SleepFor(Duration d) { co_return co_await Sleep(d); }

Task<void> JoinAll(Scope& scope) {
  absl::Status joined = co_await scope.Join();
  REQUIRE(joined.ok());
}

TEST_CASE("virtual time starts at kVirtualEpoch and a sleep moves it by exactly its duration") {
  auto ex = testing::NewVirtualExecutor();
  CHECK(ex->clock() == ClockKind::kVirtual);
  CHECK(ex->Now() == kVirtualEpoch);
  // An hour of virtual time costs no real time (the test would time out otherwise).
  absl::Status slept = ex->BlockOn(SleepFor(1h));
  CHECK(slept.ok());
  CHECK(ex->Now() == kVirtualEpoch + 1h);
  slept = ex->BlockOn(SleepFor(1500us));
  CHECK(slept.ok());
  CHECK(ex->Now() == kVirtualEpoch + 1h + 1500us);
}

TEST_CASE("virtual timers fire in deadline order, FIFO among equal deadlines, each on time") {
  auto ex = testing::NewVirtualExecutor();
  const TimePoint t0 = ex->Now();
  std::vector<Stamp> log;
  Scope scope(*ex);
  scope.Spawn(SleepAndStamp(30ms, "c", &log));
  scope.Spawn(SleepAndStamp(10ms, "a1", &log));
  scope.Spawn(SleepAndStamp(20ms, "b", &log));
  scope.Spawn(SleepAndStamp(10ms, "a2", &log));
  ex->BlockOn(JoinAll(scope));
  const std::vector<Stamp> want = {
      {"a1", t0 + 10ms}, {"a2", t0 + 10ms}, {"b", t0 + 20ms}, {"c", t0 + 30ms}};
  CHECK(log == want);
}

Task<absl::Status> WaitForever(Event& never) { co_return co_await never.Wait(); }

TEST_CASE("WithTimeout gives up at exactly its deadline on virtual time") {
  auto ex = testing::NewVirtualExecutor();
  Event never;
  const TimePoint t0 = ex->Now();
  absl::Status s = ex->BlockOn(WithTimeout(250ms, WaitForever(never)));
  CHECK(absl::IsDeadlineExceeded(s));
  CHECK(ex->Now() == t0 + 250ms);
}

// Reads `want` bytes, then stamps the virtual time.
Task<void> ReadAllAndStamp(Stream& s, size_t want, std::vector<Stamp>* log) {
  std::vector<std::byte> buffer(want);
  absl::Status read = co_await s.ReadExactly(buffer);
  REQUIRE(read.ok());
  Executor& ex = co_await CurrentExecutor();
  log->push_back({"read", ex.Now()});
}

Task<void> WriteThenSleep(Stream& s, size_t n, std::vector<Stamp>* log) {
  std::vector<std::byte> data(n, std::byte{0x5a});
  absl::Status wrote = co_await s.Write(data);
  REQUIRE(wrote.ok());
  // The only timer. Time must not jump to it while the bytes are still on their way.
  co_await SleepAndStamp(1s, "slept", log);
}

Task<void> TransferDuringSleep(Executor& ex, std::vector<Stamp>* log) {
  absl::StatusOr<std::pair<Stream, Stream>> pair = co_await testing::ConnectedPair(ex);
  REQUIRE(pair.ok());
  constexpr size_t kBytes = 4 << 20;  // several round trips of socket buffer
  Scope scope(ex);
  scope.Spawn(ReadAllAndStamp(pair->second, kBytes, log));
  scope.Spawn(WriteThenSleep(pair->first, kBytes, log));
  co_await JoinAll(scope);
}

TEST_CASE("virtual time stands still while loopback I/O is in flight") {
  auto ex = testing::NewVirtualExecutor();
  const TimePoint t0 = ex->Now();
  std::vector<Stamp> log;
  ex->BlockOn(TransferDuringSleep(*ex, &log));
  const std::vector<Stamp> want = {{"read", t0}, {"slept", t0 + 1s}};
  CHECK(log == want);
}

Task<void> ResolveAndStamp(std::vector<Stamp>* log) {
  absl::StatusOr<SocketAddress> a = co_await ResolveOne("localhost", 1);
  REQUIRE(a.ok());
  Executor& ex = co_await CurrentExecutor();
  log->push_back({"resolved", ex.Now()});
}

TEST_CASE("a name resolution in flight holds virtual time still") {
  auto ex = testing::NewVirtualExecutor();
  const TimePoint t0 = ex->Now();
  std::vector<Stamp> log;
  Scope scope(*ex);
  scope.Spawn(ResolveAndStamp(&log));  // getaddrinfo on a resolver thread: real time
  scope.Spawn(SleepAndStamp(1ms, "slept", &log));
  ex->BlockOn(JoinAll(scope));
  const std::vector<Stamp> want = {{"resolved", t0}, {"slept", t0 + 1ms}};
  CHECK(log == want);
}

TEST_CASE("a steady executor's time follows the monotonic clock") {
  auto ex = testing::NewExecutor();
  CHECK(ex->clock() == ClockKind::kSteady);
  const TimePoint before = Clock::now();
  absl::Status slept = ex->BlockOn(SleepFor(20ms));
  CHECK(slept.ok());
  CHECK(ex->Now() >= before + 20ms);
}

}  // namespace
}  // namespace uxcom::net
