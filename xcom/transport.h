// Transport: one XCom node's transport, as coroutines on a net::Executor.
//
// This is MySQL 8.0.18's xcom_transport.c for embedders: it listens for peers, keeps one
// outbound connection per peer with a sender (write coalescing, reconnection with back-off,
// protocol negotiation) and a reply reader, reads every inbound connection, delivers this
// node's messages to itself without a socket, reaps idle connections, and exposes per-peer
// liveness for a failure detector. It speaks XCom x_1_0 … x_1_6 byte for byte with MySQL
// 8.0.18 nodes. What it does not do is Paxos: the embedder decides what to send and what a
// message means (xcom/README.md maps every function of the original to its uxcom home).
//
// Messages are addressed as XCom addresses them: by site (a configuration, see site.h) and
// node number. Fan-out follows XCom's send_* family. Sends never block on I/O: a message is
// queued for each destination (self included) and the destination's sender writes it with
// that connection's protocol version; one message is encoded at most once per version.
// Bounded queues and an explicit overflow policy replace XCom's unbounded channels, and every
// message not delivered is counted with its reason (statistics()).
//
// A node's life, from xcom/examples/ping_pong.cc (coroutines are named functions, every
// awaited result goes to a named variable first: net/task.h's coroutine rules):
//
//   net::Task<absl::Status> Talk(Transport& t, SiteId site) {
//     absl::Status up = co_await t.WaitForPeer(site, /*node=*/1, std::chrono::seconds(5));
//     if (!up.ok()) co_return up;                          // kDeadlineExceeded names the peer
//     SendReport sent = co_await t.SendTo(site, 1, msg);  // queued; written by its sender
//     if (!sent.status.ok()) co_return sent.status;
//     absl::StatusOr<IncomingMessage> in = co_await t.Receive(std::chrono::seconds(1));
//     if (!in.ok()) co_return in.status();                 // kDeadlineExceeded: nothing came
//     absl::Status flushed = co_await t.Flush(std::chrono::seconds(2));
//     co_await t.Stop();
//     co_return flushed;
//   }
//
//   std::unique_ptr<net::Executor> ex = *net::Executor::Create();
//   std::unique_ptr<Transport> t = *Transport::Create(*ex, {.self_address = "127.0.0.1:33061"});
//   absl::Status started = t->Start();
//   SiteId site = *t->InstallSite({.group_id = 1, .nodeno = 0, .nodes = {...}});
//   absl::Status result = ex->BlockOn(Talk(*t, site));
//
// Select and timeouts compose: net::WithTimeout(d, t.Receive()) is Receive(d), and
// net::WhenAny(a.Receive(), b.Receive()) (net/when_any.h) takes the first of two transports.
//
// Threading: every method runs on the executor's thread (Create and Start may also run before
// the loop does); debug builds abort with a message when one is called from another thread
// while the loop runs. statistics() may be read from any thread.
#ifndef UXCOM_XCOM_TRANSPORT_H_
#define UXCOM_XCOM_TRANSPORT_H_

#include <coroutine>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/address.h"
#include "net/channel.h"
#include "net/executor.h"
#include "net/task.h"
#include "net/timer.h"
#include "xcom/incoming_message.h"
#include "xcom/options.h"
#include "xcom/site.h"
#include "xcom/statistics.h"
#include "xdr/enums.h"
#include "xdr/pax_msg.h"

