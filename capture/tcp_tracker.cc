#include "capture/tcp_tracker.h"

#include <array>
#include <optional>

namespace uxcom::capture {

const char* CloseReasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kEnded:
      return "ended";
    case CloseReason::kReused:
      return "reused";
    case CloseReason::kEvicted:
      return "evicted";
    case CloseReason::kFinished:
      return "capture_end";
  }
  return "?";
}

struct TcpTracker::Connection {
  ConnectionInfo info;
  std::optional<TcpReassembler> direction[2];
  absl::Time last_seen;

  bool ended() const { return direction[0]->ended() && direction[1]->ended(); }
  TcpReassembler& of(Direction d) { return *direction[static_cast<int>(d)]; }
};

namespace {
// How often (in capture time) open holes are checked for age.
constexpr absl::Duration kExpiryInterval = absl::Seconds(1);
}  // namespace

TcpTracker::TcpTracker(TrackerOptions options, ConnectionObserver* observer)
    : options_(options), observer_(observer) {}

TcpTracker::~TcpTracker() = default;

void TcpTracker::Add(const TcpSegment& s) {
  ++stats_.segments;
  const bool src_first = s.src < s.dst;
  Key key = src_first ? Key{s.src, s.dst} : Key{s.dst, s.src};
  auto it = connections_.find(key);
  const bool opening_syn = s.has(kTcpSyn) && !s.has(kTcpAck);
  if (it != connections_.end() && opening_syn) {
    // A new SYN on a tuple whose connection ended, or one whose client is not this sender
    // or whose sequence numbers are elsewhere: a new incarnation.
    Connection& c = *it->second;
    const bool same_client = c.info.client == s.src;
    TcpReassembler& client_side = c.of(Direction::kClientToServer);
    const bool retransmitted_syn =
        same_client && client_side.saw_syn() && client_side.next_offset() == 0;
    if (c.ended() || !retransmitted_syn) {
      Close(it, CloseReason::kReused, s.time);
      it = connections_.end();
    }
  }
  if (it == connections_.end()) {
    if (s.payload_length == 0 && !s.has(kTcpSyn)) {
      ++stats_.ignored_segments;
      return;
    }
    if (connections_.size() >= options_.max_connections) EvictIdlest(s.time);
    auto c = std::make_unique<Connection>();
    c->info.id = next_id_++;
    c->info.first_seen = s.time;
    // SYN-ACK: its sender is the server. SYN: the client. Otherwise: first sender.
    const bool from_server = s.has(kTcpSyn) && s.has(kTcpAck);
    c->info.client = from_server ? s.dst : s.src;
    c->info.server = from_server ? s.src : s.dst;
    c->info.roles_known = s.has(kTcpSyn);
    for (Direction d : {Direction::kClientToServer, Direction::kServerToClient}) {
      c->direction[static_cast<int>(d)].emplace(options_.reassembly, observer_->OnOpen(c->info, d));
    }
    ++stats_.connections;
    it = connections_.emplace(key, std::move(c)).first;
  }
  Connection& c = *it->second;
  c.last_seen = s.time;
  const Direction d =
      s.src == c.info.client ? Direction::kClientToServer : Direction::kServerToClient;
  c.of(d).Add(s);
  if (s.has(kTcpRst)) {
    // A reset ends both directions: nothing more will be read on either.
    c.of(d == Direction::kClientToServer ? Direction::kServerToClient : Direction::kClientToServer)
        .Reset(s.time);
  }
  if (c.ended()) {
    Close(it, CloseReason::kEnded, s.time);
  }
  if (s.time - last_expiry_ >= kExpiryInterval) {
    last_expiry_ = s.time;
    for (auto& [k, conn] : connections_) {
      conn->direction[0]->ExpireHoles(s.time);
      conn->direction[1]->ExpireHoles(s.time);
    }
    for (auto i = connections_.begin(); i != connections_.end();) {
      auto next = std::next(i);
      if (i->second->ended()) Close(i, CloseReason::kEnded, s.time);
      i = next;
    }
  }
}

void TcpTracker::Close(std::map<Key, std::unique_ptr<Connection>>::iterator it, CloseReason reason,
                       absl::Time now) {
  std::unique_ptr<Connection> c = std::move(it->second);
  connections_.erase(it);
  c->direction[0]->Flush(now);
  c->direction[1]->Flush(now);
  observer_->OnClose(c->info, reason);
}

void TcpTracker::EvictIdlest(absl::Time now) {
  auto idlest = connections_.begin();
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (it->second->last_seen < idlest->second->last_seen) idlest = it;
  }
  if (idlest == connections_.end()) return;
  ++stats_.evicted;
  Close(idlest, CloseReason::kEvicted, now);
}

void TcpTracker::Finish(absl::Time now) {
  while (!connections_.empty()) Close(connections_.begin(), CloseReason::kFinished, now);
}

}  // namespace uxcom::capture
