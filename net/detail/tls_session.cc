#include "net/detail/tls_session.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/detail/openssl_error.h"

namespace uxcom::net::detail {
namespace {

// OpenSSL's largest record payload (max_send_fragment's default).
constexpr size_t kRecordPayload = 16384;
// A record's bytes beyond its plaintext, at most: header 5, TLS 1.2's explicit nonce 8 or
// TLS 1.3's inner content type 1, tag 16.
constexpr size_t kMaxRecordOverhead = 32;

// Ciphertext buffers above TlsSession::kMaxKeptCipherBuffer are not kept by their connection
// (an idle one would pin them); this thread's shelf keeps a few for the next large write on any
// of its connections, so a stream of 256 KiB messages does not allocate per write.
class LargeCipherShelf {
 public:
  static constexpr size_t kMaxItems = 4;
  static constexpr size_t kMaxBytes = 8 << 20;

  static LargeCipherShelf& ThisThread() {
    thread_local LargeCipherShelf shelf;
    return shelf;
  }
  // Keeps `b`'s memory if there is room, else frees it; `b` is left empty either way.
  void Put(std::vector<std::byte>& b) {
    std::vector<std::byte> item = std::move(b);
    if (items_.size() >= kMaxItems || item.capacity() > kMaxBytes - bytes_) return;
    item.clear();
    bytes_ += item.capacity();
    items_.push_back(std::move(item));
  }
  // Swaps into `out` the smallest kept buffer of at least `need` bytes, if any. (A small write
  // may take a large one: it comes back here when the write completes, so no connection keeps
  // it, and a connection that goes from large writes to small ones allocates nothing.)
  void TakeInto(size_t need, std::vector<std::byte>& out) {
    size_t best = items_.size();
    for (size_t i = 0; i < items_.size(); ++i) {
      const size_t c = items_[i].capacity();
      if (c >= need && (best == items_.size() || c < items_[best].capacity())) best = i;
    }
    if (best == items_.size()) return;
    bytes_ -= items_[best].capacity();
    out.swap(items_[best]);  // what `out` held, if anything, is freed with the slot
    std::swap(items_[best], items_.back());
    items_.pop_back();
  }

