#include "tools/cli/stop_signals.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <utility>

namespace uxcom::cli {

std::unique_ptr<StopSignals> StopSignals::Install(std::function<void(int)> on_stop) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return nullptr;
  int signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
  int wake_fd = eventfd(0, EFD_CLOEXEC);
  int quit_fd = eventfd(0, EFD_CLOEXEC);
  if (signal_fd < 0 || wake_fd < 0 || quit_fd < 0) {
    for (int fd : {signal_fd, wake_fd, quit_fd}) {
      if (fd >= 0) close(fd);
    }
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    return nullptr;
  }
  return std::unique_ptr<StopSignals>(
      new StopSignals(signal_fd, wake_fd, quit_fd, std::move(on_stop)));
}

StopSignals::StopSignals(int signal_fd, int wake_fd, int quit_fd, std::function<void(int)> on_stop)
    : signal_fd_(signal_fd), wake_fd_(wake_fd), quit_fd_(quit_fd), on_stop_(std::move(on_stop)) {
  watcher_ = std::thread([this] { Watch(); });
}

StopSignals::~StopSignals() {
  uint64_t one = 1;
  (void)!write(quit_fd_, &one, sizeof one);
  watcher_.join();
  close(signal_fd_);
  close(wake_fd_);
  close(quit_fd_);
}

void StopSignals::Watch() {
  for (;;) {
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {quit_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    signalfd_siginfo info;
    if (read(signal_fd_, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
    const int signo = static_cast<int>(info.ssi_signo);
    int expected = 0;
    if (!signal_.compare_exchange_strong(expected, signo, std::memory_order_acq_rel)) {
      // A second signal: the user insists.
      std::fflush(stdout);
      _exit(ExitStatusForSignal(signo));
    }
    uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
    if (on_stop_) on_stop_(signo);
  }
}

const char* SignalName(int signo) {
  switch (signo) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal";
  }
}

InterruptibleInput::int_type InterruptibleInput::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  if (interrupted_) return traits_type::eof();
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int n = poll(fds, wake_fd_ >= 0 ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return traits_type::eof();
    }
    if (wake_fd_ >= 0 && fds[1].revents != 0) {
      interrupted_ = true;
      return traits_type::eof();
    }
    const ssize_t got = read(fd_, buffer_, sizeof buffer_);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) return traits_type::eof();
    setg(buffer_, buffer_, buffer_ + got);
    return traits_type::to_int_type(*gptr());
  }
}

}  // namespace uxcom::cli
