// "Executor thread only" is checked in debug builds: a call that must run on the loop's thread
// and comes from another one aborts at once with a message, instead of corrupting the
// executor's unsynchronised state some time later.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "net/executor.h"
#include "net/task.h"
#include "net/testing.h"
#include "test/skip.h"

namespace uxcom::net {
namespace {

Task<void> Nothing() { co_return; }

// In a child process: runs the loop on a second thread, then spawns from the main thread.
[[noreturn]] void SpawnFromTheWrongThread(int stderr_fd) {
  ::dup2(stderr_fd, STDERR_FILENO);
  std::unique_ptr<Executor> ex = testing::NewExecutor();
  std::atomic<bool> running{false};
  ex->Post([&running] { running.store(true); });  // Post is the thread-safe entry point
  std::thread loop([&ex] { ex->Run(); });
  while (!running.load()) std::this_thread::yield();
  ex->Spawn(Nothing());  // wrong thread: must abort here
  std::_Exit(0);         // not reached in a debug build
}

TEST_CASE("a debug build aborts, naming the call, when a task is spawned from another thread") {
#ifdef NDEBUG
  uxcom::testing::Skip(uxcom::testing::Need::kBuildConfig,
                       "release build (NDEBUG): the thread check compiles to nothing");
#else
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    SpawnFromTheWrongThread(pipe_fds[1]);
  }
  ::close(pipe_fds[1]);
  std::string output;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) output.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  INFO("child's stderr: ", output);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
  CHECK(output.find("Spawn used on thread") != std::string::npos);
  CHECK(output.find("executor thread only") != std::string::npos);
#endif
}

}  // namespace
}  // namespace uxcom::net
