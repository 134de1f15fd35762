// Protocol negotiation, against other transports and against hand-driven peers whose bytes
// are MySQL 8.0.18's (the golden negotiation frames of test/vectors).
#include "xdr/negotiation.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/listener.h"
#include "net/testing.h"
#include "net/timer.h"
#include "test/vectors/golden_vectors.h"
#include "xcom/testing/testing.h"
#include "xcom/transport.h"
#include "xdr/frame_header.h"

namespace uxcom::xcom {
namespace {

using namespace std::chrono_literals;
using testing::AppMessage;
using testing::Group;
using testing::RawFrame;
using testing::RawPeer;
using testing::ReceiveWithin;
using xdr::ProtocolVersion;

ProtocolVersion V(int v) { return static_cast<ProtocolVersion>(v); }

std::string Folder(int v) { return absl::StrCat("v1_", v - 1); }

std::vector<std::byte> Golden(int v, const char* name) {
  return uxcom::testing::ReadVector(absl::StrCat(Folder(v), "/", name, ".bin"));
}

TEST_CASE("every pairing of maximums x_1_0 … x_1_6 negotiates the lower one, both ways") {
  auto ex = net::testing::NewExecutor();
  for (int a = 1; a <= 7; ++a) {
    for (int b = 1; b <= 7; ++b) {
      CAPTURE(a);
      CAPTURE(b);
      Group g(*ex, 2, [&](int node, TransportOptions& o) { o.max_version = V(node == 0 ? a : b); });
      ex->BlockOn([&]() -> net::Task<void> {
        co_await g[0].SendTo(g.sites[0], 1, AppMessage("a->b"));
        co_await g[1].SendTo(g.sites[1], 0, AppMessage("b->a"));
        absl::StatusOr<IncomingMessage> at_b = co_await ReceiveWithin(g[1], 5s);
        absl::StatusOr<IncomingMessage> at_a = co_await ReceiveWithin(g[0], 5s);
        REQUIRE(at_b.ok());
        REQUIRE(at_a.ok());
        // Each side read a frame of exactly the version both speak, decoded as that version.
        CHECK(at_b->version() == V(std::min(a, b)));
        CHECK(at_a->version() == V(std::min(a, b)));
        std::optional<PeerInfo> a_to_b = g[0].peer(g.addresses[1]);
        REQUIRE(a_to_b.has_value());
        CHECK(a_to_b->state == PeerConnectionState::kNegotiated);
        CHECK(a_to_b->version == V(std::min(a, b)));
        CHECK(a_to_b->last_tag == xdr::kFirstNegotiationTag);
        co_await g.Stop();
      }());
    }
  }
}

TEST_CASE("nodes with no version in common refuse each other and keep trying with new tags") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 2, [](int node, TransportOptions& o) {
    if (node == 0) {
      o.min_version = ProtocolVersion::kX1_4;
    } else {
      o.max_version = ProtocolVersion::kX1_2;
    }
  });
  ex->BlockOn([&]() -> net::Task<void> {
    co_await g[0].SendTo(g.sites[0], 1, AppMessage("x"));
    co_await g[1].SendTo(g.sites[1], 0, AppMessage("y"));
    absl::Status slept = co_await net::Sleep(1s);
    REQUIRE(slept.ok());
    CHECK(g[0].statistics().outbound_close(CloseReason::kNegotiationRefused) >= 3);
    CHECK(g[1].statistics().outbound_close(CloseReason::kNegotiationRefused) >= 3);
    CHECK(g.logs.Contains("negotiation_refused: peer answered x_1_2 (3)"));
    CHECK(g.logs.Contains("negotiation_refused: peer answered x_unknown_proto (0)"));
    // Each redial sends the next tag, on the wire and in PeerInfo.
    std::vector<std::string> requests =
        g.logs.Lines(absl::StrCat("[node0] DEBUG: Sent negotiation request"));
    REQUIRE(requests.size() >= 3);
    for (size_t i = 0; i < 3; ++i) {
      CHECK(requests[i].find(absl::StrCat(" tag ", 313 + i, " to ", g.addresses[1])) !=
            std::string::npos);
    }
    std::optional<PeerInfo> p = g[0].peer(g.addresses[1]);
    REQUIRE(p.has_value());
    CHECK(p->last_tag == 313 + requests.size() - 1);
    CHECK(g[0].statistics().negotiations == 0);
    // Nothing was ever delivered either way.
    CHECK(g[0].TryReceive() == std::nullopt);
    CHECK(g[1].TryReceive() == std::nullopt);
    co_await g.Stop();
  }());
}

