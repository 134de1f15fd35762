// Hostile and broken peers: each one costs only its own connection, with a logged reason, and
// every other connection keeps working.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/testing.h"
#include "net/timer.h"
#include "xcom/testing/testing.h"
#include "xcom/transport.h"
#include "xdr/encode.h"
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

std::vector<std::byte> Concat(std::initializer_list<std::span<const std::byte>> parts) {
  std::vector<std::byte> out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<std::byte> Request(ProtocolVersion v = ProtocolVersion::kX1_6) {
  auto h = xdr::FrameHeaderBytes(xdr::VersionRequest(v, 313));
  return {h.begin(), h.end()};
}

std::vector<std::byte> NormalFrame(ProtocolVersion v, xdr::PaxMsg msg) {
  msg.delivered_msg = xdr::SynodeNo{};  // what every version from x_1_2 (x_1_4) carries
  msg.event_horizon = 0;
  std::vector<std::byte> out;
  REQUIRE(xdr::AppendFrame(v, msg, out).ok());
  return out;
}

std::vector<std::byte> Header(ProtocolVersion v, uint32_t length, xdr::MessageType type) {
  auto h = xdr::FrameHeaderBytes({.version = v, .length = length, .type = type});
  return {h.begin(), h.end()};
}

struct Case {
  const char* name;
  CloseReason reason;
  // What the bad peer writes after connecting (it negotiates first where `negotiate`).
  bool negotiate;
  std::vector<std::byte> bytes;
  bool then_stall = false;  // keep the connection open instead of closing the write side
};

std::vector<Case> BadPeers() {
  xdr::PaxMsg msg = AppMessage("payload");
  std::vector<std::byte> good = NormalFrame(ProtocolVersion::kX1_6, msg);
  std::vector<std::byte> truncated(good.begin(), good.end() - 5);
  std::vector<std::byte> garbage_body =
      Header(ProtocolVersion::kX1_6, 16, xdr::MessageType::kNormal);
  for (int i = 0; i < 16; ++i) garbage_body.push_back(std::byte{0xff});
  return {
      {"garbage before any frame", CloseReason::kNotNegotiated, false,
       testing::Bytes("GET / HTTP/1.1\r\nHost: example\r\n\r\n")},
      {"a normal frame before negotiation", CloseReason::kNotNegotiated, false, good},
      {"a frame of another version than negotiated", CloseReason::kVersionMismatch, true,
       NormalFrame(ProtocolVersion::kX1_4, msg)},
      {"a body that does not decode", CloseReason::kMalformedFrame, true, garbage_body},
      {"a zero-length normal frame", CloseReason::kMalformedFrame, true,
       Header(ProtocolVersion::kX1_6, 0, xdr::MessageType::kNormal)},
      {"a length above max_frame_body", CloseReason::kFrameTooLarge, true,
       Header(ProtocolVersion::kX1_6, 0xFFFFFFF0u, xdr::MessageType::kNormal)},
      {"a frame cut short by the peer closing", CloseReason::kTruncatedFrame, true, truncated},
      {"a frame that stops arriving", CloseReason::kReadStalled, true, truncated, true},
  };
}

TEST_CASE("each kind of bad inbound peer closes only its own connection, with a logged reason") {
  auto ex = net::testing::NewVirtualExecutor();
  for (const Case& c : BadPeers()) {
    CAPTURE(std::string(c.name));
    Group g(*ex, 2, [](int, TransportOptions& o) {
      o.read_stall_timeout = 200ms;
      o.max_frame_body = 1 << 20;
    });
    ex->BlockOn([&]() -> net::Task<void> {
      // A healthy connection first.
      absl::StatusOr<IncomingMessage> awaited = co_await g.Deliver(0, 1, "before");
      REQUIRE(awaited.ok());

      uint16_t port = g[1].listen_address().port();
      absl::StatusOr<std::unique_ptr<RawPeer>> bad = co_await RawPeer::Connect(*ex, port);
      REQUIRE(bad.ok());
      if (c.negotiate) {
        auto wrote = co_await (*bad)->Write(Request());
        REQUIRE(wrote.ok());
        auto frame_read = co_await (*bad)->ReadFrame();
        REQUIRE(frame_read.ok());
      }
      auto wrote2 = co_await (*bad)->Write(c.bytes);
      REQUIRE(wrote2.ok());
      const net::TimePoint wrote_at = ex->Now();
      if (!c.then_stall) REQUIRE((*bad)->stream().ShutdownWrite().ok());
      auto peer_closed = co_await (*bad)->ExpectClosed(5s);
      CHECK(peer_closed.ok());
      // Closed as soon as the bytes are judged; a stalled frame exactly read_stall_timeout
      // after its last bytes arrived.
      CHECK(ex->Now() - wrote_at == (c.then_stall ? 200ms : 0ms));
      CHECK(g[1].statistics().inbound_close(c.reason) == 1);
      CHECK(g.logs.Contains(absl::StrCat("inbound connection from 127.0.0.1:")));
      CHECK(g.logs.Contains(CloseReasonName(c.reason)));
      CHECK(g[1].TryReceive() == std::nullopt);  // nothing from the bad peer was delivered

      // The healthy connection still works, both ways.
      absl::StatusOr<IncomingMessage> after = co_await g.Deliver(0, 1, "after");
      REQUIRE(after.ok());
      CHECK(after->origin() == MessageOrigin::kInbound);
      co_await g[1].SendTo(g.sites[1], 0, AppMessage("back"));
      auto awaited2 = co_await ReceiveWithin(g[0], 5s);
      CHECK(awaited2.ok());
      CHECK(g[0].statistics().outbound_close(CloseReason::kIoError) == 0);
      co_await g.Stop();
    }());
  }
}

TEST_CASE("a connection that never negotiates is closed after negotiation_timeout") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) { o.negotiation_timeout = 150ms; });
  ex->BlockOn([&]() -> net::Task<void> {
    const net::TimePoint connected = ex->Now();
    absl::StatusOr<std::unique_ptr<RawPeer>> idle =
        co_await RawPeer::Connect(*ex, g[0].listen_address().port());
    REQUIRE(idle.ok());
    auto peer_closed = co_await (*idle)->ExpectClosed(3s);
    CHECK(peer_closed.ok());
    CHECK(ex->Now() - connected == 150ms);
    CHECK(g[0].statistics().inbound_close(CloseReason::kNegotiationTimeout) == 1);
    co_await g.Stop();
  }());
}

