// The io_uring backend itself, pinned to io_uring whatever the test variant (the binary skips,
// visibly, where io_uring is refused): each setup the kernel may offer, each feature uxcom uses
// (multishot recv into provided buffers, recv bundles, multishot accept, EXT_ARG waits) and
// each fallback when one is missing, with the counters that prove a feature was really used.
// Behaviour common to both backends is tested in stream_test and core_test.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "net/executor.h"
#include "net/scope.h"
#include "net/stream.h"
#include "net/testing.h"
#include "net/timer.h"

namespace uxcom::net {
namespace {

using namespace std::chrono_literals;
using testing::ConnectedPair;
using testing::EchoRoundTrip;
using testing::NewUringExecutor;
using testing::Pattern;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}
std::span<std::byte> Bytes(std::vector<std::byte>& v) { return {v.data(), v.size()}; }

// The executor can do I/O and wait: a 100 kB echo round trip and a 20 ms sleep.
void CheckWorks(Executor& ex) {
  absl::Status echoed = ex.BlockOn(EchoRoundTrip(ex, 100000));
  CHECK_MESSAGE(echoed.ok(), echoed.ToString());
  TimePoint start = Clock::now();
  absl::Status slept = ex.BlockOn([]() -> Task<absl::Status> {
    absl::Status s = co_await Sleep(20ms);
    co_return s;
  }());
  Duration took = Clock::now() - start;
  CHECK(slept.ok());
  CHECK(took >= 20ms);
  CHECK(took < 2s);
}

// --- ring setup --------------------------------------------------------------------------------

TEST_CASE("the default ring uses every feature this kernel has and names each") {
  auto ex = NewUringExecutor();
  const std::string& d = ex->backend_description();
  MESSAGE("backend: ", d);
  if (!Has(d, "DEFER_TASKRUN") || !Has(d, "bundles")) {
    return testing::Skip(testing::Need::kKernelFeature,
                         "DEFER_TASKRUN (6.1) or recv bundles (6.10) missing: " + d);
  }
  CHECK(d ==
        "io_uring (SINGLE_ISSUER|DEFER_TASKRUN, multishot recv bundles into 512x16384 B "
        "provided buffers, multishot accept)");
  CheckWorks(*ex);
  CHECK(ex->metrics().feature_fallbacks == 0);
}

TEST_CASE("each setup the kernel may offer runs and is named: DEFER_TASKRUN, COOP_TASKRUN, none") {
  struct Case {
    uint32_t disabled;
    const char* prefix;
  };
  for (Case c : {Case{0, "io_uring (SINGLE_ISSUER|DEFER_TASKRUN, "},
                 Case{kUringDeferTaskrun, "io_uring (COOP_TASKRUN|TASKRUN_FLAG, "},
                 Case{kUringDeferTaskrun | kUringCoopTaskrun, "io_uring (no setup flags, "}}) {
    CAPTURE(c.prefix);
    ExecutorOptions o;
    o.disabled_uring_features = c.disabled;
    auto ex = NewUringExecutor(o);
    if (c.disabled == 0 && !Has(ex->backend_description(), "DEFER_TASKRUN")) {
      testing::Skip(testing::Need::kKernelFeature,
                    "DEFER_TASKRUN setup (kernel 6.1): " + ex->backend_description());
      continue;
    }
    CHECK(ex->backend_description().rfind(c.prefix, 0) == 0);
    CheckWorks(*ex);
  }
}

TEST_CASE("without EXT_ARG waits, timed waits go through timeout SQEs and still end on time") {
  ExecutorOptions o;
  o.disabled_uring_features = kUringExtArg;
  auto ex = NewUringExecutor(o);
  CHECK(Has(ex->backend_description(), ", timeout SQEs)"));
  CheckWorks(*ex);
  auto with_ext_arg = NewUringExecutor();
  CHECK_FALSE(Has(with_ext_arg->backend_description(), "timeout SQEs"));
}

TEST_CASE("with multishot recv, multishot accept and DEFER_TASKRUN off, the one-shot paths echo") {
  ExecutorOptions o;
  o.disabled_uring_features = kUringDeferTaskrun | kUringMultishotRecv | kUringMultishotAccept;
  auto ex = NewUringExecutor(o);
  CHECK(ex->backend_description() ==
        "io_uring (COOP_TASKRUN|TASKRUN_FLAG, one-shot recv, one-shot accept)");
  CheckWorks(*ex);
  ExecutorMetrics::Snapshot m = ex->metrics();
  CHECK(m.multishot_rearms == 0);
  CHECK(m.recv_bundles == 0);
  CHECK(m.enobufs == 0);
}

// --- the provided-buffer ring ------------------------------------------------------------------

ExecutorOptions TinyRing() {
  ExecutorOptions o;
  o.recv_buffer_count = 8;
  o.recv_buffer_size = 4096;
  o.recv_buffers_per_stream = 64;  // larger than the ring: let one stream drain it
  return o;
}

// A fast sender and a reader that takes one buffer and stops: the kernel fills every provided
// buffer of the ring for that stream and has none left, so the multishot recv ends (with an
// ENOBUFS completion; with bundles, kernel 6.18 ends it on the completion that took the last
// buffers instead). Reading again gives the buffers back and re-arms the recv; every byte
// arrives, in order. Deterministic: the reader waits until the ring is provably empty.
void ExhaustRing(bool bundles) {
  ExecutorOptions o = TinyRing();
  if (!bundles) o.disabled_uring_features = kUringRecvBundle;
  auto ex = NewUringExecutor(o);
  REQUIRE(Has(ex->backend_description(), bundles ? "multishot recv bundles" : "multishot recv"));
  constexpr size_t kTotal = 1u << 20;  // far more than the ring's 8 x 4 KiB
  const uint64_t ring_bytes = uint64_t{o.recv_buffer_count} * o.recv_buffer_size;
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    Scope scope(*ex);
    absl::Status wrote;
    scope.Spawn(testing::WritePattern(a, kTotal, 7, &wrote));
    testing::PatternReader reader{.seed = 7};
    // The first read arms the multishot recv; the reader keeps its first buffer and stops.
    absl::StatusOr<size_t> first =
        co_await b.ReadChunk([&](std::span<const std::byte> d) { return reader.Consume(d, 1); });
    REQUIRE(first.ok());
    // Until the kernel has filled the whole ring (and, without bundles, said ENOBUFS).
    auto exhausted = [&] {
      ExecutorMetrics::Snapshot m = ex->metrics();
      return m.bytes_received >= ring_bytes && (bundles || m.enobufs >= 1);
    };
    TimePoint give_up = Clock::now() + 10s;
    while (!exhausted() && Clock::now() < give_up) {
      absl::Status slept = co_await Sleep(1ms);
      REQUIRE(slept.ok());
    }
    ExecutorMetrics::Snapshot held = ex->metrics();
    MESSAGE("while the reader held every buffer: ", held.ToString());
    REQUIRE(exhausted());
    CHECK(held.bytes_received == ring_bytes);  // not a byte beyond the ring: the recv ended
    CHECK(held.multishot_rearms == 0);
    // Reading again returns the buffers and re-arms the recv.
    absl::Status read = co_await testing::ReadPattern(b, reader, kTotal, 3000);
    REQUIRE_MESSAGE(read.ok(), read.ToString());
    CHECK(reader.intact);
    CHECK(reader.received == kTotal);
    co_await scope.Join();
    CHECK(wrote.ok());
  };
  ex->BlockOn(body());
  ExecutorMetrics::Snapshot m = ex->metrics();
  MESSAGE(m.ToString());
  CHECK(m.multishot_rearms >= 1);
  CHECK(m.bytes_received == kTotal);
  CHECK(m.feature_fallbacks == 0);
  if (bundles) CHECK(m.recv_bundles >= 1);
}

