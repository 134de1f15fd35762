// Sockets end to end over loopback: echo, many connections, big messages, timeouts,
// cancellation of each socket operation, resets, provided-buffer exhaustion.
#include "net/stream.h"

#include <doctest/doctest.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "net/buffered_reader.h"
#include "net/channel.h"
#include "net/executor.h"
#include "net/listener.h"
#include "net/resolver.h"
#include "net/scope.h"
#include "net/testing.h"
#include "net/timer.h"

namespace uxcom::net {
namespace {

using namespace std::chrono_literals;
using testing::ConnectedPair;
using testing::NewExecutor;
using testing::Pattern;
using testing::ServeEcho;

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}
std::span<std::byte> Bytes(std::vector<std::byte>& v) { return {v.data(), v.size()}; }

TEST_CASE("echo over loopback returns every message intact") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    absl::StatusOr<Listener> listener =
        Listener::Listen(*ex, {.address = SocketAddress::Loopback4(0)});
    REQUIRE(listener.ok());
    Scope servers(*ex);
    servers.Spawn(ServeEcho(*listener, servers));
    absl::StatusOr<Stream> client = co_await Stream::Connect(*ex, listener->local_address(), 5s);
    REQUIRE(client.ok());
    for (int i = 0; i < 100; ++i) {
      std::string msg = "message " + std::to_string(i);
      auto wrote = co_await client->Write(Bytes(msg));
      REQUIRE(wrote.ok());
      std::vector<std::byte> back(msg.size());
      auto bytes_read = co_await client->ReadExactly(Bytes(back));
      REQUIRE(bytes_read.ok());
      CHECK(std::memcmp(back.data(), msg.data(), msg.size()) == 0);
    }
    MESSAGE(ex->metrics().ToString());
    co_await servers.Close();
  };
  ex->BlockOn(body());
}

TEST_CASE("a dual-stack listener accepts IPv4 and IPv6 clients and reports their addresses") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    absl::StatusOr<Listener> listener = Listener::Listen(*ex, {});
    REQUIRE(listener.ok());
    uint16_t port = listener->local_address().port();
    for (const char* host : {"127.0.0.1", "::1", "localhost"}) {
      absl::StatusOr<Stream> c = co_await Stream::Connect(*ex, host, port, 5s);
      INFO(host, ": ", c.status().ToString());
      REQUIRE(c.ok());
      absl::StatusOr<Listener::Accepted> a = co_await listener->Accept();
      REQUIRE(a.ok());
      CHECK(a->peer.port() != 0);
      CHECK(a->stream.peer() == a->peer);
      if (std::string(host) == "localhost") CHECK(c->peer().is_ipv4());  // IPv4 preferred
    }
  };
  ex->BlockOn(body());
}

TEST_CASE("1,000 concurrent connections each echo their own data") {
  long limit = testing::RaiseFdLimit(4096);
  REQUIRE(limit >= 2100);
  auto ex = NewExecutor();
  constexpr int kConnections = 1000;
  auto body = [&]() -> Task<void> {
    absl::StatusOr<Listener> listener =
        Listener::Listen(*ex, {.address = SocketAddress::Loopback4(0), .backlog = 4096});
    REQUIRE(listener.ok());
    Scope servers(*ex);
    servers.Spawn(ServeEcho(*listener, servers));
    std::vector<Stream> clients;
    for (int i = 0; i < kConnections; ++i) {
      absl::StatusOr<Stream> c = co_await Stream::Connect(*ex, listener->local_address(), 5s);
      REQUIRE(c.ok());
      clients.push_back(std::move(*c));
    }
    int ok = 0;
    Scope clients_scope(*ex);
    for (int i = 0; i < kConnections; ++i) {
      clients_scope.Spawn([](Stream& s, int i, int& ok) -> Task<void> {
        std::string msg = "connection " + std::to_string(i);
        absl::Status wrote = co_await s.Write(Bytes(msg));
        if (!wrote.ok()) co_return;
        std::vector<std::byte> back(msg.size());
        absl::Status read = co_await s.ReadExactly(Bytes(back));
        if (!read.ok()) co_return;
        if (std::memcmp(back.data(), msg.data(), msg.size()) == 0) ++ok;
      }(clients[i], i, ok));
    }
    co_await clients_scope.Join();
    CHECK(ok == kConnections);
    CHECK(servers.active_tasks() == kConnections + 1);
    clients.clear();
    co_await servers.Close();
  };
  ex->BlockOn(body());
}

