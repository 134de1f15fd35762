// Task, Scope, timers, Channel, Event, Post/Stop: the runtime without sockets.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "net/channel.h"
#include "net/event.h"
#include "net/executor.h"
#include "net/scope.h"
#include "net/task.h"
#include "net/testing.h"
#include "net/timer.h"

namespace uxcom::net {
namespace {

using namespace std::chrono_literals;
using testing::NewExecutor;

Task<int> Value(int v) { co_return v; }
Task<int> Add(int a, int b) { co_return co_await Value(a) + co_await Value(b); }

TEST_CASE("a task does nothing until it is awaited, then returns its value") {
  auto ex = NewExecutor();
  bool started = false;
  auto make = [&]() -> Task<int> {
    started = true;
    co_return 7;
  };
  Task<int> t = make();
  CHECK_FALSE(started);
  CHECK(ex->BlockOn(std::move(t)) == 7);
  CHECK(started);
  CHECK(ex->BlockOn(Add(2, 3)) == 5);
}

TEST_CASE("a million synchronously completing awaits do not grow the stack") {
  auto ex = NewExecutor();
  auto loop = []() -> Task<long> {
    long sum = 0;
    for (int i = 0; i < 1000000; ++i) sum += co_await Value(1);
    co_return sum;
  };
  CHECK(ex->BlockOn(loop()) == 1000000);
}

TEST_CASE("a finished task's frame is recycled by the next call, within a per-thread bound") {
  if (!detail::kFrameCacheEnabled) {
    return testing::Skip(testing::Need::kBuildConfig,
                         "frame recycling: the frame cache is off under AddressSanitizer");
  }
  auto ex = NewExecutor();
  auto loop = []() -> Task<std::vector<size_t>> {
    std::vector<size_t> cached;
    int first = co_await Value(0);  // leaves one frame of Value's size on the list
    cached.push_back(detail::FrameCache::CachedOnThisThread() + static_cast<size_t>(first));
    for (int i = 0; i < 1000; ++i) {
      int v = co_await Value(i);  // takes that frame and gives it back
      (void)v;
    }
    cached.push_back(detail::FrameCache::CachedOnThisThread());
    // 100 frames alive at once, then all destroyed: the list keeps no more than its bound.
    std::vector<Task<int>> many;
    for (int i = 0; i < 100; ++i) many.push_back(Value(i));
    many.clear();
    cached.push_back(detail::FrameCache::CachedOnThisThread());
    co_return cached;
  };
  std::vector<size_t> cached = ex->BlockOn(loop());
  REQUIRE(cached.size() == 3);
  CHECK(cached[0] >= 1);
  CHECK(cached[1] == cached[0]);
  CHECK(cached[2] <= cached[0] + detail::FrameCache::kFramesPerClass);
  CHECK(cached[2] > cached[0]);
}

TEST_CASE("an exception thrown in an awaited task is rethrown to the awaiter") {
  auto ex = NewExecutor();
  auto thrower = []() -> Task<int> {
    throw std::runtime_error("boom");
    co_return 1;
  };
  auto catcher = [&]() -> Task<std::string> {
    try {
      co_await thrower();
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  };
  CHECK(ex->BlockOn(catcher()) == "boom");
}

TEST_CASE("a scope's Join waits until every spawned task has finished") {
  auto ex = NewExecutor();
  std::vector<int> done;
  auto body = [&]() -> Task<void> {
    Scope scope(*ex);
    for (int i = 0; i < 3; ++i) {
      scope.Spawn([](std::vector<int>& out, int i) -> Task<void> {
        co_await Sleep(std::chrono::milliseconds(3 - i));
        out.push_back(i);
      }(done, i));
    }
    CHECK(scope.active_tasks() == 3);
    auto awaited = co_await scope.Join();
    CHECK(awaited.ok());
    CHECK(scope.active_tasks() == 0);
  };
  ex->BlockOn(body());
  CHECK(done == std::vector<int>{2, 1, 0});
}

TEST_CASE("cancelling a scope completes every pending sleep of its tasks with kCancelled") {
  auto ex = NewExecutor();
  std::vector<absl::StatusCode> codes;
  auto body = [&]() -> Task<void> {
    Scope scope(*ex);
    for (int i = 0; i < 5; ++i) {
      scope.Spawn([](std::vector<absl::StatusCode>& out) -> Task<void> {
        absl::Status slept = co_await Sleep(1h);
        out.push_back(slept.code());
      }(codes));
    }
    co_await Yield();
    TimePoint before = Clock::now();
    scope.Cancel();
    co_await scope.Close();
    CHECK(Clock::now() - before < 1s);
  };
  ex->BlockOn(body());
  CHECK(codes == std::vector<absl::StatusCode>(5, absl::StatusCode::kCancelled));
}

TEST_CASE("cancelling a scope cancels the scopes nested under it") {
  auto ex = NewExecutor();
  absl::Status inner_status;
  auto body = [&]() -> Task<void> {
    Scope outer(*ex);
    Scope inner(outer);
    inner.Spawn([](absl::Status& out) -> Task<void> { out = co_await Sleep(1h); }(inner_status));
    co_await Yield();
    outer.Cancel();
    CHECK(inner.cancelled());
    co_await inner.Close();
  };
  ex->BlockOn(body());
  CHECK(absl::IsCancelled(inner_status));
}

TEST_CASE("operations started in an already cancelled scope fail at once with kCancelled") {
  auto ex = NewExecutor();
  absl::Status s;
  auto body = [&]() -> Task<void> {
    Scope scope(*ex);
    scope.Cancel();
    scope.Spawn([](absl::Status& out) -> Task<void> { out = co_await Sleep(1h); }(s));
    co_await scope.Close();
  };
  ex->BlockOn(body());
  CHECK(absl::IsCancelled(s));
}

TEST_CASE("destroying a scope cancels its tasks, which then finish in the background") {
  auto ex = NewExecutor();
  auto state = std::make_shared<absl::Status>();
  auto body = [&]() -> Task<void> {
    {
      Scope scope(*ex);
      scope.Spawn([](std::shared_ptr<absl::Status> out) -> Task<void> {
        *out = co_await Sleep(1h);
      }(state));
      co_await Yield();
    }
    co_await Sleep(1ms);
  };
  ex->BlockOn(body());
  CHECK(absl::IsCancelled(*state));
  CHECK(ex->metrics().tasks_finished == ex->metrics().tasks_spawned);
}

TEST_CASE("sleep waits at least its duration and timers fire in deadline order") {
  auto ex = NewExecutor();
  std::vector<int> order;
  auto body = [&]() -> Task<void> {
    Scope scope(*ex);
    for (int ms : {30, 10, 20}) {
      scope.Spawn([](std::vector<int>& out, int ms) -> Task<void> {
        TimePoint start = Clock::now();
        auto slept = co_await Sleep(std::chrono::milliseconds(ms));
        CHECK(slept.ok());
        CHECK(Clock::now() - start >= std::chrono::milliseconds(ms));
        out.push_back(ms);
      }(order, ms));
    }
    co_await scope.Join();
  };
  ex->BlockOn(body());
  CHECK(order == std::vector<int>{10, 20, 30});
}

TEST_CASE("SleepUntil a past deadline returns on the next turn") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<absl::Status> { co_return co_await SleepUntil(TimePoint{}); };
  CHECK(ex->BlockOn(body()).ok());
}

TEST_CASE("WithTimeout reports kDeadlineExceeded for a task that is too slow") {
  auto ex = NewExecutor();
  auto slow = []() -> Task<absl::Status> { co_return co_await Sleep(1h); };
  auto fast = []() -> Task<absl::StatusOr<int>> { co_return 42; };
  auto body = [&]() -> Task<void> {
    TimePoint start = Clock::now();
    absl::Status s = co_await WithTimeout(20ms, slow());
    CHECK(absl::IsDeadlineExceeded(s));
    CHECK(std::string(s.message()).find("timed out after 20") != std::string::npos);
    CHECK(Clock::now() - start >= 20ms);
    CHECK(Clock::now() - start < 2s);
    absl::StatusOr<int> v = co_await WithTimeout(1s, fast());
    REQUIRE(v.ok());
    CHECK(*v == 42);
  };
  ex->BlockOn(body());
}

TEST_CASE("a cancelled WithTimeout reports kCancelled, not a timeout") {
  auto ex = NewExecutor();
  absl::Status s;
  auto body = [&]() -> Task<void> {
    Scope scope(*ex);
    scope.Spawn([](absl::Status& out) -> Task<void> {
      out =
          co_await WithTimeout(1h, []() -> Task<absl::Status> { co_return co_await Sleep(1h); }());
    }(s));
    co_await Yield();
    co_await scope.Close();
  };
  ex->BlockOn(body());
  CHECK(absl::IsCancelled(s));
}

TEST_CASE("Now() is read once per loop turn") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    TimePoint a = ex->Now();
    auto spin_until = Clock::now() + 2ms;
    while (Clock::now() < spin_until) {
    }
    CHECK(ex->Now() == a);  // same turn
    co_await Sleep(1ms);
    CHECK(ex->Now() > a);
  };
  ex->BlockOn(body());
}

