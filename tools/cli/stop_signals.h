// StopSignals: SIGINT and SIGTERM as a request to stop gracefully, for every uxcom tool.
//
// Install() blocks SIGINT and SIGTERM in the calling thread (call it first thing in main(),
// before any thread starts, so every thread inherits the mask) and watches them through a
// signalfd on a thread of its own. The first signal calls `on_stop(signo)` on that thread and
// makes wake_fd() readable (for poll loops: a capture, a blocking read of stdin); the tool then
// finishes what it was doing, prints its final `stopped` record and exits. A second signal
// while it does so exits at once with 128 + signo, as a shell user pressing Ctrl-C twice
// expects.
//
//   std::unique_ptr<cli::StopSignals> stop = cli::StopSignals::Install(
//       [&](int) { executor->Post([&] { node.RequestStop(); }); });
//   ...
//   if (stop->signal() != 0) Emit({"event":"stopped","signal":SignalName(stop->signal())});
#ifndef UXCOM_TOOLS_CLI_STOP_SIGNALS_H_
#define UXCOM_TOOLS_CLI_STOP_SIGNALS_H_

#include <atomic>
#include <functional>
#include <memory>
#include <streambuf>
#include <thread>

namespace uxcom::cli {

class StopSignals {
 public:
  // nullptr only if the kernel refuses a signalfd/eventfd (the tool then runs without it).
  static std::unique_ptr<StopSignals> Install(std::function<void(int signo)> on_stop = {});
  ~StopSignals();  // stops the watcher thread; the signals stay blocked
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The first signal received, 0 while none has been.
  int signal() const { return signal_.load(std::memory_order_acquire); }
  // Readable (level-triggered, never drained) once a signal has been received.
  int wake_fd() const { return wake_fd_; }

 private:
  StopSignals(int signal_fd, int wake_fd, int quit_fd, std::function<void(int)> on_stop);
  void Watch();

  int signal_fd_;
  int wake_fd_;
  int quit_fd_;  // tells the watcher thread to end
  std::function<void(int)> on_stop_;
  std::atomic<int> signal_{0};
  std::thread watcher_;
};

// "SIGINT", "SIGTERM", "SIGHUP", else "signal".
const char* SignalName(int signo);

// Process exit status for a run cut short by `signo`: 128 + signo (the shell's convention).
inline int ExitStatusForSignal(int signo) { return 128 + signo; }

// A std::streambuf reading a file descriptor that ends (EOF) when `wake_fd` becomes readable:
// a tool blocked reading standard input still notices SIGINT (`read` restarts on signals, and
// the signal is blocked anyway). `wake_fd` -1: a plain reader.
class InterruptibleInput : public std::streambuf {
 public:
  InterruptibleInput(int fd, int wake_fd) : fd_(fd), wake_fd_(wake_fd) {}
  bool interrupted() const { return interrupted_; }

 protected:
  int_type underflow() override;

 private:
  int fd_;
  int wake_fd_;
  bool interrupted_ = false;
  char buffer_[64 * 1024];
};

}  // namespace uxcom::cli

#endif  // UXCOM_TOOLS_CLI_STOP_SIGNALS_H_
