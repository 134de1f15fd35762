// TransportState: what every task of one transport shares.
//
// The Transport object is a handle on this state; every task holds a shared_ptr to it, so a
// transport destroyed without Stop() cannot leave a task pointing at freed memory. All of it
// is touched only on the executor's thread.
#ifndef UXCOM_XCOM_INTERNAL_TRANSPORT_STATE_H_
#define UXCOM_XCOM_INTERNAL_TRANSPORT_STATE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "net/channel.h"
#include "net/event.h"
#include "net/executor.h"
#include "net/listener.h"
#include "net/scope.h"
#include "net/task.h"
#include "net/tls_context.h"
#include "xcom/incoming_message.h"
#include "xcom/internal/byte_budget.h"
#include "xcom/internal/connection.h"
#include "xcom/internal/frame_buffer.h"
#include "xcom/internal/frame_reader.h"
#include "xcom/internal/inbound_frame.h"
#include "xcom/internal/object_pool.h"
#include "xcom/internal/outgoing_message.h"
#include "xcom/internal/server.h"
#include "xcom/internal/server_table.h"
#include "xcom/options.h"
#include "xcom/statistics.h"
#include "xdr/decode.h"

namespace uxcom::xcom {
struct SendReport;
}

namespace uxcom::xcom::internal {

struct TransportState : std::enable_shared_from_this<TransportState> {
  TransportState(net::Executor& executor, TransportOptions options);
  ~TransportState();

  net::Executor& executor;
  const TransportOptions options;
  TransportStatistics stats;

  ServerTable servers;
  std::vector<InstalledSite> sites;  // retained sites, oldest first
  SiteId next_site_id = 1;
  uint64_t sites_generation = 0;  // bumped on every install and removal
  xdr::ProtocolVersion latest_common_proto;
  std::optional<std::pair<xdr::SynodeNo, xdr::SynodeNo>> stamps;  // max_synode, delivered

  ObjectPool<OutgoingMessage> messages;
  // Decoded frames (their arenas stay grown to the messages decoded into them) and self
  // deliveries (whose arena holds a compacted message decoded, or nothing) are pooled apart,
  // so that a frame recycled from a self delivery seldom has to grow an arena for a decode.
  ObjectPool<InboundFrame> frames;
  ObjectPool<InboundFrame> self_frames;
  net::Channel<IncomingMessage> inbox;
  // inbox_bytes: what delivered messages hold until the application releases them.
  std::shared_ptr<ByteBudget> inbox_bytes;  // shared: delivered frames may outlive the state

  // TLS material when options.tls is enabled (secure_connection.h), else null.
  std::shared_ptr<net::TlsContext> tls;

  std::optional<net::Listener> listener;
  net::SocketAddress bound_address;
  std::unique_ptr<net::Scope> tasks;    // TcpServer and Reaper, and every server's scope
  std::unique_ptr<net::Scope> inbound;  // one task per inbound connection
  std::vector<Connection*> inbound_connections;
  uint64_t connection_serials = 0;  // the serial of the newest Connection
  // Receive buffers grown beyond read_buffer_size (Connection::held), max_partial_frame_bytes:
  // what open connections hold, and who holds it (the candidates for a close), and what closed
  // connections still hold until their buffers are unmapped (their readers are unwinding, a
  // read the kernel may still complete into the buffer included). Set when either shrinks.
  size_t partial_frame_bytes = 0;
  std::vector<Connection*> holding;
  size_t closed_frame_bytes = 0;
  net::Event partial_room;
  // Servers collected while their tasks may still be unwinding (Stop() joins them).
  std::vector<std::weak_ptr<Server>> retiring;
  bool started = false;
  bool stopped = false;

  // --- logging ----------------------------------------------------------------------------------
  // Debian's Abseil has its own absl::string_view, which absl::StrCat wants for text pieces.
  static absl::string_view Piece(std::string_view s) { return {s.data(), s.size()}; }
  template <typename T>
  static const T& Piece(const T& x) {
    return x;
  }
  template <typename... Args>
  void Log(LogLevel level, const Args&... args) {
    if (options.log) options.log(level, absl::StrCat(Piece(args)...));
  }

