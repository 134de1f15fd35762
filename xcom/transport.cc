#include "xcom/transport.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/listener.h"
#include "xcom/internal/inbound_frame.h"
#include "xcom/internal/transport_state.h"
#include "xdr/frame_header.h"
#include "xdr/limits.h"

namespace uxcom::xcom {

using internal::Connection;
using internal::InstalledSite;
using internal::OutgoingRef;
using internal::QueuedMessage;
using internal::Server;
using internal::TransportState;

// --- small types ------------------------------------------------------------------------------

Duration Backoff::Next(Duration current) const {
  auto grown =
      Duration(static_cast<Duration::rep>(static_cast<double>(current.count()) * multiplier)) +
      increase;
  return std::min(grown, max);
}

const char* PeerConnectionStateName(PeerConnectionState state) {
  switch (state) {
    case PeerConnectionState::kNone:
      return "none";
    case PeerConnectionState::kConnected:
      return "connected";
    case PeerConnectionState::kNegotiated:
      return "negotiated";
  }
  return "?";
}

// --- lifecycle ----------------------------------------------------------------------------------

namespace {

absl::Status Validate(TransportOptions& o) {
  auto bad = [](auto... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  if (!xdr::IsSupported(o.min_version) || !xdr::IsSupported(o.max_version) ||
      o.min_version > o.max_version) {
    return bad("protocol versions: min_version ", xdr::DescribeProtocolVersion(o.min_version),
               " and max_version ", xdr::DescribeProtocolVersion(o.max_version),
               " must satisfy x_1_0 <= min_version <= max_version <= x_1_9");
  }
  absl::StatusOr<net::HostPort> self = net::ParseHostPort(o.self_address);
  if (!self.ok()) return bad("self_address: ", self.status().message());
  if (o.listen_port == 0) o.listen_port = self->port;
  auto positive = [&](Duration d, const char* name) -> absl::Status {
    if (d <= Duration::zero()) return bad(name, " must be positive");
    return absl::OkStatus();
  };
  for (auto [d, name] :
       {std::pair{o.connect_timeout, "connect_timeout"},
        std::pair{o.backoff.initial, "backoff.initial"}, std::pair{o.backoff.max, "backoff.max"},
        std::pair{o.disconnected_message_ttl, "disconnected_message_ttl"},
        std::pair{o.negotiation_timeout, "negotiation_timeout"},
        std::pair{o.write_stall_timeout, "write_stall_timeout"},
        std::pair{o.read_stall_timeout, "read_stall_timeout"},
        std::pair{o.reaper_idle_timeout, "reaper_idle_timeout"},
        std::pair{o.reaper_period, "reaper_period"}}) {
    if (absl::Status s = positive(d, name); !s.ok()) return s;
  }
  if (o.backoff.multiplier < 1.0) return bad("backoff.multiplier must be >= 1");
  if (o.coalesce_buffer_size < xdr::kFrameHeaderSize + 4) {
    return bad("coalesce_buffer_size must be at least ", xdr::kFrameHeaderSize + 4, " bytes");
  }
  if (o.read_buffer_size < xdr::kFrameHeaderSize) {
    return bad("read_buffer_size must be at least ", xdr::kFrameHeaderSize, " bytes");
  }
  if (o.max_frame_body == 0 || o.max_frame_body > xdr::kMaxBodySize) {
    return bad("max_frame_body must be in [1, ", xdr::kMaxBodySize, "]");
  }
  if (o.peer_queue_limit == 0 || o.peer_queue_bytes == 0) {
    return bad("peer_queue_limit and peer_queue_bytes must be positive");
  }
  if (o.inbox_limit == 0 || o.inbox_bytes == 0) {
    return bad("inbox_limit and inbox_bytes must be positive");
  }
  if (o.server_table_capacity == 0) return bad("server_table_capacity must be positive");
  if (o.max_messages_per_turn <= 0) return bad("max_messages_per_turn must be positive");
  if (o.max_inbound_connections == 0 || o.max_inbound_per_address == 0) {
    return bad("max_inbound_connections and max_inbound_per_address must be positive");
  }
  if (o.max_partial_frame_bytes < o.max_frame_body) {
    return bad("max_partial_frame_bytes (", o.max_partial_frame_bytes,
               ") must be at least max_frame_body (", o.max_frame_body, ")");
  }
  if (o.inbound_idle_timeout < Duration::zero()) {
    return bad("inbound_idle_timeout must not be negative (zero: never)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> Transport::Create(net::Executor& executor,
                                                             TransportOptions options) {
  if (absl::Status s = Validate(options); !s.ok()) return s;
  std::shared_ptr<net::TlsContext> tls;
  if (options.tls.enabled()) {
    absl::StatusOr<std::shared_ptr<net::TlsContext>> context =
        MakeTlsContext(options.tls, /*serves=*/true);
    if (!context.ok()) return context.status();
    tls = *std::move(context);
  }
  auto state = std::make_shared<TransportState>(executor, std::move(options));
  state->tls = std::move(tls);
  return std::unique_ptr<Transport>(new Transport(std::move(state)));
}

Transport::Transport(std::shared_ptr<TransportState> state) : state_(std::move(state)) {}

Transport::~Transport() {
  TransportState& st = *state_;
  if (st.stopped) return;
  st.stopped = true;
  if (st.listener) st.listener->Close();
  for (const std::shared_ptr<Server>& s : st.servers.TakeAll()) {
    st.ShutServer(s, CloseReason::kShutdown, DropReason::kShutdown);
  }
  for (Connection* c : std::vector<Connection*>(st.inbound_connections)) {
    c->Close(CloseReason::kShutdown);
  }
  st.sites.clear();
  if (st.tasks) st.tasks->Cancel();  // they finish on their own, holding the state
  st.inbox.Close();
}

absl::Status Transport::Start() {
  TransportState& st = *state_;
  st.executor.AssertInLoopThread("Transport::Start");
  if (st.started || st.stopped) {
    return absl::FailedPreconditionError(st.stopped ? "transport stopped" : "transport started");
  }
  const TransportOptions& o = st.options;
  absl::StatusOr<net::Listener> listener = net::Listener::Listen(
      st.executor,
      {.port = o.listen_port, .address = o.listen_address, .backlog = o.listen_backlog});
  if (!listener.ok()) return listener.status();
  st.listener = *std::move(listener);
  st.bound_address = st.listener->local_address();
  st.tasks = std::make_unique<net::Scope>(st.executor);
  st.inbound = std::make_unique<net::Scope>(*st.tasks);
  st.started = true;
  st.tasks->Spawn(internal::RunTcpServer(state_));
  st.tasks->Spawn(internal::RunReaper(state_));
  for (const std::shared_ptr<Server>& s : st.servers.all()) st.StartServer(s);
  return absl::OkStatus();
}

net::Task<void> Transport::Stop() {
  std::shared_ptr<TransportState> keep = state_;
  TransportState& st = *keep;
  st.executor.AssertInLoopThread("Transport::Stop");
  if (st.stopped) co_return;
  st.stopped = true;
  if (st.listener) st.listener->Close();
  for (const std::shared_ptr<Server>& s : st.servers.TakeAll()) {
    st.ShutServer(s, CloseReason::kShutdown, DropReason::kShutdown);
  }
  for (Connection* c : std::vector<Connection*>(st.inbound_connections)) {
    c->Close(CloseReason::kShutdown);
  }
  st.sites.clear();
  if (st.tasks) {
    st.tasks->Cancel();
    co_await st.inbound->Close();
    for (const std::weak_ptr<Server>& w : std::vector<std::weak_ptr<Server>>(st.retiring)) {
      if (std::shared_ptr<Server> s = w.lock(); s != nullptr && s->scope != nullptr) {
        co_await s->scope->Close();
      }
    }
    co_await st.tasks->Close();
  }
  st.retiring.clear();
  st.inbox.Close();
}

namespace {

std::string Milliseconds(Duration d) {
  return absl::StrCat(std::chrono::duration_cast<std::chrono::milliseconds>(d).count(), " ms");
}

absl::Status NotFlushed(TransportState& st, Duration timeout) {
  std::string pending;
  for (const std::shared_ptr<Server>& s : st.servers.all()) {
    if (s->drained.is_set()) continue;
    absl::StrAppend(&pending, pending.empty() ? "" : "; ", s->address, ": ",
                    s->peer.waiting() + s->peer.in_flight(), " messages (",
                    PeerConnectionStateName(static_cast<PeerConnectionState>(s->state())), ")");
  }
  return absl::DeadlineExceededError(
      absl::StrCat("Flush: not written within ", Milliseconds(timeout), ": ", pending));
}

std::shared_ptr<Server> FirstUndrained(TransportState& st) {
  for (const std::shared_ptr<Server>& s : st.servers.all()) {
    if (!s->drained.is_set()) return s;
  }
  return nullptr;
}

}  // namespace

net::Task<absl::Status> Transport::Flush(Duration timeout) {
  std::shared_ptr<TransportState> state = state_;
  TransportState& st = *state;
  st.executor.AssertInLoopThread("Transport::Flush");
  const net::TimePoint deadline = st.executor.Now() + timeout;
  for (;;) {
    std::shared_ptr<Server> busy = FirstUndrained(st);
    if (busy == nullptr) co_return absl::OkStatus();
    const Duration left = deadline - st.executor.Now();
    if (left <= Duration::zero()) co_return NotFlushed(st, timeout);
    absl::Status drained = co_await net::WithTimeout(left, busy->drained.Wait());
    if (absl::IsDeadlineExceeded(drained)) co_return NotFlushed(st, timeout);
    if (!drained.ok()) co_return drained;
  }
}

net::Task<absl::Status> Transport::WaitForPeer(SiteId id, NodeNo node, Duration timeout) {
  std::shared_ptr<TransportState> state = state_;
  TransportState& st = *state;
  st.executor.AssertInLoopThread("Transport::WaitForPeer");
  if (!running()) co_return absl::FailedPreconditionError("transport not running");
  absl::StatusOr<Liveness> known = liveness(id, node);  // the same errors for a bad address
  if (!known.ok()) co_return known.status();
  std::shared_ptr<Server> s = st.FindSite(id)->servers[node];
  if (s->local) co_return absl::OkStatus();
  if (s->invalid) {
    co_return absl::FailedPreconditionError(absl::StrCat(
        "node ", node, " (", s->address, ") was invalidated by a forced configuration"));
  }
  absl::Status ready = co_await net::WithTimeout(timeout, s->ready.Wait());
  if (absl::IsDeadlineExceeded(ready)) {
    co_return absl::DeadlineExceededError(absl::StrCat(
        "node ", node, " (", s->address, ") not connected and negotiated within ",
        Milliseconds(timeout), ": its connection is ",
        PeerConnectionStateName(static_cast<PeerConnectionState>(s->state())), " after ",
        s->peer.connects(), " connections and ", s->peer.dial_failures(), " failed dials"));
  }
  co_return ready;
}

bool Transport::running() const { return state_->started && !state_->stopped; }
net::SocketAddress Transport::listen_address() const { return state_->bound_address; }
const TransportOptions& Transport::options() const { return state_->options; }

// --- configurations -----------------------------------------------------------------------------

namespace {

// A site lists the remote `old` server's address as this node: from now on its messages are
// delivered locally. The sites that held `old` hold the new local server instead, and what was
// queued for `old` (messages for this node) moves to it.
std::shared_ptr<Server> Localize(TransportState& st, std::shared_ptr<Server> old,
                                 InstalledSite& installing) {
  std::shared_ptr<Server> local =
      st.servers.MakeLocal(old, internal::PeerLogic::ConfigFrom(st.options));
  st.Log(LogLevel::kInfo, "Server node ", old->address,
         " is this node: its messages are delivered locally from now on");
  for (InstalledSite& s : st.sites) std::replace(s.servers.begin(), s.servers.end(), old, local);
  std::replace(installing.servers.begin(), installing.servers.end(), old, local);
  for (QueuedMessage& m : old->peer.queue().Drain()) {
    if (local->peer.TryPush(m).ok()) {
      local->drained.Reset();
    } else {
      st.CountDrop(local.get(), DropReason::kQueueFull, nullptr, absl::OkStatus());
    }
  }
  st.ShutServer(old, CloseReason::kServerCollected, DropReason::kServerCollected);
  return local;
}

}  // namespace

absl::StatusOr<SiteId> Transport::InstallSite(Site site, xdr::CargoType operation) {
  TransportState& st = *state_;
  st.executor.AssertInLoopThread("Transport::InstallSite");
  if (st.stopped) return absl::FailedPreconditionError("transport stopped");
  if (site.nodes.size() > xdr::kMaxNodes) {
    return absl::InvalidArgumentError(
        absl::StrCat("site has ", site.nodes.size(), " nodes, at most ", xdr::kMaxNodes));
  }
  if (site.nodeno != kVoidNodeNo && site.nodeno >= site.nodes.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("nodeno ", site.nodeno, " outside a site of ", site.nodes.size(), " nodes"));
  }
  InstalledSite is{.id = st.next_site_id,
                   .common_version = CommonXcomVersion(site, st.options.max_version)};
  is.servers.resize(site.nodes.size());
  // This node is the one at `nodeno`, and any node whose address is self_address's host and port.
  absl::StatusOr<net::HostPort> self = net::ParseHostPort(st.options.self_address);
  auto is_self = [&](size_t i, const std::string& address) {
    if (i == site.nodeno) return true;
    absl::StatusOr<net::HostPort> endpoint = net::ParseHostPort(address);
    return self.ok() && endpoint.ok() && internal::SameServer(*self, *endpoint);
  };
  std::vector<std::shared_ptr<Server>> created;
  std::vector<std::shared_ptr<Server>> reused;  // revalidated only once the site is installed
  std::vector<size_t> to_localize;              // remote servers this site lists as this node
  for (size_t i = 0; i < site.nodes.size(); ++i) {
    const std::string& address = site.nodes[i].address;
    bool local = is_self(i, address);
    absl::StatusOr<internal::ServerTable::Added> added =
        st.servers.FindOrAdd(address, local, internal::PeerLogic::ConfigFrom(st.options));
    if (absl::IsResourceExhausted(added.status())) {
      // Nothing is installed: collect what this call created.
      st.Collect();
      return added.status();
    }
    if (!added.ok()) {
      st.Log(LogLevel::kWarning, "Error parsing the address of node ", i, ": ",
             added.status().message(),
             "; no messages will be sent to it. Error parsing ip:port for new server. "
             "Incorrect value is ",
             address);
      continue;
    }
    if (added->created) {
      st.Log(LogLevel::kInfo, "Creating new server node ", i, " host ",
             added->server->endpoint.host, " port ", added->server->endpoint.port,
             added->server->local ? " (this node)" : "");
      created.push_back(added->server);
    } else {
      st.Log(LogLevel::kInfo, "Re-using server node ", i, " host ", added->server->endpoint.host,
             " port ", added->server->endpoint.port);
      reused.push_back(added->server);
      if (local && !added->server->local) to_localize.push_back(i);
    }
    is.servers[i] = added->server;
  }
  for (size_t i : to_localize) {
    if (is.servers[i]->local) continue;  // listed twice: already replaced
    created.push_back(Localize(st, is.servers[i], is));
  }
  is.site = std::move(site);
  for (const std::shared_ptr<Server>& s : reused) s->invalid = false;
  if (operation == xdr::CargoType::kForceConfigType && !st.sites.empty()) {
    internal::InvalidateServers(st.sites.back(), is.site);
  }
  ++st.next_site_id;
  ++st.sites_generation;
  st.latest_common_proto = is.common_version;
  st.sites.push_back(std::move(is));
  for (const std::shared_ptr<Server>& s : created) st.StartServer(s);
  return st.sites.back().id;
}

absl::Status Transport::RemoveSite(SiteId id) {
  TransportState& st = *state_;
  st.executor.AssertInLoopThread("Transport::RemoveSite");
  auto it = std::find_if(st.sites.begin(), st.sites.end(),
                         [&](const InstalledSite& s) { return s.id == id; });
  if (it == st.sites.end()) return absl::NotFoundError(absl::StrCat("no installed site ", id));
  st.sites.erase(it);
  ++st.sites_generation;
  st.Collect();
  return absl::OkStatus();
}

void Transport::RetainNewestSites(size_t count) {
  TransportState& st = *state_;
  st.executor.AssertInLoopThread("Transport::RetainNewestSites");
  if (st.sites.size() > count) {
    st.sites.erase(st.sites.begin(), st.sites.end() - static_cast<ptrdiff_t>(count));
    ++st.sites_generation;
  }
  st.Collect();
}

size_t Transport::CollectGarbage() {
  state_->executor.AssertInLoopThread("Transport::CollectGarbage");
  return state_->Collect();
}

absl::Status Transport::InvalidateServers(SiteId current, const Site& forced) {
  TransportState& st = *state_;
  st.executor.AssertInLoopThread("Transport::InvalidateServers");
  InstalledSite* o = st.FindSite(current);
  if (o == nullptr) return absl::NotFoundError(absl::StrCat("no installed site ", current));
  internal::InvalidateServers(*o, forced);
  return absl::OkStatus();
}

std::optional<SiteId> Transport::latest_site() const {
  state_->executor.AssertInLoopThread("Transport::latest_site");
  if (state_->sites.empty()) return std::nullopt;
  return state_->sites.back().id;
}

const Site* Transport::site(SiteId id) const {
  state_->executor.AssertInLoopThread("Transport::site");
  InstalledSite* s = state_->FindSite(id);
  return s == nullptr ? nullptr : &s->site;
}

xdr::ProtocolVersion Transport::latest_common_version() const {
  return state_->latest_common_proto;
}

void Transport::SetSynodeStamps(xdr::SynodeNo max_synode, xdr::SynodeNo delivered_msg) {
  state_->executor.AssertInLoopThread("Transport::SetSynodeStamps");
  state_->stamps.emplace(max_synode, delivered_msg);
}

// --- sending ------------------------------------------------------------------------------------

namespace {

using Waiting = std::vector<std::pair<std::shared_ptr<Server>, QueuedMessage>>;

// The entries of a kWait send that found their queue full. Whatever it still holds when it is
// destroyed was never queued (the SendAwaiter was dropped without co_await, so its task never
// ran): each is counted as DropReason::kNotAwaited, none is lost silently.
class PendingEntries {
 public:
  PendingEntries(std::shared_ptr<TransportState> state, Waiting entries)
      : state_(std::move(state)), entries_(std::move(entries)) {}
  PendingEntries(PendingEntries&& other) noexcept
      : state_(std::move(other.state_)),
        entries_(std::exchange(other.entries_, {})),
        next_(std::exchange(other.next_, 0)) {}
  PendingEntries(const PendingEntries&) = delete;
  PendingEntries& operator=(const PendingEntries&) = delete;
  PendingEntries& operator=(PendingEntries&&) = delete;
  ~PendingEntries() {
    for (; next_ < entries_.size(); ++next_) {
      state_->CountDrop(entries_[next_].first.get(), DropReason::kNotAwaited, nullptr,
                        absl::OkStatus());
    }
  }
  // The next entry to queue, or null when every one was taken.
  std::pair<std::shared_ptr<Server>, QueuedMessage>* Take() {
    return next_ < entries_.size() ? &entries_[next_++] : nullptr;
  }

 private:
  std::shared_ptr<TransportState> state_;
  Waiting entries_;
  size_t next_ = 0;
};

// The slow path of a send under QueueOverflowPolicy::kWait: wait for room in each full queue.
net::Task<SendReport> WaitForRoom(std::shared_ptr<TransportState> state, SendReport report,
                                  PendingEntries pending) {
  while (std::pair<std::shared_ptr<Server>, QueuedMessage>* entry = pending.Take()) {
    Server& server = *entry->first;
    absl::Status s = co_await server.peer.Push(std::move(entry->second));
    if (s.ok()) {
      server.drained.Reset();
      ++report.queued;
    } else {
      state->CountDrop(&server,
                       absl::IsCancelled(s) ? DropReason::kQueueFull : DropReason::kServerCollected,
                       &report, s);
    }
  }
  co_return report;
}

enum class Targets { kAll, kOthers, kSelf, kOne };

SendAwaiter Fanout(const std::shared_ptr<TransportState>& state, SiteId id, const xdr::PaxMsg& msg,
                   Targets targets, NodeNo one = kVoidNodeNo) {
  TransportState& st = *state;
  st.executor.AssertInLoopThread("Transport::Send*");
  SendReport report;
  if (st.stopped) {
    report.status = absl::FailedPreconditionError("transport stopped");
    return SendAwaiter(std::move(report));
  }
  InstalledSite* site = st.FindSite(id);
  if (site == nullptr) {
    report.status = absl::NotFoundError(absl::StrCat("no installed site ", id));
    return SendAwaiter(std::move(report));
  }
  NodeNo n = static_cast<NodeNo>(site->servers.size());
  NodeNo self = site->site.nodeno;
  if (targets == Targets::kSelf) {
    if (self == kVoidNodeNo) {
      report.status =
          absl::FailedPreconditionError(absl::StrCat("this node is not a member of site ", id));
      return SendAwaiter(std::move(report));
    }
    targets = Targets::kOne;
    one = self;
  }
  if (targets == Targets::kOne && one >= n) {
    report.status = absl::InvalidArgumentError(
        absl::StrCat("node ", one, " outside site ", id, " of ", n, " nodes"));
    return SendAwaiter(std::move(report));
  }
  OutgoingRef message = st.NewMessage(*site, msg);
  // Queued for another node: keep only its frame at the members' common version (a message
  // only to self is never encoded).
  if (targets != Targets::kOne || one != self) message->Compact(site->common_version, st.stats);
  Waiting waiting;
  Waiting* wait = st.options.overflow_policy == QueueOverflowPolicy::kWait ? &waiting : nullptr;
  for (NodeNo i = 0; i < n; ++i) {
    if ((targets == Targets::kOne && i != one) || (targets == Targets::kOthers && i == self)) {
      continue;
    }
    const std::shared_ptr<Server>& server = site->servers[i];
    if (server == nullptr) {
      st.CountDrop(nullptr, DropReason::kNoServer, &report,
                   absl::FailedPreconditionError(
                       absl::StrCat("node ", i, " (", site->site.nodes[i].address,
                                    ") has no server: its address did not parse")));
      continue;
    }
    st.Enqueue(server, message, i, report, wait);
  }
  if (waiting.empty()) return SendAwaiter(std::move(report));
  return SendAwaiter(
      WaitForRoom(state, std::move(report), PendingEntries(state, std::move(waiting))));
}

}  // namespace

SendAwaiter Transport::SendTo(SiteId site, NodeNo to, const xdr::PaxMsg& msg) {
  return Fanout(state_, site, msg, Targets::kOne, to);
}
SendAwaiter Transport::SendToAll(SiteId site, const xdr::PaxMsg& msg) {
  return Fanout(state_, site, msg, Targets::kAll);
}
SendAwaiter Transport::SendToOthers(SiteId site, const xdr::PaxMsg& msg) {
  return Fanout(state_, site, msg, Targets::kOthers);
}
SendAwaiter Transport::SendToSelf(SiteId site, const xdr::PaxMsg& msg) {
  return Fanout(state_, site, msg, Targets::kSelf);
}
SendAwaiter Transport::SendToAcceptors(SiteId site, const xdr::PaxMsg& msg) {
  return Fanout(state_, site, msg, Targets::kAll);
}

SendAwaiter Transport::SendToSomeone(SiteId id, const xdr::PaxMsg& msg, Duration suspect_after) {
  TransportState& st = *state_;
  InstalledSite* site = st.FindSite(id);
  if (site == nullptr) {
    SendReport report;
    report.status = absl::NotFoundError(absl::StrCat("no installed site ", id));
    return SendAwaiter(std::move(report));
  }
  size_t n = site->servers.size();
  net::TimePoint now = st.executor.Now();
  for (size_t k = 1; k <= n; ++k) {
    size_t i = (site->someone_cursor + k) % n;
    const std::shared_ptr<Server>& s = site->servers[i];
    if (i == site->site.nodeno || s == nullptr || s->invalid) continue;
    if (s->detected + suspect_after < now) continue;  // may_be_dead (or never heard from)
    site->someone_cursor = i;
    auto chosen = static_cast<NodeNo>(i);
    SendAwaiter a = Fanout(state_, id, msg, Targets::kOne, chosen);
    if (a.await_ready()) {
      SendReport r = a.await_resume();
      r.chosen = chosen;
      return SendAwaiter(std::move(r));
    }
    return a;  // kWait slow path: `chosen` is not reported
  }
  SendReport report;
  report.status = absl::NotFoundError(
      absl::StrCat("no other node of site ", id, " was heard from within the last ",
                   std::chrono::duration<double>(suspect_after).count(), " s"));
  return SendAwaiter(std::move(report));
}

net::Task<absl::Status> Transport::Reply(const IncomingMessage& request, const xdr::PaxMsg& reply) {
  std::shared_ptr<TransportState> state = state_;
  TransportState& st = *state;
  st.executor.AssertInLoopThread("Transport::Reply");
  internal::InboundFrame* f = request.frame();
  if (f == nullptr) co_return absl::InvalidArgumentError("Reply to an empty IncomingMessage");
  // Stamped as 8.0.18 stamps every reply (reply_msg): a member's through send_server_msg, which
  // stamps like every send (from, group_id, max_synode, delivered_msg); anyone else's on the
  // acceptor's reply queue, with from and to swapped and max_synode and delivered_msg stamped.
  const xdr::PaxMsg& req = f->Message();
  InstalledSite* site = st.SiteOf(req);
  bool member = site != nullptr && req.from < site->servers.size();
  OutgoingRef m = st.messages.Acquire();
  m->Assign(reply, st.options.profile, st.executor.Now());
  m->msg().from = req.to;
  st.Stamp(m->msg(), member ? site : nullptr);
  m->msg().to = req.from;
  if (f->origin == MessageOrigin::kInbound) {
    std::shared_ptr<Connection> conn = f->inbound;
    if (conn->closed()) {
      co_return absl::FailedPreconditionError(
          absl::StrCat("connection from ", conn->peer(), " is closed"));
    }
    absl::StatusOr<std::span<const std::byte>> frame = m->Frame(conn->version(), st.stats);
    if (!frame.ok()) co_return frame.status();
    st.stats.CountSent(m->op(), frame->size());
    std::span<const std::byte> buffers[] = {*frame};
    absl::Status w = co_await conn->Write(buffers);  // a failure closes the connection
    co_return w;
  }
  // Through our own connection to the sender (its server's queue), or to ourselves locally.
  SendReport report;
  if (f->server == nullptr) co_return absl::FailedPreconditionError("the sender has no server");
  const NodeNo to = m->msg().to;
  if (!f->server->local) m->Compact(f->server->peer.version(), st.stats);
  st.Enqueue(f->server, m, to, report, nullptr);
  co_return report.status;
}

// --- receiving ----------------------------------------------------------------------------------

ReceiveAwaiter Transport::Receive() {
  state_->executor.AssertInLoopThread("Transport::Receive");
  return state_->inbox.Pop();
}

net::Task<absl::StatusOr<IncomingMessage>> Transport::Receive(Duration timeout) {
  return net::WithTimeout(timeout, Receive());
}

std::optional<IncomingMessage> Transport::TryReceive() {
  state_->executor.AssertInLoopThread("Transport::TryReceive");
  return state_->inbox.TryPop();
}

// --- observing ----------------------------------------------------------------------------------

absl::StatusOr<Liveness> Transport::liveness(SiteId id, NodeNo node) const {
  state_->executor.AssertInLoopThread("Transport::liveness");
  InstalledSite* site = state_->FindSite(id);
  if (site == nullptr) return absl::NotFoundError(absl::StrCat("no installed site ", id));
  if (node >= site->servers.size()) {
    return absl::InvalidArgumentError(absl::StrCat("node ", node, " outside site ", id));
  }
  const std::shared_ptr<Server>& s = site->servers[node];
  if (s == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("node ", node, " has no server"));
  }
  return Liveness{s->active, s->detected};
}

namespace {

PeerInfo InfoOf(const std::shared_ptr<Server>& s) {
  PeerInfo p;
  p.address = s->address;
  p.local = s->local;
  p.invalid = s->invalid;
  p.state = static_cast<PeerConnectionState>(s->state());
  p.version = s->peer.version();
  if (s->connection != nullptr && !s->connection->closed()) {
    if (const net::TlsInfo* tls = s->connection->tls(); tls != nullptr) {
      p.tls_version = tls->version;
      p.tls_cipher = tls->cipher;
      p.tls_peer_subject = tls->peer_subject;
    }
  }
  p.last_tag = s->peer.last_tag();
  p.liveness = {s->active, s->detected};
  p.queued = s->peer.waiting();
  p.queued_bytes = s->peer.waiting_bytes();
  p.messages_sent = s->peer.messages_sent();
  p.bytes_sent = s->peer.bytes_sent();
  p.messages_dropped = s->messages_dropped;
  p.connects = s->peer.connects();
  p.dial_failures = s->peer.dial_failures();
  p.references = s.use_count() - 1;  // not counting the caller's own reference
  return p;
}

}  // namespace

std::vector<PeerInfo> Transport::peers() const {
  state_->executor.AssertInLoopThread("Transport::peers");
  std::vector<PeerInfo> out;
  for (const std::shared_ptr<Server>& s : state_->servers.all()) out.push_back(InfoOf(s));
  return out;
}

std::optional<PeerInfo> Transport::peer(std::string_view address) const {
  state_->executor.AssertInLoopThread("Transport::peer");
  std::shared_ptr<Server> s = state_->servers.Find(address);
  if (s == nullptr) return std::nullopt;
  return InfoOf(s);
}

TransportStatistics::Snapshot Transport::statistics() const { return state_->stats.Take(); }

absl::Status Transport::ReloadTls() {
  TransportState& st = *state_;
  st.executor.AssertInLoopThread("Transport::ReloadTls");
  if (st.tls == nullptr)
    return absl::FailedPreconditionError("ReloadTls: TLS is off (ssl_mode DISABLED)");
  absl::Status s = st.tls->Reload();
  if (!s.ok()) {
    st.Log(LogLevel::kWarning,
           "TLS material not reloaded (connections keep the current one): ", s.message());
    return absl::Status(s.code(), absl::StrCat("ReloadTls: ", s.message()));
  }
  st.Log(LogLevel::kInfo, "TLS material reloaded (generation ", st.tls->generation(),
         "): new connections use it");
  return s;
}

}  // namespace uxcom::xcom
