// RunOffLoop: work on a thread of its own, the loop free meanwhile, lifetimes structured (the
// task resumes only after the work has returned, cancelled or not).
#include "net/off_loop.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "net/executor.h"
#include "net/scope.h"
#include "net/testing.h"
#include "net/timer.h"

namespace uxcom::net {
namespace {

using namespace std::chrono_literals;

// Spins until told to stop (by `release` or by cancellation), then records that it returned.
struct Spin {
  const std::atomic<bool>* release;
  std::atomic<bool>* returned;
  std::thread::id* ran_on;
  void operator()(const std::atomic<bool>& stop) {
    *ran_on = std::this_thread::get_id();
    while (!stop.load() && !release->load()) std::this_thread::yield();
    returned->store(true);
  }
};

Task<void> RunSpin(Spin spin, bool* resumed_after_return) {
  std::atomic<bool>* returned = spin.returned;
  co_await RunOffLoop(spin);
  *resumed_after_return = returned->load();
}

// Counts loop wake-ups until `release` is set, then releases the work.
Task<void> Ticker(std::atomic<bool>* release, int* ticks) {
  for (; *ticks < 20; ++*ticks) co_await Sleep(1ms);
  release->store(true);
}

TEST_CASE("the work runs on another thread while the loop keeps turning") {
  auto ex = testing::NewExecutor();
  std::atomic<bool> release{false}, returned{false};
  std::thread::id ran_on;
  bool resumed_after_return = false;
  int ticks = 0;
  Scope scope(*ex);
  scope.Spawn(Ticker(&release, &ticks));
  ex->BlockOn(RunSpin(Spin{&release, &returned, &ran_on}, &resumed_after_return));
  CHECK(ticks == 20);  // the loop turned while the work held its thread
  CHECK(ran_on != std::this_thread::get_id());
  CHECK(resumed_after_return);
}

Task<void> CancelSoonAndJoin(Scope* scope) {
  co_await Sleep(5ms);
  scope->Cancel();
  absl::Status joined = co_await scope->Join();
  (void)joined;  // cancelled tasks may report it
}

TEST_CASE("cancelling sets the work's stop flag and still waits for it to return") {
  auto ex = testing::NewExecutor();
  std::atomic<bool> never{false}, returned{false};
  std::thread::id ran_on;
  bool resumed_after_return = false;
  Scope work(*ex);
  work.Spawn(RunSpin(Spin{&never, &returned, &ran_on}, &resumed_after_return));
  ex->BlockOn(CancelSoonAndJoin(&work));
  CHECK(returned.load());
  CHECK(resumed_after_return);
}

}  // namespace
}  // namespace uxcom::net
