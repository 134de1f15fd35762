#include "net/testing.h"

#include <dirent.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>

#include "net/listener.h"

namespace uxcom::net::testing {

std::unique_ptr<Executor> NewExecutor(ExecutorOptions options) {
  absl::StatusOr<std::unique_ptr<Executor>> ex = Executor::Create(options);
  if (!ex.ok()) {
    std::fprintf(stderr, "Executor::Create: %s\n", ex.status().ToString().c_str());
    std::abort();
  }
  return std::move(*ex);
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

}  // namespace uxcom::net::testing
