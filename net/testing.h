// Helpers shared by net/'s tests (testonly).
#ifndef UXCOM_NET_TESTING_H_
#define UXCOM_NET_TESTING_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

#include "absl/status/statusor.h"
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

// A connected loopback TCP pair: {client side, server side}.
Task<absl::StatusOr<std::pair<Stream, Stream>>> ConnectedPair(Executor& executor);

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

// Writes back what `stream` reads until EOF or an error.
Task<void> Echo(Stream stream);
// Accepts until the listener fails (closed, cancelled), spawning Echo on `scope` per connection.
Task<void> ServeEcho(Listener& listener, Scope& scope);

// One round trip through a listener, its accept loop and a client on `executor`: `bytes` of
// Pattern data written and read back. OK, or what failed (connect, write, read, a changed byte).
Task<absl::Status> EchoRoundTrip(Executor& executor, size_t bytes);

}  // namespace uxcom::net::testing

#endif  // UXCOM_NET_TESTING_H_
