// //bench:net_bench: uxcom's runtime (io_uring and epoll backends) against standalone asio
// C++20 coroutines (epoll reactor, and its io_uring backend) on the same loopback sockets.
//
// Every benchmark iteration creates fresh connected TCP pairs (TCP_NODELAY, default buffers)
// here, then hands the raw fds to the implementation under test; each side runs on its own
// thread (client/server, sender/receiver), one event loop per thread. All four
// implementations run the same protocol (bench/net/common.h): ping-pong of 64-byte messages,
// and streaming of length-prefixed messages coalesced by the sender into writes of at most
// 64 KiB and parsed in place by the receiver. See bench/README.md for results.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench/net/common.h"
#include "benchmark/benchmark.h"
#include "net/executor.h"
#include "net/scope.h"
#include "net/stream.h"
#include "net/task.h"

extern "C" {
double asio_epoll_pingpong(const int*, const int*, int, long, int);
double asio_uring_pingpong(const int*, const int*, int, long, int);
double asio_epoll_stream(const int*, const int*, int, int, long, long*);
double asio_uring_stream(const int*, const int*, int, int, long, long*);
}

namespace uxcom::bench {
namespace {

using net::BackendKind;
using net::Executor;
using net::ExecutorOptions;
using net::Stream;
using net::Task;

struct Pairs {
  std::vector<int> a;  // client / sender side
  std::vector<int> b;  // server / receiver side
};

void Die(const char* what) {
  std::perror(what);
  std::abort();
}

Pairs MakePairs(int n) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Die("bind");
  if (listen(listener, 128) != 0) Die("listen");
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  Pairs p;
  int one = 1;
  for (int i = 0; i < n; ++i) {
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Die("connect");
    int s = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (s < 0) Die("accept");
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    p.a.push_back(c);
    p.b.push_back(s);
  }
  close(listener);
  return p;
}

std::unique_ptr<Executor> NewExecutor(BackendKind kind, net::Duration busy_poll = {}) {
  ExecutorOptions o;
  o.backend = kind;
  o.busy_poll = busy_poll;
  if (const char* size = std::getenv("UXCOM_BENCH_RECV_BUFFER"))
    o.recv_buffer_size = std::atoi(size);
  if (const char* count = std::getenv("UXCOM_BENCH_RECV_COUNT"))
    o.recv_buffer_count = std::atoi(count);
  if (const char* off = std::getenv("UXCOM_BENCH_DISABLE")) {
    o.disabled_uring_features = static_cast<uint32_t>(std::atoi(off));
  }
  auto ex = Executor::Create(o);
  if (!ex.ok()) {
    std::fprintf(stderr, "%s\n", ex.status().ToString().c_str());
    std::abort();
  }
  return std::move(*ex);
}

std::vector<Stream> Adopt(Executor& ex, const std::vector<int>& fds) {
  std::vector<Stream> out;
  for (int fd : fds) out.push_back(*Stream::Adopt(ex, net::Socket(fd)));
  return out;
}

// Runs `make_server_tasks` on a second executor thread until `run_client` returns.
struct ServerThread {
  std::atomic<Executor*> ex{nullptr};
  std::thread thread;
  net::ExecutorMetrics::Snapshot metrics;
};

Task<void> Echo(Stream& s) {
  std::vector<std::byte> buf(4096);
  for (;;) {
    absl::StatusOr<size_t> n = co_await s.ReadSome(buf);
    if (!n.ok() || *n == 0) co_return;
    if (!(co_await s.Write({buf.data(), *n})).ok()) co_return;
  }
}

Task<void> PingClient(Stream& s, long rounds, int size) {
  std::vector<std::byte> msg(size, std::byte{'x'}), back(size);
  for (long i = 0; i < rounds; ++i) {
    if (!(co_await s.Write(msg)).ok()) co_return;
    if (!(co_await s.ReadExactly(back)).ok()) co_return;
  }
}

Task<void> Sender(Stream& s, size_t payload, uint64_t messages) {
  std::vector<char> batch;
  size_t per_batch = BuildBatch(payload, &batch);
  auto bytes = std::as_bytes(std::span<const char>(batch));
  uint64_t sent = 0;
  while (sent < messages) {
    if (per_batch == 1 && payload + kHeaderSize > kBatchBytes) {
      if (!(co_await s.WriteV(bytes.first(kHeaderSize), bytes.subspan(kHeaderSize))).ok()) {
        co_return;
      }
      sent += 1;
    } else {
      uint64_t count = std::min<uint64_t>(per_batch, messages - sent);
      if (!(co_await s.Write(bytes.first(count * (kHeaderSize + payload)))).ok()) co_return;
      sent += count;
    }
  }
}

Task<void> Receiver(Stream& s, uint64_t messages, uint64_t* received) {
  StreamParser parser;
  while (parser.messages() < messages) {
    absl::StatusOr<size_t> n = co_await s.ReadChunk([&](std::span<const std::byte> data) {
      parser.Feed(reinterpret_cast<const char*>(data.data()), data.size());
      return data.size();
    });
    if (!n.ok()) break;
  }
  *received += parser.messages();
}

struct UxResult {
  double seconds = 0;
  net::ExecutorMetrics::Snapshot a, b;  // client/sender and server/receiver executors
};

// Side `b` runs `b_tasks` on a thread; side `a` runs `a_task` here, timed.
template <typename MakeB, typename MakeA>
UxResult RunUx(BackendKind kind, net::Duration busy_poll, const Pairs& p, MakeB b_tasks,
               MakeA a_task) {
  UxResult r;
  std::atomic<Executor*> server{nullptr};
  std::atomic<bool> b_done{false};
  std::thread thread([&] {
    auto ex = NewExecutor(kind, busy_poll);
    std::vector<Stream> streams = Adopt(*ex, p.b);
    b_tasks(*ex, streams, b_done);
    server = ex.get();
    ex->Run();
    r.b = ex->metrics();
    ex->Shutdown();
  });
  while (server.load() == nullptr) std::this_thread::yield();
  auto ex = NewExecutor(kind, busy_poll);
  std::vector<Stream> streams = Adopt(*ex, p.a);
  auto start = std::chrono::steady_clock::now();
  ex->BlockOn(a_task(*ex, streams));
  while (!b_done.load()) std::this_thread::yield();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.a = ex->metrics();
  server.load()->Stop();
  thread.join();
  return r;
}

enum Impl { kUxUring, kUxEpoll, kAsioEpoll, kAsioUring, kUxUringBusy };
const char* kImplNames[] = {"uxcom_io_uring", "uxcom_epoll", "asio_epoll", "asio_io_uring",
                            "uxcom_io_uring_busypoll"};

void SetOpsCounters(benchmark::State& state, const UxResult& r) {
  state.counters["a_ops_per_enter"] = r.a.ops_per_enter();
  state.counters["b_ops_per_enter"] = r.b.ops_per_enter();
  state.counters["a_enters"] = static_cast<double>(r.a.enters);
}

void BM_PingPong(benchmark::State& state) {
  Impl impl = static_cast<Impl>(state.range(0));
  int conns = static_cast<int>(state.range(1));
  constexpr int kSize = 64;
  const long rounds = 4000;
  double total = 0;
  long trips = 0;
  UxResult last;
  for (auto _ : state) {
    Pairs p = MakePairs(conns);
    double secs = 0;
    if (impl == kAsioEpoll) {
      secs = asio_epoll_pingpong(p.a.data(), p.b.data(), conns, rounds, kSize);
    } else if (impl == kAsioUring) {
      secs = asio_uring_pingpong(p.a.data(), p.b.data(), conns, rounds, kSize);
    } else {
      BackendKind kind = impl == kUxEpoll ? BackendKind::kEpoll : BackendKind::kIoUring;
      net::Duration busy = impl == kUxUringBusy ? std::chrono::microseconds(50) : net::Duration{};
      last = RunUx(
          kind, busy, p,
          [](Executor& ex, std::vector<Stream>& streams, std::atomic<bool>& done) {
            for (Stream& s : streams) ex.Spawn(Echo(s));
            done = true;
          },
          [&](Executor& ex, std::vector<Stream>& streams) -> Task<void> {
            net::Scope scope(ex);
            for (Stream& s : streams) scope.Spawn(PingClient(s, rounds, kSize));
            co_await scope.Join();
          });
      secs = last.seconds;
    }
    state.SetIterationTime(secs);
    total += secs;
    trips += rounds;
  }
  state.counters["rtt_us"] = total / static_cast<double>(trips) * 1e6;
  state.counters["msgs_per_s"] = static_cast<double>(trips) * conns / total;
  if (impl != kAsioEpoll && impl != kAsioUring) SetOpsCounters(state, last);
}

void BM_Stream(benchmark::State& state) {
  Impl impl = static_cast<Impl>(state.range(0));
  int conns = static_cast<int>(state.range(1));
  size_t payload = static_cast<size_t>(state.range(2));
  // About 64 MiB per iteration, split over the connections.
  const uint64_t messages = std::max<uint64_t>(1, (64u << 20) / conns / (payload + kHeaderSize));
  double total = 0;
  uint64_t moved = 0;
  UxResult last;
  for (auto _ : state) {
    Pairs p = MakePairs(conns);
    double secs = 0;
    long received = 0;
    if (impl == kAsioEpoll) {
      secs = asio_epoll_stream(p.a.data(), p.b.data(), conns, static_cast<int>(payload),
                               static_cast<long>(messages), &received);
    } else if (impl == kAsioUring) {
      secs = asio_uring_stream(p.a.data(), p.b.data(), conns, static_cast<int>(payload),
                               static_cast<long>(messages), &received);
    } else {
      uint64_t got = 0;
      BackendKind kind = impl == kUxEpoll ? BackendKind::kEpoll : BackendKind::kIoUring;
      last = RunUx(
          kind, net::Duration{}, p,
          [&](Executor& ex, std::vector<Stream>& streams, std::atomic<bool>& done) {
            ex.Spawn([](Executor& ex, std::vector<Stream>& streams, uint64_t messages,
                        uint64_t* got, std::atomic<bool>& done) -> Task<void> {
              net::Scope scope(ex);
              for (Stream& s : streams) scope.Spawn(Receiver(s, messages, got));
              co_await scope.Join();
              done = true;
            }(ex, streams, messages, &got, done));
          },
          [&](Executor& ex, std::vector<Stream>& streams) -> Task<void> {
            net::Scope scope(ex);
            for (Stream& s : streams) scope.Spawn(Sender(s, payload, messages));
            co_await scope.Join();
          });
      secs = last.seconds;
      received = static_cast<long>(got);
    }
    if (static_cast<uint64_t>(received) != messages * conns) {
      state.SkipWithError("receiver lost messages");
      return;
    }
    state.SetIterationTime(secs);
    total += secs;
    moved += messages * conns;
  }
  state.SetBytesProcessed(static_cast<int64_t>(moved * (payload + kHeaderSize)));
  state.SetItemsProcessed(static_cast<int64_t>(moved));
  state.counters["msgs_per_s"] = static_cast<double>(moved) / total;
  if (impl != kAsioEpoll && impl != kAsioUring) SetOpsCounters(state, last);
}

void Register() {
  for (int impl : {kUxUring, kUxEpoll, kAsioEpoll, kAsioUring}) {
    for (int conns : {1, 8}) {
      std::string name =
          std::string("PingPong64/") + kImplNames[impl] + "/conns:" + std::to_string(conns);
      benchmark::RegisterBenchmark(name.c_str(), BM_PingPong)
          ->Args({impl, conns})
          ->UseManualTime()
          ->Iterations(3)
          ->Unit(benchmark::kMicrosecond);
    }
  }
  for (int size : {64, 1024, 65536}) {
    for (int conns : {1, 8}) {
      for (int impl : {kUxUring, kUxEpoll, kAsioEpoll, kAsioUring}) {
        std::string name = std::string("Stream/") + kImplNames[impl] +
                           "/size:" + std::to_string(size) + "/conns:" + std::to_string(conns);
        benchmark::RegisterBenchmark(name.c_str(), BM_Stream)
            ->Args({impl, conns, size})
            ->UseManualTime()
            ->Iterations(3)
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
}

}  // namespace
}  // namespace uxcom::bench

int main(int argc, char** argv) {
  uxcom::bench::Register();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
