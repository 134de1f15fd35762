// Liveness as XCom's failure detector reads it, against the executor's clock: `detected` (last
// bytes read from a peer) is refreshed by every partial read on either connection and by every
// self-delivery; `active` (last outbound activity) by a successful dial, every enqueue and
// every frame written. A dial does not refresh `detected`.
#include <doctest/doctest.h>

#include <span>
#include <vector>

#include "absl/strings/str_cat.h"
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
using testing::RawFrame;
using testing::RawPeer;
using testing::ReceiveWithin;
using xdr::ProtocolVersion;

constexpr net::TimePoint kNever{};

// A message node 1 of `group` sends (not a client message: its sender is a member).
xdr::PaxMsg FromNode1(uint32_t group, std::string_view payload) {
  xdr::PaxMsg m = AppMessage(payload, xdr::PaxOp::kLearnOp);
  m.from = 1;
  m.group_id = group;
  m.synode.group_id = group;
  m.a[0].group_id = group;
  return m;
}

net::TimePoint Detected(const Transport& t, SiteId site, NodeNo node) {
  absl::StatusOr<Liveness> l = t.liveness(site, node);
  REQUIRE(l.ok());
  return l->detected;
}

net::TimePoint Active(const Transport& t, SiteId site, NodeNo node) {
  absl::StatusOr<Liveness> l = t.liveness(site, node);
  REQUIRE(l.ok());
  return l->active;
}

TEST_CASE("detected follows every partial read on an inbound connection, not whole messages") {
  auto ex = net::testing::NewExecutor();
  testing::LogCapture logs;
  uint16_t port = testing::ReservePort();
  std::unique_ptr<Transport> t = *Transport::Create(*ex, testing::LoopbackOptions(port, logs, "n"));
  REQUIRE(t->Start().ok());
  constexpr uint32_t kGroup = 9;
  // Node 1 is the raw peer below; nobody listens at its address, so our own dials fail.
  SiteId site = *t->InstallSite(
      Site{.group_id = kGroup,
           .nodeno = 0,
           .nodes = {{.address = t->options().self_address},
                     {.address = absl::StrCat("127.0.0.1:", testing::ReservePort())}}});
  const std::vector<std::byte> first =
      testing::EncodeFrame(ProtocolVersion::kX1_6, FromNode1(kGroup, "first"));
  const std::vector<std::byte> second =
      testing::EncodeFrame(ProtocolVersion::kX1_6, FromNode1(kGroup, std::string(2000, 's')));
  std::span<const std::byte> head = std::span(second).first(second.size() / 2);
  std::span<const std::byte> tail = std::span(second).subspan(second.size() / 2);
  ex->BlockOn([&]() -> net::Task<void> {
    absl::StatusOr<std::unique_ptr<RawPeer>> c = co_await RawPeer::Connect(*ex, port);
    REQUIRE(c.ok());
    auto asked = co_await (*c)->Write(
        xdr::FrameHeaderBytes(xdr::VersionRequest(ProtocolVersion::kX1_6, 313)));
    REQUIRE(asked.ok());
    absl::StatusOr<RawFrame> reply = co_await (*c)->ReadFrame();
    REQUIRE(reply.ok());
    CHECK(Detected(*t, site, 1) == kNever);  // the peer is not known until it sends a message

    auto wrote = co_await (*c)->Write(first);
    REQUIRE(wrote.ok());
    absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(*t, 5s);
    REQUIRE(in.ok());
    const net::TimePoint after_first = Detected(*t, site, 1);
    CHECK(after_first > kNever);
    CHECK(after_first <= ex->Now());

    // Half a frame, a moment later: no message, but the peer is alive.
    absl::Status slept = co_await net::Sleep(1ms);
    REQUIRE(slept.ok());
    auto wrote_head = co_await (*c)->Write(head);
    REQUIRE(wrote_head.ok());
    bool refreshed =
        co_await testing::Eventually([&] { return Detected(*t, site, 1) > after_first; }, 5s);
    CHECK(refreshed);
    CHECK(Detected(*t, site, 1) <= ex->Now());
    CHECK(t->TryReceive() == std::nullopt);

    auto wrote_tail = co_await (*c)->Write(tail);
    REQUIRE(wrote_tail.ok());
    absl::StatusOr<IncomingMessage> whole = co_await ReceiveWithin(*t, 5s);
    REQUIRE(whole.ok());
    CHECK(whole->wire_size() == second.size());
    co_await t->Stop();
  }());
}