// --- Channel ---------------------------------------------------------------------------------

Task<void> ProduceFour(Channel<int>& ch, std::vector<std::string>& log) {
  for (int i = 0; i < 4; ++i) {
    auto awaited = co_await ch.Push(i);
    CHECK(awaited.ok());
    log.push_back("pushed " + std::to_string(i));
  }
}

Task<void> ConsumeFourLate(Channel<int>& ch, std::vector<std::string>& log) {
  co_await Sleep(5ms);  // let the producer fill the channel and block
  CHECK(ch.full());
  log.push_back("consumer starts");
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<int> v = co_await ch.Pop();
    REQUIRE(v.ok());
    CHECK(*v == i);
  }
}

TEST_CASE("a bounded channel suspends the producer until the consumer takes an item") {
  auto ex = NewExecutor();
  Channel<int> ch(2);
  std::vector<std::string> log;
  auto body = [&]() -> Task<void> {
    Scope scope(*ex);
    scope.Spawn(ProduceFour(ch, log));
    scope.Spawn(ConsumeFourLate(ch, log));
    co_await scope.Join();
  };
  ex->BlockOn(body());
  REQUIRE(log.size() == 5);
  CHECK(log[0] == "pushed 0");
  CHECK(log[1] == "pushed 1");
  CHECK(log[2] == "consumer starts");
}

