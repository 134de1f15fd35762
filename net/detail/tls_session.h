// TlsSession: one connection's OpenSSL state, driven without touching the socket.
//
// OpenSSL reads and writes through a BIO of ours: ciphertext from the socket is put into the
// session's input buffer by the Stream (CommitInput), and every byte OpenSSL emits (handshake
// messages, records, alerts, close_notify) is appended to a CipherBuffer that the Stream then
// writes whole, in the order it was produced. Nothing here blocks or suspends: each call does
// what the buffered bytes allow and says whether it needs more input. The same code therefore
// runs over io_uring and epoll, and reads and writes stay independent: a write never waits for
// a read, and what a read makes OpenSSL send (the answer to a KeyUpdate asking for ours, a
// no_renegotiation or fatal alert) stays in the output, which the Stream sends without the read
// waiting for it (output()/DropOutput()) or which leads the next Encrypt's records.
//
// Memory: the input buffer and OpenSSL's record buffers are allocated once per connection;
// CipherBuffers are recycled (one per write in flight, kept at the size of the largest write
// up to kMaxKeptCipherBuffer; larger ones go to a per-thread shelf of at most 4 buffers and
// 8 MiB that the next large write takes), so steady-state traffic allocates nothing here.
// OpenSSL 3.0 itself makes 4 small allocations per 16 KiB record (3 sealing, 1 opening: its
// WPACKET bookkeeping), which no option avoids; net/tls_allocation_test counts both apart, and
// net::InstallOpenSslBlockCache() serves OpenSSL's from a cache.
#ifndef UXCOM_NET_DETAIL_TLS_SESSION_H_
#define UXCOM_NET_DETAIL_TLS_SESSION_H_

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/tls_context.h"
#include "net/tls_failure.h"

struct ssl_st;         // SSL
struct bio_st;         // BIO
struct bio_method_st;  // BIO_METHOD

namespace uxcom::net::detail {

// Ciphertext of one write (or of handshake messages and alerts).
struct CipherBuffer {
  std::vector<std::byte> bytes;
};

class TlsSession {
 public:
  static constexpr size_t kInputCapacity = 64 * 1024;
  static constexpr size_t kMaxKeptCipherBuffer = 256 * 1024;
  static constexpr size_t kPlainCapacity = 16 * 1024;
  // The most output produced outside writes (answers to the peer's KeyUpdates, alerts) that may
  // wait unsent, for writes the peer does not read: ~2400 KeyUpdate answers. A peer that asks
  // for more without reading fails the next read with kResourceExhausted.
  static constexpr size_t kMaxPendingOutput = 64 * 1024;

  // `peer` names the other end in every message ("127.0.0.1:33062").
  static absl::StatusOr<std::unique_ptr<TlsSession>> Create(const TlsContext& context,
                                                            const TlsHandshakeOptions& options,
                                                            std::string peer);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // --- ciphertext from the socket ----------------------------------------------------------------
  std::span<std::byte> InputSpace();  // never empty
  void CommitInput(size_t n);
  void AddInput(std::span<const std::byte> bytes);  // copies (at most kInputCapacity)
  void SetInputEof() { input_eof_ = true; }

  // --- handshake ---------------------------------------------------------------------------------
  enum class Progress { kDone, kWantInput, kFailed };
  // Advances the handshake; after kDone the connection is established (and the name checked).
  // kFailed: failure() says why.
  Progress Handshake();
  bool established() const { return established_; }
  // The handshake ended without completing (timeout, cancellation): no data may follow.
  void Abandon(absl::Status why) {
    if (failure_.ok() && !established_) failure_ = std::move(why);
  }

