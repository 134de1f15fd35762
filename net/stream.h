// Stream: a connected TCP socket driven by an executor.
//
// Reads. ReadSome() copies up to N received bytes (0 means the peer closed: EOF);
// ReadExactly() fills a whole buffer; ReadChunk() is the zero-copy form: it hands the first
// contiguous run of received bytes (an io_uring provided buffer, or the epoll backend's own
// buffer) to a visitor that returns how many bytes it consumed; the rest stays for the next
// read. Under io_uring, data arrives through a multishot recv into the executor's
// provided-buffer ring; when the ring runs dry the kernel keeps the data (TCP flow control)
// and the stream re-arms, or reads straight into the caller's buffer: no byte is ever dropped.
// A ReadSome/ReadExactly into a buffer of ExecutorOptions::direct_read_min bytes (16 KiB) or
// more ends the stream's multishot recv and is received straight into the caller's buffer,
// one copy less per byte; later copy reads do the same until 4 smaller ones in a row (or a
// ReadChunk) arm the ring again.
// One read may be pending per stream at a time (kFailedPrecondition otherwise).
//
// Writes. Write()/WriteV() return once every byte has been handed to the kernel, however many
// short writes that takes. Any number of tasks may write concurrently: writes are queued and
// performed whole and in call order, with at most one send in flight per socket. A write
// cancelled part-way leaves the byte stream torn, so the stream's write side then fails every
// later write with kFailedPrecondition; a write cancelled before its first byte is harmless.
//
// TLS. StartTls() runs a TLS handshake (OpenSSL 3, either role) on the open connection and
// upgrades the stream in place: every later read and write carries TLS records, with the same
// surface and guarantees (ReadChunk visits decrypted bytes). OpenSSL never touches the socket:
// it works on buffers the stream fills and drains with its ordinary reads and writes, so TLS
// behaves the same on io_uring and epoll and never blocks the executor. Writes are encrypted
// whole when they start (in call order); their records are then written like any write. With
// TLS a write cancelled or failed even before its first byte leaves the write side unusable
// (its records exist and the next ones depend on them). Close() and ShutdownWrite() send
// close_notify when no write is in flight; the end of the peer's stream reads as EOF with or
// without its close_notify. A read never waits for the write side: what it makes OpenSSL send
// (the answer to the peer's KeyUpdate, the refusal of a renegotiation) goes to the socket at
// once when no write is queued, else right after the queued writes and ahead of any later one
// (RFC 8446 4.6.3 asks no more); what the socket cannot take then waits for the next read or
// write. At most 64 KiB of such answers may wait: a peer that keeps asking for key updates
// without reading fails the read with kResourceExhausted. RequestKeyUpdate() renews the keys
// on demand (TLS 1.3). See tls_context.h for the configuration and tls_failure.h for
// the categories of handshake errors.
//
// Status codes: kOutOfRange = the peer closed the connection (ReadExactly, ReadChunk);
// kUnavailable = reset, refused, unreachable, broken pipe; kDeadlineExceeded = a timeout;
// kCancelled = the task was cancelled or the stream was closed while the operation waited;
// kFailedPrecondition = the stream is closed, another read is pending, or the write side is
// torn; kInvalidArgument = more than kMaxWriteBuffers buffers. Messages name the operation,
// the fd, the peer address and the errno text.
//
//   absl::StatusOr<Stream> s = co_await Stream::Connect(ex, address, std::chrono::seconds(10));
//   std::byte header[12];
//   absl::Status st = co_await s->ReadExactly(header);  // awaited results in named variables
//   if (!st.ok()) co_return st;                         // (GCC 12: never co_await in an if)
//   absl::Status wrote = co_await s->WriteV(prefix, body);  // one sendmsg, in order
//   absl::Status tls = co_await s->StartTls(context, {.role = TlsRole::kClient});
//   absl::Status renewed = s->RequestKeyUpdate();  // TLS 1.3: new traffic keys both ways
#ifndef UXCOM_NET_STREAM_H_
#define UXCOM_NET_STREAM_H_