 private:
  LargeCipherShelf() { items_.reserve(kMaxItems); }
  std::vector<std::vector<std::byte>> items_;
  size_t bytes_ = 0;
};

std::string Hex(std::span<const std::byte> bytes) {
  std::string out;
  for (std::byte b : bytes) {
    absl::StrAppend(&out, out.empty() ? "" : " ", absl::Hex(static_cast<int>(b), absl::kZeroPad2));
  }
  return out;
}

// The category of OpenSSL error `code` (with the chain verification result `verify`).
TlsFailure Classify(unsigned long code, long verify) {
  if (ERR_GET_LIB(code) != ERR_LIB_SSL) return TlsFailure::kOther;
  switch (ERR_GET_REASON(code)) {
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      switch (verify) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
          return TlsFailure::kCertificateExpired;
        case X509_V_ERR_CERT_NOT_YET_VALID:
        case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
          return TlsFailure::kCertificateNotYetValid;
        case X509_V_ERR_CERT_REVOKED:
        case X509_V_ERR_UNABLE_TO_GET_CRL:
        case X509_V_ERR_CRL_HAS_EXPIRED:
        case X509_V_ERR_CRL_NOT_YET_VALID:
        case X509_V_ERR_CRL_SIGNATURE_FAILURE:
          return TlsFailure::kCertificateRevoked;
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
          return TlsFailure::kNameMismatch;
        default:
          return TlsFailure::kUntrustedCertificate;
      }
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
      return TlsFailure::kCertificateExpired;
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
      return TlsFailure::kCertificateRevoked;
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
      return TlsFailure::kUntrustedCertificate;
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return TlsFailure::kNoCertificate;
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_NO_CIPHERS_AVAILABLE:
    case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
    case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
    case SSL_R_NO_SHARED_GROUPS:
    case SSL_R_TLSV1_ALERT_INSUFFICIENT_SECURITY:
    case SSL_R_WRONG_SSL_VERSION:
      return TlsFailure::kNoCommonParameters;
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_UNEXPECTED_MESSAGE:
    case SSL_R_UNEXPECTED_RECORD:
    case SSL_R_LENGTH_MISMATCH:
    case SSL_R_BAD_PACKET_LENGTH:
    case SSL_R_BAD_RECORD_TYPE:
    case SSL_R_ENCRYPTED_LENGTH_TOO_LONG:
    case SSL_R_LENGTH_TOO_SHORT:
    case SSL_R_BAD_LENGTH:
    case SSL_R_TLSV1_ALERT_DECODE_ERROR:
      return TlsFailure::kNotTls;
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return TlsFailure::kPeerClosed;
    default:
      return TlsFailure::kOther;
  }
}

absl::StatusCode CodeFor(TlsFailure f) {
  switch (f) {
    case TlsFailure::kPeerClosed:
    case TlsFailure::kIoError:
      return absl::StatusCode::kUnavailable;
    case TlsFailure::kUntrustedCertificate:
    case TlsFailure::kCertificateExpired:
    case TlsFailure::kCertificateNotYetValid:
    case TlsFailure::kCertificateRevoked:
    case TlsFailure::kNameMismatch:
    case TlsFailure::kNoCertificate:
      return absl::StatusCode::kUnauthenticated;
    case TlsFailure::kTimeout:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kFailedPrecondition;
  }
}

// "CN=node1, O=uxcom" (RFC 2253 order reversed as OpenSSL's one-line form prints it).
std::string NameOf(X509_NAME* name) {
  BIO* mem = BIO_new(BIO_s_mem());
  if (mem == nullptr) return "?";
  X509_NAME_print_ex(mem, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(mem, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(mem);
  return out;
}

// "DNS:node1, IP:127.0.0.1" or "none".
std::string AltNamesOf(X509* cert) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return "none";
  std::string out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    std::string item;
    if (n->type == GEN_DNS) {
      const ASN1_STRING* s = n->d.dNSName;
      item = absl::StrCat("DNS:",
                          absl::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                            static_cast<size_t>(ASN1_STRING_length(s))));
    } else if (n->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = n->d.iPAddress;
      int len = ASN1_STRING_length(s);
      char text[INET6_ADDRSTRLEN] = "?";
      if (len == 4 || len == 16) {
        inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), text, sizeof text);
      }
      item = absl::StrCat("IP:", text);
    } else {
      continue;
    }
    absl::StrAppend(&out, out.empty() ? "" : ", ", item);
  }
  GENERAL_NAMES_free(names);
  return out.empty() ? "none" : out;
}

bool IsPeerAlert(const std::string& reason) {
  return reason.rfind("sslv3 alert", 0) == 0 || reason.rfind("tlsv1 alert", 0) == 0 ||
         reason.rfind("tlsv13 alert", 0) == 0;
}

}  // namespace

// --- the BIO OpenSSL reads and writes ---------------------------------------------------------

bio_method_st* TlsSession::Method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "uxcom-tls-session");
    BIO_meth_set_write_ex(m, &TlsSession::BioWrite);
    BIO_meth_set_read_ex(m, &TlsSession::BioRead);
    BIO_meth_set_ctrl(m, &TlsSession::BioCtrl);
    return m;
  }();
  return method;
}

int TlsSession::BioWrite(BIO* bio, const char* data, size_t len, size_t* written) {
  auto* self = static_cast<TlsSession*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  std::vector<std::byte>& out = self->Sink()->bytes;
  const auto* p = reinterpret_cast<const std::byte*>(data);
  out.insert(out.end(), p, p + len);
  *written = len;
  return 1;
}

int TlsSession::BioRead(BIO* bio, char* data, size_t len, size_t* read) {
  auto* self = static_cast<TlsSession*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  size_t available = self->in_tail_ - self->in_head_;
  if (available == 0) {
    *read = 0;
    if (!self->input_eof_) BIO_set_retry_read(bio);  // else: end of stream
    return 0;
  }
  size_t n = std::min(len, available);
  std::memcpy(data, self->in_.get() + self->in_head_, n);
  self->in_head_ += n;
  *read = n;
  return 1;
}

