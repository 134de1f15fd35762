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
  Connection(TransportState& state, net::Scope& parent, net::Stream stream, Direction direction,
             std::string peer);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Direction direction() const { return direction_; }
  // For logs: the server's address, or the accepted peer's ip:port.
  const std::string& peer() const { return peer_; }
  int fd() const { return stream_.fd(); }
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
  // Inbound: the key of the last server lookup, so a peer's messages cost one lookup.
  uint64_t server_lookup_generation = 0;
  uint32_t server_lookup_group = 0;
  uint32_t server_lookup_from = 0;

  // Ends the connection for `reason` (the first call wins): counts it in outbound_closes or
  // inbound_closes, logs it with the peer and the fd, closes the socket and cancels every
  // child. Returns false if it was already closed.
  bool Close(CloseReason reason, absl::string_view detail = {});
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
  // Reads some bytes (0: the peer closed), closing the connection if none arrive within
  // read_stall_timeout. For reads in the middle of a frame; between frames a peer may be quiet.
  ReadAwaiter ReadWithin(std::span<std::byte> into);

 private:
  // "no progress for 300 ms": the close detail of a stalled operation.
  static std::string StalledFor(net::Duration waited);
  static net::Task<void> RunChild(std::shared_ptr<Connection> self, net::Task<void> child);

  TransportState& state_;
  net::Stream stream_;
  const Direction direction_;
  const std::string peer_;
  FrameBuffer received_;
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
      self.conn->Close(self.reason, StalledFor(waited));
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
