// echo_group: three XCom transports in one process, talking to each other over loopback.
//
// The smallest complete uxcom program, meant to be copied. In order, it shows:
//   1. one net::Executor (one thread, one event loop) hosting several Transports;
//   2. picking free loopback ports and starting a Transport on each;
//   3. installing the same site (XCom's configuration: who is in the group) on every node;
//   4. every node receiving with `co_await Receive()` in its own task;
//   5. node 0 broadcasting with SendToAll (itself included);
//   6. node 1 answering one message with Reply(), on the connection it came in on;
//   7. reading liveness (what a failure detector looks at) and statistics;
//   8. stopping everything.
// Exit status 0 only if every expected message arrived.
//
//   bazel run //xcom/examples:echo_group
//
// Coroutine style (net/task.h, "Coroutine rules"): put every awaited result in a named
// variable before using it, never co_await inside a condition, and spawn named coroutine
// functions (parameters bound as arguments), not capturing lambdas.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "net/executor.h"
#include "net/listener.h"
#include "net/scope.h"
#include "net/task.h"
#include "net/timer.h"
#include "xcom/transport.h"
#include "xdr/enums.h"
#include "xdr/pax_msg.h"
#include "xdr/protocol_version.h"

namespace {

using namespace std::chrono_literals;
using uxcom::net::Executor;
using uxcom::net::Task;
using uxcom::xcom::IncomingMessage;
using uxcom::xcom::Transport;
namespace net = uxcom::net;
namespace xcom = uxcom::xcom;
namespace xdr = uxcom::xdr;

constexpr int kNodes = 3;
constexpr int kBroadcasts = 3;
constexpr uint32_t kGroupId = 0xec0;  // any value; every node of a group uses the same one

// What this program keeps per node.
struct Node {
  int index = 0;
  std::unique_ptr<Transport> transport;
  xcom::SiteId site = 0;              // the id InstallSite() returned on this node
  std::vector<std::string> received;  // payloads, in arrival order
};

// A loopback port nobody listens on right now: bind to port 0 so the kernel picks one, read
// it back, release it. (Another process could grab it before the transport binds: fine for an
// example; a real deployment configures its ports.)
absl::StatusOr<uint16_t> FreeLoopbackPort(Executor& executor) {
  absl::StatusOr<net::Listener> probe =
      net::Listener::Listen(executor, {.address = net::SocketAddress::Loopback4(0)});
  if (!probe.ok()) return probe.status();
  uint16_t port = probe->local_address().port();
  probe->Close();
  return port;
}

// A message carrying `text` as application data (XCom's app_type cargo). The transport copies
// it when sending, so `text` only has to live until the send call returns.
xdr::PaxMsg TextMessage(std::string_view text, xdr::PaxOp op = xdr::PaxOp::kClientMsg) {
  return xdr::PaxMsg{.op = op, .a = {{.group_id = kGroupId, .body = xdr::AppU::App(text)}}};
}

// The text TextMessage() put in, or "" for any other message.
std::string TextOf(const xdr::PaxMsg& msg) {
  if (msg.a.empty() || msg.a[0].body.kind() != xdr::AppArm::kData) return "";
  return std::string(std::get<xdr::Bytes>(msg.a[0].body.arm));
}

// One node's receive loop: takes `expected` messages and prints each. Node 1 also answers the
// first message another node sent it.
Task<void> ReceiveLoop(Node& node, int expected) {
  bool replied = false;
  for (int n = 0; n < expected; ++n) {
    // Receive() waits as long as it takes; Receive(5s) gives up with kDeadlineExceeded.
    absl::StatusOr<IncomingMessage> in = co_await node.transport->Receive(5s);
    if (!in.ok()) {
      std::printf("node %d: stopped waiting: %s\n", node.index, in.status().ToString().c_str());
      co_return;
    }
    // in->msg() stays valid as long as `in` lives; copy out what you keep.
    const xdr::PaxMsg& msg = in->msg();
    std::string text = TextOf(msg);
    // The origin says which path it took: kSelf (delivered locally, never encoded), kInbound
    // (on a connection the sender opened to us) or kOutbound (on ours to the sender).
    std::string via = xcom::MessageOriginName(in->origin());
    if (in->origin() != xcom::MessageOrigin::kSelf) {
      absl::StrAppend(&via, ", ", xdr::DescribeProtocolVersion(in->version()));
    }
    std::printf("node %d <- node %u: \"%s\"  (%s, via %s)\n", node.index, msg.from, text.c_str(),
                xdr::DescribeEnum(msg.op).c_str(), via.c_str());
    node.received.push_back(text);

    // Reply() answers on the path the request came by: for kInbound, straight back on that
    // connection, as XCom's acceptor does.
    if (node.index == 1 && !replied && in->origin() == xcom::MessageOrigin::kInbound) {
      replied = true;
      std::string echo = "echo: " + text;
      xdr::PaxMsg reply = TextMessage(echo, xdr::PaxOp::kXcomClientReply);
      absl::Status sent = co_await node.transport->Reply(*in, reply);
      std::printf("node 1 -> node %u: \"%s\" (%s)\n", msg.from, echo.c_str(),
                  sent.ok() ? "written" : sent.ToString().c_str());
    }
  }
}

// "0.4 ms ago", or "never" for the epoch (nothing happened yet).
std::string Ago(net::TimePoint now, net::TimePoint then) {
  if (then == net::TimePoint{}) return "never";
  double ms = std::chrono::duration<double, std::milli>(now - then).count();
  char text[32];
  std::snprintf(text, sizeof text, "%.1f ms ago", ms > 0 ? ms : 0.0);
  return text;
}

// Everything the program does once the nodes exist, on the executor's thread.
Task<void> Run(Executor& executor, std::vector<Node>& nodes) {
  // Each node receives in its own task. A Scope owns the tasks it spawns (structured
  // concurrency): Join() waits for all of them, and destroying the scope would cancel them.
  net::Scope receivers(executor);
  for (Node& node : nodes) {
    // Node 0 also gets its own broadcasts (delivered locally) and node 1's echo.
    int expected = node.index == 0 ? kBroadcasts + 1 : kBroadcasts;
    receivers.Spawn(ReceiveLoop(node, expected));
  }

  // Sends never wait for the network: each destination gets the message queued, and that
  // peer's sender task connects, negotiates the protocol version and writes it.
  for (int k = 0; k < kBroadcasts; ++k) {
    std::string text = absl::StrCat("hello #", k);
    xdr::PaxMsg msg = TextMessage(text);
    xcom::SendReport report = co_await nodes[0].transport->SendToAll(nodes[0].site, msg);
    std::printf("node 0 -> all: \"%s\" queued for %u nodes (%s)\n", text.c_str(), report.queued,
                report.status.ToString().c_str());
  }
  co_await receivers.Join();

  // Liveness: `active` is our last outbound activity towards a node, `detected` the last time
  // we read anything from it. XCom's failure detector suspects a node not detected lately.
  std::printf("\nliveness, as each node sees the others:\n");
  for (const Node& node : nodes) {
    for (int peer = 0; peer < kNodes; ++peer) {
      if (peer == node.index) continue;
      absl::StatusOr<xcom::Liveness> l =
          node.transport->liveness(node.site, static_cast<xcom::NodeNo>(peer));
      if (!l.ok()) continue;
      std::printf("  node %d sees node %d: active %s, detected %s\n", node.index, peer,
                  Ago(executor.Now(), l->active).c_str(), Ago(executor.Now(), l->detected).c_str());
    }
  }

  // Statistics: per-op counts and bytes, connection events, and every undelivered message by
  // reason. statistics() may be read from any thread.
  std::printf("\nnode 0 statistics: %s\n", nodes[0].transport->statistics().ToJson().c_str());

  // Stop() closes every connection and joins every task; Receive() then reports kOutOfRange.
  for (Node& node : nodes) co_await node.transport->Stop();
}

// True if `node` received exactly what it should have.
bool CheckNode(const Node& node) {
  std::vector<std::string> hellos;
  for (int k = 0; k < kBroadcasts; ++k) hellos.push_back(absl::StrCat("hello #", k));
  std::vector<std::string> got = node.received;
  if (node.index == 0) {
    // The echo may arrive between our own broadcasts; they keep their order around it.
    auto echo = std::find(got.begin(), got.end(), "echo: hello #0");
    if (echo == got.end()) return false;
    got.erase(echo);
  }
  return got == hellos;  // messages from one sender arrive in the order it sent them
}

}  // namespace

