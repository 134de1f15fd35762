// TransportOptions: everything a transport can be told, with MySQL 8.0.18's constants as
// the defaults.
//
// Every timing constant of the original transport is here and configurable; the defaults are
// the original values (behaviour spec §9.2). The bounds the original lacks are here too, with
// defaults chosen so that a healthy MySQL group never meets them, and every one is enforced
// with a counted, logged outcome (statistics.h), never an assert or a silent drop:
//
//   | bound                       | default  | when exceeded                                    |
//   | --------------------------- | -------- | ------------------------------------------------ |
//   | max_frame_body              | 1 GiB    | the connection is closed before allocating       |
//   | peer_queue_limit            | 65 536   | the message is dropped for that peer (counted)   |
//   | peer_queue_bytes            | 64 MiB   | the same (kWait: the sender waits for room)      |
//   | disconnected_message_ttl    | 2 s      | messages queued for an unreachable peer expire   |
//   | negotiation_timeout         | 10 s     | the connection is closed (both directions)       |
//   | write_stall_timeout         | 10 s     | a write making no progress closes the connection |
//   | read_stall_timeout          | 10 s     | a frame that stops arriving closes the connection|
//   | inbox_limit                 | 16 384   | readers pause (TCP backpressure), nothing lost   |
//   | inbox_bytes                 | 256 MiB  | the same                                         |
//   | server_table_capacity       | 200      | InstallSite fails with kResourceExhausted        |
//   | max_inbound_connections     | 1 024    | the new connection is closed at once             |
//   | max_inbound_per_address     | 64       | the new connection is closed at once             |
//   | max_partial_frame_bytes     | 2 GiB    | the connections holding the most are closed      |
//   | min_frame_rate              | 256 KiB/s| a frame arriving slower closes its connection    |
//   | inbound_idle_timeout        | off      | a silent inbound connection is closed            |
//
// Each timeout is a timer of its connection, so it fires exactly when due: the negotiation
// step runs under net::WithTimeout(negotiation_timeout), and a write or a mid-frame read
// watches its own deadline. They default to twice the failure detector's 5 s window, so adding
// them does not change when nodes are suspected. Only the reaper is periodic, as in XCom.
//
//   TransportOptions options;
//   options.self_address = "10.0.0.5:33061";
//   options.max_version = xdr::ProtocolVersion::kX1_4;      // behave like an 8.0.14 node
//   options.accept_callback = [](const AcceptInfo& a) { return allowlist.Allows(a.peer); };
#ifndef UXCOM_XCOM_OPTIONS_H_
#define UXCOM_XCOM_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "net/address.h"
#include "net/executor.h"
#include "xcom/log.h"
#include "xcom/tls_options.h"
#include "xdr/limits.h"
#include "xdr/profile.h"
#include "xdr/protocol_version.h"

namespace uxcom::xcom {

using net::Duration;
using std::chrono::milliseconds;
using std::chrono::seconds;

class Site;

// What the accept callback sees: the new connection before any byte is read or written.
struct AcceptInfo {
  int fd = -1;
  net::SocketAddress peer{};
  // The newest installed site (XCom passes get_site_def()), or nullptr before any.
  const Site* latest_site = nullptr;
};

// Returns true to keep the connection, false to close it at once (XCom's
// set_xcom_socket_accept_cb; Group Replication's IP allowlist is such a callback).
using AcceptCallback = std::function<bool(const AcceptInfo&)>;

// What happens to a message for a peer whose queue is full.
enum class QueueOverflowPolicy {
  // Drop it for that peer and count it (Paxos repairs losses by retrying, as XCom relies on
  // for every other loss). Sends never wait.
  kDropNewest,
  // The sending coroutine waits for room (backpressure). One slow peer then slows every
  // broadcast: use only when every peer must get every message.
  kWait,
};

// Reconnection back-off: after a failed dial the sender waits `initial`, then each wait is
// wait * multiplier + increase, at most `max`. The default is the additive schedule of later
// MySQL releases (0.1 s, 1.1 s, 2.1 s, … 10 s); MySQL 8.0.18 grows the wait multiplicatively
// with constants its public sources do not show (behaviour spec §11.1): set `multiplier` and
// `increase` to model it.
struct Backoff {
  Duration initial = milliseconds(100);
  double multiplier = 1.0;
  Duration increase = seconds(1);
  Duration max = seconds(10);