TEST_CASE("a peer that accepts and then refuses every negotiation is redialled with back-off") {
  auto ex = net::testing::NewVirtualExecutor();
  const Backoff backoff{.initial = 100ms, .increase = 300ms, .max = 1s};
  Group g(*ex, 2, [&](int node, TransportOptions& o) {
    o.backoff = backoff;
    if (node == 0) {
      o.min_version = ProtocolVersion::kX1_4;
    } else {
      o.max_version = ProtocolVersion::kX1_2;
    }
  });
  ex->BlockOn([&]() -> net::Task<void> {
    co_await g[0].SendTo(g.sites[0], 1, AppMessage("x"));
    absl::Status slept = co_await net::Sleep(3500ms);
    REQUIRE(slept.ok());
    // Each attempt connects and is refused at once; the next waits 0.1 s, then 0.1 + 0.3 s,
    // 0.4 + 0.3 s, then the 1 s maximum: dials at 0, 0.1, 0.5, 1.2, 2.2 and 3.2 s.
    std::vector<net::TimePoint> dials =
        g.logs.Times(absl::StrCat("[node0] DEBUG: Connecting to ", g.addresses[1]));
    REQUIRE(!dials.empty());
    const std::vector<net::Duration> want = {0ms, 100ms, 500ms, 1200ms, 2200ms, 3200ms};
    CHECK(testing::Since(dials.front(), dials) == want);
    const uint64_t refused = g[0].statistics().outbound_close(CloseReason::kNegotiationRefused);
    CHECK(refused == want.size());
    // Each attempt connected and was refused. Meanwhile the message waited, and expired
    // exactly disconnected_message_ttl (2 s) after it was queued, between two dials.
    std::optional<PeerInfo> p = g[0].peer(g.addresses[1]);
    REQUIRE(p.has_value());
    CHECK(p->connects == refused);
    CHECK(p->queued == 0);
    CHECK(p->messages_dropped == 1);
    CHECK(g[0].statistics().drop(DropReason::kExpiredDisconnected) == 1);
    CHECK(g.logs.Times("[node0] DEBUG: Dropped 1 messages queued for") ==
          std::vector<net::TimePoint>{dials.front() + 2s});
    co_await g.Stop();
  }());
}

// A transport (node 0) whose site lists a raw listener as node 1.
struct Dialer {
  testing::LogCapture logs;
  std::unique_ptr<Transport> t;
  SiteId site = 0;

  Dialer(net::Executor& ex, const std::string& peer,
         std::function<void(TransportOptions&)> customize = {}) {
    logs.StampWith(ex);
    uint16_t port = testing::ReservePort();
    TransportOptions base = testing::LoopbackOptions(port, logs, "node0");
    if (customize) customize(base);
    t = *Transport::Create(ex, base);
    REQUIRE(t->Start().ok());
    site = *t->InstallSite(Site{
        .group_id = 7, .nodeno = 0, .nodes = {{.address = base.self_address}, {.address = peer}}});
  }
};

// The schedule is measured where the dials arrive: the raw peer notes the executor's Now() as it
// accepts each connection, answers its version request with x_unknown_proto (0), and waits for
// the transport to hang up. The back-off wait starts after that refusal; on virtual time (which
// stands still while I/O completes) the gap between two accepts is exactly the wait.
TEST_CASE(
    "a peer that accepts and then refuses every negotiation is redialled on the back-off "
    "schedule, each time with the next tag") {
  const Backoff backoff{.initial = 50ms, .multiplier = 2.0, .increase = 50ms, .max = 600ms};
  auto ex = net::testing::NewVirtualExecutor();
  testing::RawListener peer(*ex);
  Dialer d(*ex, peer.address(), [&](TransportOptions& o) {
    o.backoff = backoff;
    o.disconnected_message_ttl = 30s;  // the message outlives every redial
  });
  ex->BlockOn([&]() -> net::Task<void> {
    co_await d.t->SendTo(d.site, 1, AppMessage("x"));
    constexpr int kDials = 6;  // waits of 50, 150, 350, 600 (capped from 750) and 600 ms
    std::vector<net::TimePoint> dialled;
    std::vector<uint32_t> tags;
    for (int i = 0; i < kDials; ++i) {
      std::unique_ptr<RawPeer> c = co_await peer.Accept(5s);
      dialled.push_back(ex->Now());
      absl::StatusOr<RawFrame> request = co_await c->ReadFrame();
      REQUIRE(request.ok());
      tags.push_back(request->header.tag);
      auto refuse = xdr::FrameHeaderBytes(xdr::VersionReply(V(0), request->header.tag));
      absl::Status wrote = co_await c->Write(refuse);
      REQUIRE(wrote.ok());
      absl::Status closed = co_await c->ExpectClosed();
      CHECK(closed.ok());
    }
    CHECK(tags[0] == xdr::kFirstNegotiationTag);
    net::Duration wait = backoff.initial;
    for (int k = 1; k < kDials; ++k) {
      const net::Duration gap = dialled[k] - dialled[k - 1];
      const auto ms = [](net::Duration x) {
        return std::chrono::duration<double, std::milli>(x).count();
      };
      CAPTURE(k);
      INFO("gap ", ms(gap), " ms, back-off wait ", ms(wait), " ms");
      CHECK(gap == wait);
      CHECK(tags[k] == xdr::NextNegotiationTag(tags[k - 1]));
      wait = backoff.Next(wait);
    }
    CHECK(d.t->statistics().outbound_close(CloseReason::kNegotiationRefused) == kDials);
    std::optional<PeerInfo> p = d.t->peer(peer.address());
    REQUIRE(p.has_value());
    CHECK(p->connects == kDials);
    CHECK(p->messages_dropped == 0);  // the message waits for a connection (younger than TTL)
    co_await d.t->Stop();
  }());
}

