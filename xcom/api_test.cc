// The embedder's API around sends and receives, on virtual time so that every deadline is
// exact: waiting for a peer, receiving with a timeout, flushing before a stop, and what happens
// to a send that is never awaited.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/testing.h"
#include "net/timer.h"
#include "net/when_any.h"
#include "xcom/testing/testing.h"
#include "xcom/transport.h"

namespace uxcom::xcom {
namespace {

using namespace std::chrono_literals;
using testing::AppMessage;
using testing::Group;

std::string PayloadOf(const IncomingMessage& in) {
  return std::string(std::get<xdr::Bytes>(in.msg().a[0].body.arm));
}

// A one-node group whose site also lists node 1 at an address nobody listens on.
struct Lonely {
  explicit Lonely(net::Executor& ex, Group::Customize customize = {}) : g(ex, 1, customize) {
    nobody = absl::StrCat("127.0.0.1:", testing::ReservePort());
    site = *g[0].InstallSite(Site{
        .group_id = 9, .nodeno = 0, .nodes = {{.address = g.addresses[0]}, {.address = nobody}}});
  }
  Group g;
  std::string nobody;
  SiteId site = 0;
};

net::Task<void> WaitForLivePeer(Group& g, net::Executor& ex, absl::Status* up, absl::Status* self,
                                net::TimePoint* at) {
  *up = co_await g[0].WaitForPeer(g.sites[0], 1, 5s);
  *at = ex.Now();
  *self = co_await g[0].WaitForPeer(g.sites[0], 0, 1ms);
  co_await g.Stop();
}

TEST_CASE("WaitForPeer returns once the connection is negotiated; at once for this node") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 2);
  const net::TimePoint t0 = ex->Now();
  absl::Status up;
  absl::Status self;
  net::TimePoint at;
  ex->BlockOn(WaitForLivePeer(g, *ex, &up, &self, &at));
  CHECK(up.ok());
  CHECK(self.ok());
  CHECK(at == t0);  // loopback I/O takes no virtual time
  CHECK(g.logs.Contains("[node0] INFO: Connected to " + g.addresses[1]));
}

net::Task<void> WaitForNobody(Lonely& l, absl::Status* out, absl::Status* bad_node) {
  *out = co_await l.g[0].WaitForPeer(l.site, 1, 700ms);
  *bad_node = co_await l.g[0].WaitForPeer(l.site, 2, 1s);
  co_await l.g.Stop();
}

TEST_CASE("WaitForPeer gives up exactly at its deadline, naming the peer and its failed dials") {
  auto ex = net::testing::NewVirtualExecutor();
  Lonely l(*ex);
  const net::TimePoint t0 = ex->Now();
  absl::Status out;
  absl::Status bad_node;
  ex->BlockOn(WaitForNobody(l, &out, &bad_node));
  CHECK(absl::IsDeadlineExceeded(out));
  CHECK(out.message().find(l.nobody) != std::string_view::npos);
  CHECK(out.message().find("failed dials") != std::string_view::npos);
  CHECK(ex->Now() == t0 + 700ms);
  CHECK(absl::IsInvalidArgument(bad_node));
}

net::Task<void> ReceiveNothing(Group& g, absl::StatusOr<IncomingMessage>* out) {
  *out = co_await g[0].Receive(250ms);
  co_await g.Stop();
}

TEST_CASE("Receive(timeout) ends with kDeadlineExceeded exactly at the deadline") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 1);
  const net::TimePoint t0 = ex->Now();
  absl::StatusOr<IncomingMessage> out;
  ex->BlockOn(ReceiveNothing(g, &out));
  CHECK(absl::IsDeadlineExceeded(out.status()));
  CHECK(ex->Now() == t0 + 250ms);
}

using Either = net::WhenAnyResult<absl::StatusOr<IncomingMessage>, absl::StatusOr<IncomingMessage>>;

net::Task<void> SelectBetweenNodes(Group& g, Either* out) {
  SendReport sent = co_await g[0].SendTo(g.sites[0], 1, AppMessage("to node 1"));
  CHECK(sent.status.ok());
  *out = co_await net::WhenAny(g[0].Receive(), g[1].Receive());
  co_await g.Stop();
}