  // --- data --------------------------------------------------------------------------------------
  struct ReadResult {
    Progress progress;
    size_t n = 0;  // kDone: bytes decrypted into dst; 0 = end of stream
  };
  // Decrypts as much as the buffered ciphertext allows into dst.
  ReadResult Read(std::span<std::byte> dst);
  // Encrypts every byte of `plain` into records (small pieces are gathered into full ones).
  // Returns the buffer to write, which also holds any output produced before.
  absl::StatusOr<CipherBuffer*> Encrypt(std::span<const iovec> plain);
  // Output produced outside Encrypt (handshake, alerts, close_notify, KeyUpdate replies), or
  // nullptr.
  CipherBuffer* TakeOutput();
  bool has_output() const { return sink_ != nullptr && !sink_->bytes.empty(); }
  // That output, in place (empty if none), and dropping its first `n` bytes once they are sent.
  std::span<const std::byte> output() const {
    return sink_ != nullptr ? std::span<const std::byte>(sink_->bytes)
                            : std::span<const std::byte>();
  }
  void DropOutput(size_t n);
  // Queues a TLS 1.3 KeyUpdate asking the peer to update its keys too (ours change at once):
  // the output then holds it. kFailedPrecondition under TLS 1.2 (no KeyUpdate there, and
  // renegotiation is refused), before the handshake, or after close_notify; kResourceExhausted
  // when more than kMaxPendingOutput / 2 of output already waits.
  absl::Status RequestKeyUpdate();
  void Recycle(CipherBuffer* buffer);
  // Queues close_notify (once; false if already sent or not established).
  bool Shutdown();

  // Writes handed to the socket and not yet finished (close_notify may only be sent directly
  // when none is).
  int writes_in_flight = 0;

  const absl::Status& failure() const { return failure_; }
  // Version, cipher, peer certificate (filled when the handshake completes).
  const TlsInfo& info() const { return info_; }
  bool close_notify_received() const { return close_notify_received_; }

  // --- plaintext buffered for Stream::ReadChunk (allocated on first use) -------------------------
  std::span<std::byte> PlainSpace();
  void CommitPlain(size_t n) { plain_tail_ += n; }
  std::span<const std::byte> plain() const {
    return {plain_.get() + plain_head_, plain_tail_ - plain_head_};
  }
  void ConsumePlain(size_t n);

  // A read (with its raw reads and writes) is running: a second one must fail.
  bool read_busy = false;

 private:
  TlsSession() = default;
  static bio_method_st* Method();
  static int BioWrite(bio_st* bio, const char* data, size_t len, size_t* written);
  static int BioRead(bio_st* bio, char* data, size_t len, size_t* read);
  static long BioCtrl(bio_st* bio, int cmd, long num, void* ptr);
  // OpenSSL's state and alert notices: notes that we refused a renegotiation.
  static void OnInfo(const ssl_st* ssl, int where, int value);
  CipherBuffer* Sink();
  bool WritePlain(const std::byte* data, size_t len);
  absl::Status HandshakeFailure(int ssl_result);
  absl::Status CheckName();
  absl::Status ReadFailure(int error);
  void AnswerKeyUpdate();

  ssl_st* ssl_ = nullptr;
  TlsRole role_ = TlsRole::kClient;
  std::string verify_name_;
  std::string peer_;
  bool established_ = false;
  bool shutdown_sent_ = false;
  bool close_notify_received_ = false;
  bool eof_ = false;
  bool refused_renegotiation_ = false;  // we answered a renegotiation with no_renegotiation
  absl::Status failure_;
  TlsInfo info_;
  uint64_t generation_ = 0;

  std::unique_ptr<std::byte[]> in_;
  size_t in_head_ = 0;
  size_t in_tail_ = 0;
  bool input_eof_ = false;
  uint64_t received_ = 0;       // ciphertext bytes ever received
  std::byte first_bytes_[8]{};  // the first bytes received, for "not TLS" messages
  size_t first_count_ = 0;

  CipherBuffer* sink_ = nullptr;  // where OpenSSL's output goes now
  std::vector<std::unique_ptr<CipherBuffer>> buffers_;
  std::vector<CipherBuffer*> free_;
  std::vector<std::byte> staging_;  // small plaintext pieces gathered into one record

  std::unique_ptr<std::byte[]> plain_;
  size_t plain_head_ = 0;
  size_t plain_tail_ = 0;
};

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_TLS_SESSION_H_