  // --- sites and servers ------------------------------------------------------------------------
  InstalledSite* FindSite(SiteId id);
  // Spawns the tasks of a server (Sender, or LocalSender) if the transport runs.
  void StartServer(const std::shared_ptr<Server>& server);
  // shut_srv: closes its connection, drops what it has queued, cancels its tasks.
  void ShutServer(const std::shared_ptr<Server>& server, CloseReason reason, DropReason drop);
  size_t Collect();
  // find_site_def: the newest retained site of `msg`'s group that applies to its synode.
  InstalledSite* SiteOf(const xdr::PaxMsg& msg);
  // find_site_def + get_server: the server that sent `msg` (null if no retained site lists it).
  std::shared_ptr<Server> ServerOf(const xdr::PaxMsg& msg);

  // --- sending ----------------------------------------------------------------------------------
  OutgoingRef NewMessage(const InstalledSite& site, const xdr::PaxMsg& msg);
  // send_msg's stamps: `from` and `group_id` of `site` (when given), and the max_synode and
  // delivered_msg of SetSynodeStamps (when set).
  void Stamp(xdr::PaxMsg& msg, const InstalledSite* site) const;
  // send_msg: queues `message` for `server` with destination `to`. On overflow under kWait
  // the entry is appended to `waiting` instead of being dropped.
  void Enqueue(const std::shared_ptr<Server>& server, const OutgoingRef& message, NodeNo to,
               SendReport& report,
               std::vector<std::pair<std::shared_ptr<Server>, QueuedMessage>>* waiting);
  // Every message not delivered goes through here: counted by reason, for the server, and in
  // the send's report when there is one.
  void CountDrop(Server* server, DropReason reason, SendReport* report, absl::Status why,
                 uint64_t count = 1);
  // Drops (and counts) the messages queued for `server` that expired by `now`.
  void DropExpired(Server& server, net::TimePoint now);

