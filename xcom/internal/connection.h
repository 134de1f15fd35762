// Connection: one TCP connection of the transport, either direction, and the scope that owns
// every task using it.
//
// A connection goes through explicit steps, each a few lines of its opener
// (outbound_connection.cc, inbound_connection.cc):
//
//   dial / accept → secure (TLS when on: secure_connection.h) → negotiate → run
//
// Negotiation runs under net::WithTimeout(negotiation_timeout). Running means children in the
// connection's scope: the write pump and the reply reader on an outbound connection, the
// reader on an inbound one. The first child to end ends the connection: Close(reason) records
// the one reason it closed for (CloseReason), counts and logs it, closes the socket (pending
// reads and writes finish at once) and cancels every other child. Nothing polls a flag.
//
// Stalls are timers too: a write that has not completed within write_stall_timeout, or a read
// in the middle of a frame that gets no byte for read_stall_timeout, closes the connection
// (kWriteStalled, kReadStalled) when its timer fires. A cancelled operation closes nothing: the
// one who cancelled decides the reason.
//
//   auto conn = std::make_shared<Connection>(st, server_scope, std::move(stream),
//                                            Connection::kOutbound, address);
//   absl::Status w = co_await conn->Write(buffers);   // failure: conn is closed, with why
//   conn->Spawn(RunWritePump(...));
//   conn->Spawn(RunReplyReader(...));
//   co_await conn->Join();                             // every child has ended
//
// Executor thread only; owned by shared_ptr (children and Reply() hold it).
#ifndef UXCOM_XCOM_INTERNAL_CONNECTION_H_
#define UXCOM_XCOM_INTERNAL_CONNECTION_H_

#include <coroutine>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/executor.h"
#include "net/scope.h"
#include "net/stream.h"
#include "net/task.h"
#include "net/timer.h"
#include "xcom/internal/frame_buffer.h"
#include "xcom/internal/in_flight_frames.h"
#include "xcom/statistics.h"
#include "xdr/protocol_version.h"

namespace uxcom::xcom::internal {

struct TransportState;
class Server;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum Direction { kOutbound, kInbound };

  // `parent`: the scope whose cancellation reaches the connection's children (the server's
  // for an outbound connection, the transport's inbound scope otherwise).
  // `host`: the peer's IP address (inbound; for max_inbound_per_address).
  Connection(TransportState& state, net::Scope& parent, net::Stream stream, Direction direction,
             std::string peer, std::string host = {});
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Direction direction() const { return direction_; }
  // For logs: the server's address, or the accepted peer's ip:port.
  const std::string& peer() const { return peer_; }
  const std::string& host() const { return host_; }
  int fd() const { return stream_.fd(); }
  // This transport's connections in the order they were made (accepted or dialled), from 1:
  // of two inbound connections from one sender, the higher serial is the newer one.
  uint64_t serial() const { return serial_; }
  net::Stream& stream() { return stream_; }
  // What TLS the connection runs (PeerInfo), or null when it is plaintext.
  const net::TlsInfo* tls() const { return stream_.tls(); }
  // Received bytes not yet taken as frames: kept across the steps (see frame_reader.h).
  FrameBuffer& received() { return received_; }

  // The version every normal frame must carry, once negotiated.
  bool negotiated() const { return negotiated_; }
  xdr::ProtocolVersion version() const { return version_; }
  void SetNegotiated(xdr::ProtocolVersion version) {
    negotiated_ = true;
    version_ = version;
  }

  // Whose `detected` time every byte read refreshes: the server dialled (outbound), or the
  // server an inbound peer turned out to be (found from its messages). Holding it keeps it.
  std::shared_ptr<Server> server;
  // Inbound: the server the last message named as its sender (a client_msg included), and
  // the key of that lookup, so a peer's messages cost one lookup.
  std::shared_ptr<Server> named_server;
  uint64_t server_lookup_generation = 0;
  uint32_t server_lookup_group = 0;
  uint32_t server_lookup_from = 0;

  // Ends the connection for `reason` (the first call wins): counts it in outbound_closes or
  // inbound_closes, logs it with the peer and the fd, closes the socket and cancels every
  // child. Returns false if it was already closed. A connection closed for a fault is reset
  // (SO_LINGER 0): bytes it still holds are discarded by the kernel rather than delivered,
  // possibly after newer ones written on the next connection to the same peer.
  bool Close(CloseReason reason, absl::string_view detail = {});
  // Inbound: frames dropped because a newer connection from the same sender delivered first.
  uint64_t superseded_frames = 0;
  bool closed() const { return closed_; }
  CloseReason close_reason() const { return close_reason_; }

  // Runs `child` in the connection's scope. When it ends, the connection ends (kShutdown
  // unless something closed it for a reason before).
  void Spawn(net::Task<void> child);
  // Awaits `step` under the connection's scope, so that closing the connection cancels it.
  template <typename T>
  net::Task<T> Run(net::Task<T> step);
  // Waits until every child has ended (or the caller is cancelled: then they are cancelled
  // too, and still awaited). Afterwards the connection is closed.
  net::Task<void> Join();