TEST_CASE("TryPush reports full and closed and leaves the item with the caller") {
  Channel<std::string> ch(1);
  std::string a = "a", b = "b";
  CHECK(ch.TryPush(std::move(a)).ok());
  absl::Status full = ch.TryPush(std::move(b));
  CHECK(absl::IsResourceExhausted(full));
  CHECK(b == "b");  // not moved from
  ch.Close();
  std::string c = "c";
  CHECK(absl::IsFailedPrecondition(ch.TryPush(std::move(c))));
  CHECK(c == "c");
  CHECK(ch.TryPop() == std::optional<std::string>("a"));
  CHECK_FALSE(ch.TryPop().has_value());
}

TEST_CASE("a channel keeps FIFO order while its ring wraps around and grows") {
  Channel<std::string> ch;
  int next_in = 0, next_out = 0;
  // Interleave pushes and pops so that the ring's head moves before each growth.
  for (int round = 1; round <= 6; ++round) {
    for (int i = 0; i < 11 * round; ++i) CHECK(ch.TryPush(std::to_string(next_in++)).ok());
    for (int i = 0; i < 7 * round; ++i) CHECK(ch.TryPop() == std::to_string(next_out++));
  }
  CHECK(ch.size() == static_cast<size_t>(next_in - next_out));
  std::vector<std::string> rest = ch.Drain();
  for (const std::string& s : rest) CHECK(s == std::to_string(next_out++));
  CHECK(next_out == next_in);
  CHECK(ch.empty());
  CHECK(ch.TryPush("after drain").ok());
  CHECK(ch.TryPop() == std::optional<std::string>("after drain"));
}

TEST_CASE("a closed channel still delivers what was queued, then reports kOutOfRange") {
  auto ex = NewExecutor();
  Channel<int> ch;
  CHECK(ch.TryPush(1).ok());
  CHECK(ch.TryPush(2).ok());
  ch.Close();
  auto body = [&]() -> Task<void> {
    absl::StatusOr<int> first = co_await ch.Pop();
    absl::StatusOr<int> second = co_await ch.Pop();
    CHECK(*first == 1);
    CHECK(*second == 2);
    absl::StatusOr<int> end = co_await ch.Pop();
    CHECK(absl::IsOutOfRange(end.status()));
    absl::Status pushed = co_await ch.Push(3);
    CHECK(absl::IsFailedPrecondition(pushed));
  };
  ex->BlockOn(body());
}

