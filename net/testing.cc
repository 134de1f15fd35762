#include "net/testing.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/detail/errno_status.h"
#include "net/listener.h"
#include "net/socket.h"
#include "net/timer.h"

namespace uxcom::net::testing {

namespace {

std::unique_ptr<Executor> CreateOrSkip(ExecutorOptions options, bool uring_required) {
  absl::StatusOr<std::unique_ptr<Executor>> ex = Executor::Create(std::move(options));
  if (!ex.ok() && uring_required && !absl::IsInvalidArgument(ex.status())) {
    SkipAll(Need::kIoUring, "every test of this io_uring variant: io_uring is refused here (" +
                                std::string(ex.status().message()) + ")");
  }
  if (!ex.ok()) {
    std::fprintf(stderr, "Executor::Create: %s\n", ex.status().ToString().c_str());
    std::abort();
  }
  return std::move(*ex);
}

}  // namespace

BackendKind VariantBackend() {
  const char* env = std::getenv("UXCOM_BACKEND");
  if (env == nullptr) return BackendKind::kAuto;
  if (std::string(env) == "io_uring") return BackendKind::kIoUring;
  if (std::string(env) == "epoll") return BackendKind::kEpoll;
  return BackendKind::kAuto;  // Create() rejects it with a message
}

std::unique_ptr<Executor> NewExecutor(ExecutorOptions options) {
  const bool uring_required =
      options.backend == BackendKind::kIoUring ||
      (options.backend == BackendKind::kAuto && VariantBackend() == BackendKind::kIoUring);
  return CreateOrSkip(std::move(options), uring_required);
}

std::unique_ptr<Executor> NewUringExecutor(ExecutorOptions options) {
  options.backend = BackendKind::kIoUring;
  return CreateOrSkip(std::move(options), /*uring_required=*/true);
}

std::unique_ptr<Executor> NewVirtualExecutor(ExecutorOptions options) {
  options.clock = ClockKind::kVirtual;
  return NewExecutor(options);
}

uint16_t ReservePort() {
  static std::mutex mu;
  static std::set<uint16_t> handed_out;
  static std::mt19937 random(
      static_cast<unsigned>(::getpid()) ^
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::lock_guard<std::mutex> lock(mu);
  int ephemeral_low = 32768;
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0, high = 0;
  if (range >> low >> high && low > 0) ephemeral_low = low;
  // Below the ephemeral range if there is room there, else anywhere the kernel likes.
  const bool below = ephemeral_low > 11000;
  std::uniform_int_distribution<int> pick(10000, below ? ephemeral_low - 1 : 10000);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const uint16_t want = below ? static_cast<uint16_t>(pick(random)) : 0;
    if (want != 0 && handed_out.count(want) != 0) continue;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(want);
    socklen_t len = sizeof a;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ::close(fd);
    if (!ok) continue;
    const uint16_t port = ntohs(a.sin_port);
    if (handed_out.insert(port).second) return port;
  }
  std::fprintf(stderr, "ReservePort: no free port\n");
  std::abort();
}

int CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int n = 0;
  while (readdir(dir) != nullptr) ++n;
  closedir(dir);
  return n - 3;  // ".", ".." and the directory's own fd
}

long RaiseFdLimit(long want) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (static_cast<long>(rl.rlim_cur) < want) {
    rl.rlim_cur = std::min<rlim_t>(static_cast<rlim_t>(want), rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return static_cast<long>(rl.rlim_cur);
}

namespace {

absl::Status SetBuffers(Socket& s, int bytes) {
  if (absl::Status snd = s.SetSendBufferSize(bytes); !snd.ok()) return snd;
  return s.SetReceiveBufferSize(bytes);
}

// Stream::Connect with both buffers set before connect(2) (a blocking one: loopback, and the
// listener's backlog completes the handshake without an Accept()).
absl::StatusOr<Stream> ConnectWithBuffers(Executor& executor, const SocketAddress& address,
                                          int bytes) {
  Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket.valid()) return detail::ErrnoStatus(errno, "socket");
  if (absl::Status s = SetBuffers(socket, bytes); !s.ok()) return s;
  if (::connect(socket.fd(), address.data(), address.size()) != 0) {
    return detail::ErrnoStatus(errno, absl::StrCat("connect to ", address.ToString()));
  }
  if (absl::Status s = socket.SetNoDelay(true); !s.ok()) return s;
  return Stream::Adopt(executor, std::move(socket), address);
}

}  // namespace

Task<absl::StatusOr<std::pair<Stream, Stream>>> ConnectedPair(Executor& executor,
                                                              int socket_buffer_bytes) {
  absl::StatusOr<Listener> listener =
      Listener::Listen(executor, {.address = SocketAddress::Loopback4(0)});
  if (!listener.ok()) co_return listener.status();
  absl::StatusOr<Stream> client;
  if (socket_buffer_bytes > 0) {
    // Accepted sockets inherit the listener's buffer sizes (and their first window from them).
    Socket view(listener->fd());
    absl::Status set = SetBuffers(view, socket_buffer_bytes);
    view.Release();
    if (!set.ok()) co_return set;
    client = ConnectWithBuffers(executor, listener->local_address(), socket_buffer_bytes);
  } else {
    client = co_await Stream::Connect(executor, listener->local_address());
  }
  if (!client.ok()) co_return client.status();
  absl::StatusOr<Listener::Accepted> server = co_await listener->Accept();
  if (!server.ok()) co_return server.status();
  co_return std::make_pair(std::move(*client), std::move(server->stream));
}