TEST_CASE("detected follows every partial read on our outbound connection; a dial is no sign") {
  auto ex = net::testing::NewExecutor();
  testing::RawListener peer(*ex);
  testing::DialingNode d(*ex, peer.address());
  const std::vector<std::byte> frame = testing::EncodeFrame(
      ProtocolVersion::kX1_6, FromNode1(testing::DialingNode::kGroup, std::string(2000, 'r')));
  std::span<const std::byte> head = std::span(frame).first(frame.size() / 2);
  std::span<const std::byte> tail = std::span(frame).subspan(frame.size() / 2);
  ex->BlockOn([&]() -> net::Task<void> {
    std::unique_ptr<RawPeer> c = co_await peer.Accept();
    absl::StatusOr<RawFrame> request = co_await c->ReadFrame();
    REQUIRE(request.ok());
    // Connected and asked, but nothing read from the peer yet.
    CHECK(Detected(*d.t, d.site, 1) == kNever);

    // The version reply is the first evidence (the reply reader refreshes from the first byte).
    auto replied = co_await c->Write(
        xdr::FrameHeaderBytes(xdr::VersionReply(ProtocolVersion::kX1_6, request->header.tag)));
    REQUIRE(replied.ok());
    bool heard =
        co_await testing::Eventually([&] { return Detected(*d.t, d.site, 1) > kNever; }, 5s);
    REQUIRE(heard);
    const net::TimePoint after_reply = Detected(*d.t, d.site, 1);

    absl::Status slept = co_await net::Sleep(1ms);
    REQUIRE(slept.ok());
    auto wrote_head = co_await c->Write(head);
    REQUIRE(wrote_head.ok());
    bool refreshed =
        co_await testing::Eventually([&] { return Detected(*d.t, d.site, 1) > after_reply; }, 5s);
    CHECK(refreshed);
    CHECK(d.t->TryReceive() == std::nullopt);

    auto wrote_tail = co_await c->Write(tail);
    REQUIRE(wrote_tail.ok());
    absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(*d.t, 5s);
    REQUIRE(in.ok());
    CHECK(in->origin() == MessageOrigin::kOutbound);
    co_await d.t->Stop();
  }());
}

TEST_CASE("a self-delivery refreshes this node's detected time (the local sender)") {
  auto ex = net::testing::NewExecutor();
  testing::Group g(*ex, 1);
  ex->BlockOn([&]() -> net::Task<void> {
    CHECK(Detected(g[0], g.sites[0], 0) == kNever);
    const net::TimePoint sent_at = ex->Now();
    SendReport r = co_await g[0].SendToSelf(g.sites[0], AppMessage("me"));
    REQUIRE(r.queued == 1);
    absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(g[0], 5s);
    REQUIRE(in.ok());
    const net::TimePoint detected = Detected(g[0], g.sites[0], 0);
    CHECK(detected >= sent_at);
    CHECK(detected <= ex->Now());
    co_await g.Stop();
  }());
}

TEST_CASE("active is set by a successful dial, by every enqueue and by every frame written") {
  auto ex = net::testing::NewExecutor();
  testing::RawListener peer(*ex);
  const net::TimePoint installed_at = ex->Now();
  testing::DialingNode d(*ex, peer.address());
  ex->BlockOn([&]() -> net::Task<void> {
    // The sender dials as soon as the site is installed, before anything is queued.
    std::unique_ptr<RawPeer> c = co_await peer.Accept();
    absl::StatusOr<RawFrame> request = co_await c->ReadFrame();
    REQUIRE(request.ok());
    const net::TimePoint dialled = Active(*d.t, d.site, 1);
    CHECK(dialled >= installed_at);
    CHECK(dialled <= ex->Now());

    // An enqueue: `active` is the executor's time of the send. (Each step sleeps 1 ms first
    // so that the clock, real or virtual, has moved since the previous one.)
    absl::Status slept = co_await net::Sleep(1ms);
    REQUIRE(slept.ok());
    const net::TimePoint enqueued_at = ex->Now();
    SendReport r = co_await d.t->SendTo(d.site, 1, AppMessage("hello"));
    REQUIRE(r.queued == 1);
    CHECK(Active(*d.t, d.site, 1) == enqueued_at);
    CHECK(enqueued_at > dialled);

    // The frame is written only after the reply; writing it refreshes `active` again.
    absl::Status slept_again = co_await net::Sleep(1ms);
    REQUIRE(slept_again.ok());
    const net::TimePoint replied_at = ex->Now();
    CHECK(replied_at > enqueued_at);
    auto replied = co_await c->Write(
        xdr::FrameHeaderBytes(xdr::VersionReply(ProtocolVersion::kX1_6, request->header.tag)));
    REQUIRE(replied.ok());
    absl::StatusOr<RawFrame> msg = co_await c->ReadFrame();
    REQUIRE(msg.ok());
    CHECK(msg->header.type == xdr::MessageType::kNormal);
    const net::TimePoint written = Active(*d.t, d.site, 1);
    CHECK(written >= replied_at);
    CHECK(written <= ex->Now());
    co_await d.t->Stop();
  }());
}

}  // namespace
}  // namespace uxcom::xcom