TEST_CASE(
    "a reader that stops exhausts the buffer ring (ENOBUFS); the recv re-arms, nothing lost") {
  ExhaustRing(/*bundles=*/false);
}

TEST_CASE("with recv bundles, a reader that stops exhausts the ring too; nothing is lost") {
  {
    auto probe = NewUringExecutor();
    if (!Has(probe->backend_description(), "multishot recv bundles")) {
      return testing::Skip(testing::Need::kKernelFeature,
                           "recv bundles (kernel 6.10): " + probe->backend_description());
    }
  }
  ExhaustRing(/*bundles=*/true);
}

TEST_CASE("a reader that hoards every provided buffer does not stall other connections") {
  auto ex = NewUringExecutor(TinyRing());
  auto body = [&]() -> Task<void> {
    auto hog = co_await ConnectedPair(*ex);
    auto other = co_await ConnectedPair(*ex);
    REQUIRE(hog.ok());
    REQUIRE(other.ok());
    // The hog's reader takes one byte of a chunk, then sits on everything else the ring
    // received.
    std::vector<std::byte> data(256 * 1024, std::byte{9});
    Scope scope(*ex);
    scope.Spawn([](Stream& s, std::vector<std::byte>& d) -> Task<void> { co_await s.Write(d); }(
                                                             hog->first, data));
    auto awaited = co_await hog->second.ReadChunk([](std::span<const std::byte>) { return 1; });
    REQUIRE(awaited.ok());
    co_await Sleep(20ms);
    // Another connection still gets its data.
    auto wrote = co_await other->first.Write(Bytes(std::string("ping")));
    REQUIRE(wrote.ok());
    std::vector<std::byte> got(4);
    absl::Status s = co_await WithTimeout(2s, other->second.ReadExactly(Bytes(got)));
    CHECK(s.ok());
    CHECK(std::memcmp(got.data(), "ping", 4) == 0);
    // And the hog's data is all still there.
    std::vector<std::byte> rest(data.size() - 1);
    auto bytes_read = co_await hog->second.ReadExactly(Bytes(rest));
    CHECK(bytes_read.ok());
    CHECK(std::all_of(rest.begin(), rest.end(), [](std::byte x) { return x == std::byte{9}; }));
    co_await scope.Join();
  };
  ex->BlockOn(body());
}