int main() {
  // 1. One executor: io_uring where the kernel allows it, else epoll (UXCOM_BACKEND=epoll
  //    forces it). Everything below runs on this thread.
  absl::StatusOr<std::unique_ptr<Executor>> executor = Executor::Create();
  if (!executor.ok()) {
    std::fprintf(stderr, "echo_group: %s\n", executor.status().ToString().c_str());
    return 1;
  }

  // 2. Three transports, each listening on its own free loopback port.
  std::vector<Node> nodes(kNodes);
  std::vector<std::string> addresses;
  for (int i = 0; i < kNodes; ++i) {
    absl::StatusOr<uint16_t> port = FreeLoopbackPort(**executor);
    if (!port.ok()) {
      std::fprintf(stderr, "echo_group: %s\n", port.status().ToString().c_str());
      return 1;
    }
    xcom::TransportOptions options;
    options.self_address = absl::StrCat("127.0.0.1:", *port);       // how sites name this node
    options.listen_address = net::SocketAddress::Loopback4(*port);  // loopback only
    // The transport logs through this hook; lower the level to kInfo to watch connections
    // being made and negotiated.
    options.log = [i](xcom::LogLevel level, std::string_view line) {
      if (level >= xcom::LogLevel::kWarning) {
        std::fprintf(stderr, "[node %d] %s: %.*s\n", i, xcom::LogLevelName(level),
                     static_cast<int>(line.size()), line.data());
      }
    };
    absl::StatusOr<std::unique_ptr<Transport>> transport =
        Transport::Create(**executor, std::move(options));
    if (!transport.ok()) {
      std::fprintf(stderr, "echo_group: %s\n", transport.status().ToString().c_str());
      return 1;
    }
    absl::Status started = (*transport)->Start();
    if (!started.ok()) {
      std::fprintf(stderr, "echo_group: node %d: %s\n", i, started.ToString().c_str());
      return 1;
    }
    nodes[i].index = i;
    nodes[i].transport = *std::move(transport);
    addresses.push_back(absl::StrCat("127.0.0.1:", *port));
  }

  // 3. The same site on every node; only `nodeno` (which entry is "me") differs.
  for (Node& node : nodes) {
    xcom::Site site{.group_id = kGroupId, .nodeno = static_cast<xcom::NodeNo>(node.index)};
    for (int j = 0; j < kNodes; ++j) {
      site.nodes.push_back({.address = addresses[j], .uuid = absl::StrCat("node-", j)});
    }
    absl::StatusOr<xcom::SiteId> id = node.transport->InstallSite(site);
    if (!id.ok()) {
      std::fprintf(stderr, "echo_group: %s\n", id.status().ToString().c_str());
      return 1;
    }
    node.site = *id;
  }

  // 4-8. Run the coroutine to completion on the executor.
  (*executor)->BlockOn(Run(**executor, nodes));

  bool all = true;
  for (const Node& node : nodes) {
    bool ok = CheckNode(node);
    std::printf("node %d received %zu messages: %s\n", node.index, node.received.size(),
                ok ? "as expected" : "NOT as expected");
    all = all && ok;
  }
  std::printf("%s\n", all ? "OK: every expected message arrived" : "FAILED");
  // Transports go before the executor they run on (nodes is declared after executor).
  return all ? 0 : 1;
}
