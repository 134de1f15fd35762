// "Executor thread only" is checked in debug builds: a call that must run on the loop's thread
// and comes from another one aborts at once with a message, instead of corrupting the
// executor's unsynchronised state some time later.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "net/executor.h"
#include "net/task.h"
#include "net/testing.h"
#include "test/skip.h"

namespace uxcom::net {
namespace {

Task<void> Nothing() { co_return; }

TEST_CASE("a debug build aborts, naming the call, when a task is spawned from another thread") {
#ifdef NDEBUG
  uxcom::testing::Skip(uxcom::testing::Need::kBuildConfig,
                       "release build (NDEBUG): the thread check compiles to nothing");
#else
  testing::ChildExit child = testing::RunInChild([] {
    std::unique_ptr<Executor> ex = testing::NewExecutor();
    testing::LoopOnOtherThread loop(*ex);
    ex->Spawn(Nothing());  // wrong thread: must abort here
  });
  INFO("child's stderr: ", child.stderr_output);
  CHECK(child.aborted());
  CHECK(child.stderr_output.find("Spawn used on thread") != std::string::npos);
  CHECK(child.stderr_output.find("executor thread only") != std::string::npos);
#endif
}

TEST_CASE("the same spawn, posted to the loop's thread, runs") {
  testing::ChildExit child = testing::RunInChild([] {
    std::unique_ptr<Executor> ex = testing::NewExecutor();
    testing::LoopOnOtherThread loop(*ex);
    std::atomic<bool> spawned{false};
    ex->Post([&] {
      ex->Spawn(Nothing());
      spawned.store(true);
    });
    while (!spawned.load()) std::this_thread::yield();
  });
  INFO("child's stderr: ", child.stderr_output);
  CHECK(child.exited_cleanly());
}

}  // namespace
}  // namespace uxcom::net
