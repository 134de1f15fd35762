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

#include "bench/loopback_pairs.h"
#include "bench/net/common.h"
#include "benchmark/benchmark.h"
#include "net/executor.h"
#include "net/scope.h"
#include "net/stream.h"
#include "net/task.h"

extern "C" {
void asio_epoll_pingpong(const int*, const int*, int, long, int, uxcom::bench::RunStats*);
void asio_uring_pingpong(const int*, const int*, int, long, int, uxcom::bench::RunStats*);
void asio_epoll_stream(const int*, const int*, int, int, long, long*, uxcom::bench::RunStats*);
void asio_uring_stream(const int*, const int*, int, int, long, long*, uxcom::bench::RunStats*);
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

Pairs MakePairs(int n) {
  Pairs p;
  for (auto [client, server] : LoopbackPairs(n)) {
    p.a.push_back(client);
    p.b.push_back(server);
  }
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

Task<void> Echo(Stream& s) {
  std::vector<std::byte> buf(4096);
  for (;;) {
    absl::StatusOr<size_t> n = co_await s.ReadSome(buf);
    if (!n.ok() || *n == 0) co_return;
    absl::Status written = co_await s.Write({buf.data(), *n});
    if (!written.ok()) co_return;
  }
}

Task<void> PingClient(Stream& s, long rounds, int size) {
  std::vector<std::byte> msg(size, std::byte{'x'}), back(size);
  for (long i = 0; i < rounds; ++i) {
    absl::Status written = co_await s.Write(msg);
    if (!written.ok()) co_return;
    absl::Status read = co_await s.ReadExactly(back);
    if (!read.ok()) co_return;
  }
}

Task<void> Sender(Stream& s, size_t payload, uint64_t messages) {
  std::vector<char> batch;
  size_t per_batch = BuildBatch(payload, &batch);
  auto bytes = std::as_bytes(std::span<const char>(batch));
  uint64_t sent = 0;
  while (sent < messages) {
    if (per_batch == 1 && payload + kHeaderSize > kBatchBytes) {
      absl::Status written =
          co_await s.WriteV(bytes.first(kHeaderSize), bytes.subspan(kHeaderSize));
      if (!written.ok()) co_return;
      sent += 1;
    } else {
      uint64_t count = std::min<uint64_t>(per_batch, messages - sent);
      absl::Status written = co_await s.Write(bytes.first(count * (kHeaderSize + payload)));
      if (!written.ok()) co_return;
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
  RunStats stats;
  net::ExecutorMetrics::Snapshot a, b;  // client/sender and server/receiver executors
};

// Side `b` runs `b_tasks` on a thread; side `a` runs `a_task` here, timed until both sides are
// done. Both sides block (never spin) while they wait, like the asio runs.
template <typename MakeB, typename MakeA>
UxResult RunUx(BackendKind kind, net::Duration busy_poll, const Pairs& p, MakeB b_tasks,
               MakeA a_task) {
  UxResult r;
  std::atomic<Executor*> server{nullptr};
  std::atomic<bool> b_done{false};
  std::thread thread([&] {
    PinSide(1);
    auto ex = NewExecutor(kind, busy_poll);
    std::vector<Stream> streams = Adopt(*ex, p.b);
    b_tasks(*ex, streams, b_done);
    ThreadUsage start = ThreadUsage::Now();
    server = ex.get();
    server.notify_one();
    ex->Run();
    ThreadUsage used = ThreadUsage::Now() - start;
    r.stats.cpu_b = used.cpu;
    r.stats.sleeps_b = used.sleeps;
    r.b = ex->metrics();
    ex->Shutdown();
  });
  server.wait(nullptr);
  auto ex = NewExecutor(kind, busy_poll);
  std::vector<Stream> streams = Adopt(*ex, p.a);
  ThreadUsage a_start = ThreadUsage::Now();
  auto start = std::chrono::steady_clock::now();
  ex->BlockOn(a_task(*ex, streams));
  ThreadUsage a_used = ThreadUsage::Now() - a_start;
  b_done.wait(false);
  r.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.stats.cpu_a = a_used.cpu;
  r.stats.sleeps_a = a_used.sleeps;
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
  state.counters["b_enobufs"] = static_cast<double>(r.b.enobufs);
}

// Sums of RunStats over the iterations, reported the same way for every implementation.
struct Totals {
  double seconds = 0, cpu_a = 0, cpu_b = 0;
  double sleeps_a = 0, sleeps_b = 0;
  void Add(const RunStats& s) {
    seconds += s.seconds;
    cpu_a += s.cpu_a;
    cpu_b += s.cpu_b;
    sleeps_a += static_cast<double>(s.sleeps_a);
    sleeps_b += static_cast<double>(s.sleeps_b);
  }
  // a_cpu/b_cpu: share of the wall time each side's thread was on a CPU (1 = saturated);
  // cpu_ns_per_msg: CPU time of both threads per message (or per round trip): the work done,
  // which other load on the machine inflates much less than the wall time;
  // a_sleeps/b_sleeps: times each side blocked, per 1,000 messages.
  void Report(benchmark::State& state, double messages) const {
    state.counters["a_cpu"] = cpu_a / seconds;
    state.counters["b_cpu"] = cpu_b / seconds;
    state.counters["cpu_ns_per_msg"] = (cpu_a + cpu_b) / messages * 1e9;
    state.counters["a_sleeps_per_kmsg"] = sleeps_a / messages * 1e3;
    state.counters["b_sleeps_per_kmsg"] = sleeps_b / messages * 1e3;
  }
};

void BM_PingPong(benchmark::State& state) {
  Impl impl = static_cast<Impl>(state.range(0));
  int conns = static_cast<int>(state.range(1));
  constexpr int kSize = 64;
  const long rounds = 4000;
  Totals totals;
  long trips = 0;
  UxResult last;
  PinSide(0);
  for (auto _ : state) {
    Pairs p = MakePairs(conns);
    RunStats stats;
    if (impl == kAsioEpoll) {
      asio_epoll_pingpong(p.a.data(), p.b.data(), conns, rounds, kSize, &stats);
    } else if (impl == kAsioUring) {
      asio_uring_pingpong(p.a.data(), p.b.data(), conns, rounds, kSize, &stats);
    } else {
      BackendKind kind = impl == kUxEpoll ? BackendKind::kEpoll : BackendKind::kIoUring;
      net::Duration busy = impl == kUxUringBusy ? std::chrono::microseconds(50) : net::Duration{};
      last = RunUx(
          kind, busy, p,
          [](Executor& ex, std::vector<Stream>& streams, std::atomic<bool>& done) {
            for (Stream& s : streams) ex.Spawn(Echo(s));
            done = true;
            done.notify_one();
          },
          [&](Executor& ex, std::vector<Stream>& streams) -> Task<void> {
            net::Scope scope(ex);
            for (Stream& s : streams) scope.Spawn(PingClient(s, rounds, kSize));
            co_await scope.Join();
          });
      stats = last.stats;
    }
    state.SetIterationTime(stats.seconds);
    totals.Add(stats);
    trips += rounds;
  }
  state.counters["rtt_us"] = totals.seconds / static_cast<double>(trips) * 1e6;
  state.counters["msgs_per_s"] = static_cast<double>(trips) * conns / totals.seconds;
  totals.Report(state, static_cast<double>(trips) * conns);
  if (impl != kAsioEpoll && impl != kAsioUring) SetOpsCounters(state, last);
}

void BM_Stream(benchmark::State& state) {
  Impl impl = static_cast<Impl>(state.range(0));
  int conns = static_cast<int>(state.range(1));
  size_t payload = static_cast<size_t>(state.range(2));
  // About 64 MiB per iteration, split over the connections.
  const uint64_t messages = std::max<uint64_t>(1, (64u << 20) / conns / (payload + kHeaderSize));
  Totals totals;
  uint64_t moved = 0;
  UxResult last;
  PinSide(0);
  for (auto _ : state) {
    Pairs p = MakePairs(conns);
    RunStats stats;
    long received = 0;
    if (impl == kAsioEpoll) {
      asio_epoll_stream(p.a.data(), p.b.data(), conns, static_cast<int>(payload),
                        static_cast<long>(messages), &received, &stats);
    } else if (impl == kAsioUring) {
      asio_uring_stream(p.a.data(), p.b.data(), conns, static_cast<int>(payload),
                        static_cast<long>(messages), &received, &stats);
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
              done.notify_one();
            }(ex, streams, messages, &got, done));
          },
          [&](Executor& ex, std::vector<Stream>& streams) -> Task<void> {
            net::Scope scope(ex);
            for (Stream& s : streams) scope.Spawn(Sender(s, payload, messages));
            co_await scope.Join();
          });
      stats = last.stats;
      received = static_cast<long>(got);
    }
    if (static_cast<uint64_t>(received) != messages * conns) {
      state.SkipWithError("receiver lost messages");
      return;
    }
    state.SetIterationTime(stats.seconds);
    totals.Add(stats);
    moved += messages * conns;
  }
  state.SetBytesProcessed(static_cast<int64_t>(moved * (payload + kHeaderSize)));
  state.SetItemsProcessed(static_cast<int64_t>(moved));
  state.counters["msgs_per_s"] = static_cast<double>(moved) / totals.seconds;
  totals.Report(state, static_cast<double>(moved));
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
