// TcpTracker: every TCP connection of a capture, each direction reassembled.
//
// Segments go in (in capture order, any number of connections interleaved); per connection and
// direction, a StreamSink the caller supplies receives that direction's bytes, gaps and end
// (see tcp_reassembler.h). The tracker tells the sides apart as TCP does: the sender of a SYN
// without ACK is the client, the sender of the SYN-ACK the server. When the handshake was not
// captured, the sender of the first segment seen is called the client and `roles_known` is
// false (callers that understand the protocol may know better).
//
// A connection is opened by its first SYN or payload (a stray ACK, FIN or RST of a connection
// never seen opens nothing) and closed when both directions have ended (FIN or RST), when a new
// SYN reuses its 4-tuple after that, at Finish(), or when it is evicted.
//
// Bounds: at most `max_connections` are tracked at once; opening one more evicts the one idle
// longest (its directions are flushed: holes reported as gaps), so memory stays below
// max_connections × 2 × max_buffered_bytes whatever the capture holds.
//
//   class Dump : public ConnectionObserver { … };
//   TcpTracker tracker({}, &dump);
//   for (each packet) if (auto s = DecodePacket(…); s.ok()) tracker.Add(*s);
//   tracker.Finish(last_time);
#ifndef UXCOM_CAPTURE_TCP_TRACKER_H_
#define UXCOM_CAPTURE_TCP_TRACKER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>

#include "absl/time/time.h"
#include "capture/packet.h"
#include "capture/tcp_reassembler.h"

namespace uxcom::capture {

enum class Direction { kClientToServer = 0, kServerToClient = 1 };

struct ConnectionInfo {
  uint64_t id = 0;  // 1, 2, … in order of appearance
  Endpoint client;
  Endpoint server;
  bool roles_known = false;  // from the handshake; else the first sender is the "client"
  absl::Time first_seen;
};

enum class CloseReason {
  kEnded,     // both directions ended (FIN or RST)
  kReused,    // a new SYN took its 4-tuple
  kEvicted,   // max_connections reached, and it had been idle longest
  kFinished,  // the capture ended
};
const char* CloseReasonName(CloseReason reason);

class ConnectionObserver {
 public:
  virtual ~ConnectionObserver() = default;
  // A new connection: returns the sink of each direction (valid until OnClose returns).
  virtual StreamSink* OnOpen(const ConnectionInfo& connection, Direction direction) = 0;
  // Both directions have ended (their OnEnd was called); the sinks are no longer used.
  virtual void OnClose(const ConnectionInfo& connection, CloseReason reason) = 0;
};

struct TrackerOptions {
  ReassemblyOptions reassembly;
  size_t max_connections = 4096;
};

struct TrackerStats {
  uint64_t segments = 0;
  uint64_t connections = 0;       // opened
  uint64_t evicted = 0;           // closed to make room
  uint64_t ignored_segments = 0;  // no payload or SYN, of no connection tracked
};

class TcpTracker {
 public:
  TcpTracker(TrackerOptions options, ConnectionObserver* observer);
  ~TcpTracker();  // closes nothing: call Finish() first to hear every end
  TcpTracker(const TcpTracker&) = delete;
  TcpTracker& operator=(const TcpTracker&) = delete;

  void Add(const TcpSegment& segment);
  // The capture ended at `now`: flushes and closes every connection.
  void Finish(absl::Time now);

  size_t open_connections() const { return connections_.size(); }
  const TrackerStats& stats() const { return stats_; }

 private:
  struct Connection;
  using Key = std::pair<Endpoint, Endpoint>;  // ordered: first < second
  void Close(std::map<Key, std::unique_ptr<Connection>>::iterator it, CloseReason reason,
             absl::Time now);
  void EvictIdlest(absl::Time now);

  TrackerOptions options_;
  ConnectionObserver* observer_;
  std::map<Key, std::unique_ptr<Connection>> connections_;
  uint64_t next_id_ = 1;
  absl::Time last_expiry_;
  TrackerStats stats_;
};

}  // namespace uxcom::capture

#endif  // UXCOM_CAPTURE_TCP_TRACKER_H_
