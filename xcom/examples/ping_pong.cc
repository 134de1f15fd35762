// ping_pong: the embedder's whole round trip with nothing but the public API — send, wait for
// the peer, receive with a timeout, flush, stop.
//
// Two XCom transports in one process on loopback. Node 0 waits until its connection to node 1
// is negotiated, sends "ping", waits at most 5 s for the answer, checks that nothing else
// arrives within 100 ms, flushes and stops. Node 1 waits at most 5 s for the ping, answers
// "pong" to its sender, flushes (so the answer is written before it stops) and stops.
// Exit status 0 only if both nodes did all of that.
//
//   bazel run //xcom/examples:ping_pong
//
// Coroutine style (net/task.h, "Coroutine rules"): every awaited result goes into a named
// variable first, no co_await inside a condition, a ?: or a macro argument, and tasks are
// named coroutine functions with their parameters bound as arguments (no capturing lambdas).
#include <chrono>
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
#include "xcom/transport.h"
#include "xdr/pax_msg.h"

namespace {

using namespace std::chrono_literals;
namespace net = uxcom::net;
namespace xcom = uxcom::xcom;
namespace xdr = uxcom::xdr;

constexpr uint32_t kGroupId = 0x919;

xdr::PaxMsg TextMessage(std::string_view text) {
  return xdr::PaxMsg{.op = xdr::PaxOp::kClientMsg,
                     .a = {{.group_id = kGroupId, .body = xdr::AppU::App(text)}}};
}

std::string TextOf(const xdr::PaxMsg& msg) {
  if (msg.a.empty() || msg.a[0].body.kind() != xdr::AppArm::kData) return "";
  return std::string(std::get<xdr::Bytes>(msg.a[0].body.arm));
}

// Node 0: wait for the peer, ping, expect the pong within 5 s and then silence, flush, stop.
net::Task<absl::Status> Pinger(xcom::Transport& t, xcom::SiteId site) {
  absl::Status up = co_await t.WaitForPeer(site, /*node=*/1, 5s);
  if (!up.ok()) co_return up;  // e.g. kDeadlineExceeded naming the peer and its dial failures
  std::printf("node 0: connected to node 1 and negotiated\n");

  xcom::SendReport sent = co_await t.SendTo(site, 1, TextMessage("ping"));
  if (!sent.status.ok()) co_return sent.status;

  absl::StatusOr<xcom::IncomingMessage> pong = co_await t.Receive(5s);
  if (!pong.ok()) co_return pong.status();
  std::printf("node 0: received \"%s\" from node %u\n", TextOf(pong->msg()).c_str(),
              pong->msg().from);
  if (TextOf(pong->msg()) != "pong") co_return absl::InternalError("expected pong");

  // Nothing else was sent: a receive with a timeout ends with kDeadlineExceeded.
  absl::StatusOr<xcom::IncomingMessage> more = co_await t.Receive(100ms);
  if (!absl::IsDeadlineExceeded(more.status())) {
    co_return absl::InternalError(absl::StrCat("expected silence, got ", more.status().ToString()));
  }
  std::printf("node 0: nothing more within 100 ms\n");

  absl::Status flushed = co_await t.Flush(2s);
  co_await t.Stop();
  co_return flushed;
}

// Node 1: wait for a ping, answer its sender, flush so the answer is written, stop.
net::Task<absl::Status> Ponger(xcom::Transport& t, xcom::SiteId site) {
  absl::StatusOr<xcom::IncomingMessage> ping = co_await t.Receive(5s);
  if (!ping.ok()) co_return ping.status();
  std::printf("node 1: received \"%s\" from node %u\n", TextOf(ping->msg()).c_str(),
              ping->msg().from);
  xcom::SendReport sent = co_await t.SendTo(site, ping->msg().from, TextMessage("pong"));
  if (!sent.status.ok()) co_return sent.status;
  // Without this, Stop() could drop the pong while its connection is still being made.
  absl::Status flushed = co_await t.Flush(5s);
  if (!flushed.ok()) co_return flushed;
  std::printf("node 1: pong written\n");
  co_await t.Stop();
  co_return absl::OkStatus();
}

// Runs both nodes concurrently, each in a task the scope owns; their results land in `out`.
net::Task<void> Keep(net::Task<absl::Status> task, absl::Status* out) {
  absl::Status result = co_await std::move(task);
  *out = std::move(result);
}

net::Task<void> Both(net::Executor& executor, std::vector<std::unique_ptr<xcom::Transport>>& t,
                     std::vector<xcom::SiteId>& sites, std::vector<absl::Status>& results) {
  net::Scope scope(executor);
  scope.Spawn(Keep(Pinger(*t[0], sites[0]), &results[0]));
  scope.Spawn(Keep(Ponger(*t[1], sites[1]), &results[1]));
  co_await scope.Join();
}

absl::StatusOr<uint16_t> FreeLoopbackPort(net::Executor& executor) {
  absl::StatusOr<net::Listener> probe =
      net::Listener::Listen(executor, {.address = net::SocketAddress::Loopback4(0)});
  if (!probe.ok()) return probe.status();
  uint16_t port = probe->local_address().port();
  probe->Close();
  return port;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "ping_pong: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main() {
  absl::StatusOr<std::unique_ptr<net::Executor>> executor = net::Executor::Create();
  if (!executor.ok()) return Fail(executor.status());
  net::Executor& ex = **executor;

  std::vector<std::string> addresses;
  std::vector<std::unique_ptr<xcom::Transport>> transports;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<uint16_t> port = FreeLoopbackPort(ex);
    if (!port.ok()) return Fail(port.status());
    addresses.push_back(absl::StrCat("127.0.0.1:", *port));
    xcom::TransportOptions options;
    options.self_address = addresses.back();
    options.listen_address = net::SocketAddress::Loopback4(*port);
    absl::StatusOr<std::unique_ptr<xcom::Transport>> t = xcom::Transport::Create(ex, options);
    if (!t.ok()) return Fail(t.status());
    absl::Status started = (*t)->Start();
    if (!started.ok()) return Fail(started);
    transports.push_back(*std::move(t));
  }
  std::vector<xcom::SiteId> sites;
  for (int i = 0; i < 2; ++i) {
    xcom::Site site{.group_id = kGroupId, .nodeno = static_cast<xcom::NodeNo>(i)};
    for (const std::string& a : addresses) site.nodes.push_back({.address = a});
    absl::StatusOr<xcom::SiteId> id = transports[i]->InstallSite(site);
    if (!id.ok()) return Fail(id.status());
    sites.push_back(*id);
  }

  std::vector<absl::Status> results(2);
  ex.BlockOn(Both(ex, transports, sites, results));
  for (int i = 0; i < 2; ++i) {
    std::printf("node %d: %s\n", i, results[i].ToString().c_str());
  }
  const bool ok = results[0].ok() && results[1].ok();
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