#include <coroutine>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "net/address.h"
#include "net/detail/backend.h"
#include "net/executor.h"
#include "net/socket.h"
#include "net/task.h"
#include "net/tls_context.h"

namespace uxcom::net {

namespace detail {
class TlsSession;
struct CipherBuffer;
}  // namespace detail

inline constexpr Duration kNoTimeout{0};

class Stream {
 public:
  // The most buffers one WriteV() accepts (IOV_MAX).
  static constexpr size_t kMaxWriteBuffers = 1024;

  Stream() = default;
  Stream(Stream&& other) noexcept;
  Stream& operator=(Stream&& other) noexcept;
  ~Stream();

  // Connects to `address` with TCP_NODELAY set. `timeout` (kNoTimeout: none) bounds the
  // whole connect; on expiry the result is kDeadlineExceeded.
  static Task<absl::StatusOr<Stream>> Connect(Executor& executor, SocketAddress address,
                                              Duration timeout = kNoTimeout);
  // Resolves `host` without blocking the executor (numeric hosts need no lookup), prefers
  // its first IPv4 address like XCom's connect_tcp, and connects; `timeout` covers both.
  static Task<absl::StatusOr<Stream>> Connect(Executor& executor, std::string host, uint16_t port,
                                              Duration timeout = kNoTimeout);
  // Takes over a connected socket (made non-blocking). `peer` is only used in messages.
  static absl::StatusOr<Stream> Adopt(Executor& executor, Socket socket,
                                      SocketAddress peer = SocketAddress());

  bool is_open() const { return core_ != nullptr && !core_->closed(); }
  int fd() const { return core_ != nullptr ? core_->fd() : -1; }
  const SocketAddress& peer() const { return peer_; }
  Executor* executor() const { return executor_; }

  // --- reading -------------------------------------------------------------------------------
  class ReadAwaiter;
  template <typename Visitor>
  class ChunkAwaiter;
  // Up to dst.size() bytes; 0 = EOF (or an empty dst).
  ReadAwaiter ReadSome(std::span<std::byte> dst);
  // All of dst, or kOutOfRange if the peer closes first (the message says how much arrived).
  Task<absl::Status> ReadExactly(std::span<std::byte> dst);
  // visitor: size_t(std::span<const std::byte>) returning the bytes it consumed. Result: the
  // consumed count; kOutOfRange at EOF.
  template <typename Visitor>
  ChunkAwaiter<Visitor> ReadChunk(Visitor visitor);

  // --- writing -------------------------------------------------------------------------------
  class WriteAwaiter;
  WriteAwaiter Write(std::span<const std::byte> data);
  WriteAwaiter WriteV(std::span<const std::span<const std::byte>> buffers);
  // WriteV(prefix, body, ...): a variadic form (GCC 12 rejects braced lists in co_await).
  template <typename... More>
  WriteAwaiter WriteV(std::span<const std::byte> first, std::span<const std::byte> second,
                      More&&... more) {
    const std::span<const std::byte> all[] = {first, second, std::span<const std::byte>(more)...};
    return WriteAwaiter(this, all);
  }

  // --- TLS -----------------------------------------------------------------------------------
  // Runs a TLS handshake in `options.role` with `context`'s material; on success every later
  // read and write is TLS. Bounded by options.timeout; cancellable. Errors name the peer and
  // OpenSSL's reason, carry a TlsFailure (tls_failure.h), and leave the stream unusable for
  // data (close it). kFailedPrecondition if the stream is closed or TLS already started. No
  // other operation may run on the stream during the handshake.
  Task<absl::Status> StartTls(std::shared_ptr<TlsContext> context, TlsHandshakeOptions options);
  // What the handshake negotiated, or nullptr (no TLS, or not established).
  const TlsInfo* tls() const;
  // Renews the traffic keys both ways (a TLS 1.3 KeyUpdate with update_requested): records
  // written from now on use our new keys, and the peer answers with its own KeyUpdate. A
  // long-lived connection can bound what one key protects this way (OpenSSL 3.0 never does it
  // by itself; AES-GCM's limit is ~2^24.5 full records, RFC 8446 5.5). Synchronous: the KeyUpdate
  // is queued in order with the writes (sent at once when none is queued, else after them and
  // before any later one). kFailedPrecondition without an established TLS session, under TLS
  // 1.2 (which has no KeyUpdate, and renegotiation is refused), after close_notify, or on a
  // torn write side; kResourceExhausted when 32 KiB of TLS output (earlier key updates and
  // answers) already waits behind writes the peer has not read.
  absl::Status RequestKeyUpdate();