TEST_CASE("the dialling side sends 8.0.18's version request bytes, tag 313 then 314 per redial") {
  auto ex = net::testing::NewExecutor();
  testing::RawListener peer(*ex);
  Dialer d(*ex, peer.address());
  ex->BlockOn([&]() -> net::Task<void> {
    co_await d.t->SendTo(d.site, 1, AppMessage("first"));
    std::unique_ptr<RawPeer> c1 = co_await peer.Accept();
    absl::StatusOr<RawFrame> req = co_await c1->ReadFrame();
    REQUIRE(req.ok());
    CHECK(req->bytes == Golden(7, "neg_version_req_tag313"));
    // Nothing else may be written before the reply.
    c1->stream().Close();
    co_await d.t->SendTo(d.site, 1, AppMessage("second"));
    std::unique_ptr<RawPeer> c2 = co_await peer.Accept();
    absl::StatusOr<RawFrame> req2 = co_await c2->ReadFrame();
    REQUIRE(req2.ok());
    CHECK(req2->bytes == Golden(7, "neg_version_req_tag314"));
    co_await d.t->Stop();
  }());
}

TEST_CASE("a reply with a stale tag is ignored; the matching one sets the connection's version") {
  auto ex = net::testing::NewExecutor();
  for (int v = 1; v <= 7; ++v) {
    CAPTURE(v);
    testing::RawListener peer(*ex);
    Dialer d(*ex, peer.address());
    ex->BlockOn([&]() -> net::Task<void> {
      co_await d.t->SendTo(d.site, 1, AppMessage("hello"));
      std::unique_ptr<RawPeer> c = co_await peer.Accept();
      auto frame_read = co_await c->ReadFrame();
      REQUIRE(frame_read.ok());
      auto stale = xdr::FrameHeaderBytes(xdr::VersionReply(V(v), 999));
      auto wrote = co_await c->Write(stale);
      REQUIRE(wrote.ok());
      // 8.0.18's reply bytes for version v, tag 313.
      auto wrote2 = co_await c->Write(Golden(v, "neg_version_reply_tag313"));
      REQUIRE(wrote2.ok());
      absl::StatusOr<RawFrame> msg = co_await c->ReadFrame();
      REQUIRE(msg.ok());
      CHECK(msg->header.type == xdr::MessageType::kNormal);
      CHECK(msg->header.version == V(v));
      CHECK(msg->header.tag == 0);
      CHECK(d.t->statistics().ignored_control_frames == 1);
      co_await d.t->Stop();
    }());
  }
}

TEST_CASE("a reply of version 0 or above our maximum fails the connection, which is redialled") {
  auto ex = net::testing::NewExecutor();
  for (int bad : {0, 8}) {
    CAPTURE(bad);
    testing::RawListener peer(*ex);
    Dialer d(*ex, peer.address());
    ex->BlockOn([&]() -> net::Task<void> {
      co_await d.t->SendTo(d.site, 1, AppMessage("hello"));
      std::unique_ptr<RawPeer> c = co_await peer.Accept();
      auto frame_read = co_await c->ReadFrame();
      REQUIRE(frame_read.ok());
      auto wrote = co_await c->Write(xdr::FrameHeaderBytes(xdr::VersionReply(V(bad), 313)));
      REQUIRE(wrote.ok());
      auto peer_closed = co_await c->ExpectClosed();
      CHECK(peer_closed.ok());
      std::unique_ptr<RawPeer> again = co_await peer.Accept();
      absl::StatusOr<RawFrame> req = co_await again->ReadFrame();
      REQUIRE(req.ok());
      CHECK(req->header.tag == 314);
      CHECK(d.t->statistics().outbound_close(CloseReason::kNegotiationRefused) == 1);
      co_await d.t->Stop();
    }());
  }
}

