// Test support for multi-process tests (testonly): child processes driven over pipes.
//
//   std::string error;
//   std::unique_ptr<Process> p = Process::Start("node0", {Runfile("xcom/tools/xcom_node"), …},
//                                               &error);
//   p->Send("stats");
//   std::optional<std::string> line = p->ReadLine(Clock::now() + std::chrono::seconds(20));
//   p->Kill();                                       // SIGKILL
//   std::optional<int> status = p->Wait(Clock::now() + std::chrono::seconds(20));
//
// Plain blocking code, no coroutines. Nothing waits without a deadline: every read and wait
// takes one, and the destructor kills (SIGKILL) and reaps a child still running. A thread per
// child drains its stdout and stderr all the time, so a child never blocks on a full pipe
// while the test waits on another one; stdout is kept as lines for ReadLine, stderr is copied
// to the test's stderr with the child's name in front (and kept for failure messages).
#ifndef UXCOM_TEST_PROCESS_H_
#define UXCOM_TEST_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace uxcom::test {

using Clock = std::chrono::steady_clock;

// The path of a runfile of the test (a data dependency), e.g. Runfile("xcom/tools/xcom_node"):
// $TEST_SRCDIR/$TEST_WORKSPACE/path, $RUNFILES_DIR/…, or `path` relative to the working
// directory (bazel runs tests at the root of their runfiles). Empty if none is executable.
std::string Runfile(std::string_view path);

class Process {
 public:
  // Starts argv[0] (a path) with `argv`, the environment inherited but for the variables
  // named in `unset_env`, stdin/stdout/stderr on pipes. nullptr and `error` set if it cannot be
  // started.
  static std::unique_ptr<Process> Start(std::string name, std::vector<std::string> argv,
                                        std::string* error,
                                        const std::vector<std::string>& unset_env = {});
  ~Process();  // SIGKILL if still running, reap, stop the reader
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }

  // Writes `line` and a newline to the child's stdin; false if it cannot (child gone).
  bool Send(std::string_view line);
  void CloseStdin();

  // The next stdout line (without the newline), waiting until `deadline`. nullopt when the
  // deadline passes first, or when stdout is closed and every line was read.
  std::optional<std::string> ReadLine(Clock::time_point deadline);
  std::optional<std::string> TryReadLine() { return ReadLine(Clock::time_point::min()); }
  bool StdoutClosed() const;  // EOF seen and every line read

  // Sends `signal` (SIGKILL by default) unless the child was already reaped.
  void Kill(int signal = SIGKILL);
  // The child's wait status (see WIFEXITED …) once it exits; nullopt if it is still running
  // at `deadline`. Reaps it; later calls return the same status.
  std::optional<int> Wait(Clock::time_point deadline);
  bool Exited();  // reaped, or exits now (never blocks)

  // For failure messages: the last stdout lines read and the child's stderr (tails).
  std::string Transcript() const;

 private:
  Process(std::string name, pid_t pid, int in, int out, int err);
  void ReadLoop();

  std::string name_;
  pid_t pid_;
  int stdin_fd_;
  int stdout_fd_;
  int stderr_fd_;
  std::optional<int> status_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;    // stdout lines not read yet
  std::deque<std::string> history_;  // stdout lines read, the last ones
  std::string stdout_partial_;
  std::string stderr_partial_;
  std::string stderr_tail_;
  bool stdout_eof_ = false;
  bool stop_ = false;
  std::thread reader_;
};

// A wait status as text: "exit 0", "signal 9", "running".
std::string DescribeStatus(std::optional<int> status);

}  // namespace uxcom::test

#endif  // UXCOM_TEST_PROCESS_H_