TEST_CASE("a 64 MiB message crosses tiny socket buffers through many short writes intact") {
  auto ex = NewExecutor();
  constexpr size_t kSize = 64u << 20;
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    // Small socket buffers (the kernel doubles these) force hundreds of short writes. Much
    // smaller receive windows set after the handshake make Linux fall back to zero-window
    // probes, which tests TCP's timers rather than this code.
    REQUIRE(a.SetSendBufferSize(32 * 1024).ok());
    REQUIRE(b.SetReceiveBufferSize(64 * 1024).ok());
    std::vector<std::byte> out(kSize);
    for (size_t i = 0; i < kSize; ++i) out[i] = Pattern(i);
    std::vector<std::byte> in(kSize);
    Scope scope(*ex);
    absl::Status write_status;
    scope.Spawn([](Stream& s, std::vector<std::byte>& data, absl::Status& st) -> Task<void> {
      st = co_await s.Write(data);
    }(a, out, write_status));
    absl::Status read_status = co_await b.ReadExactly(Bytes(in));
    co_await scope.Join();
    CHECK(write_status.ok());
    CHECK(read_status.ok());
    CHECK(in == out);
  };
  ex->BlockOn(body());
  ExecutorMetrics::Snapshot m = ex->metrics();
  MESSAGE(m.ToString());
  CHECK(m.bytes_sent >= kSize);
  CHECK(m.syscalls + m.submissions > 200);  // many partial sends, each resumed
}

TEST_CASE("writes from several tasks are queued whole and never interleave") {
  auto ex = NewExecutor();
  constexpr int kWriters = 4, kMessages = 50;
  constexpr size_t kMessageSize = 100000;
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    REQUIRE(a.SetSendBufferSize(64 * 1024).ok());  // messages need several sends each
    Scope scope(*ex);
    for (int w = 0; w < kWriters; ++w) {
      scope.Spawn([](Stream& s, int w) -> Task<void> {
        std::vector<std::byte> msg(kMessageSize, static_cast<std::byte>('A' + w));
        for (int i = 0; i < kMessages; ++i) {
          absl::Status wrote = co_await s.Write(msg);
          CHECK(wrote.ok());
        }
      }(a, w));
    }
    BufferedReader reader(b);
    for (int i = 0; i < kWriters * kMessages; ++i) {
      auto awaited = co_await reader.Fill(kMessageSize);
      REQUIRE(awaited.ok());
      std::span<const std::byte> m = reader.buffered().first(kMessageSize);
      bool uniform = std::all_of(m.begin(), m.end(), [&](std::byte x) { return x == m[0]; });
      CHECK(uniform);
      reader.Consume(kMessageSize);
    }
    co_await scope.Join();
  };
  ex->BlockOn(body());
}

TEST_CASE("WriteV sends its buffers in order as one message") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    std::string prefix = "HDR:", body_text(200000, 'x'), tail = ":END";
    auto awaited = co_await a.WriteV(Bytes(prefix), Bytes(body_text), Bytes(tail));
    REQUIRE(awaited.ok());
    std::vector<std::span<const std::byte>> many(Stream::kMaxWriteBuffers + 1, Bytes(prefix));
    absl::Status too_many = co_await a.WriteV(many);
    CHECK(absl::IsInvalidArgument(too_many));
    std::vector<std::byte> in(prefix.size() + body_text.size() + tail.size());
    auto bytes_read = co_await b.ReadExactly(Bytes(in));
    REQUIRE(bytes_read.ok());
    std::string got(reinterpret_cast<const char*>(in.data()), in.size());
    CHECK(got == prefix + body_text + tail);
  };
  ex->BlockOn(body());
}