  Duration Next(Duration current) const;
};

struct TransportOptions {
  // --- identity -------------------------------------------------------------------------------
  // How this node appears in site node lists ("host:port"). The server with this address gets
  // a local sender (delivery to self without a socket); so does the server at a site's own
  // node number.
  std::string self_address{};
  // The port to listen on; 0 takes the port of self_address.
  uint16_t listen_port = 0;
  // Bind to this address instead of the dual-stack wildcard (XCom's announce_tcp).
  std::optional<net::SocketAddress> listen_address{};
  int listen_backlog = 32;

  // --- protocol -------------------------------------------------------------------------------
  // The versions this node speaks. It proposes max_version when it dials and answers a
  // request with min(request, max_version); a request below min_version is answered with
  // x_unknown_proto (0), which makes the peer give up. 8.0.18: x_1_0 … x_1_6 (the default);
  // up to x_1_9 (xdr::kNewestProtocolVersion) to behave like 8.0.27 … 8.4.
  xdr::ProtocolVersion min_version = xdr::kMinProtocolVersion;
  xdr::ProtocolVersion max_version = xdr::kMaxProtocolVersion;
  // The release whose rules every frame is encoded and decoded with (xdr/profile.h): MAXBLOB,
  // the configs bound, cargo 3's arm, x_1_3's layout, the normal frames' tag. 8.0.18's (the
  // default) are the strictest for what is sent, so no member of a mixed group is sent what its
  // release refuses; set max_blob_bytes to read an 8.0.39 member's larger blobs. Connections
  // negotiated at x_1_7+ always get 8.0.39's rules: only such releases speak them.
  xdr::Profile profile = xdr::kDefaultProfile;
  // A peer requesting a version below this must find an IPv4 address for every member of the
  // newest site, else it is dropped without a reply (is_new_node_eligible_for_ipv6). 8.0.18
  // compares with its own maximum (x_1_6), 8.0.39 with its own (x_1_9), although x_1_5 is the
  // version that brought IPv6; uxcom uses x_1_5, the documented intent. Set x_1_6 (or x_1_9)
  // for 8.0.18's (or 8.0.39's) exact behaviour.
  xdr::ProtocolVersion ipv6_gate_version = xdr::ProtocolVersion::kX1_5;

  // --- timing (8.0.18's values unless marked new) ----------------------------------------------
  Duration connect_timeout = seconds(10);
  Backoff backoff{};
  // Messages queued for a peer that cannot be reached expire this long after their Send.
  // 8.0.18 empties the whole queue every 2 s while disconnected; uxcom drops by age, so a
  // message queued just before a purge is not lost with the old ones.
  Duration disconnected_message_ttl = seconds(2);
  // New: a connection not negotiated within this time is closed. 8.0.18 waits forever.
  Duration negotiation_timeout = seconds(10);
  // New: a write that makes no progress for this long closes the connection.
  Duration write_stall_timeout = seconds(10);
  // New: a frame whose bytes stop arriving for this long closes the connection. A peer that
  // is merely quiet between frames is not affected.
  Duration read_stall_timeout = seconds(10);
  // XCom's tcp_reaper_task: outbound connections idle (no send, enqueue or dial) longer than
  // this are closed, at the reaper's next round.
  Duration reaper_idle_timeout = seconds(10);
  // How often the reaper looks (8.0.18: every second).
  Duration reaper_period = seconds(1);
  // After an accept error or a rejection by the accept callback, the accept loop pauses this
  // long (rate-limits rejected peers to ~10 per second). Accept errors are the listener's own:
  // a connection reset before it was accepted, or one shed while out of descriptors, costs no
  // pause (net/listener.h).
  Duration rejected_accept_delay = milliseconds(100);

