#include "xcom/internal/transport_state.h"

#include <algorithm>
#include <utility>

#include "xcom/transport.h"
#include "xdr/decode.h"
#include "xdr/negotiation.h"

namespace uxcom::xcom::internal {

TransportState::TransportState(net::Executor& ex, TransportOptions opts)
    : executor(ex),
      options(std::move(opts)),
      servers(options.server_table_capacity),
      latest_common_proto(options.max_version),
      messages(options.pooled_messages),
      frames(options.pooled_messages),
      self_frames(options.pooled_messages),
      inbox(options.inbox_limit),
      inbox_bytes(std::make_shared<ByteBudget>(options.inbox_bytes)) {
  // Sized up front, so that no burst grows the ring in steady state (65 536 slots at most:
  // 512 KiB, whatever the options say).
  inbox.Reserve(std::min({options.inbox_limit, options.pooled_messages, size_t{1} << 16}));
}

TransportState::~TransportState() = default;

InstalledSite* TransportState::FindSite(SiteId id) {
  for (InstalledSite& s : sites) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

void TransportState::StartServer(const std::shared_ptr<Server>& server) {
  if (!started || stopped || server->scope != nullptr) return;
  server->scope = std::make_unique<net::Scope>(*tasks);
  // The tasks hold the state and the server; the state holds neither task.
  if (server->local) {
    server->scope->Spawn(RunLocalSender(shared_from_this(), server));
  } else {
    server->scope->Spawn(RunSender(shared_from_this(), server));
  }
}

void TransportState::ShutServer(const std::shared_ptr<Server>& server, CloseReason reason,
                                DropReason drop) {
  if (server->connection != nullptr) server->connection->Close(reason);
  server->peer.queue().Close();
  if (uint64_t dropped = server->peer.DropAll(); dropped != 0) {
    CountDrop(server.get(), drop, nullptr, absl::OkStatus(), dropped);
  }
  server->drained.Set();  // nothing of it will ever be written: Flush() need not wait
  if (server->scope != nullptr) {
    server->scope->Cancel();
    retiring.push_back(server);
  }
}

size_t TransportState::Collect() {
  std::vector<std::shared_ptr<Server>> removed = servers.Sweep(sites);
  for (const std::shared_ptr<Server>& s : removed) {
    Log(LogLevel::kInfo, "Removing server node ", s->address, " (no retained site lists it)");
    ShutServer(s, CloseReason::kServerCollected, DropReason::kServerCollected);
  }
  // Forget retired servers whose tasks are done.
  std::erase_if(retiring, [](const std::weak_ptr<Server>& w) { return w.expired(); });
  return removed.size();
}

InstalledSite* TransportState::SiteOf(const xdr::PaxMsg& msg) {
  uint32_t group = msg.synode.group_id != 0 ? msg.synode.group_id : msg.group_id;
  for (auto it = sites.rbegin(); it != sites.rend(); ++it) {
    if (it->site.group_id != group) continue;
    if (it->site.start.msgno > msg.synode.msgno) continue;  // a later configuration
    return &*it;
  }
  return nullptr;
}

std::shared_ptr<Server> TransportState::ServerOf(const xdr::PaxMsg& msg) {
  InstalledSite* site = SiteOf(msg);
  if (site == nullptr || msg.from >= site->servers.size()) return nullptr;
  return site->servers[msg.from];
}

OutgoingRef TransportState::NewMessage(const InstalledSite& site, const xdr::PaxMsg& msg) {
  OutgoingRef m = messages.Acquire();
  m->Assign(msg, options.profile, executor.Now());
  Stamp(m->msg(), &site);
  return m;
}

void TransportState::Stamp(xdr::PaxMsg& p, const InstalledSite* site) const {
  if (site != nullptr) {
    p.from = site->site.nodeno;
    p.group_id = site->site.group_id;
  }
  if (stamps) {
    p.max_synode = stamps->first;
    p.delivered_msg = stamps->second;
  }
}

void TransportState::CountDrop(Server* server, DropReason reason, SendReport* report,
                               absl::Status why, uint64_t count) {
  stats.CountDrop(reason, count);
  if (server != nullptr) server->messages_dropped += count;
  if (report != nullptr) {
    report->dropped += static_cast<uint32_t>(count);
    if (report->status.ok()) report->status = std::move(why);
  }
}

void TransportState::Enqueue(
    const std::shared_ptr<Server>& target, const OutgoingRef& message, NodeNo to,
    SendReport& report, std::vector<std::pair<std::shared_ptr<Server>, QueuedMessage>>* waiting) {
  Server& server = *target;
  if (server.invalid) {
    CountDrop(
        &server, DropReason::kInvalidServer, &report,
        absl::FailedPreconditionError(absl::StrCat("node ", to, " (", server.address,
                                                   ") was invalidated by a forced configuration")));
    return;
  }
  net::TimePoint now = executor.Now();
  server.active = now;  // alive(): enqueueing counts as outbound activity, as in XCom
  QueuedMessage entry{.message = message, .to = to};
  absl::Status s = server.peer.TryPush(entry);
  if (s.ok()) {
    server.drained.Reset();
    ++report.queued;
    return;
  }
  if (absl::IsResourceExhausted(s)) {
    if (waiting != nullptr) {
      waiting->emplace_back(target, std::move(entry));
      return;
    }
    CountDrop(
        &server, DropReason::kQueueFull, &report,
        absl::ResourceExhaustedError(absl::StrCat(
            "queue for node ", to, " (", server.address, ") is full: ", server.peer.queue().size(),
            " messages, ", server.peer.waiting_bytes(), " bytes (peer_queue_limit ",
            options.peer_queue_limit, ", peer_queue_bytes ", options.peer_queue_bytes, ")")));
    return;
  }
  if (absl::IsInvalidArgument(s)) {  // too large for a queue entry (PeerLogic::CheckCost)
    CountDrop(&server, DropReason::kEncodeRefused, &report,
              absl::InvalidArgumentError(
                  absl::StrCat("message for node ", to, " (", server.address, "): ", s.message())));
    return;
  }
  CountDrop(&server, DropReason::kServerCollected, &report,
            absl::FailedPreconditionError(
                absl::StrCat("node ", to, " (", server.address, ") is being shut down")));
}

xdr::ProtocolVersion TransportState::AnswerVersion(xdr::ProtocolVersion requested) const {
  xdr::ProtocolVersion chosen = xdr::ChooseVersion(requested, options.max_version);
  if (chosen != xdr::ProtocolVersion::kUnknown && chosen < options.min_version) {
    return xdr::ProtocolVersion::kUnknown;  // we cannot speak anything the peer speaks
  }
  return chosen;
}

bool TransportState::CheckNormalFrame(const Connection& conn, const FrameBuffer::Next& frame,
                                      Decoded& out) const {
  if (!conn.negotiated()) {
    out.reason = CloseReason::kNotNegotiated;
    out.detail = "normal frame before protocol negotiation";
    return false;
  }
  if (frame.header.version != conn.version()) {
    out.reason = CloseReason::kVersionMismatch;
    out.detail = absl::StrCat("frame version ", xdr::DescribeProtocolVersion(frame.header.version),
                              ", negotiated ", xdr::DescribeProtocolVersion(conn.version()));
    return false;
  }
  if (frame.body.empty()) {
    out.reason = CloseReason::kMalformedFrame;
    out.detail = "zero-length normal frame";
    return false;
  }
  return true;
}

PoolRef<InboundFrame> TransportState::FrameFor(const Connection& conn,
                                               const FrameBuffer::Next& frame,
                                               MappedBytes received) {
  PoolRef<InboundFrame> f = frames.Acquire();
  const bool copying = received.size() == 0;
  f->received = std::move(received);
  f->FitArena(InboundFrame::DecodedSizeHint(conn.version(), frame.body.size(), copying));
  return f;
}

xdr::DecodeOptions TransportState::FrameDecodeOptions(const InboundFrame& f) const {
  return {.max_body_size = options.max_frame_body,
          .zero_copy = f.received.size() != 0,
          .max_blob_bytes = options.max_blob_bytes,
          .profile = options.profile};
}

TransportState::Decoded TransportState::FinishDecode(const Connection& conn,
                                                     const FrameBuffer::Next& frame,
                                                     PoolRef<InboundFrame> f,
                                                     const absl::StatusOr<xdr::DecodeInfo>& d) {
  Decoded out;
  if (!d.ok()) {
    // Past the decode's memory bound (xdr::DecodeOptions::max_decode_overhead) the frame is too
    // large in decoded form; an off-loop decode is abandoned when its reader is cancelled (the
    // transport stops); anything else is malformed.
    out.reason = absl::IsResourceExhausted(d.status()) ? CloseReason::kFrameTooLarge
                 : absl::IsCancelled(d.status())       ? CloseReason::kShutdown
                                                       : CloseReason::kMalformedFrame;
    out.detail = std::string(d.status().message());
    return out;
  }
  if (d->trailing_bytes != 0) stats.trailing_byte_frames.Add();
  f->msg = &f->Decoded().msg();
  f->origin =
      conn.direction() == Connection::kInbound ? MessageOrigin::kInbound : MessageOrigin::kOutbound;
  f->version = conn.version();
  f->wire_size = frame.size;
  f->trailing_bytes = d->trailing_bytes;
  f->peer = conn.peer();
  stats.CountReceived(f->msg->op, frame.size);
  out.frame = std::move(f);
  return out;
}

TransportState::Decoded TransportState::DecodeNormalFrame(const Connection& conn,
                                                          const FrameBuffer::Next& frame,
                                                          MappedBytes received) {
  Decoded out;
  if (!CheckNormalFrame(conn, frame, out)) return out;
  PoolRef<InboundFrame> f = FrameFor(conn, frame, std::move(received));
  absl::StatusOr<xdr::DecodeInfo> d =
      f->Decoded().Decode(conn.version(), frame.body, *f->arena, FrameDecodeOptions(*f));
  return FinishDecode(conn, frame, std::move(f), d);
}

void TransportState::DropExpired(Server& server, net::TimePoint now) {
  const uint64_t expired = server.peer.Expire(now);
  if (expired == 0) return;
  CountDrop(&server, DropReason::kExpiredDisconnected, nullptr, absl::OkStatus(), expired);
  Log(LogLevel::kDebug, "Dropped ", expired, " messages queued for ", server.address,
      " while it was unreachable");
}

bool TransportState::Attribute(Connection& conn, InboundFrame& frame) {
  if (conn.direction() == Connection::kOutbound) {
    Server& server = *conn.server;
    if (server.invalid) {  // read, but not delivered, as in 8.0.18
      stats.ignored_from_invalid.Add();
      return false;
    }
    frame.server = conn.server;
    frame.peer = server.address;
    return true;
  }
  // Inbound: the peer is the server its messages name (find_site_def + get_server); clients
  // are not members, so a client_msg does not change whom the connection is attributed to.
  // One lookup per change of sender or of the sites.
  const xdr::PaxMsg& msg = *frame.msg;
  if (conn.server_lookup_generation != sites_generation || conn.server_lookup_from != msg.from ||
      conn.server_lookup_group != msg.group_id) {
    conn.server_lookup_generation = sites_generation;
    conn.server_lookup_from = msg.from;
    conn.server_lookup_group = msg.group_id;
    conn.named_server = ServerOf(msg);
  }
  if (msg.op != xdr::PaxOp::kClientMsg && conn.server != conn.named_server) {
    conn.server = conn.named_server;
    if (conn.server != nullptr) conn.server->detected = executor.Now();
  }
  // Per-sender FIFO across reconnects: once a newer connection delivered a message naming
  // this server as its sender, what still arrives on an older one is late.
  if (conn.named_server != nullptr) {
    uint64_t& newest = conn.named_server->newest_inbound_serial;
    if (conn.serial() < newest) {
      stats.superseded_frames.Add();
      if (conn.superseded_frames++ == 0) {
        Log(LogLevel::kWarning, "Dropping frames from ", conn.named_server->address,
            " read on the connection from ", conn.peer(), " (fd=", conn.fd(),
            "): a newer connection from that sender delivered already (superseded_frames)");
      }
      return false;
    }
    newest = conn.serial();
  }
  frame.inbound = conn.shared_from_this();
  frame.server = conn.server;
  return true;
}

TransportState::Growth TransportState::ReserveHeld(Connection& conn, size_t capacity) {
  const size_t wanted =
      capacity > options.read_buffer_size ? capacity - options.read_buffer_size : 0;
  if (wanted <= conn.held) return Growth::kGranted;  // no growth (shrinking goes by NoteHeld)
  const size_t limit = options.max_partial_frame_bytes;
  // The open connections holding the most are closed first, this one counted at `wanted`.
  while (partial_frame_bytes - conn.held + wanted > limit) {
    auto most = std::max_element(
        holding.begin(), holding.end(),
        [](const Connection* a, const Connection* b) { return a->held < b->held; });
    Connection* victim = most == holding.end() || (*most)->held <= wanted ? &conn : *most;
    const size_t victim_held = victim == &conn ? wanted : victim->held;
    const std::string detail = absl::StrCat(
        "it held ", victim_held, " bytes of ", partial_frame_bytes - conn.held + wanted,
        " in partially received frames, above max_partial_frame_bytes ", limit);
    victim->Close(CloseReason::kPartialFramesOverBudget, detail);  // NoteClosed
    if (victim == &conn) return Growth::kClosed;
  }
  // Buffers of closed connections are still mapped until their readers have unwound.
  if (partial_frame_bytes + closed_frame_bytes - conn.held + wanted > limit) return Growth::kWait;
  if (conn.held == 0) holding.push_back(&conn);
  partial_frame_bytes += wanted - conn.held;
  conn.held = wanted;
  return Growth::kGranted;
}

void TransportState::NoteHeld(Connection& conn) {
  if (conn.closed()) return;
  const size_t capacity = conn.received().capacity();
  const size_t now_held =
      capacity > options.read_buffer_size ? capacity - options.read_buffer_size : 0;
  if (now_held >= conn.held) return;  // growth is reserved first (ReserveHeld)
  partial_frame_bytes -= conn.held - now_held;
  conn.held = now_held;
  if (now_held == 0) std::erase(holding, &conn);
  partial_room.Set();
}

void TransportState::NoteClosed(Connection& conn) {
  if (conn.held == 0) return;
  partial_frame_bytes -= conn.held;
  closed_frame_bytes += conn.held;
  std::erase(holding, &conn);
}

void TransportState::ReleaseHeld(Connection& conn) {
  if (conn.held == 0) return;
  if (conn.closed()) {
    closed_frame_bytes -= conn.held;
  } else {
    partial_frame_bytes -= conn.held;
    std::erase(holding, &conn);
  }
  conn.held = 0;
  partial_room.Set();
}

size_t TransportState::InboxCost(const InboundFrame& frame) {
  size_t bytes = sizeof(InboundFrame) + frame.DecodeBytes() + frame.PendingDecodeBytes();
  if (frame.self) bytes += frame.self->footprint();
  return bytes;
}

net::Channel<IncomingMessage>::PushAwaiter TransportState::Deliver(PoolRef<InboundFrame> frame,
                                                                   size_t cost) {
  frame->inbox_budget = inbox_bytes;
  frame->inbox_charge = inbox_bytes->Take(cost);
  return inbox.Push(IncomingMessage(std::move(frame)));
}

}  // namespace uxcom::xcom::internal