  // An operation on the socket that closes the connection for `reason` if it has not
  // completed `limit` after it started, and for kIoError if it fails.
  template <typename Inner>
  class UXCOM_AWAITABLE Guarded;
  using WriteAwaiter = Guarded<net::Stream::WriteAwaiter>;
  using ReadAwaiter = Guarded<net::Stream::ReadAwaiter>;

  // Writes every byte of `buffers` (in call order with other writes), within
  // write_stall_timeout.
  WriteAwaiter Write(std::span<const std::span<const std::byte>> buffers);
  // Reads some bytes (0: the peer closed), closing the connection for `reason` if none arrive
  // within `limit` (read_stall_timeout in the middle of a frame, less when the frame's
  // min_frame_rate deadline comes first; inbound_idle_timeout between frames).
  ReadAwaiter ReadWithin(std::span<std::byte> into, net::Duration limit, CloseReason reason);

  // Bytes this connection's receive buffer holds beyond read_buffer_size, charged to the
  // transport's max_partial_frame_bytes budget before the buffer grows
  // (TransportState::ReserveHeld) and until it is unmapped (ReleaseBuffers), closed or not.
  size_t held = 0;
  // Outbound: a frame of `bytes` was written completely. If the connection breaks before the
  // peer acknowledges all of it, the frame is counted as lost (DropReason::kLostInFlight).
  void NoteFrameWritten(uint64_t bytes);
  // Frees the receive buffer once every child has ended (no read the kernel may still complete
  // into it, no decode reading it), and gives its bytes back to max_partial_frame_bytes.
  void ReleaseBuffers();

 private:
  // "no progress for 300 ms": the close detail of a stalled operation.
  static std::string StalledFor(CloseReason reason, net::Duration waited);
  static net::Task<void> RunChild(std::shared_ptr<Connection> self, net::Task<void> child);

  TransportState& state_;
  net::Stream stream_;
  const Direction direction_;
  const std::string peer_;
  const std::string host_;
  const uint64_t serial_;
  FrameBuffer received_;
  // An outbound connection carries the group's traffic: room for 4096 frames (32 KiB, ~1 MB
  // of 256-byte frames in the kernel's send queue) before its tracking grows. An inbound one
  // writes only replies, and a stranger's connection should cost little: the default.
  static constexpr size_t kOutboundTrackedFrames = 4096;
  InFlightFrames in_flight_;
  // Counts the frames the kernel still held unacknowledged, at a close that loses them.
  void CountLostInFlight(CloseReason reason);
  net::Scope children_;
  bool negotiated_ = false;
  xdr::ProtocolVersion version_ = xdr::ProtocolVersion::kUnknown;
  bool closed_ = false;
  CloseReason close_reason_ = CloseReason::kShutdown;
};

template <typename T>
net::Task<T> Connection::Run(net::Task<T> step) {
  co_return co_await std::move(step).WithContext(children_.context());
}

template <typename Inner>
class UXCOM_AWAITABLE Connection::Guarded {
 public:
  template <typename MakeInner>
  Guarded(Connection& conn, net::Duration limit, CloseReason reason, MakeInner make_inner)
      : inner_(make_inner()) {
    timer_.conn = &conn;
    timer_.reason = reason;
    timer_.limit = limit;
  }
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;

  bool await_ready() const noexcept { return false; }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> handle) {
    timer_.ArmAfter(*handle.promise().context->executor, timer_.limit);
    if (inner_.await_suspend(handle)) return true;
    timer_.Disarm();  // completed at once
    return false;
  }
  auto await_resume() {
    timer_.Disarm();
    auto result = inner_.await_resume();
    const absl::Status& status = StatusOf(result);
    // Cancelled: whoever cancelled (a close, a deadline, Stop) has decided the reason.
    if (!status.ok() && !absl::IsCancelled(status)) {
      timer_.conn->Close(CloseReason::kIoError, status.message());
    }
    return result;
  }

 private:
  struct Timer : net::DeadlineTimer {
    Timer() : DeadlineTimer(&OnFire) {}
    Connection* conn = nullptr;
    CloseReason reason = CloseReason::kShutdown;
    net::Duration limit{};
    static void OnFire(net::DeadlineTimer& t) {
      auto& self = static_cast<Timer&>(t);
      const net::Duration waited = self.executor()->Now() - self.armed_at();
      self.conn->Close(self.reason, StalledFor(self.reason, waited));
    }
  };
  static const absl::Status& StatusOf(const absl::Status& s) { return s; }
  template <typename U>
  static const absl::Status& StatusOf(const absl::StatusOr<U>& s) {
    return s.status();
  }

  Inner inner_;
  Timer timer_;
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_CONNECTION_H_