std::vector<size_t> FrameSizes() { return {0, 1, 11, 12, 13, 4096, 65536, 3 << 20, 7}; }

TEST_CASE("a buffered reader reads 12-byte headers and bodies up to megabytes without loss") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    std::vector<size_t> sizes = FrameSizes();
    Scope scope(*ex);
    scope.Spawn([](Stream& s, std::vector<size_t> sizes) -> Task<void> {
      uint32_t seed = 0;
      for (size_t size : sizes) {
        std::vector<std::byte> frame(12 + size);
        uint32_t len = static_cast<uint32_t>(size);
        std::memcpy(frame.data() + 4, &len, 4);
        for (size_t i = 0; i < size; ++i) frame[12 + i] = Pattern(i, seed);
        ++seed;
        auto wrote = co_await s.Write(frame);
        CHECK(wrote.ok());
      }
      CHECK(s.ShutdownWrite().ok());
    }(a, sizes));
    BufferedReader reader(b, /*initial_capacity=*/1024, /*max_buffered=*/1 << 20);
    uint32_t seed = 0;
    for (size_t size : sizes) {
      auto awaited = co_await reader.Fill(12);
      REQUIRE(awaited.ok());
      uint32_t len;
      std::memcpy(&len, reader.buffered().data() + 4, 4);
      CHECK(len == size);
      reader.Consume(12);
      std::vector<std::byte> got(len);
      auto bytes_read = co_await reader.ReadExactly(Bytes(got));
      REQUIRE(bytes_read.ok());
      bool same = true;
      for (size_t i = 0; i < len; ++i) same &= got[i] == Pattern(i, seed);
      CHECK(same);
      ++seed;
    }
    absl::Status eof = co_await reader.Fill(1);
    CHECK(absl::IsOutOfRange(eof));
    absl::Status too_much = co_await reader.Fill(2 << 20);  // beyond max_buffered
    CHECK(absl::IsInvalidArgument(too_much));
    co_await scope.Join();
  };
  ex->BlockOn(body());
}

TEST_CASE("ReadChunk hands out received bytes without copying and keeps what is not consumed") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    auto wrote = co_await a.Write(Bytes(std::string("abcdef")));
    REQUIRE(wrote.ok());
    REQUIRE(a.ShutdownWrite().ok());
    std::string got;
    // Consume one byte per call: nothing may be lost between calls. Without copying: each call
    // sees the same received bytes in place, one further on (a copy per call would hand out a
    // fresh buffer each time), until the chunk is used up.
    const std::byte* previous = nullptr;
    int in_place = 0;
    for (;;) {
      absl::StatusOr<size_t> n = co_await b.ReadChunk([&](std::span<const std::byte> data) {
        got.push_back(static_cast<char>(data[0]));
        if (previous != nullptr && data.data() == previous + 1) ++in_place;
        previous = data.data();
        return size_t{1};
      });
      if (absl::IsOutOfRange(n.status())) break;
      REQUIRE(n.ok());
      CHECK(*n == 1);
    }
    CHECK(got == "abcdef");
    // "abcdef" may arrive in more than one chunk, but never one byte per chunk here.
    CHECK(in_place >= 3);
  };
  ex->BlockOn(body());
}

TEST_CASE("EOF: ReadSome returns 0 and ReadExactly reports how many bytes arrived") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    auto wrote = co_await a.Write(Bytes(std::string("12345")));
    REQUIRE(wrote.ok());
    a.Close();
    std::vector<std::byte> buf(12);
    absl::Status s = co_await b.ReadExactly(Bytes(buf));
    CHECK(absl::IsOutOfRange(s));
    CHECK(std::string(s.message()).find("after 5 of 12 bytes") != std::string::npos);
    absl::StatusOr<size_t> n = co_await b.ReadSome(Bytes(buf));
    REQUIRE(n.ok());
    CHECK(*n == 0);
  };
  ex->BlockOn(body());
}

