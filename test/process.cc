#include "test/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <set>

extern char** environ;

namespace uxcom::test {
namespace {

constexpr size_t kHistoryLines = 40;
constexpr size_t kStderrTail = 16 * 1024;

bool IsExecutable(const std::string& path) {
  struct stat st;
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// A pipe whose two ends are close-on-exec and above 2 (so that dup2 onto 0, 1 or 2 in the
// child always makes a new descriptor without close-on-exec).
bool MakePipe(int fds[2]) {
  int raw[2];
  if (::pipe2(raw, O_CLOEXEC) != 0) return false;
  for (int i = 0; i < 2; ++i) {
    if (raw[i] <= 2) {
      int moved = ::fcntl(raw[i], F_DUPFD_CLOEXEC, 3);
      ::close(raw[i]);
      raw[i] = moved;
    }
  }
  if (raw[0] < 0 || raw[1] < 0) {
    if (raw[0] >= 0) ::close(raw[0]);
    if (raw[1] >= 0) ::close(raw[1]);
    return false;
  }
  fds[0] = raw[0];
  fds[1] = raw[1];
  return true;
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::string Runfile(std::string_view path) {
  std::string workspace = Env("TEST_WORKSPACE");
  if (workspace.empty()) workspace = "uxcom";
  std::vector<std::string> candidates;
  for (const char* root : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    std::string dir = Env(root);
    if (!dir.empty()) candidates.push_back(dir + "/" + workspace + "/" + std::string(path));
  }
  candidates.push_back(std::string(path));  // bazel's test cwd: the workspace's runfiles
  candidates.push_back("bazel-bin/" + std::string(path));
  for (const std::string& c : candidates) {
    if (IsExecutable(c)) return c;
  }
  return "";
}

std::unique_ptr<Process> Process::Start(std::string name, std::vector<std::string> argv,
                                        std::string* error,
                                        const std::vector<std::string>& unset_env) {
  // A child that is gone makes writes to its stdin fail with EPIPE instead of killing us.
  std::signal(SIGPIPE, SIG_IGN);
  if (argv.empty()) {
    *error = "no argv";
    return nullptr;
  }
  int in[2], out[2], err[2];
  if (!MakePipe(in)) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return nullptr;
  }
  if (!MakePipe(out)) {
    *error = std::string("pipe: ") + std::strerror(errno);
    ::close(in[0]);
    ::close(in[1]);
    return nullptr;
  }
  if (!MakePipe(err)) {
    *error = std::string("pipe: ") + std::strerror(errno);
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return nullptr;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, pipe_only;
  sigemptyset(&none);
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &pipe_only);  // undo our SIG_IGN in the child
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool keep = true;
    for (const std::string& name : unset_env) {
      if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=') {
        keep = false;
      }
    }
    if (keep) env.push_back(*e);
  }
  env.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    *error = "posix_spawn " + argv[0] + ": " + std::strerror(rc);
    for (int fd : {in[1], out[0], err[0]}) ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<Process>(new Process(std::move(name), pid, in[1], out[0], err[0]));
}

Process::Process(std::string name, pid_t pid, int in, int out, int err)
    : name_(std::move(name)), pid_(pid), stdin_fd_(in), stdout_fd_(out), stderr_fd_(err) {
  reader_ = std::thread([this] { ReadLoop(); });
}

Process::~Process() {
  if (!status_) {
    Kill(SIGKILL);
    // SIGKILL cannot be ignored: the child is gone within milliseconds unless the kernel is
    // stuck; give up after 10 s rather than hang the test.
    (void)Wait(Clock::now() + std::chrono::seconds(10));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  reader_.join();
  CloseFd(stdin_fd_);
  CloseFd(stdout_fd_);
  CloseFd(stderr_fd_);
}

void Process::ReadLoop() {
  char buf[4096];
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
    }
    pollfd fds[2] = {{out_open ? stdout_fd_ : -1, POLLIN, 0},
                     {err_open ? stderr_fd_ : -1, POLLIN, 0}};
    int n = ::poll(fds, 2, 50);  // short, so that a stop request is seen promptly
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = ::read(stdout_fd_, buf, sizeof buf);
      if (got > 0) {
        std::lock_guard<std::mutex> lock(mu_);
        stdout_partial_.append(buf, static_cast<size_t>(got));
        size_t start = 0;
        for (size_t nl; (nl = stdout_partial_.find('\n', start)) != std::string::npos;
             start = nl + 1) {
          lines_.push_back(stdout_partial_.substr(start, nl - start));
        }
        stdout_partial_.erase(0, start);
        cv_.notify_all();
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        out_open = false;
        std::lock_guard<std::mutex> lock(mu_);
        if (!stdout_partial_.empty()) lines_.push_back(std::move(stdout_partial_));
        stdout_partial_.clear();
        stdout_eof_ = true;
        cv_.notify_all();
      }
    }
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = ::read(stderr_fd_, buf, sizeof buf);
      if (got > 0) {
        std::string copy;
        {
          std::lock_guard<std::mutex> lock(mu_);
          stderr_partial_.append(buf, static_cast<size_t>(got));
          size_t start = 0;
          for (size_t nl; (nl = stderr_partial_.find('\n', start)) != std::string::npos;
               start = nl + 1) {
            std::string line = stderr_partial_.substr(start, nl - start);
            copy += "[" + name_ + " stderr] " + line + "\n";
            stderr_tail_ += line + "\n";
          }
          stderr_partial_.erase(0, start);
          if (stderr_tail_.size() > kStderrTail) {
            stderr_tail_.erase(0, stderr_tail_.size() - kStderrTail);
          }
        }
        std::fwrite(copy.data(), 1, copy.size(), stderr);
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        err_open = false;
        std::lock_guard<std::mutex> lock(mu_);
        if (!stderr_partial_.empty()) {
          std::fprintf(stderr, "[%s stderr] %s\n", name_.c_str(), stderr_partial_.c_str());
          stderr_tail_ += stderr_partial_ + "\n";
          stderr_partial_.clear();
        }
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  stdout_eof_ = true;
  cv_.notify_all();
}

bool Process::Send(std::string_view line) {
  if (stdin_fd_ < 0) return false;
  std::string data(line);
  data += '\n';
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(stdin_fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void Process::CloseStdin() { CloseFd(stdin_fd_); }

std::optional<std::string> Process::ReadLine(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, deadline, [&] { return !lines_.empty() || stdout_eof_; });
  if (lines_.empty()) return std::nullopt;
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  history_.push_back(line);
  if (history_.size() > kHistoryLines) history_.pop_front();
  return line;
}

bool Process::StdoutClosed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stdout_eof_ && lines_.empty();
}

void Process::Kill(int signal) {
  if (!status_) ::kill(pid_, signal);
}

bool Process::Exited() {
  if (status_) return true;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) status_ = status;
  return status_.has_value();
}

std::optional<int> Process::Wait(Clock::time_point deadline) {
  for (;;) {
    if (Exited()) return status_;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string Process::Transcript() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out = "--- " + name_ + " (pid " + std::to_string(pid_) + ", " +
                    DescribeStatus(status_) + "): last stdout lines read\n";
  for (const std::string& l : history_) out += "  " + l + "\n";
  if (!lines_.empty()) {
    out += "--- " + name_ + ": stdout lines not read yet\n";
    size_t skip = lines_.size() > kHistoryLines ? lines_.size() - kHistoryLines : 0;
    for (size_t i = skip; i < lines_.size(); ++i) out += "  " + lines_[i] + "\n";
  }
  out += "--- " + name_ + ": stderr\n" + stderr_tail_;
  return out;
}

std::string DescribeStatus(std::optional<int> status) {
  if (!status) return "running";
  if (WIFEXITED(*status)) return "exit " + std::to_string(WEXITSTATUS(*status));
  if (WIFSIGNALED(*status)) return "signal " + std::to_string(WTERMSIG(*status));
  return "status " + std::to_string(*status);
}

}  // namespace uxcom::test
