// The asio baselines of //bench:net_bench: C++20 coroutines (asio::awaitable), compiled twice
// into two shared objects, once for asio's default epoll reactor and once with
// ASIO_HAS_IO_URING + ASIO_HAS_IO_URING_AS_DEFAULT. Everything here has hidden visibility
// except the extern "C" entry points, whose names carry the variant (UXCOM_ASIO_NAME), so the
// two incompatible instantiations of asio's templates never meet (see bench/README.md).
#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "bench/net/common.h"

#define UXCOM_CAT2(a, b) a##b
#define UXCOM_CAT(a, b) UXCOM_CAT2(a, b)
#define UXCOM_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
constexpr auto kNoThrow = asio::experimental::as_tuple(use_awaitable);

tcp::socket Adopt(asio::io_context& ctx, int fd) {
  tcp::socket s(ctx);
  s.assign(tcp::v4(), fd);
  return s;
}

awaitable<void> Echo(tcp::socket s) {
  char buf[4096];
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), kNoThrow);
    if (ec || n == 0) co_return;
    auto [ec2, m] = co_await asio::async_write(s, asio::buffer(buf, n), kNoThrow);
    if (ec2) co_return;
  }
}

awaitable<void> PingClient(tcp::socket& s, long rounds, int size) {
  std::vector<char> msg(size, 'x'), back(size);
  for (long i = 0; i < rounds; ++i) {
    auto [ec, n] = co_await asio::async_write(s, asio::buffer(msg), kNoThrow);
    if (ec) co_return;
    auto [ec2, m] = co_await asio::async_read(s, asio::buffer(back), kNoThrow);
    if (ec2) co_return;
  }
}

awaitable<void> Sender(tcp::socket& s, size_t payload, uint64_t messages) {
  std::vector<char> batch;
  size_t per_batch = uxcom::bench::BuildBatch(payload, &batch);
  uint64_t sent = 0;
  while (sent < messages) {
    if (per_batch == 1 && payload + uxcom::bench::kHeaderSize > uxcom::bench::kBatchBytes) {
      std::array<asio::const_buffer, 2> parts = {
          asio::buffer(batch.data(), uxcom::bench::kHeaderSize),
          asio::buffer(batch.data() + uxcom::bench::kHeaderSize, payload)};
      auto [ec, n] = co_await asio::async_write(s, parts, kNoThrow);
      if (ec) co_return;
      sent += 1;
    } else {
      uint64_t count = std::min<uint64_t>(per_batch, messages - sent);
      size_t bytes = count * (uxcom::bench::kHeaderSize + payload);
      auto [ec, n] = co_await asio::async_write(s, asio::buffer(batch.data(), bytes), kNoThrow);
      if (ec) co_return;
      sent += count;
    }
  }
}

awaitable<void> Receiver(tcp::socket& s, uint64_t messages, uint64_t* received) {
  std::vector<char> buf(uxcom::bench::kReadBytes);
  uxcom::bench::StreamParser parser;
  while (parser.messages() < messages) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), kNoThrow);
    if (ec || n == 0) break;
    parser.Feed(buf.data(), n);
  }
  *received += parser.messages();
}

}  // namespace

// Ping-pong: `n` clients on this thread's io_context, echo servers on another thread's.
// Fills *stats for `rounds` round trips per connection.
UXCOM_EXPORT void UXCOM_CAT(UXCOM_ASIO_NAME, _pingpong)(const int* client_fds,
                                                        const int* server_fds, int n, long rounds,
                                                        int size, uxcom::bench::RunStats* stats) {
  using uxcom::bench::ThreadUsage;
  asio::io_context server_ctx(1), client_ctx(1);
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(server_ctx, Echo(Adopt(server_ctx, server_fds[i])), asio::detached);
  }
  auto guard = asio::make_work_guard(server_ctx);
  std::thread server([&] {
    uxcom::bench::PinSide(1);
    ThreadUsage start = ThreadUsage::Now();
    server_ctx.run();
    ThreadUsage used = ThreadUsage::Now() - start;
    stats->cpu_b = used.cpu;
    stats->sleeps_b = used.sleeps;
  });
  std::vector<tcp::socket> clients;
  for (int i = 0; i < n; ++i) clients.push_back(Adopt(client_ctx, client_fds[i]));
  ThreadUsage a_start = ThreadUsage::Now();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(client_ctx, PingClient(clients[i], rounds, size), asio::detached);
  }
  client_ctx.run();
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ThreadUsage a_used = ThreadUsage::Now() - a_start;
  stats->cpu_a = a_used.cpu;
  stats->sleeps_a = a_used.sleeps;
  guard.reset();
  server_ctx.stop();
  server.join();
}

// Streaming: senders on this thread, receivers on another. Fills *stats for the time until the
// receivers have parsed `messages` messages per connection; *received gets the total.
UXCOM_EXPORT void UXCOM_CAT(UXCOM_ASIO_NAME,
                            _stream)(const int* send_fds, const int* recv_fds, int n, int payload,
                                     long messages, long* received, uxcom::bench::RunStats* stats) {
  using uxcom::bench::ThreadUsage;
  asio::io_context send_ctx(1), recv_ctx(1);
  std::vector<tcp::socket> senders, receivers;
  for (int i = 0; i < n; ++i) {
    senders.push_back(Adopt(send_ctx, send_fds[i]));
    receivers.push_back(Adopt(recv_ctx, recv_fds[i]));
  }
  uint64_t got = 0;
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(recv_ctx, Receiver(receivers[i], messages, &got), asio::detached);
  }
  // The receivers start first and wait for data, as uxcom's do.
  std::thread receiver([&] {
    uxcom::bench::PinSide(1);
    ThreadUsage b_start = ThreadUsage::Now();
    recv_ctx.run();
    ThreadUsage used = ThreadUsage::Now() - b_start;
    stats->cpu_b = used.cpu;
    stats->sleeps_b = used.sleeps;
  });
  ThreadUsage a_start = ThreadUsage::Now();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(send_ctx, Sender(senders[i], payload, messages), asio::detached);
  }
  send_ctx.run();
  ThreadUsage a_used = ThreadUsage::Now() - a_start;
  receiver.join();
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats->cpu_a = a_used.cpu;
  stats->sleeps_a = a_used.sleeps;
  *received = static_cast<long>(got);
}