TEST_CASE("a peer reset mid-read fails the read with kUnavailable naming the peer") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    Scope scope(*ex);
    absl::Status read_status;
    scope.Spawn([](Stream& s, absl::Status& out) -> Task<void> {
      std::vector<std::byte> buf(100);
      out = co_await s.ReadExactly(Bytes(buf));
    }(b, read_status));
    co_await Sleep(5ms);
    auto wrote = co_await a.Write(Bytes(std::string("partial")));
    REQUIRE(wrote.ok());
    co_await Sleep(5ms);
    REQUIRE(a.SetLinger(true, 0).ok());
    a.Close();  // RST
    co_await scope.Join();
    INFO(read_status.ToString());
    CHECK(absl::IsUnavailable(read_status));
    CHECK(std::string(read_status.message()).find("peer 127.0.0.1:") != std::string::npos);
    CHECK(std::string(read_status.message()).find("reset") != std::string::npos);
  };
  ex->BlockOn(body());
}

TEST_CASE("connecting to a closed port fails with kUnavailable") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    absl::StatusOr<Listener> l = Listener::Listen(*ex, {.address = SocketAddress::Loopback4(0)});
    REQUIRE(l.ok());
    SocketAddress address = l->local_address();
    l->Close();
    *l = Listener();
    absl::StatusOr<Stream> c = co_await Stream::Connect(*ex, address, 5s);
    INFO(c.status().ToString());
    CHECK(absl::IsUnavailable(c.status()));
    CHECK(std::string(c.status().message()).find(address.ToString()) != std::string::npos);
  };
  ex->BlockOn(body());
}

// Fills a listener's accept queue; afterwards new SYNs are dropped and connects hang.
Task<std::vector<Stream>> FillBacklog(Executor& ex, const SocketAddress& address) {
  std::vector<Stream> filled;
  for (int i = 0; i < 16; ++i) {
    absl::StatusOr<Stream> c = co_await Stream::Connect(ex, address, 100ms);
    if (absl::IsDeadlineExceeded(c.status())) break;
    if (c.ok()) filled.push_back(std::move(*c));
  }
  co_return filled;
}

TEST_CASE("connect to a listener that never accepts times out with kDeadlineExceeded") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    absl::StatusOr<Listener> l =
        Listener::Listen(*ex, {.address = SocketAddress::Loopback4(0), .backlog = 1});
    REQUIRE(l.ok());
    std::vector<Stream> filled = co_await FillBacklog(*ex, l->local_address());
    REQUIRE(filled.size() < 16);
    TimePoint start = Clock::now();
    absl::StatusOr<Stream> c = co_await Stream::Connect(*ex, l->local_address(), 50ms);
    Duration took = Clock::now() - start;
    INFO(c.status().ToString());
    CHECK(absl::IsDeadlineExceeded(c.status()));
    CHECK(std::string(c.status().message()).find("timed out after 50") != std::string::npos);
    CHECK(took >= 50ms);
    CHECK(took < 2s);
  };
  ex->BlockOn(body());
}

// --- cancellation of each socket operation mid-flight -----------------------------------------

