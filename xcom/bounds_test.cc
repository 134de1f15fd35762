// What strangers can make a node hold is bounded: inbound connections (in total and per source
// address), bytes of partially received frames across all connections, how long one frame may
// take to arrive, and (optionally) how long an inbound connection may stay silent. Each bound
// closes only the offending connections, with a counted, logged reason; the group's own
// traffic goes on. Timing on virtual time, so each deadline is checked to the nanosecond.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "net/testing.h"
#include "net/timer.h"
#include "xcom/testing/testing.h"
#include "xcom/transport.h"
#include "xdr/frame_header.h"
#include "xdr/negotiation.h"

namespace uxcom::xcom {
namespace {

using namespace std::chrono_literals;
using testing::AppMessage;
using testing::Group;
using testing::RawFrame;
using testing::RawPeer;
using testing::ReceiveWithin;
using xdr::ProtocolVersion;

std::vector<std::byte> Header(uint32_t length) {
  auto h = xdr::FrameHeaderBytes(
      {.version = ProtocolVersion::kX1_6, .length = length, .type = xdr::MessageType::kNormal});
  return {h.begin(), h.end()};
}

// Connects to `port` and negotiates x_1_6; nullptr (and a failed check) if it cannot.
net::Task<std::unique_ptr<RawPeer>> Negotiated(net::Executor& ex, uint16_t port) {
  absl::StatusOr<std::unique_ptr<RawPeer>> peer = co_await RawPeer::Connect(ex, port);
  REQUIRE(peer.ok());
  auto request = xdr::FrameHeaderBytes(xdr::VersionRequest(ProtocolVersion::kX1_6, 313));
  absl::Status wrote = co_await (*peer)->Write(request);
  REQUIRE(wrote.ok());
  absl::StatusOr<RawFrame> reply = co_await (*peer)->ReadFrame();
  REQUIRE(reply.ok());
  CHECK(reply->header.type == xdr::MessageType::kVersionReply);
  co_return *std::move(peer);
}

TEST_CASE("inbound connections beyond max_inbound_connections are closed at once") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) { o.max_inbound_connections = 3; });
  ex->BlockOn([&]() -> net::Task<void> {
    const uint16_t port = g[0].listen_address().port();
    std::vector<std::unique_ptr<RawPeer>> kept;
    for (int i = 0; i < 3; ++i) {
      std::unique_ptr<RawPeer> p = co_await Negotiated(*ex, port);
      kept.push_back(std::move(p));
    }
    // The fourth is accepted by the kernel and closed by the transport before any byte.
    absl::StatusOr<std::unique_ptr<RawPeer>> extra = co_await RawPeer::Connect(*ex, port);
    REQUIRE(extra.ok());
    absl::Status closed = co_await (*extra)->ExpectClosed(1s);
    CHECK_MESSAGE(!absl::IsDeadlineExceeded(closed), closed);
    CHECK(g[0].statistics().inbound_close(CloseReason::kTooManyConnections) == 1);
    CHECK(g.logs.Contains("3 inbound connections already (max_inbound_connections)"));
    // One of the three leaves: a new one is welcome again.
    kept.pop_back();
    bool gone = co_await testing::Eventually(
        [&] { return g[0].statistics().inbound_close(CloseReason::kPeerClosed) == 1; }, 1s);
    CHECK(gone);
    std::unique_ptr<RawPeer> again = co_await Negotiated(*ex, port);
    CHECK(again != nullptr);
    co_await g.Stop();
  }());
}