  // Sends FIN after the queued writes' bytes (shutdown(SHUT_WR)); with TLS, close_notify first.
  absl::Status ShutdownWrite();
  // Closes the stream: pending operations finish with kCancelled, later ones fail with
  // kFailedPrecondition; the fd is closed once the kernel has let go of it. Idempotent.
  void Close();

  // --- what a close would lose ----------------------------------------------------------------
  // Bytes still queued in this connection, to count what closing it loses: read it just before
  // Close() (it also answers after the connection failed, until Close()). What TCP can and
  // cannot tell:
  //   - `unsent` bytes never left this host: the peer cannot have them (certainly lost).
  //   - `unacknowledged - unsent` bytes were transmitted but not acknowledged: each may or may
  //     not have reached the peer (the segment or only its ACK may have been lost).
  //   - Acknowledged bytes reached the peer's kernel, not necessarily its application: a peer
  //     that dies or closes with them unread loses them, and no sender can learn how many
  //     (its RST does not say). Only an application-level acknowledgement can tell.
  //   - Writes still pending in this stream are not counted: Close() fails them with
  //     kCancelled (a write cancelled part-way has its handed-over part counted here).
  // `unread` is what this side received and no read consumed: in the kernel (SIOCINQ) or in
  // the stream's own buffers. Under io_uring without DEFER_TASKRUN (kernel < 6.1) bytes the
  // kernel moved into a provided buffer within the current loop turn may be missing from it.
  // With TLS the counts are of TLS record bytes (ciphertext, with record overhead), not of
  // plaintext, and `unread` leaves out what the TLS session already took in but not delivered.
  // Errors: kFailedPrecondition (closed); kInvalidArgument for a socket that is not TCP.
  struct QueuedBytes {
    size_t unsent = 0;          // written, never transmitted (SIOCOUTQNSD)
    size_t unacknowledged = 0;  // written, not acknowledged by the peer (SIOCOUTQ; >= unsent)
    size_t unread = 0;          // received, not consumed by a read
  };
  absl::StatusOr<QueuedBytes> Queued() const;

  absl::Status SetNoDelay(bool on);
  absl::Status SetSendBufferSize(int bytes);
  // On a connection that already carried data, shrinking the receive buffer far below the
  // window the peer has seen can slow that peer to its persist timer (Linux keeps segments of
  // half the largest window seen; when they no longer fit it sends a window's worth every
  // ~200 ms: ~40 KB/s on loopback). Set small buffers on the socket before connect or listen.
  absl::Status SetReceiveBufferSize(int bytes);
  absl::Status SetLinger(bool on, int seconds);

  // "fd 7 peer 127.0.0.1:4000", as used in error messages.
  std::string Describe() const;

 private:
  friend class Listener;
  Stream(Executor& executor, detail::StreamCore* core, SocketAddress peer);
  Task<absl::Status> DoConnect(SocketAddress address);
  absl::Status ReadError(int64_t result, const char* op) const;
  absl::Status Unusable(const char* op, TaskContext* context) const;
  // TLS: the handshake loop; the rest of a read that needs the socket; ciphertext straight to
  // and from the socket; OpenSSL's output from outside writes, sent when it is in order.
  Task<absl::Status> RunHandshake();
  Task<absl::StatusOr<size_t>> FinishTlsRead(std::span<std::byte> dst, bool to_plain);
  void FlushTlsOutput();
  ReadAwaiter RawReadSome(std::span<std::byte> dst);
  WriteAwaiter RawWrite(detail::CipherBuffer* ciphertext);
  void SendCloseNotify();