TEST_CASE("cancelling a pending read completes it with kCancelled and loses no data") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    for (int round = 0; round < 2; ++round) {
      Scope scope(*ex);
      absl::Status st;
      bool chunk = round == 1;
      scope.Spawn([](Stream& s, absl::Status& out, bool chunk) -> Task<void> {
        std::vector<std::byte> buf(16);
        if (chunk) {
          out = (co_await s.ReadChunk([](std::span<const std::byte> d) {
                  return d.size();
                })).status();
        } else {
          out = co_await s.ReadExactly(Bytes(buf));
        }
      }(b, st, chunk));
      co_await Sleep(2ms);
      co_await scope.Close();
      CHECK(absl::IsCancelled(st));
    }
    // The stream still works and nothing sent afterwards is lost.
    auto wrote = co_await a.Write(Bytes(std::string("after")));
    REQUIRE(wrote.ok());
    std::vector<std::byte> buf(5);
    auto bytes_read = co_await b.ReadExactly(Bytes(buf));
    REQUIRE(bytes_read.ok());
    CHECK(std::memcmp(buf.data(), "after", 5) == 0);
  };
  ex->BlockOn(body());
}

TEST_CASE("cancelling a blocked write completes it with kCancelled and tears the write side") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    REQUIRE(a.SetSendBufferSize(4096).ok());
    REQUIRE(b.SetReceiveBufferSize(4096).ok());
    std::vector<std::byte> big(8 << 20, std::byte{1});
    Scope scope(*ex);
    absl::Status st, queued;
    scope.Spawn([](Stream& s, std::vector<std::byte>& d, absl::Status& out) -> Task<void> {
      out = co_await s.Write(d);  // blocks: nobody reads
    }(a, big, st));
    scope.Spawn([](Stream& s, absl::Status& out) -> Task<void> {
      static const char kOne[] = "x";
      out = co_await s.Write(std::as_bytes(std::span<const char>(kOne, 1)));
    }(a, queued));
    co_await Sleep(10ms);
    co_await scope.Close();
    CHECK(absl::IsCancelled(st));
    CHECK(std::string(st.message()).find("write side is now unusable") != std::string::npos);
    CHECK(absl::IsCancelled(queued));  // cancelled while queued behind it
    absl::Status later = co_await a.Write(big);
    CHECK(absl::IsFailedPrecondition(later));
  };
  ex->BlockOn(body());
}

TEST_CASE("cancelling a pending accept completes it with kCancelled; the listener still works") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    absl::StatusOr<Listener> l = Listener::Listen(*ex, {.address = SocketAddress::Loopback4(0)});
    REQUIRE(l.ok());
    Scope scope(*ex);
    absl::Status st;
    scope.Spawn([](Listener& l, absl::Status& out) -> Task<void> {
      out = (co_await l.Accept()).status();
    }(*l, st));
    co_await Sleep(2ms);
    co_await scope.Close();
    CHECK(absl::IsCancelled(st));
    absl::StatusOr<Stream> c = co_await Stream::Connect(*ex, l->local_address(), 5s);
    REQUIRE(c.ok());
    absl::StatusOr<Listener::Accepted> a = co_await l->Accept();
    CHECK(a.ok());
  };
  ex->BlockOn(body());
}

TEST_CASE("cancelling a pending connect completes it with kCancelled") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    absl::StatusOr<Listener> l =
        Listener::Listen(*ex, {.address = SocketAddress::Loopback4(0), .backlog = 1});
    REQUIRE(l.ok());
    std::vector<Stream> filled = co_await FillBacklog(*ex, l->local_address());
    Scope scope(*ex);
    absl::Status st;
    scope.Spawn([](Executor& ex, SocketAddress a, absl::Status& out) -> Task<void> {
      out = (co_await Stream::Connect(ex, a)).status();
    }(*ex, l->local_address(), st));
    co_await Sleep(10ms);
    co_await scope.Close();
    INFO(st.ToString());
    CHECK(absl::IsCancelled(st));
  };
  ex->BlockOn(body());
}