TEST_CASE("inbound connections beyond max_inbound_per_address from one address are closed") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 2, [](int, TransportOptions& o) { o.max_inbound_per_address = 2; });
  ex->BlockOn([&]() -> net::Task<void> {
    const uint16_t port = g[0].listen_address().port();
    // Node 1's connection to node 0 comes from 127.0.0.1 too: after one message it is there.
    absl::StatusOr<IncomingMessage> got = co_await g.Deliver(1, 0, "member");
    REQUIRE(got.ok());
    std::unique_ptr<RawPeer> second = co_await Negotiated(*ex, port);
    absl::StatusOr<std::unique_ptr<RawPeer>> third = co_await RawPeer::Connect(*ex, port);
    REQUIRE(third.ok());
    absl::Status closed = co_await (*third)->ExpectClosed(1s);
    CHECK_MESSAGE(!absl::IsDeadlineExceeded(closed), closed);
    CHECK(g[0].statistics().inbound_close(CloseReason::kTooManyConnections) == 1);
    CHECK(
        g.logs.Contains("2 inbound connections from 127.0.0.1 already (max_inbound_per_address)"));
    // The member's connection was not the one refused.
    co_await g[1].SendTo(g.sites[1], 0, AppMessage("still here"));
    got = co_await ReceiveWithin(g[0], 5s);
    CHECK(got.ok());
    co_await g.Stop();
  }());
}

TEST_CASE("a frame trickling in below min_frame_rate is cut off, however often a byte comes") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) {
    o.read_stall_timeout = 1s;
    o.min_frame_rate = 1000;  // bytes per second
  });
  ex->BlockOn([&]() -> net::Task<void> {
    std::unique_ptr<RawPeer> p = co_await Negotiated(*ex, g[0].listen_address().port());
    // A 10 000-byte body announced, then 10 bytes every 500 ms: the read stall timer (1 s)
    // never fires, but the frame must be complete within 1 s + (12 + 10 000) B / 1000 B/s.
    absl::Status wrote = co_await p->Write(Header(10'000));
    REQUIRE(wrote.ok());
    const net::TimePoint started = ex->Now();
    std::vector<std::byte> ten(10, std::byte{'x'});
    for (int i = 0; i < 100 && wrote.ok(); ++i) {
      absl::Status slept = co_await net::Sleep(500ms);
      REQUIRE(slept.ok());
      if (g[0].statistics().inbound_close(CloseReason::kFrameTooSlow) != 0) break;
      wrote = co_await p->Write(ten);
    }
    CHECK(g[0].statistics().inbound_close(CloseReason::kFrameTooSlow) == 1);
    CHECK(g[0].statistics().inbound_close(CloseReason::kReadStalled) == 0);
    std::vector<net::TimePoint> closed = g.logs.Times("frame_too_slow");
    REQUIRE(closed.size() == 1);
    // The header was read when the first Fill after it began: the deadline counts from there.
    CHECK(closed[0] - started == 1s + 10'012ms);
    co_await g.Stop();
  }());
}

TEST_CASE("a frame arriving at min_frame_rate or faster is never cut off") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) {
    o.read_stall_timeout = 1s;
    o.min_frame_rate = 1000;
  });
  ex->BlockOn([&]() -> net::Task<void> {
    std::unique_ptr<RawPeer> p = co_await Negotiated(*ex, g[0].listen_address().port());
    std::vector<std::byte> frame = testing::StrangerFrame(3000);
    // 600 bytes every 500 ms: 1200 B/s, slower than the network, faster than the minimum.
    for (size_t at = 0; at < frame.size(); at += 600) {
      std::span<const std::byte> piece =
          std::span<const std::byte>(frame).subspan(at, std::min<size_t>(600, frame.size() - at));
      absl::Status wrote = co_await p->Write(piece);
      REQUIRE(wrote.ok());
      absl::Status slept = co_await net::Sleep(500ms);
      REQUIRE(slept.ok());
    }
    absl::StatusOr<IncomingMessage> got = co_await ReceiveWithin(g[0], 5s);
    CHECK(got.ok());
    CHECK(g[0].statistics().inbound_close(CloseReason::kFrameTooSlow) == 0);
    co_await g.Stop();
  }());
}