TEST_CASE("a frame of an unknown type is skipped with its body and the stream stays in sync") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 1);
  ex->BlockOn([&]() -> net::Task<void> {
    absl::StatusOr<std::unique_ptr<RawPeer>> c =
        co_await RawPeer::Connect(*ex, g[0].listen_address().port());
    REQUIRE(c.ok());
    auto wrote = co_await (*c)->Write(Request());
    REQUIRE(wrote.ok());
    auto frame_read = co_await (*c)->ReadFrame();
    REQUIRE(frame_read.ok());
    std::vector<std::byte> unknown = Header(ProtocolVersion::kX1_6, 8, xdr::MessageType{7});
    unknown.resize(unknown.size() + 8, std::byte{0xee});
    std::vector<std::byte> good = NormalFrame(ProtocolVersion::kX1_6, AppMessage("in sync"));
    std::vector<std::byte> both = Concat({unknown, good});  // not inside co_await (GCC 12)
    auto wrote2 = co_await (*c)->Write(both);
    REQUIRE(wrote2.ok());
    absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(g[0], 5s);
    REQUIRE(in.ok());
    CHECK(std::get<xdr::Bytes>(in->msg().a[0].body.arm) == "in sync");
    CHECK(g[0].statistics().ignored_control_frames == 1);
    co_await g.Stop();
  }());
}