long TlsSession::BioCtrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;  // writes are complete when BioWrite returns
}

void TlsSession::OnInfo(const SSL* ssl, int where, int value) {
  // SSL_CB_WRITE_ALERT's value: the alert's level << 8 | its description.
  if ((where & SSL_CB_WRITE_ALERT) == SSL_CB_WRITE_ALERT &&
      (value & 0xff) == SSL_AD_NO_RENEGOTIATION) {
    static_cast<TlsSession*>(SSL_get_app_data(ssl))->refused_renegotiation_ = true;
  }
}

// --- setup ------------------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<TlsSession>> TlsSession::Create(const TlsContext& context,
                                                               const TlsHandshakeOptions& options,
                                                               std::string peer) {
  if (options.role == TlsRole::kServer && !context.has_certificate()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "TLS handshake with ", peer, ": the TLS context has no certificate to serve with"));
  }
  ERR_clear_error();
  std::unique_ptr<TlsSession> s(new TlsSession());
  s->peer_ = std::move(peer);
  s->role_ = options.role;
  s->verify_name_ = options.verify_name;
  s->generation_ = context.generation();
  s->ssl_ = SSL_new(context.native());
  if (s->ssl_ == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("SSL_new for ", s->peer_, ": ", OpenSslError::Drain().first_reason()));
  }
  BIO* bio = BIO_new(Method());
  if (bio == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("BIO_new for ", s->peer_, ": ", OpenSslError::Drain().first_reason()));
  }
  BIO_set_data(bio, s.get());
  BIO_set_init(bio, 1);
  SSL_set_bio(s->ssl_, bio, bio);  // one reference, owned by the SSL from now on
  SSL_set_app_data(s->ssl_, s.get());
  SSL_set_info_callback(s->ssl_, &TlsSession::OnInfo);

  const TlsConfig& c = context.config();
  if (options.role == TlsRole::kServer) {
    SSL_set_accept_state(s->ssl_);
    int mode = SSL_VERIFY_NONE;
    if (c.client_certificates != ClientCertificatePolicy::kNotRequested) {
      mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
      if (c.client_certificates == ClientCertificatePolicy::kRequired) {
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      }
    }
    SSL_set_verify(s->ssl_, mode, nullptr);
  } else {
    SSL_set_connect_state(s->ssl_);
    SSL_set_verify(s->ssl_, c.verify_server ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  }
  s->in_ = std::make_unique<std::byte[]>(kInputCapacity);
  s->staging_.reserve(kRecordPayload);
  s->AddInput(options.already_received);
  return s;
}

TlsSession::~TlsSession() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // frees the BIO too
}

// --- input ------------------------------------------------------------------------------------

std::span<std::byte> TlsSession::InputSpace() {
  if (in_head_ == in_tail_) {
    in_head_ = in_tail_ = 0;
  } else if (in_tail_ == kInputCapacity || in_head_ > kInputCapacity / 2) {
    std::memmove(in_.get(), in_.get() + in_head_, in_tail_ - in_head_);
    in_tail_ -= in_head_;
    in_head_ = 0;
  }
  return {in_.get() + in_tail_, kInputCapacity - in_tail_};
}

void TlsSession::CommitInput(size_t n) {
  for (size_t i = 0; first_count_ < sizeof first_bytes_ && i < n; ++i) {
    first_bytes_[first_count_++] = in_[in_tail_ + i];
  }
  in_tail_ += n;
  received_ += n;
}

void TlsSession::AddInput(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    std::span<std::byte> room = InputSpace();
    size_t n = std::min(room.size(), bytes.size());
    std::memcpy(room.data(), bytes.data(), n);
    CommitInput(n);
    bytes = bytes.subspan(n);
  }
}

// --- handshake --------------------------------------------------------------------------------