Task<void> WritePattern(Stream& stream, size_t bytes, uint32_t seed, absl::Status* result) {
  std::vector<std::byte> out(bytes);
  for (size_t i = 0; i < bytes; ++i) out[i] = Pattern(i, seed);
  absl::Status wrote = co_await stream.Write(out);
  *result = wrote;
}

Task<absl::Status> ReadPattern(Stream& stream, PatternReader& reader, size_t total, size_t per_read,
                               int pause_every) {
  int reads = 0;
  while (reader.received < total) {
    if (pause_every > 0 && ++reads % pause_every == 0) {
      absl::Status slept = co_await Sleep(std::chrono::milliseconds(1));
      if (!slept.ok()) co_return slept;
    }
    absl::StatusOr<size_t> n = co_await stream.ReadChunk(
        [&](std::span<const std::byte> data) { return reader.Consume(data, per_read); });
    if (!n.ok()) co_return n.status();
    if (*n == 0) {
      co_return absl::OutOfRangeError(
          absl::StrCat("EOF after ", reader.received, " of ", total, " bytes"));
    }
  }
  co_return absl::OkStatus();
}

Task<void> Echo(Stream stream) {
  std::vector<std::byte> buf(4096);
  for (;;) {
    absl::StatusOr<size_t> n = co_await stream.ReadSome(buf);
    if (!n.ok() || *n == 0) co_return;
    absl::Status wrote = co_await stream.Write({buf.data(), *n});
    if (!wrote.ok()) co_return;
  }
}

Task<void> ServeEcho(Listener& listener, Scope& scope) {
  for (;;) {
    absl::StatusOr<Listener::Accepted> a = co_await listener.Accept();
    if (!a.ok()) co_return;
    scope.Spawn(Echo(std::move(a->stream)));
  }
}

Task<absl::Status> EchoRoundTrip(Executor& executor, size_t bytes) {
  absl::StatusOr<Listener> listener =
      Listener::Listen(executor, {.address = SocketAddress::Loopback4(0)});
  if (!listener.ok()) co_return listener.status();
  Scope servers(executor);
  servers.Spawn(ServeEcho(*listener, servers));
  absl::StatusOr<Stream> client =
      co_await Stream::Connect(executor, listener->local_address(), std::chrono::seconds(5));
  absl::Status result = client.status();
  if (result.ok()) {
    std::vector<std::byte> out(bytes), back(bytes);
    for (size_t i = 0; i < bytes; ++i) out[i] = Pattern(i, 11);
    absl::Status wrote = co_await client->Write(out);
    absl::Status read = co_await client->ReadExactly(back);
    result = !wrote.ok() ? wrote : read;
    if (result.ok() && out != back) result = absl::DataLossError("the echo came back altered");
  }
  co_await servers.Close();
  co_return result;
}

int TimedConnect(const SocketAddress& target, std::chrono::milliseconds timeout,
                 std::chrono::nanoseconds* took) {
  const WallClock::time_point start = WallClock::now();
  *took = timeout;
  int fd = ::socket(target.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int rc = ::connect(fd, target.data(), target.size());
  int error = rc == 0 ? 0 : errno;
  if (error == EINPROGRESS) {
    pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready == 0) {
      error = ETIMEDOUT;
    } else {
      socklen_t len = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
    }
  }
  if (error != ETIMEDOUT) *took = WallClock::now() - start;
  if (error != 0) {
    ::close(fd);
    return -error;
  }
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

ResetStorm::ResetStorm(SocketAddress target, int per_second)
    : thread_([this, target, per_second] {
        Run(target, std::chrono::nanoseconds(1'000'000'000 / per_second));
      }) {}

void ResetStorm::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

void ResetStorm::Run(SocketAddress target, std::chrono::nanoseconds period) {
  WallClock::time_point next = WallClock::now();
  while (!stop_) {
    std::chrono::nanoseconds took;
    const int fd = TimedConnect(target, std::chrono::milliseconds(200), &took);
    if (fd >= 0) {
      const linger reset{.l_onoff = 1, .l_linger = 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      ::close(fd);
      ++connected_;
    } else if (fd == -ECONNRESET) {  // connected, and the listener reset it first
      ++connected_;
    } else {
      ++abandoned_;
    }
    next += period;
    const WallClock::time_point now = WallClock::now();
    if (next < now - period) next = now;  // fell behind (connects hung): do not burst
    std::this_thread::sleep_until(next);
  }
}

Prober::Prober(SocketAddress target, std::chrono::milliseconds period,
               std::function<Outcome(int fd)> exchange)
    : exchange_(std::move(exchange)), thread_([this, target, period] { Run(target, period); }) {}

void Prober::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

std::vector<Prober::Sample> Prober::samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_;
}

void Prober::Run(SocketAddress target, std::chrono::milliseconds period) {
  while (!stop_) {
    Sample s{.at = WallClock::now(), .connect = {}, .answer = {}};
    const int fd = TimedConnect(target, std::chrono::seconds(3), &s.connect);
    s.connect_error = fd < 0 ? -fd : 0;
    if (fd >= 0) {
      s.outcome = exchange_(fd);
      ::close(fd);
    } else {
      s.outcome = fd == -ETIMEDOUT ? Outcome::kTimedOut : Outcome::kRefused;
    }
    s.answer = WallClock::now() - s.at;
    {
      std::lock_guard<std::mutex> lock(mu_);
      samples_.push_back(s);
    }
    std::this_thread::sleep_until(s.at + period);
  }
  finished_ = true;
}

Outcome RoundTrip(int fd, std::span<const std::byte> request, std::span<std::byte> reply,
                  std::chrono::milliseconds timeout) {
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return Outcome::kRefused;
  }
  size_t got = 0;
  const WallClock::time_point deadline = WallClock::now() + timeout;
  while (got < reply.size()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - WallClock::now());
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return Outcome::kTimedOut;
    }
    const ssize_t n = ::recv(fd, reply.data() + got, reply.size() - got, 0);
    if (n <= 0) return Outcome::kRefused;
    got += static_cast<size_t>(n);
  }
  return Outcome::kServed;
}