TEST_CASE("bytes after the pax_msg inside a frame are accepted, counted and reported") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 1);
  ex->BlockOn([&]() -> net::Task<void> {
    absl::StatusOr<std::unique_ptr<RawPeer>> c =
        co_await RawPeer::Connect(*ex, g[0].listen_address().port());
    REQUIRE(c.ok());
    auto wrote = co_await (*c)->Write(Request());
    REQUIRE(wrote.ok());
    auto frame_read = co_await (*c)->ReadFrame();
    REQUIRE(frame_read.ok());
    std::vector<std::byte> frame = NormalFrame(ProtocolVersion::kX1_6, AppMessage("t"));
    frame.resize(frame.size() + 8, std::byte{0});
    xdr::StoreBigEndian32(&frame[4], static_cast<uint32_t>(frame.size() - xdr::kFrameHeaderSize));
    auto wrote2 = co_await (*c)->Write(frame);
    REQUIRE(wrote2.ok());
    absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(g[0], 5s);
    REQUIRE(in.ok());
    CHECK(in->trailing_bytes() == 8);
    CHECK(g[0].statistics().trailing_byte_frames == 1);
    co_await g.Stop();
  }());
}

TEST_CASE("the accept callback sees each connection first and can refuse it") {
  auto ex = net::testing::NewVirtualExecutor();
  std::vector<std::string> seen;
  bool allow = false;
  Group g(*ex, 2, [&](int node, TransportOptions& o) {
    if (node == 1) {
      o.accept_callback = [&](const AcceptInfo& a) {
        seen.push_back(a.peer.HostString());
        CHECK(a.fd >= 0);
        CHECK(a.latest_site != nullptr);
        return allow;
      };
    }
  });
  ex->BlockOn([&]() -> net::Task<void> {
    co_await g[0].SendTo(g.sites[0], 1, AppMessage("refused"));
    bool settled =
        co_await testing::Eventually([&] { return g[1].statistics().accepts_rejected >= 2; }, 5s);
    CHECK(settled);
    CHECK(g[1].TryReceive() == std::nullopt);
    CHECK(seen.front() == "127.0.0.1");
    CHECK(g.logs.Contains("rejected by the accept callback"));
    // The dialler keeps retrying with back-off; once allowed, the queued message arrives
    // (it is younger than disconnected_message_ttl).
    allow = true;
    absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(g[1], 5s);
    REQUIRE(in.ok());
    CHECK(std::get<xdr::Bytes>(in->msg().a[0].body.arm) == "refused");
    co_await g.Stop();
  }());
}

TEST_CASE("an embedder that stops receiving pauses the readers; nothing is lost or cut off") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 2, [](int node, TransportOptions& o) {
    if (node == 1) {
      o.inbox_limit = 4;
      o.read_stall_timeout = 300ms;
    }
  });
  ex->BlockOn([&]() -> net::Task<void> {
    constexpr int kMessages = 300;
    // 1000-byte payloads, each numbered: the reader's buffer ends in the middle of a frame most
    // of the time.
    auto payload = [](int i) {
      return absl::StrCat(absl::Dec(i, absl::kZeroPad5), std::string(995, 'a' + i % 26));
    };
    for (int i = 0; i < kMessages; ++i) {
      co_await g[0].SendTo(g.sites[0], 1, AppMessage(payload(i)));
    }
    int received = 0;
    int intact = 0;  // received whole, in order
    for (; received < kMessages; ++received) {
      if (received == 100) {
        // Node 1's embedder gets busy elsewhere while its reader holds part of a frame.
        absl::Status slept = co_await net::Sleep(1s);
        REQUIRE(slept.ok());
      }
      absl::StatusOr<IncomingMessage> m = co_await ReceiveWithin(g[1], 5s);
      if (!m.ok()) break;
      const xdr::Bytes& got = std::get<xdr::Bytes>(m->msg().a[0].body.arm);
      if (got == payload(received)) ++intact;
    }
    CHECK(received == kMessages);
    CHECK(intact == kMessages);  // every message, byte for byte, in the order sent
    CHECK(g[1].TryReceive() == std::nullopt);
    CHECK(g[1].statistics().inbound_close(CloseReason::kReadStalled) == 0);
    CHECK(g[0].statistics().outbound_close(CloseReason::kPeerClosed) == 0);
    co_await g.Stop();
  }());
}

