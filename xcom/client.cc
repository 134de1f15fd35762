#include "xcom/client.h"

#include <array>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "net/buffered_reader.h"
#include "net/stream.h"
#include "net/timer.h"
#include "net/tls_failure.h"
#include "xcom/ipv4_reachable.h"
#include "xcom/message_defaults.h"
#include "xdr/copy.h"
#include "xdr/encode.h"
#include "xdr/frame_header.h"

namespace uxcom::xcom {
namespace {

std::string Hex(std::span<const std::byte> bytes) {
  std::string out;
  for (std::byte b : bytes)
    absl::StrAppend(&out, out.empty() ? "" : " ", absl::Hex(static_cast<int>(b), absl::kZeroPad2));
  return out;
}

constexpr char kFailurePayload[] = "type.uxcom/xcom.client.failure";

absl::Status Failed(ClientFailure failure, std::string message) {
  absl::Status s = absl::FailedPreconditionError(std::move(message));
  s.SetPayload(kFailurePayload, absl::Cord(ClientFailureName(failure)));
  return s;
}

// Names the step in a timeout (WithTimeout reports kDeadlineExceeded); keeps the payloads.
absl::Status Step(const absl::Status& s, const char* step, const std::string& address) {
  if (s.ok()) return s;
  absl::Status out(s.code(), absl::StrCat(step, " ", address, ": ", s.message()));
  s.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

// The stream stays put (the reader refers to it) while the session is moved around.
struct Session {
  std::unique_ptr<net::Stream> stream{};
  std::unique_ptr<net::BufferedReader> reader{};
  ClientResult result{};
};

// Reads one 12-byte header; a peer that closes first is reported with what it did send.
net::Task<absl::StatusOr<xdr::FrameHeader>> ReadHeader(net::BufferedReader& in) {
  absl::Status s = co_await in.Fill(xdr::kFrameHeaderSize);
  if (!s.ok()) {
    if (absl::IsOutOfRange(s)) {
      co_return Failed(
          in.size() == 0 ? ClientFailure::kClosedWithoutAnswer : ClientFailure::kNotXcom,
          absl::StrCat("the peer closed the connection after ", in.size(), " bytes",
                       in.size() == 0
                           ? " without answering (refused by an allowlist or the IPv6 gate?)"
                           : absl::StrCat(" (", Hex(in.buffered()), "): not an XCom endpoint")));
    }
    co_return s;
  }
  xdr::FrameHeader h = xdr::LoadFrameHeader(in.buffered().first<xdr::kFrameHeaderSize>());
  co_return h;
}

// A TLS handshake (no verification) on a new connection: does `hp` speak TLS? The version and
// cipher it chose, or nullopt.
net::Task<std::optional<std::string>> TryTls(net::Executor& ex, const net::HostPort& hp,
                                             const ClientOptions& o) {
  absl::StatusOr<std::shared_ptr<net::TlsContext>> ctx =
      net::TlsContext::Create(net::TlsConfig{.verify_server = false});
  if (!ctx.ok()) co_return std::nullopt;
  absl::StatusOr<net::Stream> stream =
      co_await net::Stream::Connect(ex, hp.host, hp.port, o.connect_timeout);
  if (!stream.ok()) co_return std::nullopt;
  net::TlsHandshakeOptions h;
  h.timeout = o.timeout;
  absl::Status s = co_await stream->StartTls(*ctx, h);
  std::optional<net::TlsFailure> f = net::TlsFailureOf(s);
  // A refusal of our (absent) certificate is still an answer in TLS.
  if (!s.ok() && (!f || *f == net::TlsFailure::kNotTls || *f == net::TlsFailure::kPeerClosed ||
                  *f == net::TlsFailure::kIoError || *f == net::TlsFailure::kTimeout)) {
    co_return std::nullopt;
  }
  std::string what = s.ok() ? absl::StrCat(stream->tls()->version, ", ", stream->tls()->cipher)
                            : std::string(s.message());
  stream->Close();
  co_return what;
}

net::Task<absl::StatusOr<Session>> Open(net::Executor& ex, const std::string& address,
                                        const ClientOptions& o) {
  absl::StatusOr<net::HostPort> hp = net::ParseHostPort(address);
  if (!hp.ok()) co_return hp.status();
  absl::StatusOr<net::Stream> stream =
      co_await net::Stream::Connect(ex, hp->host, hp->port, o.connect_timeout);
  if (!stream.ok()) co_return Step(stream.status(), "connect", address);
  Session session{.stream = std::make_unique<net::Stream>(*std::move(stream))};
  session.reader = std::make_unique<net::BufferedReader>(*session.stream);
  session.result.peer = session.stream->peer();
  if (o.ssl_mode != SslMode::kDisabled) {
    if (o.tls == nullptr) {
      co_return absl::InvalidArgumentError("ClientOptions: ssl_mode is set but tls is null");
    }
    net::TlsHandshakeOptions h = DialHandshake(o.ssl_mode, hp->host, o.timeout);
    absl::Status secured = co_await session.stream->StartTls(o.tls->shared_from_this(), h);
    if (!secured.ok()) co_return Step(ExplainDialFailure(secured), "TLS with", address);
    session.result.tls_version = session.stream->tls()->version;
    session.result.tls_cipher = session.stream->tls()->cipher;
  }

  auto request = xdr::FrameHeaderBytes(xdr::VersionRequest(o.max_version, o.tag));
  auto sent = std::chrono::steady_clock::now();
  auto handshake = [](Session& s, std::array<std::byte, xdr::kFrameHeaderSize> req)
      -> net::Task<absl::StatusOr<xdr::FrameHeader>> {
    absl::Status w = co_await s.stream->Write(req);
    if (!w.ok()) co_return w;
    co_return co_await ReadHeader(*s.reader);
  };
  absl::StatusOr<xdr::FrameHeader> reply =
      co_await net::WithTimeout(o.timeout, handshake(session, request));
  if (!reply.ok()) {
    // Closed (or reset) before a single byte of answer: with TLS off, a TLS-only peer does
    // exactly that to a plaintext version request, so ask it in TLS before guessing.
    bool silent = session.reader->size() == 0 && (absl::IsFailedPrecondition(reply.status()) ||
                                                  absl::IsUnavailable(reply.status()));
    if (silent && o.ssl_mode == SslMode::kDisabled && o.detect_tls) {
      std::optional<std::string> tls = co_await TryTls(ex, *hp, o);
      if (tls.has_value()) {
        co_return Failed(
            ClientFailure::kSpeaksTls,
            absl::StrCat(address,
                         " closed the connection without answering the plaintext version request, "
                         "and answers a TLS handshake (",
                         *tls, "): the peer speaks TLS"));
      }
    }
    if (absl::IsUnavailable(reply.status())) {
      // Connected, then reset before answering: refused after accept (an allowlist, the IPv6
      // gate), not unreachable.
      co_return Failed(ClientFailure::kClosedWithoutAnswer,
                       absl::StrCat("negotiation with ", address,
                                    ": the peer reset the connection without answering (",
                                    reply.status().message(), ")"));
    }
    co_return Step(reply.status(), "negotiation with", address);
  }
  session.result.negotiation_rtt = std::chrono::steady_clock::now() - sent;
  if (reply->type != xdr::MessageType::kVersionReply || reply->tag != o.tag || reply->length != 0) {
    co_return Failed(
        ClientFailure::kNotXcom,
        absl::StrCat(address, " is not an XCom endpoint: expected a version reply with tag ", o.tag,
                     ", got header ",
                     Hex(session.reader->buffered().first<xdr::kFrameHeaderSize>())));
  }
  session.reader->Consume(xdr::kFrameHeaderSize);
  if (reply->version == xdr::ProtocolVersion::kUnknown || reply->version > o.max_version ||
      reply->version < o.min_version) {
    co_return Failed(
        ClientFailure::kNoCommonVersion,
        absl::StrCat("no protocol version in common with ", address, ": it answered ",
                     xdr::DescribeProtocolVersion(reply->version), ", this client speaks ",
                     xdr::DescribeProtocolVersion(o.min_version), " to ",
                     xdr::DescribeProtocolVersion(o.max_version)));
  }
  session.result.version = reply->version;
  co_return session;
}

}  // namespace

const char* ClientFailureName(ClientFailure failure) {
  switch (failure) {
    case ClientFailure::kBadAddress:
      return "bad_address";
    case ClientFailure::kUnreachable:
      return "unreachable";
    case ClientFailure::kTimeout:
      return "timeout";
    case ClientFailure::kClosedWithoutAnswer:
      return "closed_without_answer";
    case ClientFailure::kNotXcom:
      return "not_xcom";
    case ClientFailure::kNoCommonVersion:
      return "no_common_version";
    case ClientFailure::kSpeaksTls:
      return "speaks_tls";
    case ClientFailure::kTlsFailed:
      return "tls_failed";
    case ClientFailure::kOther:
      return "other";
  }
  return "other";
}

ClientFailure ClassifyClientFailure(const absl::Status& s) {
  if (absl::optional<absl::Cord> p = s.GetPayload(kFailurePayload)) {
    for (ClientFailure f : {ClientFailure::kClosedWithoutAnswer, ClientFailure::kNotXcom,
                            ClientFailure::kNoCommonVersion, ClientFailure::kSpeaksTls}) {
      if (*p == ClientFailureName(f)) return f;
    }
  }
  // A failed handshake with TLS on carries its net::TlsFailure category; a timeout stays one.
  if (std::optional<net::TlsFailure> tls = net::TlsFailureOf(s);
      tls.has_value() && *tls != net::TlsFailure::kTimeout) {
    return ClientFailure::kTlsFailed;
  }
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return ClientFailure::kBadAddress;
    case absl::StatusCode::kDeadlineExceeded:
      return ClientFailure::kTimeout;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:  // closed while we wrote
      return ClientFailure::kUnreachable;
    default:
      return ClientFailure::kOther;
  }
}

bool PeerSpeaksTls(const absl::Status& status) {
  return !status.ok() && ClassifyClientFailure(status) == ClientFailure::kSpeaksTls;
}

net::Task<absl::StatusOr<ClientResult>> Negotiate(net::Executor& executor, std::string address,
                                                  ClientOptions options) {
  absl::StatusOr<Session> s = co_await Open(executor, address, options);
  if (!s.ok()) co_return s.status();
  s->stream->Close();
  co_return std::move(s->result);
}

namespace {

// xcom_send_client_app_data's check before an add_node reaches a node older than x_1_5: such a
// group can reach members over IPv4 only, so every address being added must have an IPv4
// address (are_we_allowed_to_upgrade_to_v6).
net::Task<absl::Status> CheckAddNode(const xdr::PaxMsg& msg, xdr::ProtocolVersion version) {
  if (version >= kFirstIpv6Version) co_return absl::OkStatus();
  for (const xdr::AppData& a : msg.a) {
    if (a.body.c_t != xdr::CargoType::kAddNodeType) continue;
    const auto* nodes = std::get_if<xdr::NodeList>(&a.body.arm);
    if (nodes == nullptr) continue;
    for (const xdr::NodeAddress& n : *nodes) {
      std::string address(n.address);
      absl::Status reachable = co_await CheckIpv4Reachable(address);
      if (!reachable.ok()) {
        co_return absl::FailedPreconditionError(absl::StrCat(
            "not sent: the node speaks ", xdr::DescribeProtocolVersion(version), ", older than ",
            xdr::DescribeProtocolVersion(kFirstIpv6Version), " (IPv6), and ", reachable.message(),
            ". Unable to add node to a group of older nodes. Please reconfigure you local "
            "address to an IPv4 address or configure your DNS to provide an IPv4 address"));
      }
    }
  }
  co_return absl::OkStatus();
}

}  // namespace

net::Task<absl::StatusOr<ClientResult>> SendOnce(net::Executor& executor, std::string address,
                                                 const xdr::PaxMsg& msg, ClientOptions options) {
  absl::StatusOr<Session> s = co_await Open(executor, address, options);
  if (!s.ok()) co_return s.status();
  absl::Status allowed =
      co_await net::WithTimeout(options.timeout, CheckAddNode(msg, s->result.version));
  if (!allowed.ok()) co_return Step(allowed, "add_node check for", address);
  xdr::Arena arena;
  xdr::PaxMsg* copy = xdr::CopyToArena(msg, arena);
  ApplyCarriedDefaults(*copy, &arena);
  std::vector<std::byte> frame;
  absl::StatusOr<size_t> n =
      xdr::AppendFrame(s->result.version, *copy, frame, {.profile = options.profile});
  if (!n.ok()) co_return n.status();
  auto write = [](net::Stream& st, std::vector<std::byte>& f) -> net::Task<absl::Status> {
    co_return co_await st.Write(f);
  };
  absl::Status w = co_await net::WithTimeout(options.timeout, write(*s->stream, frame));
  if (!w.ok()) co_return Step(w, "send to", address);
  if (options.await_reply) {
    auto read = [](net::BufferedReader& in, const ClientOptions& o,
                   xdr::ProtocolVersion v) -> net::Task<absl::StatusOr<xdr::OwnedPaxMsg>> {
      absl::StatusOr<xdr::FrameHeader> h = co_await ReadHeader(in);
      if (!h.ok()) co_return h.status();
      if (h->type != xdr::MessageType::kNormal || h->version != v) {
        co_return absl::FailedPreconditionError(
            absl::StrCat("expected a normal frame of ", xdr::DescribeProtocolVersion(v),
                         ", got header ", Hex(in.buffered().first<xdr::kFrameHeaderSize>())));
      }
      if (h->length == 0 || h->length > o.max_frame_body) {
        co_return absl::FailedPreconditionError(
            absl::StrCat("reply body length ", h->length, " outside [1, ", o.max_frame_body, "]"));
      }
      in.Consume(xdr::kFrameHeaderSize);
      std::vector<std::byte> body(h->length);
      absl::Status r = co_await in.ReadExactly(body);
      if (!r.ok()) co_return r;
      co_return xdr::DecodeOwned(v, body,
                                 {.max_body_size = o.max_frame_body, .profile = o.profile});
    };
    absl::StatusOr<xdr::OwnedPaxMsg> reply =
        co_await net::WithTimeout(options.timeout, read(*s->reader, options, s->result.version));
    if (!reply.ok()) co_return Step(reply.status(), "reply from", address);
    s->result.reply = *std::move(reply);
  }
  s->stream->Close();
  co_return std::move(s->result);
}

}  // namespace uxcom::xcom