TEST_CASE("an inbound connection silent for inbound_idle_timeout is closed; a chatty one stays") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) { o.inbound_idle_timeout = 2s; });
  ex->BlockOn([&]() -> net::Task<void> {
    const uint16_t port = g[0].listen_address().port();
    std::unique_ptr<RawPeer> silent = co_await Negotiated(*ex, port);
    const net::TimePoint negotiated = ex->Now();
    std::unique_ptr<RawPeer> chatty = co_await Negotiated(*ex, port);
    std::vector<std::byte> frame = testing::StrangerFrame(10);
    for (int i = 0; i < 6; ++i) {  // a frame every second for 6 s
      absl::Status wrote = co_await chatty->Write(frame);
      REQUIRE(wrote.ok());
      absl::StatusOr<IncomingMessage> got = co_await ReceiveWithin(g[0], 5s);
      CHECK(got.ok());
      absl::Status slept = co_await net::Sleep(1s);
      REQUIRE(slept.ok());
    }
    absl::Status closed = co_await silent->ExpectClosed(1s);
    CHECK(closed.ok());
    CHECK(g[0].statistics().inbound_close(CloseReason::kInboundIdle) == 1);
    std::vector<net::TimePoint> at = g.logs.Times("inbound_idle: no byte for 2000 ms");
    REQUIRE(at.size() == 1);
    CHECK(at[0] - negotiated == 2s);
    co_await g.Stop();
  }());
}

TEST_CASE("inbound connections are never idle-closed by default") {
  TransportOptions defaults;
  CHECK(defaults.inbound_idle_timeout == net::Duration::zero());
}

TEST_CASE(
    "past max_partial_frame_bytes the connection holding the most is closed; the others "
    "finish their frames") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) {
    o.read_buffer_size = 64 * 1024;
    o.max_frame_body = 1 << 20;
    o.max_partial_frame_bytes = 1 << 20;
    o.min_frame_rate = 0;
    o.read_stall_timeout = 60s;
  });
  ex->BlockOn([&]() -> net::Task<void> {
    const uint16_t port = g[0].listen_address().port();
    std::unique_ptr<RawPeer> big = co_await Negotiated(*ex, port);
    std::unique_ptr<RawPeer> small = co_await Negotiated(*ex, port);
    std::vector<std::byte> big_frame = testing::StrangerFrame(1000 * 1024);
    std::vector<std::byte> small_frame = testing::StrangerFrame(300 * 1024);
    // `big` sends 900 KiB of its frame (its buffer grows to 1 MiB: 960 KiB held), `small`
    // 250 KiB of its own (512 KiB: 448 KiB held): together past the 1 MiB budget.
    absl::Status wrote = co_await big->Write(std::span(big_frame).first(900 * 1024));
    REQUIRE(wrote.ok());
    co_await net::Sleep(10ms);
    CHECK(g[0].statistics().inbound_close(CloseReason::kPartialFramesOverBudget) == 0);
    wrote = co_await small->Write(std::span(small_frame).first(250 * 1024));
    REQUIRE(wrote.ok());
    absl::Status closed = co_await big->ExpectClosed(1s);
    CHECK_MESSAGE(!absl::IsDeadlineExceeded(closed), closed);
    CHECK(g[0].statistics().inbound_close(CloseReason::kPartialFramesOverBudget) == 1);
    CHECK(g.logs.Contains("above max_partial_frame_bytes 1048576"));
    // `small` finishes its frame, which is delivered.
    wrote = co_await small->Write(std::span(small_frame).subspan(250 * 1024));
    REQUIRE(wrote.ok());
    absl::StatusOr<IncomingMessage> got = co_await ReceiveWithin(g[0], 5s);
    CHECK(got.ok());
    CHECK(g[0].statistics().inbound_close(CloseReason::kPartialFramesOverBudget) == 1);
    co_await g.Stop();
  }());
}

TEST_CASE("max_partial_frame_bytes below max_frame_body is refused at Create") {
  auto ex = net::testing::NewVirtualExecutor();
  testing::LogCapture logs;
  TransportOptions o = testing::LoopbackOptions(testing::ReservePort(), logs, "node0");
  o.max_frame_body = 1 << 20;
  o.max_partial_frame_bytes = 1 << 19;
  absl::StatusOr<std::unique_ptr<Transport>> t = Transport::Create(*ex, o);
  CHECK(absl::IsInvalidArgument(t.status()));
}

}  // namespace
}  // namespace uxcom::xcom