TEST_CASE("a peer that stops reading is cut off after write_stall_timeout; others keep going") {
  auto ex = net::testing::NewVirtualExecutor();
  testing::RawListener sink(*ex);
  testing::LogCapture logs;
  logs.StampWith(*ex);
  TransportOptions o = testing::LoopbackOptions(testing::ReservePort(), logs, "node0");
  o.write_stall_timeout = 300ms;
  std::unique_ptr<Transport> t = *Transport::Create(*ex, o);
  REQUIRE(t->Start().ok());
  Group healthy(*ex, 1);
  SiteId site = *t->InstallSite(Site{.group_id = 1,
                                     .nodeno = 0,
                                     .nodes = {{.address = o.self_address},
                                               {.address = sink.address()},
                                               {.address = healthy.addresses[0]}}});
  ex->BlockOn([&]() -> net::Task<void> {
    std::string big(4 << 20, 'x');
    for (int i = 0; i < 16; ++i) co_await t->SendTo(site, 1, AppMessage(big));
    std::unique_ptr<RawPeer> c = co_await sink.Accept();
    absl::StatusOr<RawFrame> req = co_await c->ReadFrame();
    REQUIRE(req.ok());
    auto replied = co_await c->Write(
        xdr::FrameHeaderBytes(xdr::VersionReply(ProtocolVersion::kX1_6, req->header.tag)));
    REQUIRE(replied.ok());
    // Negotiated now: the pump writes until the socket buffers are full, all at this instant.
    const net::TimePoint stalled_from = ex->Now();
    // The sink never reads again. Meanwhile node 2 is served as usual.
    for (int i = 0; i < 5; ++i) {
      co_await t->SendTo(site, 2, AppMessage("fine"));
      auto awaited = co_await ReceiveWithin(healthy[0], 5s);
      CHECK(awaited.ok());
    }
    bool settled = co_await testing::Eventually(
        [&] { return t->statistics().outbound_close(CloseReason::kWriteStalled) == 1; }, 5s);
    CHECK(settled);
    // Cut off exactly write_stall_timeout after the write that never completed began.
    // Cut off exactly write_stall_timeout after the write that never completed began. (That
    // write begins once TCP has filled the peer's window, which can take TCP's own timers a
    // little real time, hence virtual time, after the reply.)
    CHECK(logs.Contains("write_stalled: no progress for 300 ms"));
    std::vector<net::TimePoint> closed = logs.Times("write_stalled");
    REQUIRE(closed.size() == 1);
    CHECK(closed[0] - stalled_from >= 300ms);
    co_await t->Stop();
    co_await healthy.Stop();
  }());
}

TEST_CASE(
    "a peer that never reads our answers is closed as write_stalled, not read_stalled, even "
    "with a frame of its own half-read") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) {
    o.write_stall_timeout = 300ms;
    o.read_stall_timeout = 200ms;  // shorter: a reader blamed for the write would fire first
  });
  ex->BlockOn([&]() -> net::Task<void> {
    absl::StatusOr<std::unique_ptr<RawPeer>> p =
        co_await RawPeer::Connect(*ex, g[0].listen_address().port());
    REQUIRE(p.ok());
    // 2 million version requests (each answered with 12 bytes the peer never reads: more than
    // both kernels buffer), then the first 5 bytes of one more frame.
    std::vector<std::byte> requests;
    std::vector<std::byte> one = Request();
    for (int i = 0; i < 2'000'000; ++i) requests.insert(requests.end(), one.begin(), one.end());
    requests.insert(requests.end(), one.begin(), one.begin() + 5);
    net::Task<absl::Status> writing = (*p)->Write(requests);  // blocks too: we stop reading
    absl::Status wrote = co_await net::WithTimeout(10s, std::move(writing));
    (void)wrote;  // reset by the close, or still blocked: either way the transport decided
    bool closed = co_await testing::Eventually(
        [&] {
          TransportStatistics::Snapshot s = g[0].statistics();
          return s.inbound_close(CloseReason::kWriteStalled) +
                     s.inbound_close(CloseReason::kReadStalled) !=
                 0;
        },
        10s);
    CHECK(closed);
    CHECK(g[0].statistics().inbound_close(CloseReason::kWriteStalled) == 1);
    CHECK(g[0].statistics().inbound_close(CloseReason::kReadStalled) == 0);
    co_await g.Stop();
  }());
}

}  // namespace
}  // namespace uxcom::xcom