TEST_CASE("closing a stream wakes its pending read with kCancelled; later reads fail") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    Scope scope(*ex);
    absl::Status st, second;
    scope.Spawn([](Stream& s, absl::Status& out) -> Task<void> {
      std::vector<std::byte> buf(4);
      out = co_await s.ReadExactly(Bytes(buf));
    }(b, st));
    co_await Sleep(2ms);
    std::vector<std::byte> buf(4);
    second = (co_await b.ReadSome(Bytes(buf))).status();
    CHECK(absl::IsFailedPrecondition(second));  // one read at a time
    b.Close();
    co_await scope.Join();
    CHECK(absl::IsCancelled(st));
    auto after_close = co_await b.ReadSome(Bytes(buf));
    CHECK(absl::IsFailedPrecondition(after_close.status()));
  };
  ex->BlockOn(body());
}

TEST_CASE("a stream refuses to be used from another executor's task") {
  auto ex1 = NewExecutor();
  auto ex2 = NewExecutor();
  absl::StatusOr<std::pair<Stream, Stream>> pair = ex1->BlockOn(ConnectedPair(*ex1));
  REQUIRE(pair.ok());
  auto body = [&]() -> Task<absl::Status> {
    std::vector<std::byte> buf(4);
    co_return (co_await pair->first.ReadSome(Bytes(buf))).status();
  };
  absl::Status s = ex2->BlockOn(body());
  CHECK(absl::IsFailedPrecondition(s));
  CHECK(std::string(s.message()).find("another executor") != std::string::npos);
}

// --- a reader slower than its sender ------------------------------------------------------------
// (What each backend does meanwhile, io_uring's provided-buffer ring running dry in particular,
// is tested in uring_backend_test.)

TEST_CASE("a fast sender and a slow zero-copy reader: every byte arrives, in order") {
  auto ex = NewExecutor();
  constexpr size_t kTotal = 4u << 20;
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [a, b] = *pair;
    Scope scope(*ex);
    absl::Status wrote;
    scope.Spawn(testing::WritePattern(a, kTotal, 7, &wrote));
    // ReadChunk: the zero-copy reads, consumed in pieces that straddle buffer boundaries
    // (3000 bytes: not a multiple of a buffer size), by a slow reader (a 1 ms pause every 64
    // reads): the sender runs ahead.
    testing::PatternReader reader{.seed = 7};
    absl::Status read = co_await testing::ReadPattern(b, reader, kTotal, 3000, 64);
    REQUIRE_MESSAGE(read.ok(), read.ToString());
    CHECK(reader.intact);
    CHECK(reader.received == kTotal);
    co_await scope.Join();
    CHECK(wrote.ok());
  };
  ex->BlockOn(body());
  MESSAGE(ex->metrics().ToString());
}

TEST_CASE("name resolution runs off the executor and prefers IPv4") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    absl::StatusOr<SocketAddress> a = co_await ResolveOne("localhost", 99);
    REQUIRE(a.ok());
    CHECK(a->is_ipv4());
    CHECK(a->port() == 99);
    absl::StatusOr<std::vector<SocketAddress>> numeric = co_await Resolve("::1", 5);
    REQUIRE(numeric.ok());
    CHECK(numeric->front().ToString() == "[::1]:5");
    absl::StatusOr<SocketAddress> bad = co_await ResolveOne("no-such-host.invalid", 1);
    CHECK_FALSE(bad.ok());
    auto empty_host = co_await ResolveOne("", 1);
    CHECK(absl::IsInvalidArgument(empty_host.status()));
  };
  ex->BlockOn(body());
}

// Sends on `s`'s socket without blocking until the kernel takes no more; the bytes sent.
size_t FillSocket(Stream& s) {
  std::vector<char> junk(64 * 1024, 'x');
  size_t total = 0;
  for (;;) {
    ssize_t n = ::send(s.fd(), junk.data(), junk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0) return total;
    total += static_cast<size_t>(n);
  }
}