  // --- receiving --------------------------------------------------------------------------------
  // Checks and decodes a normal frame read on `conn` into a pooled frame; on failure the
  // connection must be closed with the returned reason (the detail is logged).
  struct Decoded {
    PoolRef<InboundFrame> frame;
    CloseReason reason = CloseReason::kMalformedFrame;
    std::string detail;
  };
  // `received`: the memory the frame was received in, taken over (FrameReader::TakeOver): the
  // pooled frame keeps it and the payload is decoded as views into it. Empty: `frame.body` is
  // the connection's receive buffer, reused for the next frame, and the payload is copied.
  Decoded DecodeNormalFrame(const Connection& conn, const FrameBuffer::Next& frame,
                            MappedBytes received);
  // The steps of DecodeNormalFrame, for a decode on another thread (DecodeOffLoop): the checks
  // before decoding (false: `out` says why the connection must close), the pooled frame to decode
  // into (its arena fitted), the codec's options for it, and what follows a decode into `f` (on
  // the executor's thread).
  bool CheckNormalFrame(const Connection& conn, const FrameBuffer::Next& frame, Decoded& out) const;
  PoolRef<InboundFrame> FrameFor(const Connection& conn, const FrameBuffer::Next& frame,
                                 MappedBytes received);
  xdr::DecodeOptions FrameDecodeOptions(const InboundFrame& f) const;
  Decoded FinishDecode(const Connection& conn, const FrameBuffer::Next& frame,
                       PoolRef<InboundFrame> f, const absl::StatusOr<xdr::DecodeInfo>& d);
  // Says who sent a decoded frame (the server, and for Reply() the inbound connection); false
  // when it must not be delivered (read on our connection to an invalidated server).
  bool Attribute(Connection& conn, InboundFrame& frame);
  // What a delivered frame holds, counted against inbox_bytes until the application releases
  // it: the frame and its decoded copy (or, delivered to self, the shared message and what its
  // decode on first read is expected to take; InboundFrame::DecodeSelf charges any excess).
  static size_t InboxCost(const InboundFrame& frame);
  // The one way into the inbox: waits for room in count (the embedder's pace, not a stalled
  // peer). The caller has waited for room in bytes first:
  //   while (!st.inbox_bytes->HasRoom(cost)) { Reset room(), co_await room().Wait() }
  net::Channel<IncomingMessage>::PushAwaiter Deliver(PoolRef<InboundFrame> frame, size_t cost);
  // max_partial_frame_bytes, enforced before a receive buffer grows: may `conn`'s buffer grow
  // to `capacity`? kGranted: it is charged (grow it now). kClosed: the open connections
  // would hold too much and `conn` held the most, so it was closed (others holding more are
  // closed first, and then it may be granted). kWait: what is open fits, but closed
  // connections' buffers are not unmapped yet: wait for partial_room and ask again. So the
  // mapped receive buffers, closed ones included, never exceed the budget.
  enum class Growth { kGranted, kClosed, kWait };
  Growth ReserveHeld(Connection& conn, size_t capacity);
  // Accounts for `conn`'s receive buffer after it shrank.
  void NoteHeld(Connection& conn);
  // `conn` has closed: it is no candidate for a close any more, but its bytes stay charged
  // (closed_frame_bytes) until ReleaseHeld.
  void NoteClosed(Connection& conn);
  // `conn`'s receive buffer has been unmapped.
  void ReleaseHeld(Connection& conn);
  // The version an x_version_req for `requested` is answered with (negotiate_protocol).
  xdr::ProtocolVersion AnswerVersion(xdr::ProtocolVersion requested) const;
};

// The tasks and steps, one concept per file:
//   sender.cc               RunSender: dial → run the connection → back off
//   outbound_connection.cc  RunOutboundConnection: [secure] → negotiate → pump + reader
//   inbound_connection.cc   RunInboundConnection: [secure] → negotiate → reader
//   negotiation.cc          NegotiateOutbound, NegotiateInbound, AnswerVersionRequest
//   write_pump.cc           RunWritePump: queue → batch → socket
//   reader.cc               RunReader: frames → inbox, either direction
//   local_sender.cc         RunLocalSender: delivery to this node without a socket
//   tcp_server.cc           RunTcpServer: the accept loop
//   reaper.cc               RunReaper: closes idle outbound connections
net::Task<void> RunSender(std::shared_ptr<TransportState> state, std::shared_ptr<Server> server);
net::Task<void> RunOutboundConnection(std::shared_ptr<TransportState> state,
                                      std::shared_ptr<Server> server, net::Stream stream);
net::Task<void> RunInboundConnection(std::shared_ptr<TransportState> state, net::Stream stream,
                                     net::SocketAddress peer);
net::Task<absl::StatusOr<xdr::ProtocolVersion>> NegotiateOutbound(TransportState& st,
                                                                  Connection& conn, uint16_t tag);
net::Task<absl::Status> NegotiateInbound(TransportState& st, Connection& conn);
// Answers a peer's x_version_req on `conn` (after the IPv6 gate on an inbound connection,
// whose version it sets). False when the connection has ended.
net::Task<bool> AnswerVersionRequest(TransportState& st, Connection& conn,
                                     xdr::FrameHeader request);
net::Task<void> RunWritePump(std::shared_ptr<TransportState> state, std::shared_ptr<Server> server,
                             std::shared_ptr<Connection> conn);
net::Task<void> RunReader(std::shared_ptr<TransportState> state, std::shared_ptr<Connection> conn);
net::Task<void> RunLocalSender(std::shared_ptr<TransportState> state,
                               std::shared_ptr<Server> server);
net::Task<void> RunTcpServer(std::shared_ptr<TransportState> state);
net::Task<void> RunReaper(std::shared_ptr<TransportState> state);

// is_new_node_eligible_for_ipv6: every member of `site` must resolve to an IPv4 address.
net::Task<bool> Ipv6Eligible(Site site);

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_TRANSPORT_STATE_H_