TEST_CASE("WhenAny over two transports' Receive takes whichever gets a message") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 2);
  Either r;
  ex->BlockOn(SelectBetweenNodes(g, &r));
  CHECK(r.first == 1);
  REQUIRE(std::get<1>(r.results).ok());
  CHECK(PayloadOf(*std::get<1>(r.results)) == "to node 1");
  CHECK(absl::IsCancelled(std::get<0>(r.results).status()));
}

net::Task<void> FlushThenStop(Group& g, absl::Status* flushed, std::vector<std::string>* got) {
  for (int i = 0; i < 50; ++i) {
    SendReport sent = co_await g[0].SendToAll(g.sites[0], AppMessage(absl::StrCat("m", i)));
    CHECK(sent.queued == 2);
  }
  *flushed = co_await g[0].Flush(5s);
  co_await g[0].Stop();  // nothing queued is left to drop
  for (;;) {
    absl::StatusOr<IncomingMessage> in = co_await g[1].Receive(1s);
    if (!in.ok()) break;
    got->push_back(PayloadOf(*in));
  }
  co_await g.Stop();
}

TEST_CASE("Flush before Stop: every queued message is written, none dropped at shutdown") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 2);
  absl::Status flushed;
  std::vector<std::string> got;
  ex->BlockOn(FlushThenStop(g, &flushed, &got));
  CHECK(flushed.ok());
  REQUIRE(got.size() == 50);
  for (int i = 0; i < 50; ++i) CHECK(got[i] == absl::StrCat("m", i));
  CHECK(g[0].statistics().drops_total() == 0);
}

net::Task<void> FlushToNobody(Lonely& l, absl::Status* flushed) {
  SendReport sent = co_await l.g[0].SendToAll(l.site, AppMessage("x"));
  CHECK(sent.queued == 2);
  *flushed = co_await l.g[0].Flush(400ms);
  co_await l.g.Stop();
}

TEST_CASE("Flush gives up exactly at its deadline, naming the peer that still holds messages") {
  auto ex = net::testing::NewVirtualExecutor();
  Lonely l(*ex);
  const net::TimePoint t0 = ex->Now();
  absl::Status flushed;
  ex->BlockOn(FlushToNobody(l, &flushed));
  CHECK(absl::IsDeadlineExceeded(flushed));
  CHECK(flushed.message().find(l.nobody + ": 1 messages") != std::string_view::npos);
  CHECK(flushed.message().find(l.g.addresses[0]) == std::string_view::npos);  // self: delivered
  CHECK(ex->Now() == t0 + 400ms);
  CHECK(l.g[0].statistics().drop(DropReason::kShutdown) == 1);  // Stop() counted it
}

net::Task<void> DropAnAwaiter(Lonely& l, SendReport* first) {
  *first = co_await l.g[0].SendTo(l.site, 1, AppMessage("fits"));
  {
    // The queue (limit 1) is full: under kWait this send waits for room when awaited. It is
    // destroyed un-awaited instead (the compiler would diagnose a plain discarded call).
    SendAwaiter never_awaited = l.g[0].SendTo(l.site, 1, AppMessage("waits"));
    CHECK(!never_awaited.await_ready());
  }
  co_await l.g.Stop();
}

TEST_CASE(
    "a kWait send destroyed without co_await is counted as not_awaited, never lost silently") {
  auto ex = net::testing::NewVirtualExecutor();
  Lonely l(*ex, [](int, TransportOptions& o) {
    o.peer_queue_limit = 1;
    o.overflow_policy = QueueOverflowPolicy::kWait;
  });
  SendReport first;
  ex->BlockOn(DropAnAwaiter(l, &first));
  CHECK(first.queued == 1);
  TransportStatistics::Snapshot s = l.g[0].statistics();
  CHECK(s.drop(DropReason::kNotAwaited) == 1);
  CHECK(s.drop(DropReason::kShutdown) == 1);  // "fits", still queued at Stop()
  CHECK(std::string(DropReasonName(DropReason::kNotAwaited)) == "not_awaited");
}

}  // namespace
}  // namespace uxcom::xcom