  Executor* executor_ = nullptr;
  detail::StreamCore* core_ = nullptr;
  SocketAddress peer_;
  bool write_torn_ = false;
  std::unique_ptr<detail::TlsSession> tls_;

 public:
  class UXCOM_AWAITABLE ReadAwaiter {
   public:
    // `raw`: bypass TLS (the ciphertext itself).
    ReadAwaiter(Stream* stream, std::span<std::byte> dst, bool raw = false)
        : stream_(stream), raw_(raw) {
      op_.dst = dst;
      op_.mode = detail::ReadMode::kCopy;
    }
    bool await_ready() const noexcept { return false; }
    template <typename P>
    bool await_suspend(std::coroutine_handle<P> handle) {
      if (raw_ || stream_->tls_ == nullptr) return Start(handle.promise().context, handle);
      if (!StartTls(handle.promise().context)) return false;
      return tls_wait_->await_suspend(handle);
    }
    absl::StatusOr<size_t> await_resume();

   protected:
    bool Start(TaskContext* context, std::coroutine_handle<> handle);
    // Decrypts what is buffered; true when the rest needs a task (tls_wait_ armed).
    bool StartTls(TaskContext* context);
    Stream* stream_;
    bool raw_;
    detail::ReadOp op_;
    absl::Status error_;
    std::optional<absl::StatusOr<size_t>> tls_result_;
    Task<absl::StatusOr<size_t>> tls_task_;
    std::optional<Task<absl::StatusOr<size_t>>::Awaiter> tls_wait_;
  };

  template <typename Visitor>
  class UXCOM_AWAITABLE ChunkAwaiter : public ReadAwaiter {
   public:
    ChunkAwaiter(Stream* stream, Visitor visitor)
        : ReadAwaiter(stream, {}), visitor_(std::move(visitor)) {
      op_.mode = detail::ReadMode::kChunk;
    }
    absl::StatusOr<size_t> await_resume() {
      absl::StatusOr<size_t> n = ReadAwaiter::await_resume();
      if (!n.ok()) return n;
      if (*n == 0) {
        return absl::OutOfRangeError(
            absl::StrCat("recv ", stream_->Describe(), ": connection closed by peer"));
      }
      if (!raw_ && stream_->tls_ != nullptr) return stream_->VisitPlain(visitor_);
      return stream_->core_->VisitChunk(visitor_);
    }

   private:
    Visitor visitor_;
  };

  class UXCOM_AWAITABLE WriteAwaiter {
   public:
    WriteAwaiter(Stream* stream, std::span<const std::span<const std::byte>> buffers);
    // Writes TLS output as is and recycles the buffer (the stream's own use).
    WriteAwaiter(Stream* stream, detail::CipherBuffer* ciphertext);
    WriteAwaiter(const WriteAwaiter&) = delete;
    ~WriteAwaiter();
    bool await_ready() const noexcept { return false; }
    template <typename P>
    bool await_suspend(std::coroutine_handle<P> handle) {
      return Start(handle.promise().context, handle);
    }
    absl::Status await_resume();

   private:
    bool Start(TaskContext* context, std::coroutine_handle<> handle);
    Stream* stream_;
    detail::WriteOp op_;
    std::vector<iovec> heap_iov_;
    absl::Status error_;
    bool raw_ = false;
    detail::CipherBuffer* cipher_ = nullptr;  // the records being written (TLS)
    bool counted_ = false;                    // in the session's writes_in_flight
  };

 private:
  size_t VisitPlain(absl::FunctionRef<size_t(std::span<const std::byte>)> visitor);
};

template <typename Visitor>
Stream::ChunkAwaiter<Visitor> Stream::ReadChunk(Visitor visitor) {
  return ChunkAwaiter<Visitor>(this, std::move(visitor));
}

}  // namespace uxcom::net

#endif  // UXCOM_NET_STREAM_H_