TEST_CASE("a peer that never answers the version request is dropped after negotiation_timeout") {
  auto ex = net::testing::NewVirtualExecutor();
  testing::RawListener peer(*ex);
  Dialer d(*ex, peer.address(), [](TransportOptions& o) { o.negotiation_timeout = 200ms; });
  ex->BlockOn([&]() -> net::Task<void> {
    co_await d.t->SendTo(d.site, 1, AppMessage("hello"));
    std::unique_ptr<RawPeer> c = co_await peer.Accept();
    const net::TimePoint connected = ex->Now();
    auto frame_read = co_await c->ReadFrame();
    REQUIRE(frame_read.ok());
    auto peer_closed = co_await c->ExpectClosed(3s);
    CHECK(peer_closed.ok());
    CHECK(ex->Now() - connected == 200ms);  // exactly negotiation_timeout after connecting
    CHECK(d.t->statistics().outbound_close(CloseReason::kNegotiationTimeout) == 1);
    CHECK(d.logs.Times("negotiation_timeout") == std::vector<net::TimePoint>{connected + 200ms});
    co_await d.t->Stop();
  }());
}

TEST_CASE("a version request on our own outbound connection is answered but negotiates nothing") {
  auto ex = net::testing::NewVirtualExecutor();
  testing::RawListener peer(*ex);
  Dialer d(*ex, peer.address(), [](TransportOptions& o) { o.negotiation_timeout = 200ms; });
  ex->BlockOn([&]() -> net::Task<void> {
    co_await d.t->SendTo(d.site, 1, AppMessage("hello"));
    std::unique_ptr<RawPeer> c = co_await peer.Accept();
    const net::TimePoint connected = ex->Now();
    absl::StatusOr<RawFrame> ours = co_await c->ReadFrame();
    REQUIRE(ours.ok());
    // Instead of replying, the peer asks a question of its own.
    absl::Status asked =
        co_await c->Write(xdr::FrameHeaderBytes(xdr::VersionRequest(ProtocolVersion::kX1_3, 999)));
    REQUIRE(asked.ok());
    absl::StatusOr<RawFrame> answer = co_await c->ReadFrame();
    REQUIRE(answer.ok());
    CHECK(answer->header.type == xdr::MessageType::kVersionReply);
    CHECK(answer->header.tag == 999);
    // Our request is still unanswered: the negotiation timeout applies, on time, and the node
    // redials after the first back-off step (LoopbackOptions: 20 ms).
    absl::Status closed = co_await c->ExpectClosed(3s);
    CHECK(closed.ok());
    CHECK(ex->Now() - connected == 200ms);
    CHECK(d.t->statistics().outbound_close(CloseReason::kNegotiationTimeout) == 1);
    std::unique_ptr<RawPeer> again = co_await peer.Accept();
    CHECK(ex->Now() - connected == 220ms);
    absl::StatusOr<RawFrame> retry = co_await again->ReadFrame();
    REQUIRE(retry.ok());
    CHECK(retry->header.tag == xdr::NextNegotiationTag(ours->header.tag));
    co_await d.t->Stop();
  }());
}

// A transport the raw peer connects to.
struct Responder {
  testing::LogCapture logs;
  uint16_t port = testing::ReservePort();
  std::unique_ptr<Transport> t;

  explicit Responder(net::Executor& ex, std::function<void(TransportOptions&)> customize = {}) {
    TransportOptions o = testing::LoopbackOptions(port, logs, "responder");
    if (customize) customize(o);
    t = *Transport::Create(ex, o);
    REQUIRE(t->Start().ok());
  }
};

TEST_CASE("the accepting side answers each version request with 8.0.18's reply bytes") {
  auto ex = net::testing::NewExecutor();
  for (int max = 1; max <= 7; ++max) {
    Responder r(*ex, [&](TransportOptions& o) { o.max_version = V(max); });
    ex->BlockOn([&]() -> net::Task<void> {
      for (int v = 1; v <= 7; ++v) {
        CAPTURE(max);
        CAPTURE(v);
        absl::StatusOr<std::unique_ptr<RawPeer>> c = co_await RawPeer::Connect(*ex, r.port);
        REQUIRE(c.ok());
        auto wrote = co_await (*c)->Write(Golden(v, "neg_version_req_tag313"));
        REQUIRE(wrote.ok());
        absl::StatusOr<RawFrame> reply = co_await (*c)->ReadFrame();
        REQUIRE(reply.ok());
        CHECK(reply->bytes == Golden(std::min(v, max), "neg_version_reply_tag313"));
      }
      co_await r.t->Stop();
    }());
  }
}