TlsSession::Progress TlsSession::Handshake() {
  if (established_) return Progress::kDone;
  if (!failure_.ok()) return Progress::kFailed;
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    absl::Status named = CheckName();
    if (!named.ok()) {
      failure_ = named;
      return Progress::kFailed;
    }
    established_ = true;
    info_.version = SSL_get_version(ssl_);
    info_.cipher = SSL_get_cipher_name(ssl_);
    if (X509* cert = SSL_get0_peer_certificate(ssl_); cert != nullptr) {
      info_.peer_subject = NameOf(X509_get_subject_name(cert));
      info_.peer_verified = (SSL_get_verify_mode(ssl_) & SSL_VERIFY_PEER) != 0 &&
                            SSL_get_verify_result(ssl_) == X509_V_OK;
    }
    info_.context_generation = generation_;
    return Progress::kDone;
  }
  int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ && !input_eof_) return Progress::kWantInput;
  failure_ = HandshakeFailure(e);
  return Progress::kFailed;
}

absl::Status TlsSession::HandshakeFailure(int ssl_error) {
  OpenSslError err = OpenSslError::Drain();
  long verify = SSL_get_verify_result(ssl_);
  TlsFailure kind = Classify(err.last, verify);
  std::string reason = err.last_reason();
  if (kind == TlsFailure::kPeerClosed || (err.last == 0 && ssl_error == SSL_ERROR_SYSCALL)) {
    kind = input_eof_ ? TlsFailure::kPeerClosed : TlsFailure::kIoError;
    reason = input_eof_ ? absl::StrCat("the peer closed the connection after ", received_,
                                       " bytes of the handshake")
                        : "the connection failed";
  } else if (ERR_GET_LIB(err.last) == ERR_LIB_SSL &&
             ERR_GET_REASON(err.last) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    absl::StrAppend(&reason, " (", X509_verify_cert_error_string(verify), ")");
  } else if (IsPeerAlert(reason)) {
    absl::StrAppend(&reason, " (the peer refused the handshake)");
  } else if (kind == TlsFailure::kNotTls) {
    absl::StrAppend(&reason, " (the peer does not speak TLS: its first bytes are ",
                    Hex({first_bytes_, first_count_}), ")");
  }
  return WithTlsFailure(
      absl::Status(CodeFor(kind), absl::StrCat("TLS handshake with ", peer_, " failed: ", reason)),
      kind);
}

absl::Status TlsSession::CheckName() {
  if (role_ != TlsRole::kClient || verify_name_.empty()) return absl::OkStatus();
  auto fail = [&](TlsFailure kind, std::string why) {
    return WithTlsFailure(
        absl::Status(CodeFor(kind), absl::StrCat("TLS handshake with ", peer_, " failed: ", why)),
        kind);
  };
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr) {
    return fail(
        TlsFailure::kNoCertificate,
        absl::StrCat("the server sent no certificate to check against '", verify_name_, "'"));
  }
  if (long v = SSL_get_verify_result(ssl_); v != X509_V_OK) {
    return fail(TlsFailure::kUntrustedCertificate,
                absl::StrCat("the server's certificate was not verified (",
                             X509_verify_cert_error_string(v), ")"));
  }
  // The host name first, then the IP address, as MySQL's XCom checks the name it dialled.
  if (X509_check_host(cert, verify_name_.data(), verify_name_.size(), 0, nullptr) == 1 ||
      X509_check_ip_asc(cert, verify_name_.c_str(), 0) == 1) {
    return absl::OkStatus();
  }
  ERR_clear_error();
  return fail(
      TlsFailure::kNameMismatch,
      absl::StrCat("the server's certificate (subject ", NameOf(X509_get_subject_name(cert)),
                   "; subjectAltName ", AltNamesOf(cert), ") does not match '", verify_name_, "'"));
}

// --- data -------------------------------------------------------------------------------------