namespace uxcom::xcom {

namespace internal {
struct TransportState;
}

// A server's liveness, as XCom's failure detector reads it (server_active, detected).
struct Liveness {
  // Last outbound activity: a message queued or written, or a successful dial.
  net::TimePoint active{};
  // Last inbound evidence: any bytes read from the peer, on either connection (refreshed on
  // every partial read, so a long transfer never looks like silence). Epoch: never.
  net::TimePoint detected{};
};

// XCom's connection states of an outbound connection: CON_NULL, CON_FD, CON_PROTO.
enum class PeerConnectionState { kNone, kConnected, kNegotiated };
const char* PeerConnectionStateName(PeerConnectionState state);

// A snapshot of one server (one distinct peer address of the retained sites).
struct PeerInfo {
  std::string address;
  bool local = false;    // this node: delivered without a socket
  bool invalid = false;  // dropped by a forced configuration
  PeerConnectionState state = PeerConnectionState::kNone;
  xdr::ProtocolVersion version = xdr::ProtocolVersion::kUnknown;  // of the outbound connection
  uint16_t last_tag = 0;  // tag of the latest x_version_req (0: none sent yet)
  Liveness liveness;
  size_t queued = 0;
  size_t queued_bytes = 0;  // what they hold, counted against peer_queue_bytes
  uint64_t messages_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t messages_dropped = 0;
  uint64_t connects = 0;       // TCP connections established
  uint64_t dial_failures = 0;  // dials that failed (refused, unreachable, timed out, TLS)
  // What TLS negotiated on the outbound connection ("TLSv1.3", "TLS_AES_256_GCM_SHA384");
  // empty without TLS or without a connection.
  std::string tls_version;
  std::string tls_cipher;
  std::string tls_peer_subject;  // the subject of the certificate the peer presented
  long references = 0;  // holders of the server object: the table, sites, tasks, connections
};

// What a send did. Never an I/O result: delivery happens later, in the destinations' senders.
struct SendReport {
  uint32_t queued = 0;   // destinations the message was queued for
  uint32_t dropped = 0;  // destinations it was not queued for (statistics() says why)
  // SendToSomeone: the node chosen, kVoidNodeNo when none was eligible.
  NodeNo chosen = kVoidNodeNo;
  // OK, or why the first destination (or the whole send) failed: kNotFound (unknown site, no
  // eligible node), kInvalidArgument (node number outside the site), kResourceExhausted
  // (a queue was full), kFailedPrecondition (invalidated destination, transport not running).
  absl::Status status;
};

// The result of Transport::Send*. A send acts when called: the message is queued for every
// destination (or dropped and counted) before Send* returns, and the awaiter is ready at once
// with the report. The one exception is QueueOverflowPolicy::kWait with a destination queue
// full: then co_await waits for room. The awaiter is [[nodiscard]] (the compiler diagnoses a
// discarded one, //xcom:nodiscard_test); if it is destroyed without co_await all the same, the
// entries still waiting for room are dropped and counted as DropReason::kNotAwaited, never lost
// silently. Movable until awaited (so net::WithTimeout and net::WhenAny take it).
class UXCOM_AWAITABLE SendAwaiter {
 public:
  explicit SendAwaiter(SendReport report) : report_(std::move(report)) {}
  explicit SendAwaiter(net::Task<SendReport> slow) : slow_(std::move(slow)) {}
  SendAwaiter(SendAwaiter&&) noexcept = default;
  SendAwaiter(const SendAwaiter&) = delete;
  bool await_ready() const noexcept { return !slow_.valid(); }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> handle) {
    inner_.emplace(std::move(slow_).operator co_await());
    return inner_->await_suspend(handle);
  }
  SendReport await_resume() { return inner_ ? inner_->await_resume() : std::move(report_); }

 private:
  SendReport report_;
  net::Task<SendReport> slow_;
  std::optional<net::Task<SendReport>::Awaiter> inner_;
};

// The result of Transport::Receive(): absl::StatusOr<IncomingMessage> once awaited. Movable until
// awaited, so it composes: net::WithTimeout(d, t.Receive()), net::WhenAny(...).
using ReceiveAwaiter = net::Channel<IncomingMessage>::PopAwaiter;

