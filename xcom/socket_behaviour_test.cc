// What a peer sees on the socket, checked with raw sockets: the version request comes first
// and alone until it is answered, each redial asks with a new tag, frames queued together
// leave in one write (flushed when the queue runs dry, or when the next frame does not fit),
// and every connection has TCP_NODELAY at both ends (8.0.18's NAGLE is compiled off).
#include <dirent.h>
#include <doctest/doctest.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/testing.h"
#include "xcom/testing/testing.h"
#include "xcom/transport.h"
#include "xdr/decode.h"
#include "xdr/frame_header.h"
#include "xdr/negotiation.h"

namespace uxcom::xcom {
namespace {

using namespace std::chrono_literals;
using testing::AppMessage;
using testing::DialingNode;
using testing::RawFrame;
using testing::RawPeer;
using xdr::ProtocolVersion;

// Data segments this socket has received (TCP_INFO's tcpi_data_segs_in, Linux 4.6+). On
// loopback, one write of a few KiB is one segment, and each write is at least one.
std::optional<uint32_t> DataSegmentsIn(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  if (len < offsetof(tcp_info, tcpi_data_segs_in) + sizeof info.tcpi_data_segs_in) {
    return std::nullopt;
  }
  return info.tcpi_data_segs_in;
}

// True when nothing is waiting to be read on `fd` (it would block).
bool NothingPending(int fd) {
  std::byte b;
  ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::string PayloadOf(const RawFrame& f) {
  absl::StatusOr<xdr::OwnedPaxMsg> m = xdr::DecodeOwned(f.header.version, f.body());
  REQUIRE(m.ok());
  return std::string(std::get<xdr::Bytes>((*m)->a[0].body.arm));
}

net::Task<void> Negotiate(RawPeer& c, DialingNode& d, const std::string& address) {
  absl::StatusOr<RawFrame> request = co_await c.ReadFrame();
  REQUIRE(request.ok());
  absl::Status replied = co_await c.Write(
      xdr::FrameHeaderBytes(xdr::VersionReply(ProtocolVersion::kX1_6, request->header.tag)));
  REQUIRE(replied.ok());
  bool negotiated = co_await testing::Eventually(
      [&] { return d.t->peer(address)->state == PeerConnectionState::kNegotiated; }, 5s);
  REQUIRE(negotiated);
}

TEST_CASE("nothing but the version request is written before the reply arrives") {
  auto ex = net::testing::NewExecutor();
  testing::RawListener peer(*ex);
  DialingNode d(*ex, peer.address());
  ex->BlockOn([&]() -> net::Task<void> {
    std::unique_ptr<RawPeer> c = co_await peer.Accept();
    absl::StatusOr<RawFrame> request = co_await c->ReadFrame();
    REQUIRE(request.ok());
    CHECK(request->header == xdr::VersionRequest(ProtocolVersion::kX1_6, 313));
    // Messages queued while the negotiation is pending wake the sender at once...
    for (int i = 0; i < 3; ++i) {
      SendReport r = co_await d.t->SendTo(d.site, 1, AppMessage(absl::StrCat("m", i)));
      REQUIRE(r.queued == 1);
    }
    // ...and yet the next thing on the wire is the reply reader's answer to a request the peer
    // writes only now: a barrier, with no wall-clock wait. A sender that did not wait for the
    // reply would have written its frames first.
    absl::Status asked =
        co_await c->Write(xdr::FrameHeaderBytes(xdr::VersionRequest(ProtocolVersion::kX1_3, 999)));
    REQUIRE(asked.ok());
    absl::StatusOr<RawFrame> answer = co_await c->ReadFrame();
    REQUIRE(answer.ok());
    CHECK(answer->header == xdr::VersionReply(ProtocolVersion::kX1_3, 999));
    CHECK(NothingPending(c->stream().fd()));
    CHECK(d.t->peer(peer.address())->state == PeerConnectionState::kConnected);

    // Our reply releases the messages, in order, at the negotiated version.
    absl::Status replied =
        co_await c->Write(xdr::FrameHeaderBytes(xdr::VersionReply(ProtocolVersion::kX1_4, 313)));
    REQUIRE(replied.ok());
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<RawFrame> m = co_await c->ReadFrame();
      REQUIRE(m.ok());
      CHECK(m->header.type == xdr::MessageType::kNormal);
      CHECK(m->header.version == ProtocolVersion::kX1_4);
      CHECK(PayloadOf(*m) == absl::StrCat("m", i));
    }
    co_await d.t->Stop();
  }());
}

TEST_CASE("each redial asks with a new tag: 313, 314, 315, 316") {
  auto ex = net::testing::NewExecutor();
  testing::RawListener peer(*ex);
  DialingNode d(*ex, peer.address());
  ex->BlockOn([&]() -> net::Task<void> {
    for (uint16_t k = 0; k < 4; ++k) {
      CAPTURE(k);
      std::unique_ptr<RawPeer> c = co_await peer.Accept();
      absl::StatusOr<RawFrame> request = co_await c->ReadFrame();
      REQUIRE(request.ok());
      const uint16_t tag = static_cast<uint16_t>(xdr::kFirstNegotiationTag + k);
      CHECK(request->header == xdr::VersionRequest(ProtocolVersion::kX1_6, tag));
      CHECK(d.t->peer(peer.address())->last_tag == tag);
      // Refused (no version in common): the node closes and dials again.
      absl::Status refused = co_await c->Write(
          xdr::FrameHeaderBytes(xdr::VersionReply(ProtocolVersion::kUnknown, tag)));
      REQUIRE(refused.ok());
      absl::Status closed = co_await c->ExpectClosed();
      CHECK(closed.ok());
    }
    CHECK(d.t->statistics().outbound_close(CloseReason::kNegotiationRefused) == 4);
    CHECK(d.t->statistics().negotiations == 0);
    co_await d.t->Stop();
  }());
}

// Queues `count` messages of equal size in one go, reads them at the peer and returns how many
// data segments (= writes) carried them.
net::Task<uint32_t> SendBatch(DialingNode& d, RawPeer& c, int batch, int count) {
  std::optional<uint32_t> before = DataSegmentsIn(c.stream().fd());
  REQUIRE(before.has_value());
  for (int i = 0; i < count; ++i) {
    SendReport r =
        co_await d.t->SendTo(d.site, 1, AppMessage(absl::StrFormat("b%d-%03d", batch, i)));
    REQUIRE(r.queued == 1);
  }
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<RawFrame> m = co_await c.ReadFrame();
    REQUIRE(m.ok());
    CHECK(PayloadOf(*m) == absl::StrFormat("b%d-%03d", batch, i));
  }
  std::optional<uint32_t> after = DataSegmentsIn(c.stream().fd());
  REQUIRE(after.has_value());
  co_return *after - *before;
}

// Accepts the node's connection and negotiates it; null, with a visible skip message, when this
// kernel cannot count segments.
net::Task<std::unique_ptr<RawPeer>> AcceptCounting(testing::RawListener& peer, DialingNode& d) {
  std::unique_ptr<RawPeer> c = co_await peer.Accept();
  if (!DataSegmentsIn(c->stream().fd()).has_value()) {
    MESSAGE("SKIPPED: this kernel's TCP_INFO has no tcpi_data_segs_in (Linux 4.6+)");
    co_return nullptr;
  }
  co_await Negotiate(*c, d, peer.address());
  co_return c;
}

TEST_CASE("frames queued together leave in one write, flushed when the queue runs dry") {
  auto ex = net::testing::NewExecutor();
  testing::RawListener peer(*ex);
  DialingNode d(*ex, peer.address());
  ex->BlockOn([&]() -> net::Task<void> {
    std::unique_ptr<RawPeer> c = co_await AcceptCounting(peer, d);
    if (c == nullptr) {
      co_await d.t->Stop();
      co_return;
    }
    // Twenty frames queued in one turn: one write. The queue then runs dry, so they are not
    // held back waiting for more; a second batch is a second write.
    uint32_t first = co_await SendBatch(d, *c, 0, 20);
    CHECK(first == 1);
    uint32_t second = co_await SendBatch(d, *c, 1, 20);
    CHECK(second == 1);
    CHECK(d.t->statistics().sent[OpSlot(xdr::PaxOp::kClientMsg)].count == 40);
    co_await d.t->Stop();
  }());
}

TEST_CASE("a frame that does not fit in the coalescing buffer flushes what was gathered") {
  auto ex = net::testing::NewExecutor();
  testing::RawListener peer(*ex);
  DialingNode d(*ex, peer.address(), [](TransportOptions& o) { o.coalesce_buffer_size = 1024; });
  ex->BlockOn([&]() -> net::Task<void> {
    std::unique_ptr<RawPeer> c = co_await AcceptCounting(peer, d);
    if (c == nullptr) {
      co_await d.t->Stop();
      co_return;
    }
    uint32_t writes = co_await SendBatch(d, *c, 0, 20);
    // Every frame has the same size: each write holds as many as fit in 1 KiB.
    const size_t frame = d.t->statistics().sent[OpSlot(xdr::PaxOp::kClientMsg)].bytes / 20;
    const size_t per_write = 1024 / frame;
    CAPTURE(frame);
    REQUIRE(per_write >= 2);
    CHECK(writes == (20 + per_write - 1) / per_write);
    co_await d.t->Stop();
  }());
}

// Every connected TCP socket of this process: fd, local port, peer port.
struct OpenSocket {
  int fd;
  uint16_t local_port;
  uint16_t peer_port;
};

std::vector<OpenSocket> ConnectedSockets() {
  std::vector<OpenSocket> out;
  DIR* dir = opendir("/proc/self/fd");
  REQUIRE(dir != nullptr);
  while (dirent* e = readdir(dir)) {
    int fd = std::atoi(e->d_name);
    struct stat st {};
    if (fd <= 2 || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local{};
    sockaddr_storage remote{};
    socklen_t llen = sizeof local;
    socklen_t rlen = sizeof remote;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) != 0) continue;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &rlen) != 0) continue;
    absl::StatusOr<net::SocketAddress> l =
        net::SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&local), llen);
    absl::StatusOr<net::SocketAddress> r =
        net::SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&remote), rlen);
    if (l.ok() && r.ok()) out.push_back({fd, l->port(), r->port()});
  }
  closedir(dir);
  return out;
}

