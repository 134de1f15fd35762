#include "net/testing.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "net/listener.h"

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

Task<absl::StatusOr<std::pair<Stream, Stream>>> ConnectedPair(Executor& executor) {
  absl::StatusOr<Listener> listener =
      Listener::Listen(executor, {.address = SocketAddress::Loopback4(0)});
  if (!listener.ok()) co_return listener.status();
  absl::StatusOr<Stream> client = co_await Stream::Connect(executor, listener->local_address());
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

}  // namespace uxcom::net::testing
