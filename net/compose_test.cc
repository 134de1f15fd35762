// Composing awaitables: WithTimeout around any movable awaiter, and WhenAny (select), on
// virtual time so that every moment is exact.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "net/channel.h"
#include "net/event.h"
#include "net/executor.h"
#include "net/scope.h"
#include "net/task.h"
#include "net/testing.h"
#include "net/timer.h"
#include "net/when_any.h"

namespace uxcom::net {
namespace {

using namespace std::chrono_literals;

Task<absl::StatusOr<int>> PopWithin(Channel<int>& channel, Duration timeout) {
  absl::StatusOr<int> v = co_await WithTimeout(timeout, channel.Pop());
  co_return v;
}

TEST_CASE("WithTimeout takes any movable awaiter: a channel pop gives up exactly on time") {
  auto ex = testing::NewVirtualExecutor();
  Channel<int> channel;
  const TimePoint t0 = ex->Now();
  absl::StatusOr<int> none = ex->BlockOn(PopWithin(channel, 250ms));
  CHECK(absl::IsDeadlineExceeded(none.status()));
  CHECK(ex->Now() == t0 + 250ms);
  REQUIRE(channel.TryPush(7).ok());
  absl::StatusOr<int> seven = ex->BlockOn(PopWithin(channel, 250ms));
  REQUIRE(seven.ok());
  CHECK(*seven == 7);
  CHECK(ex->Now() == t0 + 250ms);  // ready at once: no time passed
}

Task<absl::Status> WaitWithin(Event& event, Duration timeout) {
  absl::Status s = co_await WithTimeout(timeout, event.Wait());
  co_return s;
}

TEST_CASE("WithTimeout around an event wait") {
  auto ex = testing::NewVirtualExecutor();
  Event event;
  absl::Status timed_out = ex->BlockOn(WaitWithin(event, 1s));
  CHECK(absl::IsDeadlineExceeded(timed_out));
  event.Set();
  absl::Status set = ex->BlockOn(WaitWithin(event, 1s));
  CHECK(set.ok());
}

Task<absl::StatusOr<std::string>> After(Duration d, std::string what) {
  absl::Status slept = co_await Sleep(d);
  if (!slept.ok()) co_return slept;
  co_return what;
}

using TwoStrings = WhenAnyResult<absl::StatusOr<std::string>, absl::StatusOr<std::string>>;

Task<TwoStrings> Race(Duration a, Duration b) {
  TwoStrings r = co_await WhenAny(After(a, "a"), After(b, "b"));
  co_return r;
}

TEST_CASE("WhenAny returns when the first finishes, with the others cancelled and finished") {
  auto ex = testing::NewVirtualExecutor();
  const TimePoint t0 = ex->Now();
  TwoStrings r = ex->BlockOn(Race(30ms, 10ms));
  CHECK(r.first == 1);
  REQUIRE(std::get<1>(r.results).ok());
  CHECK(*std::get<1>(r.results) == "b");
  CHECK(absl::IsCancelled(std::get<0>(r.results).status()));
  CHECK(ex->Now() == t0 + 10ms);  // the 30 ms sleep did not hold it up
}

using TwoInts = WhenAnyResult<absl::StatusOr<int>, absl::StatusOr<int>>;

Task<TwoInts> PopEither(Channel<int>& a, Channel<int>& b) {
  TwoInts r = co_await WhenAny(a.Pop(), b.Pop());
  co_return r;
}

TEST_CASE("WhenAny over channel pops: whoever wins, an item already taken is never lost") {
  auto ex = testing::NewVirtualExecutor();
  Channel<int> a;
  Channel<int> b;
  REQUIRE(a.TryPush(1).ok());
  REQUIRE(b.TryPush(2).ok());
  TwoInts r = ex->BlockOn(PopEither(a, b));
  CHECK(r.first == 0);
  // Both items are accounted for: in a result, or still in their channel.
  int seen = 0;
  if (std::get<0>(r.results).ok()) seen += *std::get<0>(r.results);
  if (std::get<1>(r.results).ok()) seen += *std::get<1>(r.results);
  seen += static_cast<int>(a.size()) * 1 + static_cast<int>(b.size()) * 2;
  CHECK(seen == 3);
  // The one that lost while waiting is cancelled, its channel untouched.
  Channel<int> empty;
  REQUIRE(a.TryPush(5).ok());
  TwoInts again = ex->BlockOn(PopEither(empty, a));
  CHECK(again.first == 1);
  CHECK(absl::IsCancelled(std::get<0>(again.results).status()));
  CHECK(*std::get<1>(again.results) == 5);
}

Task<void> RaceUntilCancelled(TwoStrings* out) { *out = co_await Race(1h, 2h); }

TEST_CASE("cancelling the caller of WhenAny cancels every operation, and WhenAny waits for them") {
  auto ex = testing::NewVirtualExecutor();
  const TimePoint t0 = ex->Now();
  TwoStrings r;
  Scope scope(*ex);
  scope.Spawn(RaceUntilCancelled(&r));
  absl::StatusOr<std::string> started = ex->BlockOn(After(5ms, "x"));  // let it start
  REQUIRE(started.ok());
  ex->BlockOn(scope.Close());
  CHECK(absl::IsCancelled(std::get<0>(r.results).status()));
  CHECK(absl::IsCancelled(std::get<1>(r.results).status()));
  CHECK(ex->Now() == t0 + 5ms);
}

}  // namespace
}  // namespace uxcom::net