// Several streams receive through one shared pool of provided buffers at once: every byte
// arrives, in order. Returns the executor's metrics afterwards.
ExecutorMetrics::Snapshot ConcurrentChunkStreams(ExecutorOptions o) {
  o.recv_buffer_count = 64;
  o.recv_buffer_size = 4096;
  auto ex = NewUringExecutor(o);
  MESSAGE("backend: ", ex->backend_description());
  constexpr int kStreams = 4;
  constexpr size_t kTotal = 2u << 20;
  auto body = [&]() -> Task<void> {
    std::vector<std::pair<Stream, Stream>> pairs;
    for (int i = 0; i < kStreams; ++i) {
      auto pair = co_await ConnectedPair(*ex);
      REQUIRE(pair.ok());
      pairs.push_back(std::move(*pair));
    }
    Scope scope(*ex);
    std::vector<size_t> received(kStreams, 0);
    std::vector<int> intact(kStreams, 1);
    for (int i = 0; i < kStreams; ++i) {
      scope.Spawn([](Stream& s, uint32_t seed) -> Task<void> {
        std::vector<std::byte> out(kTotal);
        for (size_t j = 0; j < kTotal; ++j) out[j] = Pattern(j, seed);
        for (size_t at = 0; at < kTotal; at += 100000) {  // several writes, odd sizes
          size_t n = std::min<size_t>(100000, kTotal - at);
          auto wrote2 = co_await s.Write({out.data() + at, n});
          CHECK(wrote2.ok());
        }
      }(pairs[i].first, static_cast<uint32_t>(i)));
      scope.Spawn([](Stream& s, uint32_t seed, size_t& got, int& ok) -> Task<void> {
        while (got < kTotal) {
          absl::StatusOr<size_t> n = co_await s.ReadChunk([&](std::span<const std::byte> d) {
            for (size_t j = 0; j < d.size(); ++j) ok &= d[j] == Pattern(got + j, seed);
            got += d.size();
            return d.size();
          });
          if (!n.ok()) break;
        }
      }(pairs[i].second, static_cast<uint32_t>(i), received[i], intact[i]));
    }
    co_await scope.Join();
    for (int i = 0; i < kStreams; ++i) {
      CHECK(received[i] == kTotal);
      CHECK(intact[i] == 1);
    }
  };
  ex->BlockOn(body());
  MESSAGE(ex->metrics().ToString());
  return ex->metrics();
}