bool NoDelay(int fd) {
  int on = 0;
  socklen_t len = sizeof on;
  REQUIRE(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) == 0);
  return on != 0;
}

TEST_CASE("TCP_NODELAY is on at both ends of the outbound and the inbound connections") {
  auto ex = net::testing::NewExecutor();
  testing::Group g(*ex, 2);
  const uint16_t port0 = g[0].listen_address().port();
  const uint16_t port1 = g[1].listen_address().port();
  ex->BlockOn([&]() -> net::Task<void> {
    co_await g[0].SendTo(g.sites[0], 1, AppMessage("0->1"));
    co_await g[1].SendTo(g.sites[1], 0, AppMessage("1->0"));
    absl::StatusOr<IncomingMessage> at1 = co_await testing::ReceiveWithin(g[1], 5s);
    absl::StatusOr<IncomingMessage> at0 = co_await testing::ReceiveWithin(g[0], 5s);
    REQUIRE(at1.ok());
    REQUIRE(at0.ok());
    // Two connections (0 -> 1 and 1 -> 0), each with a dialled end (its peer port is a
    // listener's) and an accepted end (its local port is a listener's).
    int dialled = 0;
    int accepted = 0;
    for (const OpenSocket& s : ConnectedSockets()) {
      bool is_dialled = s.peer_port == port0 || s.peer_port == port1;
      bool is_accepted = s.local_port == port0 || s.local_port == port1;
      if (!is_dialled && !is_accepted) continue;
      CAPTURE(s.fd);
      CHECK(NoDelay(s.fd));
      dialled += is_dialled;
      accepted += is_accepted;
    }
    CHECK(dialled == 2);
    CHECK(accepted == 2);
    co_await g.Stop();
  }());
}

}  // namespace
}  // namespace uxcom::xcom