TlsSession::ReadResult TlsSession::Read(std::span<std::byte> dst) {
  if (!failure_.ok()) return {Progress::kFailed, 0};
  // What earlier reads made OpenSSL answer and the socket did not take: a peer that keeps
  // asking (KeyUpdates) without reading our writes would make it grow without end.
  if (size_t waiting = output().size(); waiting > kMaxPendingOutput) {
    failure_ = absl::ResourceExhaustedError(absl::StrCat(
        "TLS read from ", peer_, ": ", waiting,
        " bytes of answers to the peer (KeyUpdates, alerts) wait behind writes it does not read "
        "(at most ",
        kMaxPendingOutput, "): the peer asks for key updates faster than it reads"));
    return {Progress::kFailed, 0};
  }
  size_t done = 0;
  while (done < dst.size() && !eof_) {
    ERR_clear_error();
    size_t n = 0;
    int r = SSL_read_ex(ssl_, dst.data() + done, dst.size() - done, &n);
    if (r == 1) {
      done += n;
      continue;
    }
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ && !input_eof_) {
      AnswerKeyUpdate();
      return done > 0 ? ReadResult{Progress::kDone, done} : ReadResult{Progress::kWantInput, 0};
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
      close_notify_received_ = true;
      eof_ = true;
      break;
    }
    OpenSslError err = OpenSslError::Drain();
    if (input_eof_ && (err.last == 0 || Classify(err.last, X509_V_OK) == TlsFailure::kPeerClosed)) {
      eof_ = true;  // the peer closed without close_notify: an ordinary end of stream here
      break;
    }
    std::string reason = err.last_reason();
    if (IsPeerAlert(reason)) absl::StrAppend(&reason, " (an alert from the peer)");
    if (refused_renegotiation_) {
      absl::StrAppend(&reason,
                      "; the peer asked to renegotiate and was refused (uxcom never renegotiates:"
                      " TLS 1.3 renews keys with KeyUpdate)");
    }
    TlsFailure kind = err.last == 0 ? TlsFailure::kIoError : Classify(err.last, X509_V_OK);
    failure_ = WithTlsFailure(
        absl::UnavailableError(absl::StrCat("TLS read from ", peer_, ": ", reason)), kind);
    if (done > 0) break;  // deliver what was decrypted; the failure comes with the next read
    return {Progress::kFailed, 0};
  }
  AnswerKeyUpdate();
  return {Progress::kDone, done};
}

// OpenSSL may keep the answer to a KeyUpdate that asked for ours until its next call (which may
// be a write much later): marking it due and stepping the handshake writes it to our output now.
void TlsSession::AnswerKeyUpdate() {
  if (SSL_get_key_update_type(ssl_) == SSL_KEY_UPDATE_NONE || !failure_.ok()) return;
  ERR_clear_error();
  if (SSL_is_init_finished(ssl_)) SSL_key_update(ssl_, SSL_KEY_UPDATE_NOT_REQUESTED);
  SSL_do_handshake(ssl_);
  ERR_clear_error();
}

CipherBuffer* TlsSession::Sink() {
  if (sink_ == nullptr) {
    if (!free_.empty()) {
      sink_ = free_.back();
      free_.pop_back();
    } else {
      buffers_.push_back(std::make_unique<CipherBuffer>());
      sink_ = buffers_.back().get();
    }
  }
  return sink_;
}

bool TlsSession::WritePlain(const std::byte* data, size_t len) {
  ERR_clear_error();
  size_t written = 0;
  if (SSL_write_ex(ssl_, data, len, &written) == 1 && written == len) return true;
  OpenSslError err = OpenSslError::Drain();
  failure_ =
      absl::FailedPreconditionError(absl::StrCat("TLS write to ", peer_, ": ", err.last_reason()));
  return false;
}