// Both ends' queues once they stop changing (loopback: ACKs and window updates are quick).
Task<std::pair<Stream::QueuedBytes, Stream::QueuedBytes>> SettledQueues(Stream& a, Stream& b) {
  std::pair<Stream::QueuedBytes, Stream::QueuedBytes> last{};
  int same = 0;
  for (int round = 0; round < 200 && same < 3; ++round) {
    absl::Status slept = co_await Sleep(10ms);
    if (!slept.ok()) break;
    absl::StatusOr<Stream::QueuedBytes> qa = a.Queued();
    absl::StatusOr<Stream::QueuedBytes> qb = b.Queued();
    if (!qa.ok() || !qb.ok()) break;
    const bool unchanged = qa->unacknowledged == last.first.unacknowledged &&
                           qa->unsent == last.first.unsent && qb->unread == last.second.unread;
    same = unchanged ? same + 1 : 0;
    last = {*qa, *qb};
  }
  co_return last;
}

TEST_CASE(
    "Queued tells what a close would lose: bytes never sent, bytes not acknowledged, and "
    "received bytes nobody read") {
  auto ex = NewExecutor();
  auto body = [&]() -> Task<void> {
    auto pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    auto& [writer, reader] = *pair;
    REQUIRE(reader.SetReceiveBufferSize(8 * 1024).ok());
    REQUIRE(writer.SetSendBufferSize(64 * 1024).ok());

    // A reader that reads nothing: whatever was sent is either still queued at the writer
    // (not acknowledged) or acknowledged and waiting in the reader's kernel.
    size_t sent = FillSocket(writer);
    auto [w, r] = co_await SettledQueues(writer, reader);
    MESSAGE("sent ", sent, ": writer unacknowledged ", w.unacknowledged, " (unsent ", w.unsent,
            "), reader unread ", r.unread);
    CHECK(sent > 0);
    CHECK(w.unacknowledged > 0);  // the reader's window is full
    CHECK(w.unsent > 0);          // so the rest cannot even be transmitted
    CHECK(w.unsent <= w.unacknowledged);
    CHECK(r.unread > 0);
    CHECK(w.unacknowledged + r.unread == sent);

    // The reader consumes a little; under io_uring its multishot receive then pulls more into
    // provided buffers, which count as unread too.
    std::vector<std::byte> some(1000);
    absl::StatusOr<size_t> got = co_await reader.ReadSome(Bytes(some));
    REQUIRE(got.ok());
    sent += FillSocket(writer);
    std::tie(w, r) = co_await SettledQueues(writer, reader);
    CHECK(w.unacknowledged + r.unread + *got == sent);
    CHECK(reader.Queued()->unacknowledged == 0);  // the reader wrote nothing

    // The reader dies with data unread (RST): the writer still learns what never got there.
    REQUIRE(reader.SetLinger(true, 0).ok());
    reader.Close();
    absl::Status slept = co_await Sleep(20ms);
    CHECK(slept.ok());
    absl::Status dead = co_await writer.Write(Bytes(std::string("x")));
    CHECK(absl::IsUnavailable(dead));  // the writer has seen the reset
    absl::StatusOr<Stream::QueuedBytes> after = writer.Queued();
    REQUIRE(after.ok());
    CHECK(after->unacknowledged == w.unacknowledged);
    MESSAGE("after the reader's reset: writer unacknowledged ", after->unacknowledged,
            " bytes (lost for certain: ", after->unsent, "); the ", r.unread,
            " bytes the reader's kernel had acknowledged are lost and no sender can tell");
    writer.Close();
    CHECK(absl::IsFailedPrecondition(writer.Queued().status()));
    CHECK(absl::IsFailedPrecondition(reader.Queued().status()));
  };
  ex->BlockOn(body());
}

TEST_CASE("Queued on a socket that is not TCP says so") {
  auto ex = NewExecutor();
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  absl::StatusOr<Stream> a = Stream::Adopt(*ex, Socket(sv[0]));
  absl::StatusOr<Stream> b = Stream::Adopt(*ex, Socket(sv[1]));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  absl::StatusOr<Stream::QueuedBytes> q = a->Queued();
  INFO(q.status().ToString());
  CHECK(absl::IsInvalidArgument(q.status()));
}

}  // namespace
}  // namespace uxcom::net
