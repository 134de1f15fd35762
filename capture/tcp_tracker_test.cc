// TcpTracker: connections told apart by 4-tuple, sides by the handshake (or the first sender
// when it was not captured), each direction reassembled into its own sink, and the table
// bounded.
#include "capture/tcp_tracker.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "capture/testing.h"

namespace uxcom::capture {
namespace {

using testing::Segment;
using testing::V4;
using testing::V6;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

struct Text : StreamSink {
  std::string text;
  std::optional<StreamEnd> end;
  std::optional<bool> start;
  void OnStart(bool s) override { start = s; }
  void OnData(std::span<const std::byte> b, uint64_t, absl::Time) override {
    text.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  void OnGap(const Gap& g) override { text += "<gap " + std::to_string(g.bytes) + ">"; }
  void OnEnd(StreamEnd e, uint64_t, absl::Time) override { end = e; }
};

struct Observer : ConnectionObserver {
  struct Conn {
    ConnectionInfo info;
    Text to_server, to_client;
    std::optional<CloseReason> closed;
  };
  std::vector<std::unique_ptr<Conn>> all;
  std::map<uint64_t, Conn*> by_id;
  StreamSink* OnOpen(const ConnectionInfo& c, Direction d) override {
    if (!by_id.count(c.id)) {
      all.push_back(std::make_unique<Conn>());
      all.back()->info = c;
      by_id[c.id] = all.back().get();
    }
    Conn& conn = *by_id[c.id];
    return d == Direction::kClientToServer ? static_cast<StreamSink*>(&conn.to_server)
                                           : &conn.to_client;
  }
  void OnClose(const ConnectionInfo& c, CloseReason r) override {
    CHECK_FALSE(by_id[c.id]->closed.has_value());
    by_id[c.id]->closed = r;
  }
};

const Endpoint kClient = V4("10.0.0.1", 40000);
const Endpoint kServer = V4("10.0.0.2", 33061);

TEST_CASE("a whole connection: handshake roles, both directions, closed after both FINs") {
  Observer o;
  TcpTracker t({}, &o);
  t.Add(Segment(kClient, kServer, 100, kTcpSyn, ""));
  t.Add(Segment(kServer, kClient, 500, kTcpSyn | kTcpAck, ""));
  t.Add(Segment(kClient, kServer, 101, kTcpAck, "request"));
  t.Add(Segment(kServer, kClient, 501, kTcpAck, "reply"));
  t.Add(Segment(kClient, kServer, 108, kTcpAck | kTcpFin, ""));
  CHECK(t.open_connections() == 1);
  t.Add(Segment(kServer, kClient, 506, kTcpAck | kTcpFin, ""));
  CHECK(t.open_connections() == 0);
  t.Add(Segment(kClient, kServer, 109, kTcpAck, ""));  // the last ACK opens nothing
  CHECK(t.open_connections() == 0);
  REQUIRE(o.all.size() == 1);
  const Observer::Conn& c = *o.all[0];
  CHECK(c.info.id == 1);
  CHECK(c.info.client == kClient);
  CHECK(c.info.server == kServer);
  CHECK(c.info.roles_known);
  CHECK(c.to_server.text == "request");
  CHECK(c.to_client.text == "reply");
  CHECK(c.to_server.start == true);
  CHECK(c.to_client.start == true);
  CHECK(c.closed == CloseReason::kEnded);
  CHECK(t.stats().ignored_segments == 1);
}

TEST_CASE("a SYN-ACK seen first still names the server; no handshake: first sender") {
  Observer o;
  TcpTracker t({}, &o);
  t.Add(Segment(kServer, kClient, 500, kTcpSyn | kTcpAck, ""));
  t.Add(Segment(kServer, kClient, 501, kTcpAck, "x"));
  const Endpoint a = V6("::1", 50000), b = V6("::1", 33061);
  t.Add(Segment(b, a, 9000, kTcpAck, "mid"));
  t.Add(Segment(a, b, 7000, kTcpAck, "stream"));
  t.Finish(kT0);
  REQUIRE(o.all.size() == 2);
  CHECK(o.all[0]->info.server == kServer);
  CHECK(o.all[0]->info.roles_known);
  CHECK(o.all[0]->to_client.text == "x");
  CHECK_FALSE(o.all[1]->info.roles_known);
  CHECK(o.all[1]->info.client == b);  // the first sender
  CHECK(o.all[1]->to_server.text == "mid");
  CHECK(o.all[1]->to_server.start == false);
  CHECK(o.all[1]->to_client.text == "stream");
  CHECK(o.all[1]->closed == CloseReason::kFinished);
  CHECK(o.all[1]->to_server.end == StreamEnd::kFlushed);
}

TEST_CASE("interleaved connections stay apart") {
  Observer o;
  TcpTracker t({}, &o);
  const Endpoint c2 = V4("10.0.0.3", 40001);
  t.Add(Segment(kClient, kServer, 1, kTcpAck, "a1"));
  t.Add(Segment(c2, kServer, 1, kTcpAck, "b1"));
  t.Add(Segment(kClient, kServer, 3, kTcpAck, "a2"));
  t.Add(Segment(c2, kServer, 3, kTcpAck, "b2"));
  t.Finish(kT0);
  REQUIRE(o.all.size() == 2);
  CHECK(o.all[0]->to_server.text == "a1a2");
  CHECK(o.all[1]->to_server.text == "b1b2");
}

TEST_CASE("RST from one side ends both directions and the connection") {
  Observer o;
  TcpTracker t({}, &o);
  t.Add(Segment(kClient, kServer, 100, kTcpSyn, ""));
  t.Add(Segment(kClient, kServer, 101, kTcpAck, "ab"));
  t.Add(Segment(kServer, kClient, 1, kTcpRst, ""));
  REQUIRE(o.all.size() == 1);
  CHECK(o.all[0]->closed == CloseReason::kEnded);
  CHECK(o.all[0]->to_client.end == StreamEnd::kReset);
  CHECK(o.all[0]->to_server.end == StreamEnd::kReset);
}

TEST_CASE("a new SYN on a used 4-tuple is a new connection; a retransmitted SYN is not") {
  Observer o;
  TcpTracker t({}, &o);
  t.Add(Segment(kClient, kServer, 100, kTcpSyn, ""));
  t.Add(Segment(kClient, kServer, 100, kTcpSyn, ""));
  t.Add(Segment(kClient, kServer, 101, kTcpAck, "first"));
  t.Add(Segment(kClient, kServer, 90000, kTcpSyn, ""));
  t.Add(Segment(kClient, kServer, 90001, kTcpAck, "second"));
  t.Finish(kT0);
  REQUIRE(o.all.size() == 2);
  CHECK(o.all[0]->to_server.text == "first");
  CHECK(o.all[0]->closed == CloseReason::kReused);
  CHECK(o.all[1]->to_server.text == "second");
}

TEST_CASE("the table is bounded: the connection idle longest is evicted, its holes reported") {
  Observer o;
  TcpTracker t({.reassembly = {}, .max_connections = 2}, &o);
  const Endpoint c2 = V4("10.0.0.3", 40001), c3 = V4("10.0.0.4", 40002);
  t.Add(Segment(kClient, kServer, 1, kTcpAck, "a", kT0));
  t.Add(Segment(kClient, kServer, 5, kTcpAck, "e", kT0));  // b, c, d missing
  t.Add(Segment(c2, kServer, 1, kTcpAck, "x", kT0 + absl::Seconds(0.5)));
  t.Add(Segment(c3, kServer, 1, kTcpAck, "y", kT0 + absl::Seconds(0.6)));
  CHECK(t.open_connections() == 2);
  CHECK(t.stats().evicted == 1);
  CHECK(o.all[0]->closed == CloseReason::kEvicted);
  CHECK(o.all[0]->to_server.text == "a<gap 3>e");
}

}  // namespace
}  // namespace uxcom::capture