class Transport {
 public:
  // Validates `options` (kInvalidArgument naming the option) and prepares the node; nothing
  // listens or dials until Start().
  static absl::StatusOr<std::unique_ptr<Transport>> Create(net::Executor& executor,
                                                           TransportOptions options);
  // Cancels every task; tasks still unwinding finish in the background. Prefer Stop().
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Listens (dual-stack, backlog 32) and starts the accept loop and the reaper. Logs "XCom
  // initialized and ready to accept incoming connections on port P". Errors: the listener's
  // (kFailedPrecondition: address in use), kFailedPrecondition if already started.
  absl::Status Start();
  // Stops everything: closes every connection, cancels and joins every task, drops what is
  // still queued (counted as DropReason::kShutdown) and closes the inbox (Receive() then
  // drains it and returns kOutOfRange). Idempotent.
  net::Task<void> Stop();
  // Waits until every message queued so far (and while it waits), to every peer and to this
  // node, has been written: handed to the kernel on a negotiated connection, or delivered to
  // this node's inbox (not an acknowledgement from the peer). Call it before Stop() to stop
  // without dropping what is queued. kDeadlineExceeded after `timeout`, naming every peer that
  // still holds messages, how many and its connection state (an unreachable peer keeps its
  // messages until they expire, disconnected_message_ttl); kCancelled if the caller is
  // cancelled; OK at once on a stopped transport (Stop() counted what it dropped).
  net::Task<absl::Status> Flush(Duration timeout);
  // Waits until this node's connection to `node` of `site` is connected and negotiated
  // (PeerConnectionState::kNegotiated), so that what is sent next is written at once instead of
  // waiting for a dial (and perhaps expiring). OK at once for this node itself. It sends
  // nothing: a sender dials as soon as its server exists and redials with back-off, except
  // after the reaper closed an idle connection (the next message brings it back). Errors: those
  // of liveness(), kFailedPrecondition (not running, or the peer was invalidated),
  // kDeadlineExceeded after `timeout` naming the peer, its state and its failed dials;
  // kCancelled if the caller is cancelled.
  net::Task<absl::Status> WaitForPeer(SiteId site, NodeNo node, Duration timeout);
  bool running() const;
  // The address the listener is bound to (its port is the actual one when listen_port was 0).
  net::SocketAddress listen_address() const;
  const TransportOptions& options() const;

  // --- configurations -------------------------------------------------------------------------
  // Installs a configuration (XCom's site_install_action → update_servers): every node address
  // gets its server, reused if another retained site has the same host and port ("Re-using
  // server node …"; "h:080" is "h:80", as in find_server) or created ("Creating new server
  // node …"). The node at `nodeno`, and any node at self_address's host and port, is this
  // node: its server delivers locally, and a remote server a site lists as this node becomes
  // local. A node whose address does not parse gets none ("Error parsing ip:port for new
  // server. Incorrect value is …"; sends to it are dropped as kNoServer). With operation
  // force_config_type, servers of the previous newest site that this one drops are
  // invalidated, as update_servers does. Errors: kResourceExhausted (server table full;
  // nothing is installed), kInvalidArgument (nodeno outside the site, more than 100 nodes).
  absl::StatusOr<SiteId> InstallSite(Site site,
                                     xdr::CargoType operation = xdr::CargoType::kUnifiedBootType);
  // Stops retaining a site, then collects the servers no retained site lists (their
  // connections close, their tasks end, their queued messages are dropped and counted).
  absl::Status RemoveSite(SiteId site);
  // Keeps only the newest `count` sites (XCom's garbage_collect_site_defs), then collects.
  void RetainNewestSites(size_t count);
  // garbage_collect_servers: returns how many servers were collected.
  size_t CollectGarbage();
  // invalidate_servers(current, forced), as XCom's xa_force_config calls it on the node that
  // forces a configuration, before `forced` is agreed and installed: the servers of `current`'s
  // nodes that `forced` does not list (by host and port; the uuid is ignored, as node_exists
  // ignores it) are invalid until a site lists them again. `forced` is not installed by this
  // call; install it later with InstallSite(forced, kForceConfigType). kNotFound: no such site.
  absl::Status InvalidateServers(SiteId current, const Site& forced);
  // The newest site (get_site_def), or nullopt.
  std::optional<SiteId> latest_site() const;
  const Site* site(SiteId id) const;
  // common_xcom_version of the newest installed site (latest_common_proto; own maximum before
  // any site).
  xdr::ProtocolVersion latest_common_version() const;