TEST_CASE("a request for version 0 is answered with 0 and one above x_1_6 with x_1_6") {
  auto ex = net::testing::NewExecutor();
  Responder r(*ex);
  ex->BlockOn([&]() -> net::Task<void> {
    absl::StatusOr<std::unique_ptr<RawPeer>> c = co_await RawPeer::Connect(*ex, r.port);
    REQUIRE(c.ok());
    auto wrote = co_await (*c)->Write(xdr::FrameHeaderBytes(xdr::VersionRequest(V(0), 77)));
    REQUIRE(wrote.ok());
    absl::StatusOr<RawFrame> zero = co_await (*c)->ReadFrame();
    REQUIRE(zero.ok());
    CHECK(zero->header == xdr::VersionReply(V(0), 77));
    // A request may come again on the same connection: it renegotiates.
    auto wrote2 = co_await (*c)->Write(xdr::FrameHeaderBytes(xdr::VersionRequest(V(40), 78)));
    REQUIRE(wrote2.ok());
    absl::StatusOr<RawFrame> capped = co_await (*c)->ReadFrame();
    REQUIRE(capped.ok());
    CHECK(capped->header == xdr::VersionReply(V(7), 78));
    co_await r.t->Stop();
  }());
}

TEST_CASE("an older peer is refused without a reply when a member is reachable only by IPv6") {
  auto ex = net::testing::NewExecutor();
  Responder r(*ex);
  ex->BlockOn([&]() -> net::Task<void> {
    REQUIRE(r.t->InstallSite(Site{.group_id = 1,
                                  .nodeno = 0,
                                  .nodes = {{.address = r.t->options().self_address},
                                            {.address = "[::1]:33061"}}})
                .ok());
    // x_1_4 predates IPv6 support (x_1_5): not eligible, dropped without a reply.
    absl::StatusOr<std::unique_ptr<RawPeer>> old = co_await RawPeer::Connect(*ex, r.port);
    REQUIRE(old.ok());
    auto wrote = co_await (*old)->Write(Golden(5, "neg_version_req_tag313"));
    REQUIRE(wrote.ok());
    auto peer_closed = co_await (*old)->ExpectClosed();
    CHECK(peer_closed.ok());
    CHECK(r.logs.Contains("Incoming node is not eligible to enter the group due to lack of IPv6"));
    CHECK(r.t->statistics().inbound_close(CloseReason::kIpv6Ineligible) == 1);
    // x_1_5 and later speak IPv6: answered.
    for (int v : {6, 7}) {
      absl::StatusOr<std::unique_ptr<RawPeer>> c = co_await RawPeer::Connect(*ex, r.port);
      REQUIRE(c.ok());
      auto wrote2 = co_await (*c)->Write(Golden(v, "neg_version_req_tag313"));
      REQUIRE(wrote2.ok());
      absl::StatusOr<RawFrame> reply = co_await (*c)->ReadFrame();
      REQUIRE(reply.ok());
      CHECK(reply->bytes == Golden(v, "neg_version_reply_tag313"));
    }
    co_await r.t->Stop();
  }());
}

TEST_CASE("with every member reachable over IPv4, an older peer is answered") {
  auto ex = net::testing::NewExecutor();
  Responder r(*ex);
  ex->BlockOn([&]() -> net::Task<void> {
    REQUIRE(r.t->InstallSite(Site{.group_id = 1,
                                  .nodeno = 0,
                                  .nodes = {{.address = r.t->options().self_address},
                                            {.address = "localhost:33061"}}})
                .ok());
    absl::StatusOr<std::unique_ptr<RawPeer>> c = co_await RawPeer::Connect(*ex, r.port);
    REQUIRE(c.ok());
    auto wrote = co_await (*c)->Write(Golden(1, "neg_version_req_tag313"));
    REQUIRE(wrote.ok());
    absl::StatusOr<RawFrame> reply = co_await (*c)->ReadFrame();
    REQUIRE(reply.ok());
    CHECK(reply->bytes == Golden(1, "neg_version_reply_tag313"));
    co_await r.t->Stop();
  }());
}

}  // namespace
}  // namespace uxcom::xcom