  // --- sizes ----------------------------------------------------------------------------------
  // Write coalescing (XCom's srv_buf): frames are gathered up to this many bytes per write;
  // a larger frame is written on its own.
  size_t coalesce_buffer_size = 64 * 1024;
  // Receive buffering per connection.
  size_t read_buffer_size = 64 * 1024;
  // New: the largest frame body accepted; a longer one closes the connection before any
  // allocation. 8.0.18 allocates whatever a header announces (up to 4 GiB). 1 GiB is Group
  // Replication's largest configurable message (communication_max_message_size); a group that
  // fragments (8.0.16+, 10 MiB by default) never comes near it, and may lower this to cut what
  // a stranger's frame costs. A frame's decode takes at most its body's size + 2 MiB more
  // (refused as kFrameTooLarge past it) and runs off the executor from 1 MiB on
  // (xcom/README.md, "Decoding a frame").
  size_t max_frame_body = xdr::kDefaultMaxBodySize;
  // Blobs larger than this are refused on decode; unset: the profile's MAXBLOB (1024 bytes for
  // 8.0.18, as it refuses them; 10 000 000 for 8.0.39).
  std::optional<uint32_t> max_blob_bytes{};
  // New: messages queued per peer (8.0.18: unbounded).
  size_t peer_queue_limit = 65536;
  // New: bytes queued per peer: each message counts what it holds (its copy and the frames
  // encoded so far, about 1 KB for a 100 B payload; PeerInfo::queued_bytes). A message that
  // does not fit is treated as one over peer_queue_limit (overflow_policy); an empty queue
  // takes one message of any size. Group Replication sends at most 10 MiB per message
  // (group_replication_communication_max_message_size), so the default holds several of its
  // largest ones and never trips while the peer keeps up.
  size_t peer_queue_bytes = size_t{64} << 20;
  QueueOverflowPolicy overflow_policy = QueueOverflowPolicy::kDropNewest;
  // New: decoded messages waiting for Receive(); when full, readers stop reading.
  size_t inbox_limit = 16384;
  // New: bytes held by delivered messages, from delivery until the application releases its
  // IncomingMessage (each counts its decoded copy; a message to self, the sender's copy).
  // When reached, readers stop reading (TCP backpressure), nothing lost; one message of any
  // size is taken when nothing is held. An application that keeps more than this many bytes of
  // received messages stops its own deliveries: copy what you keep.
  size_t inbox_bytes = size_t{256} << 20;
  // New: idle message objects kept for reuse, per pool (messages queued to send, frames
  // received, deliveries to self), each with at most 32 KiB of buffers. A workload that never
  // has more messages in flight at once (queued, or delivered and not yet released) than this
  // allocates nothing per message once warm; a larger burst allocates, and what returns beyond
  // this is freed. Idle memory: 3 × pooled_messages × 33 KiB at most (xcom/README.md, "Memory
  // bound of a node"). The inbox's queue is sized for min(inbox_limit, this, 65 536) up front.
  size_t pooled_messages = 1024;
  // Server objects (SERVER_MAX = 2 × NSERVERS in 8.0.18, where exceeding it is an assert).
  size_t server_table_capacity = 200;
  // Fairness: a reader hands back to the executor after this many messages in a row.
  int max_messages_per_turn = 64;

  // --- what peers can make this node hold (new; 8.0.18 has no such bounds) ---------------------
  // Inbound connections at once, and from one source IP address; one more is closed as soon as
  // it is accepted (inbound_closes.too_many_connections). A group of n members needs about n
  // (two per member for a moment while one reconnects), plus its clients.
  size_t max_inbound_connections = 1024;
  size_t max_inbound_per_address = 64;
  // Bytes held for partially received frames across all connections, counting what each
  // connection's receive buffer has grown beyond read_buffer_size. Past it, the connections
  // holding the most are closed (partial_frames_over_budget) until the total fits again. A
  // buffer counts from before it grows until it is unmapped, after its connection's reader has
  // unwound: a growth waits while closed connections' buffers are still mapped, so what the
  // buffers hold never exceeds this. At least max_frame_body, so that one frame of the largest
  // size can always arrive.
  size_t max_partial_frame_bytes = size_t{2} << 30;
  // Once a frame's first byte has arrived, the whole frame must arrive within
  // read_stall_timeout + length / min_frame_rate (bytes per second); a frame trickling in
  // slower closes its connection (frame_too_slow), however often single bytes come. 0: no
  // minimum (read_stall_timeout still applies between two reads).
  size_t min_frame_rate = 256 * 1024;
  // An inbound connection that receives no byte for this long is closed (inbound_idle).
  // Zero: never (8.0.18's behaviour). A member sends every second, so minutes never trip it;
  // idle XCom clients would.
  Duration inbound_idle_timeout = Duration::zero();

  // --- security --------------------------------------------------------------------------------
  // TLS on every connection to and from peers (Group Replication's ssl_mode and ssl_* options,
  // tls_options.h). The handshake runs where 8.0.18 runs it: right after the TCP connect on
  // the dialling side, right after the accept callback on the accepting side, before any XCom
  // byte; it is bounded by negotiation_timeout. Delivery to self never uses TLS.
  TlsOptions tls{};

  // --- hooks ----------------------------------------------------------------------------------
  AcceptCallback accept_callback{};
  LogSink log = StderrLogSink;
};

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_OPTIONS_H_