TEST_CASE("recv bundles: streams sharing the provided buffers get several per completion") {
  {
    auto probe = NewUringExecutor();
    if (!Has(probe->backend_description(), "multishot recv bundles")) {
      return testing::Skip(testing::Need::kKernelFeature,
                           "recv bundles (kernel 6.10): " + probe->backend_description());
    }
  }
  ExecutorMetrics::Snapshot m = ConcurrentChunkStreams({});
  CHECK(m.recv_bundles > 0);
  CHECK(m.feature_fallbacks == 0);  // the kernel never refused the bundles it reported
}

TEST_CASE("without bundles each completion fills one buffer, and every byte still arrives") {
  ExecutorOptions no_bundles;
  no_bundles.disabled_uring_features = kUringRecvBundle;
  ExecutorMetrics::Snapshot m = ConcurrentChunkStreams(no_bundles);
  CHECK(m.recv_bundles == 0);
  CHECK(m.feature_fallbacks == 0);
  ExecutorOptions coop;  // completions posted from task work at any syscall, not only enters
  coop.disabled_uring_features = kUringDeferTaskrun;
  ExecutorMetrics::Snapshot c = ConcurrentChunkStreams(coop);
  CHECK(c.feature_fallbacks == 0);
}

// --- large reads past the ring (ExecutorOptions::direct_read_min) -------------------------------

// Writes `total` bytes of Pattern(i, seed) in 64 KiB writes 1 ms apart, so that reads find the
// socket empty and wait in the kernel.
Task<void> PacedPattern(Stream& s, size_t total, uint32_t seed, absl::Status& result) {
  std::vector<std::byte> out(total);
  for (size_t i = 0; i < total; ++i) out[i] = Pattern(i, seed);
  for (size_t at = 0; at < total && result.ok(); at += 64 * 1024) {
    result = co_await s.Write({out.data() + at, std::min<size_t>(64 * 1024, total - at)});
    absl::Status slept = co_await Sleep(1ms);
    if (result.ok()) result = slept;
  }
}

// One ReadSome into `into`, the bytes it got checked by `reader`.
Task<absl::StatusOr<size_t>> ReadSomeChecked(Stream& s, testing::PatternReader& reader,
                                             std::span<std::byte> into) {
  absl::StatusOr<size_t> n = co_await s.ReadSome(into);
  if (n.ok()) reader.Consume(into.first(*n), *n);
  co_return n;
}