TEST_CASE("closing a channel wakes a waiting consumer and a blocked producer") {
  auto ex = NewExecutor();
  Channel<int> empty;
  Channel<int> full(1);
  CHECK(full.TryPush(0).ok());
  absl::Status pop_status, push_status;
  auto body = [&]() -> Task<void> {
    Scope scope(*ex);
    scope.Spawn([](Channel<int>& c, absl::Status& out) -> Task<void> {
      out = (co_await c.Pop()).status();
    }(empty, pop_status));
    scope.Spawn([](Channel<int>& c, absl::Status& out) -> Task<void> { out = co_await c.Push(1); }(
                                                           full, push_status));
    co_await Yield();
    co_await Yield();
    empty.Close();
    full.Close();
    co_await scope.Join();
  };
  ex->BlockOn(body());
  CHECK(absl::IsOutOfRange(pop_status));
  CHECK(absl::IsFailedPrecondition(push_status));
  CHECK(full.size() == 1);  // the queued item is kept for draining
}

TEST_CASE("Drain empties the queue and admits blocked producers into the room") {
  auto ex = NewExecutor();
  Channel<int> ch(2);
  auto body = [&]() -> Task<void> {
    Scope scope(*ex);
    CHECK(ch.TryPush(1).ok());
    CHECK(ch.TryPush(2).ok());
    scope.Spawn([](Channel<int>& c) -> Task<void> {
      absl::Status pushed = co_await c.Push(3);
      CHECK(pushed.ok());
    }(ch));
    co_await Yield();
    std::vector<int> drained = ch.Drain();
    CHECK(drained == std::vector<int>{1, 2});
    co_await scope.Join();
    CHECK(ch.size() == 1);
    CHECK(*ch.TryPop() == 3);
  };
  ex->BlockOn(body());
}

TEST_CASE("a cancelled Pop and a cancelled Push complete with kCancelled") {
  auto ex = NewExecutor();
  Channel<int> empty, full(1);
  CHECK(full.TryPush(0).ok());
  absl::Status pop_status, push_status;
  auto body = [&]() -> Task<void> {
    Scope scope(*ex);
    scope.Spawn([](Channel<int>& c, absl::Status& out) -> Task<void> {
      out = (co_await c.Pop()).status();
    }(empty, pop_status));
    scope.Spawn([](Channel<int>& c, absl::Status& out) -> Task<void> { out = co_await c.Push(1); }(
                                                           full, push_status));
    co_await Yield();
    co_await scope.Close();
  };
  ex->BlockOn(body());
  CHECK(absl::IsCancelled(pop_status));
  CHECK(absl::IsCancelled(push_status));
  CHECK(full.size() == 1);
  CHECK(empty.empty());
}

// --- Event -----------------------------------------------------------------------------------

TEST_CASE("setting an event wakes every waiter, and a set event does not suspend") {
  auto ex = NewExecutor();
  Event event;
  int woken = 0;
  auto body = [&]() -> Task<void> {
    Scope scope(*ex);
    for (int i = 0; i < 3; ++i) {
      scope.Spawn([](Event& e, int& n) -> Task<void> {
        auto awaited = co_await e.Wait();
        CHECK(awaited.ok());
        ++n;
      }(event, woken));
    }
    co_await Yield();
    CHECK(woken == 0);
    event.Set();
    co_await scope.Join();
    CHECK(woken == 3);
    auto awaited2 = co_await event.Wait();
    CHECK(awaited2.ok());
    event.Reset();
    CHECK_FALSE(event.is_set());
  };
  ex->BlockOn(body());
}

TEST_CASE("a cancelled event wait completes with kCancelled") {
  auto ex = NewExecutor();
  Event event;
  absl::Status s;
  auto body = [&]() -> Task<void> {
    Scope scope(*ex);
    scope.Spawn(
        [](Event& e, absl::Status& out) -> Task<void> { out = co_await e.Wait(); }(event, s));
    co_await Yield();
    co_await scope.Close();
  };
  ex->BlockOn(body());
  CHECK(absl::IsCancelled(s));
}

// --- threads ---------------------------------------------------------------------------------