Outcome EchoRoundTrip(int fd, std::chrono::milliseconds timeout) {
  static constexpr char kMessage[] = "healthy client, echo me";
  const auto request = std::as_bytes(std::span(kMessage));
  std::byte back[sizeof kMessage];
  const Outcome outcome = RoundTrip(fd, request, back, timeout);
  if (outcome != Outcome::kServed) return outcome;
  return std::memcmp(back, kMessage, sizeof back) == 0 ? Outcome::kServed : Outcome::kRefused;
}

std::chrono::nanoseconds Percentile(std::vector<std::chrono::nanoseconds> values, double p) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

std::vector<std::chrono::nanoseconds> ConnectTimes(const std::vector<Prober::Sample>& samples) {
  std::vector<std::chrono::nanoseconds> out;
  for (const Prober::Sample& s : samples) out.push_back(s.connect);
  return out;
}

std::vector<std::chrono::nanoseconds> AnswerTimes(const std::vector<Prober::Sample>& samples) {
  std::vector<std::chrono::nanoseconds> out;
  for (const Prober::Sample& s : samples) out.push_back(s.answer);
  return out;
}

std::string Summarize(const std::vector<Prober::Sample>& samples) {
  int count[3] = {0, 0, 0};
  for (const Prober::Sample& s : samples) ++count[static_cast<int>(s.outcome)];
  auto ms = [](std::chrono::nanoseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", std::chrono::duration<double, std::milli>(d).count());
    return std::string(buf);
  };
  const auto connects = ConnectTimes(samples);
  const auto answers = AnswerTimes(samples);
  return std::to_string(samples.size()) + " healthy clients: " + std::to_string(count[0]) +
         " served, " + std::to_string(count[1]) + " refused, " + std::to_string(count[2]) +
         " timed out; connect p50 " + ms(Percentile(connects, 0.5)) + " p99 " +
         ms(Percentile(connects, 0.99)) + " ms; answer p50 " + ms(Percentile(answers, 0.5)) +
         " p99 " + ms(Percentile(answers, 0.99)) + " max " + ms(Percentile(answers, 1.0)) + " ms";
}

bool ChildExit::aborted() const {
  return WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGABRT;
}

bool ChildExit::exited_cleanly() const {
  return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

ChildExit RunInChild(const std::function<void()>& body) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) std::abort();
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child < 0) std::abort();
  if (child == 0) {
    ::close(pipe_fds[0]);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    // The child dies by the signal itself: not through the test framework's fatal-signal
    // handler, which is not async-signal-safe (ThreadSanitizer reports it) and would change
    // how the child ends.
    std::signal(SIGABRT, SIG_DFL);
    body();
    std::_Exit(0);
  }
  ::close(pipe_fds[1]);
  ChildExit exit;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
    exit.stderr_output.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  if (::waitpid(child, &exit.wait_status, 0) != child) std::abort();
  return exit;
}

LoopOnOtherThread::LoopOnOtherThread(Executor& executor) : executor_(executor) {
  std::atomic<bool> running{false};
  executor_.Post([&running] { running.store(true); });  // Post: the thread-safe entry point
  thread_ = std::thread([this] { executor_.Run(); });
  while (!running.load()) std::this_thread::yield();
}

LoopOnOtherThread::~LoopOnOtherThread() {
  executor_.Stop();
  thread_.join();
}

}  // namespace uxcom::net::testing
