// Helpers shared by net/'s tests (testonly).
#ifndef UXCOM_NET_TESTING_H_
#define UXCOM_NET_TESTING_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "net/executor.h"
#include "net/listener.h"
#include "net/scope.h"
#include "net/stream.h"
#include "net/task.h"
#include "test/skip.h"

namespace uxcom::net::testing {

using ::uxcom::testing::Need;
using ::uxcom::testing::Skip;
using ::uxcom::testing::SkipAll;

// An executor with the backend the test variant selects: tools/defs.bzl's `both_backends`
// declares `name` with UXCOM_BACKEND=io_uring and `name_epoll` with UXCOM_BACKEND=epoll, and
// options.backend is left at kAuto so that the variable decides. Where the io_uring variant
// finds io_uring refused, the whole binary is skipped (SkipAll, Need::kIoUring): it never
// passes on epoll in io_uring's name. Any other error aborts the test.
std::unique_ptr<Executor> NewExecutor(ExecutorOptions options = {});
// The same on virtual time (ClockKind::kVirtual): for tests that assert when something
// happens, or that something did not happen, without sleeping.
std::unique_ptr<Executor> NewVirtualExecutor(ExecutorOptions options = {});

// An io_uring executor whatever the variant, for tests of io_uring itself (its features and
// their fallbacks); skips the binary (SkipAll) where io_uring is refused.
std::unique_ptr<Executor> NewUringExecutor(ExecutorOptions options = {});

// The backend this test variant runs on: UXCOM_BACKEND, or kAuto when it is not set (a test
// binary run by hand).
BackendKind VariantBackend();

// A loopback TCP port that nothing is bound to right now, for a listener a test starts next.
// It is drawn at random below the kernel's ephemeral range, so no outgoing connection (ours or
// another test's) can take it meanwhile, and this process never hands it out twice. Another
// process may still bind it first; tests run in parallel make that unlikely, not impossible.
uint16_t ReservePort();

// Open file descriptors of this process.
int CountOpenFds();

// Raises RLIMIT_NOFILE's soft limit to at least `want` (up to the hard limit); returns the
// resulting soft limit.
long RaiseFdLimit(long want);

// --- death tests: a debug check that must abort -----------------------------------------------

// How a child process ended: waitpid's status and everything it wrote to stderr.
struct ChildExit {
  int wait_status = 0;
  std::string stderr_output;
  bool aborted() const;         // killed by SIGABRT
  bool exited_cleanly() const;  // exit status 0
};
// Runs `body` in a forked child (stderr captured), which exits 0 if `body` returns. Call it
// while this process has one thread: the child gets only the calling thread.
ChildExit RunInChild(const std::function<void()>& body);

// Runs `executor`'s loop on a thread of its own from construction (returning once the loop
// runs) until destruction (Stop, then join), so that the calling thread is "another thread"
// for the executor-thread-only checks.
class LoopOnOtherThread {
 public:
  explicit LoopOnOtherThread(Executor& executor);
  ~LoopOnOtherThread();
  LoopOnOtherThread(const LoopOnOtherThread&) = delete;
  LoopOnOtherThread& operator=(const LoopOnOtherThread&) = delete;