// Reads a 4 MiB stream, written 64 KiB every millisecond, with ReadSome calls whose sizes
// follow `pattern` over and over ('s': 4 KiB, below direct_read_min; 'L': 256 KiB). Every byte
// arrives, in order. Returns the executor's metrics afterwards.
ExecutorMetrics::Snapshot ReadInPattern(ExecutorOptions o, std::string_view pattern) {
  auto ex = NewUringExecutor(o);
  constexpr size_t kTotal = 4u << 20;
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    Scope scope(*ex);
    absl::Status wrote;
    scope.Spawn(PacedPattern(a, kTotal, 3, wrote));
    testing::PatternReader reader{.seed = 3};
    std::vector<std::byte> small(4096), large(256 * 1024);
    for (size_t i = 0; reader.received < kTotal; ++i) {
      std::vector<std::byte>& into = pattern[i % pattern.size()] == 's' ? small : large;
      const size_t want = std::min(into.size(), kTotal - reader.received);
      absl::StatusOr<size_t> n = co_await ReadSomeChecked(b, reader, {into.data(), want});
      REQUIRE_MESSAGE(n.ok(), n.status().ToString());
      REQUIRE(*n > 0);
    }
    CHECK(reader.intact);
    co_await scope.Join();
    CHECK(wrote.ok());
  };
  ex->BlockOn(body());
  ExecutorMetrics::Snapshot m = ex->metrics();
  MESSAGE(m.ToString());
  CHECK(m.bytes_received == kTotal);
  return m;
}

// The first read, a large one, puts the stream in direct mode, and it stays there through
// small reads (fewer than 4 in a row): the ring is never armed. (Were each small read to arm
// it, the second would count as a re-arm.)
TEST_CASE("a large read puts the stream in direct mode, and a few small reads keep it there") {
  ExecutorMetrics::Snapshot m = ReadInPattern({}, "Lsss");
  CHECK(m.direct_reads > 0);
  CHECK(m.multishot_rearms == 0);
}

// Runs of 24 small reads: the 4th of each returns the stream to the ring, and once they have
// drained the socket (64 KiB a write; while it holds data a plain recv is tried first) one of
// them arms the multishot recv, which the next large read ends again.
TEST_CASE("a run of small reads returns the stream to the ring") {
  ExecutorMetrics::Snapshot m = ReadInPattern({}, "Lssssssssssssssssssssssss");
  CHECK(m.direct_reads > 0);
  CHECK(m.multishot_rearms > 0);
}

TEST_CASE("with direct_read_min 0 every read goes through the ring") {
  ExecutorOptions o;
  o.direct_read_min = 0;
  ExecutorMetrics::Snapshot m = ReadInPattern(o, "sLL");
  CHECK(m.direct_reads == 0);
}

Task<void> WriteTask(Stream& s, std::span<const std::byte> bytes, absl::Status& result) {
  result = co_await s.Write(bytes);
}

// The large read waits in the kernel (nothing was sent) after it ended the multishot recv the
// small read armed; a timeout cancels it. The bytes sent afterwards are all read, in order.
TEST_CASE("a large read cancelled while it waits loses nothing") {
  auto ex = NewUringExecutor();
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    testing::PatternReader reader{.seed = 5};
    std::vector<std::byte> out(1u << 20);
    for (size_t i = 0; i < out.size(); ++i) out[i] = Pattern(i, 5);
    auto first = co_await a.Write({out.data(), 100});
    REQUIRE(first.ok());
    std::vector<std::byte> small(4096), large(512 * 1024);
    // The small read arms the multishot recv.
    absl::StatusOr<size_t> n = co_await ReadSomeChecked(b, reader, Bytes(small));
    REQUIRE(n.ok());
    absl::StatusOr<size_t> timed_out =
        co_await WithTimeout(50ms, ReadSomeChecked(b, reader, Bytes(large)));
    CHECK(absl::IsDeadlineExceeded(timed_out.status()));
    Scope scope(*ex);
    absl::Status wrote;
    scope.Spawn(WriteTask(a, {out.data() + reader.received, out.size() - reader.received}, wrote));
    while (reader.received < out.size()) {
      absl::StatusOr<size_t> got = co_await ReadSomeChecked(b, reader, Bytes(large));
      REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    }
    CHECK(reader.intact);
    co_await scope.Join();
    CHECK(wrote.ok());
  };
  ex->BlockOn(body());
  ExecutorMetrics::Snapshot m = ex->metrics();
  MESSAGE(m.ToString());
  CHECK(m.direct_reads > 0);
  CHECK(m.bytes_received == (1u << 20));
}

}  // namespace
}  // namespace uxcom::net
