// The coroutine rules of net/task.h that a check enforces: a capturing lambda's coroutine is
// refused by Spawn (debug builds), while BlockOn, named functions and captureless lambdas run.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "net/executor.h"
#include "net/scope.h"
#include "net/task.h"
#include "net/testing.h"
#include "test/skip.h"

namespace uxcom::net {
namespace {

Task<void> Increment(int& counter) {
  ++counter;
  co_return;
}

TEST_CASE("a debug build refuses to spawn a capturing lambda's coroutine, naming the rule") {
#if defined(NDEBUG) || defined(__clang__)
  uxcom::testing::Skip(uxcom::testing::Need::kBuildConfig,
                       "release build or clang: the spawn check is GCC debug builds only");
#else
  SUBCASE("Executor::Spawn") {
    testing::ChildExit child = testing::RunInChild([] {
      std::unique_ptr<Executor> ex = testing::NewExecutor();
      int counter = 0;
      ex->Spawn([&counter]() -> Task<void> {
        ++counter;
        co_return;
      }());
    });
    INFO("child's stderr: ", child.stderr_output);
    CHECK(child.aborted());
    CHECK(child.stderr_output.find("Spawn of a capturing lambda's coroutine") != std::string::npos);
    CHECK(child.stderr_output.find("Coroutine rules") != std::string::npos);
  }
  SUBCASE("Scope::Spawn, a generic lambda capturing by value") {
    testing::ChildExit child = testing::RunInChild([] {
      std::unique_ptr<Executor> ex = testing::NewExecutor();
      Scope scope(*ex);
      int copy = 1;
      scope.Spawn([copy](auto) -> Task<void> {
        (void)copy;
        co_return;
      }(0));
    });
    INFO("child's stderr: ", child.stderr_output);
    CHECK(child.aborted());
    CHECK(child.stderr_output.find("Spawn of a capturing lambda's coroutine") != std::string::npos);
  }
#endif
}

TEST_CASE("named coroutine functions and captureless lambdas are spawned; BlockOn takes any") {
  std::unique_ptr<Executor> ex = testing::NewExecutor();
  int counter = 0;
  ex->Spawn(Increment(counter));
  ex->Spawn([](int& c) -> Task<void> {
    ++c;
    co_return;
  }(counter));
  // Safe (net/task.h, rule 2): the closure outlives the frame, BlockOn returns after the task.
  ex->BlockOn([&]() -> Task<void> {
    ++counter;
    co_return;
  }());
  ex->BlockOn(Increment(counter));
  CHECK(counter == 4);
}

}  // namespace
}  // namespace uxcom::net