TEST_CASE("Post from another thread wakes a blocked executor and runs on its thread") {
  auto ex = NewExecutor();
  std::thread::id loop_thread;
  std::thread::id ran_on;
  std::atomic<bool> ready{false};
  Event posted;
  auto body = [&]() -> Task<absl::Status> {
    loop_thread = std::this_thread::get_id();
    ready = true;
    co_return co_await posted.Wait();
  };
  std::thread poster([&] {
    while (!ready) std::this_thread::yield();
    std::this_thread::sleep_for(5ms);  // let the loop block
    ex->Post([&] {
      ran_on = std::this_thread::get_id();
      posted.Set();
    });
  });
  CHECK(ex->BlockOn(body()).ok());
  poster.join();
  CHECK(ran_on == loop_thread);
  CHECK(ex->metrics().posted == 1);
}

TEST_CASE("Stop from another thread ends Run and cancels a BlockOn task") {
  auto ex = NewExecutor();
  std::thread stopper([&] {
    std::this_thread::sleep_for(10ms);
    ex->Stop();
  });
  ex->Run();
  stopper.join();
  std::thread stopper2([&] {
    std::this_thread::sleep_for(10ms);
    ex->Stop();
  });
  absl::Status s = ex->BlockOn([]() -> Task<absl::Status> { co_return co_await Sleep(1h); }());
  stopper2.join();
  CHECK(absl::IsCancelled(s));
}

TEST_CASE("executors on separate threads run independently") {
  std::vector<std::thread> threads;
  std::atomic<int> total{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      auto ex = NewExecutor();
      Channel<int> ch(4);
      auto body = [&]() -> Task<int> {
        Scope scope(*ex);
        scope.Spawn([](Channel<int>& c) -> Task<void> {
          for (int i = 1; i <= 100; ++i) co_await c.Push(i);
          c.Close();
        }(ch));
        int sum = 0;
        for (;;) {
          absl::StatusOr<int> v = co_await ch.Pop();
          if (!v.ok()) break;
          sum += *v;
        }
        co_await scope.Join();
        co_return sum;
      };
      total += ex->BlockOn(body());
    });
  }
  for (auto& t : threads) t.join();
  CHECK(total == 3 * 5050);
}

TEST_CASE("an executor created on one thread can run on another") {
  auto ex = NewExecutor();
  int v = 0;
  std::thread runner([&] { v = ex->BlockOn(Add(20, 22)); });
  runner.join();
  CHECK(v == 42);
}

TEST_CASE("bad executor options are rejected with a message naming the option") {
  ExecutorOptions o;
  o.sq_entries = 1000;
  absl::StatusOr<std::unique_ptr<Executor>> ex = Executor::Create(o);
  REQUIRE_FALSE(ex.ok());
  CHECK(std::string(ex.status().message()).find("sq_entries") != std::string::npos);
  o = ExecutorOptions();
  o.recv_buffer_size = 1;
  CHECK(absl::IsInvalidArgument(Executor::Create(o).status()));
}

TEST_CASE("each test variant runs on the backend it is named for, and Create() reports it") {
  // tools/defs.bzl sets UXCOM_BACKEND for both variants of a test; only a binary run by hand
  // (no TEST_TARGET) may leave the choice to kAuto.
  const BackendKind variant = testing::VariantBackend();
  if (std::getenv("TEST_TARGET") != nullptr) REQUIRE(variant != BackendKind::kAuto);
  std::vector<BackendChoice> reported;
  ExecutorOptions o;
  o.on_backend = [&](const BackendChoice& c) { reported.push_back(c); };
  auto ex = NewExecutor(o);
  MESSAGE("backend: ", ex->backend_description());
  CHECK(ex->backend() != BackendKind::kAuto);
  if (variant != BackendKind::kAuto) CHECK(ex->backend() == variant);
  CHECK(ex->backend_description().rfind(BackendName(ex->backend()), 0) == 0);
  REQUIRE(reported.size() == 1);
  CHECK(reported[0].kind == ex->backend());
  CHECK(reported[0].description == ex->backend_description());
  CHECK_FALSE(reported[0].fell_back());  // a pinned backend never falls back
  CHECK(reported[0].ToString() == "backend " + ex->backend_description());
}

TEST_CASE("an explicitly requested backend is the one that runs, whatever UXCOM_BACKEND says") {
  ExecutorOptions o;
  o.backend = BackendKind::kEpoll;
  auto ex = NewExecutor(o);
  CHECK(ex->backend() == BackendKind::kEpoll);
  CHECK(ex->backend_description().rfind("epoll (", 0) == 0);
}

}  // namespace
}  // namespace uxcom::net