  // Values stamped on every message sent from now on, replies included, as XCom stamps its
  // executor's max_synode and delivered_msg (send_msg, and the acceptor's replies). Without a
  // call, messages keep their own values.
  void SetSynodeStamps(xdr::SynodeNo max_synode, xdr::SynodeNo delivered_msg);

  // --- sending: XCom's send_* family --------------------------------------------------------
  // Every send copies `msg` (it may be destroyed at once) and stamps `from` = the site's own
  // node number and `group_id` = the site's group, then `to` per destination.
  //
  // send_server_msg: to one node (self goes through the local sender).
  SendAwaiter SendTo(SiteId site, NodeNo to, const xdr::PaxMsg& msg);
  // send_to_all_site: every node of the site, this one included.
  SendAwaiter SendToAll(SiteId site, const xdr::PaxMsg& msg);
  // send_to_others: every node but this one.
  SendAwaiter SendToOthers(SiteId site, const xdr::PaxMsg& msg);
  // send_to_self_site.
  SendAwaiter SendToSelf(SiteId site, const xdr::PaxMsg& msg);
  // send_to_acceptors: in 8.0.18 MAXACCEPT is undefined, so every node (= SendToAll).
  SendAwaiter SendToAcceptors(SiteId site, const xdr::PaxMsg& msg);
  // send_to_someone: one other node that is not suspected (detected within the last
  // `suspect_after`), round-robin per site. 8.0.18 never tries the slot its global index
  // starts from (so in a two-node group every other call sends to nobody); uxcom tries every
  // other node once. kNotFound (and chosen = kVoidNodeNo) when none qualifies.
  SendAwaiter SendToSomeone(SiteId site, const xdr::PaxMsg& msg,
                            Duration suspect_after = std::chrono::seconds(4));

  // Answers `request` by origin: on the connection the request came in on (kInbound: encoded
  // with that connection's version and written directly), through our own connection to the
  // sender (kOutbound: queued on its server), or locally (kSelf). The reply is stamped as
  // 8.0.18's reply_msg stamps it: `to` = the request's `from`; max_synode and delivered_msg
  // (SetSynodeStamps); and, when the request comes from a member of a retained site of its
  // group (find_site_def), `from` and `group_id` of that site as every send has them, else
  // `from` = the request's `to` and the reply's own group_id. Errors: kFailedPrecondition
  // (the connection is gone), the encoder's (the version cannot carry the reply), the write's.
  net::Task<absl::Status> Reply(const IncomingMessage& request, const xdr::PaxMsg& reply);

  // --- receiving -------------------------------------------------------------------------------
  // The next message from any peer or from this node. kOutOfRange once the transport has
  // stopped and every delivered message was taken; kCancelled if the caller is cancelled.
  ReceiveAwaiter Receive();
  // The same, giving up after `timeout` with kDeadlineExceeded (= net::WithTimeout(timeout,
  // Receive())). A message that arrives as the deadline passes stays in the inbox: none is lost.
  net::Task<absl::StatusOr<IncomingMessage>> Receive(Duration timeout);
  std::optional<IncomingMessage> TryReceive();

  // --- observing -------------------------------------------------------------------------------
  // Liveness of a site's node (server_active / detected); kNotFound / kInvalidArgument for an
  // unknown site or node, kFailedPrecondition for a node without a server.
  absl::StatusOr<Liveness> liveness(SiteId site, NodeNo node) const;
  // Every server, in table order.
  std::vector<PeerInfo> peers() const;
  std::optional<PeerInfo> peer(std::string_view address) const;
  TransportStatistics::Snapshot statistics() const;

  // --- TLS ---------------------------------------------------------------------------------------
  // Certificate rotation without a restart (8.0.18 needs one): reads options().tls's files
  // again; connections made from now on use the new material, connections already up keep
  // theirs. On failure (kInvalidArgument naming the file and the reason) nothing changes.
  // kFailedPrecondition when TLS is off.
  absl::Status ReloadTls();

 private:
  explicit Transport(std::shared_ptr<internal::TransportState> state);
  std::shared_ptr<internal::TransportState> state_;
};

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_TRANSPORT_H_