absl::StatusOr<CipherBuffer*> TlsSession::Encrypt(std::span<const iovec> plain) {
  if (!established_) {
    return absl::FailedPreconditionError(
        absl::StrCat("TLS write to ", peer_, ": the handshake has not completed"));
  }
  if (!failure_.ok()) return failure_;
  // Output produced before (if any) goes first. The ciphertext is reserved at once (growing
  // it record by record cost a 256 KiB write six allocations), from this thread's
  // LargeCipherShelf when it is larger than a connection keeps.
  size_t plain_bytes = 0;
  for (const iovec& v : plain) plain_bytes += v.iov_len;
  const size_t records = plain_bytes / kRecordPayload + plain.size() + 1;  // at most
  std::vector<std::byte>& out = Sink()->bytes;
  const size_t need = out.size() + plain_bytes + records * kMaxRecordOverhead;
  if (out.empty() && out.capacity() < need) {
    LargeCipherShelf::ThisThread().TakeInto(need, out);
  }
  out.reserve(need);
  staging_.clear();
  auto flush_staging = [&] {
    bool ok = staging_.empty() || WritePlain(staging_.data(), staging_.size());
    staging_.clear();
    return ok;
  };
  for (const iovec& v : plain) {
    const auto* p = static_cast<const std::byte*>(v.iov_base);
    size_t left = v.iov_len;
    while (left > 0) {
      if (staging_.empty() && left >= kRecordPayload) {
        if (!WritePlain(p, left)) return failure_;
        left = 0;
        break;
      }
      size_t take = std::min(left, kRecordPayload - staging_.size());
      staging_.insert(staging_.end(), p, p + take);
      p += take;
      left -= take;
      if (staging_.size() == kRecordPayload && !flush_staging()) return failure_;
    }
  }
  if (!flush_staging()) return failure_;
  return std::exchange(sink_, nullptr);
}

CipherBuffer* TlsSession::TakeOutput() {
  if (sink_ == nullptr || sink_->bytes.empty()) return nullptr;
  return std::exchange(sink_, nullptr);
}

void TlsSession::DropOutput(size_t n) {
  if (sink_ == nullptr || n == 0) return;
  std::vector<std::byte>& b = sink_->bytes;
  b.erase(b.begin(), b.begin() + static_cast<ptrdiff_t>(std::min(n, b.size())));
}

absl::Status TlsSession::RequestKeyUpdate() {
  if (!failure_.ok()) return failure_;
  if (!established_ || shutdown_sent_) {
    return absl::FailedPreconditionError(
        absl::StrCat("TLS key update with ", peer_, ": ",
                     established_ ? "close_notify was sent" : "the handshake has not completed"));
  }
  if (SSL_version(ssl_) != TLS1_3_VERSION) {
    return absl::FailedPreconditionError(absl::StrCat(
        "TLS key update with ", peer_, ": the connection runs ", SSL_get_version(ssl_),
        "; only TLS 1.3 updates keys in place (TLS 1.2 would renegotiate, which uxcom refuses)"));
  }
  if (size_t waiting = output().size(); waiting > kMaxPendingOutput / 2) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "TLS key update with ", peer_, ": ", waiting,
        " bytes of TLS output already wait behind writes the peer has not read (at most ",
        kMaxPendingOutput / 2, " before a key update): ask again once they drain"));
  }
  ERR_clear_error();
  // SSL_key_update only marks the update due; the handshake step writes it to our output now.
  if (SSL_key_update(ssl_, SSL_KEY_UPDATE_REQUESTED) != 1 || SSL_do_handshake(ssl_) != 1) {
    OpenSslError err = OpenSslError::Drain();
    failure_ =
        absl::InternalError(absl::StrCat("TLS key update with ", peer_, ": ", err.last_reason()));
    return failure_;
  }
  return absl::OkStatus();
}

void TlsSession::Recycle(CipherBuffer* buffer) {
  buffer->bytes.clear();
  if (buffer->bytes.capacity() > kMaxKeptCipherBuffer) {
    LargeCipherShelf::ThisThread().Put(buffer->bytes);  // not kept per connection
  }
  free_.push_back(buffer);
}

std::span<std::byte> TlsSession::PlainSpace() {
  if (plain_ == nullptr) plain_ = std::make_unique<std::byte[]>(kPlainCapacity);
  if (plain_head_ == plain_tail_) plain_head_ = plain_tail_ = 0;
  return {plain_.get() + plain_tail_, kPlainCapacity - plain_tail_};
}

void TlsSession::ConsumePlain(size_t n) {
  plain_head_ += std::min(n, plain_tail_ - plain_head_);
  if (plain_head_ == plain_tail_) plain_head_ = plain_tail_ = 0;
}

bool TlsSession::Shutdown() {
  if (!established_ || shutdown_sent_) return false;
  shutdown_sent_ = true;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // queues close_notify; we do not wait for the peer's
  ERR_clear_error();
  return sink_ != nullptr && !sink_->bytes.empty();
}

}  // namespace uxcom::net::detail