 private:
  Executor& executor_;
  std::thread thread_;
};

// A connected loopback TCP pair: {client side, server side}. `socket_buffer_bytes` > 0 sets
// SO_SNDBUF and SO_RCVBUF of both ends before the connection exists: a receive buffer shrunk on
// an established connection leaves the peer with segments sized to the window it saw before
// (half of it), which no longer fit, and it then sends only when its persist timer fires
// (~40 KB/s on loopback, tcp(7): "must be set prior to the listen(2) or connect(2) calls").
Task<absl::StatusOr<std::pair<Stream, Stream>>> ConnectedPair(Executor& executor,
                                                              int socket_buffer_bytes = 0);

// Byte i of test stream `seed`: data whose every offset is checkable.
inline std::byte Pattern(uint64_t i, uint32_t seed = 0) {
  return static_cast<std::byte>((i * 2654435761u + seed) >> 13);
}

// Writes `bytes` of Pattern(i, seed) to `stream` in one Write; the result goes to *result.
Task<void> WritePattern(Stream& stream, size_t bytes, uint32_t seed, absl::Status* result);

// Checks received bytes against Pattern(i, seed) as they are consumed, in order.
struct PatternReader {
  uint32_t seed = 0;
  size_t received = 0;
  bool intact = true;
  // Consumes up to `at_most` bytes of `data` (a ReadChunk visitor's answer).
  size_t Consume(std::span<const std::byte> data, size_t at_most) {
    size_t take = std::min(data.size(), at_most);
    for (size_t i = 0; i < take; ++i) intact &= data[i] == Pattern(received + i, seed);
    received += take;
    return take;
  }
};

// Reads `stream` with ReadChunk, each read consuming at most `per_read` bytes into `reader`,
// until it holds `total` bytes; a slow reader when `pause_every` > 0 (sleeps 1 ms every
// `pause_every` reads). OK, the failed read's error, or kOutOfRange for an EOF before `total`.
Task<absl::Status> ReadPattern(Stream& stream, PatternReader& reader, size_t total, size_t per_read,
                               int pause_every = 0);

// Writes back what `stream` reads until EOF or an error.
Task<void> Echo(Stream stream);
// Accepts until the listener fails (closed, cancelled), spawning Echo on `scope` per connection.
Task<void> ServeEcho(Listener& listener, Scope& scope);

// One round trip through a listener, its accept loop and a client on `executor`: `bytes` of
// Pattern data written and read back. OK, or what failed (connect, write, read, a changed byte).
Task<absl::Status> EchoRoundTrip(Executor& executor, size_t bytes);

// --- clients on their own threads, measured apart from the executor under test ---------------

using WallClock = std::chrono::steady_clock;

// A TCP connect to `target` that gives up after `timeout`: the connected socket (blocking
// again) or -errno (-ETIMEDOUT when the timeout passed). `took`: how long the connect took
// (until it failed, or the whole timeout). -ECONNRESET means that the handshake completed and
// the listener reset the connection before connect() returned.
int TimedConnect(const SocketAddress& target, std::chrono::milliseconds timeout,
                 std::chrono::nanoseconds* took);

// A thread that connects to `target` `per_second` times a second and resets each connection
// as soon as connect() returns (SO_LINGER 0, then close: RST), like a scanner or an attacker.
// A connect still pending after 200 ms is abandoned, so the rate holds whatever the listener
// does. Runs until Stop() or destruction.
class ResetStorm {
 public:
  ResetStorm(SocketAddress target, int per_second);
  ~ResetStorm() { Stop(); }
  void Stop();  // RequestStop() and wait for the thread
  // Asks the thread to stop after its current connection, without waiting (a test whose
  // server runs on the calling thread must keep serving meanwhile, then Stop()).
  void RequestStop() { stop_ = true; }
  uint64_t connected() const { return connected_.load(); }  // connects completed, then reset
  uint64_t abandoned() const { return abandoned_.load(); }  // connects that did not complete

 private:
  void Run(SocketAddress target, std::chrono::nanoseconds period);
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> connected_{0};
  std::atomic<uint64_t> abandoned_{0};
  std::thread thread_;
};

// What a healthy client's exchange with a server came to.
enum class Outcome {
  kServed,    // the server answered as it should
  kRefused,   // the server closed or reset the connection: the client knows at once
  kTimedOut,  // no answer in time (e.g. the connection sits in an overflowing backlog)
};

// A thread that behaves as a healthy client every `period`: connects (giving up after 3 s),
// runs `exchange` on the connected blocking socket, closes it. Each attempt is one Sample,
// timed from the start of the connect to its answer, until Stop() or destruction.
class Prober {
 public:
  struct Sample {
    WallClock::time_point at;          // when the connect started
    std::chrono::nanoseconds connect;  // the connect (3 s when it timed out)
    std::chrono::nanoseconds answer;   // until the outcome was known (connect + exchange)
    Outcome outcome = Outcome::kTimedOut;
    int connect_error = 0;  // connect's errno, if it failed
  };
  Prober(SocketAddress target, std::chrono::milliseconds period,
         std::function<Outcome(int fd)> exchange);
  ~Prober() { Stop(); }
  void Stop();  // RequestStop() and wait for the thread
  void RequestStop() { stop_ = true; }
  // The thread stopped (after RequestStop(), once its current client is done).
  bool finished() const { return finished_.load(); }
  std::vector<Sample> samples() const;

 private:
  void Run(SocketAddress target, std::chrono::milliseconds period);
  std::function<Outcome(int fd)> exchange_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  mutable std::mutex mu_;
  std::vector<Sample> samples_;
  std::thread thread_;
};

// Writes `request` on a blocking socket and waits up to `timeout` for reply.size() bytes,
// which it stores in `reply` (kServed once they are all there, whatever they are).
Outcome RoundTrip(int fd, std::span<const std::byte> request, std::span<std::byte> reply,
                  std::chrono::milliseconds timeout);
// A RoundTrip whose reply must be the request itself: an echo. For Prober.
Outcome EchoRoundTrip(int fd, std::chrono::milliseconds timeout);

// Samples' durations: the connects, or the answers.
std::vector<std::chrono::nanoseconds> ConnectTimes(const std::vector<Prober::Sample>& samples);
std::vector<std::chrono::nanoseconds> AnswerTimes(const std::vector<Prober::Sample>& samples);
// "60 healthy clients: 60 served, 0 refused, 0 timed out; connect p50 … p99 … ms; answer
// p50 … p99 … max … ms", for test messages.
std::string Summarize(const std::vector<Prober::Sample>& samples);

// The p-quantile (0 < p <= 1) of `values` by nearest rank: p = 0.99 of 200 values is the
// second largest. Zero for no values.
std::chrono::nanoseconds Percentile(std::vector<std::chrono::nanoseconds> values, double p);

}  // namespace uxcom::net::testing

#endif  // UXCOM_NET_TESTING_H_
