#include "xcom/internal/secure_connection.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "net/timer.h"
#include "net/tls_failure.h"
#include "xcom/internal/transport_state.h"
#include "xdr/negotiation.h"

namespace uxcom::xcom::internal {
namespace {

using net::TlsFailure;

std::string Hex(std::span<const std::byte> bytes) {
  std::string out;
  for (std::byte b : bytes) {
    absl::StrAppend(&out, out.empty() ? "" : " ", absl::Hex(static_cast<int>(b), absl::kZeroPad2));
  }
  return out;
}

absl::Status Failure(absl::StatusCode code, const std::string& peer, absl::string_view why,
                     TlsFailure kind) {
  return net::WithTlsFailure(
      absl::Status(code, absl::StrCat("TLS handshake with ", peer, " failed: ", why)), kind);
}

// What the first bytes of a connection to a TLS node are, when they are not a TLS record.
std::string DescribeNotTls(std::span<const std::byte> head) {
  if (head.size() == xdr::kFrameHeaderSize) {
    xdr::FrameHeader h = xdr::LoadFrameHeader(head.first<xdr::kFrameHeaderSize>());
    if (h.type == xdr::MessageType::kVersionReq && h.length == 0) {
      return absl::StrCat("a plaintext XCom version request (proposing ",
                          xdr::DescribeProtocolVersion(h.version), ", tag ", h.tag,
                          ") where a TLS handshake was expected: the peer has TLS off (its "
                          "ssl_mode is DISABLED) while this node requires it");
    }
  }
  return absl::StrCat("not a TLS handshake: the peer's first bytes are ", Hex(head));
}

// Tells a TLS ClientHello from anything else before OpenSSL sees a byte (a plaintext XCom
// request is then named, and answered with nothing, as 8.0.18 answers it), then runs the
// server handshake on what was read and what follows.
net::Task<absl::Status> AcceptTls(std::shared_ptr<net::TlsContext> context, net::Stream& stream,
                                  const std::string& peer) {
  std::array<std::byte, xdr::kFrameHeaderSize> head{};
  size_t got = 0;
  while (got < head.size()) {
    absl::StatusOr<size_t> n = co_await stream.ReadSome(std::span(head).subspan(got));
    if (!n.ok()) {
      if (absl::IsCancelled(n.status())) co_return n.status();  // a timeout, or stopping
      co_return Failure(absl::StatusCode::kUnavailable, peer, n.status().message(),
                        TlsFailure::kIoError);
    }
    if (*n == 0) {
      if (got == 0) {
        co_return Failure(absl::StatusCode::kUnavailable, peer,
                          "the peer closed the connection before sending anything",
                          TlsFailure::kPeerClosed);
      }
      break;
    }
    got += *n;
    if (head[0] == std::byte{0x16}) break;  // a handshake record: OpenSSL's from here
  }
  if (head[0] != std::byte{0x16}) {
    co_return Failure(absl::StatusCode::kFailedPrecondition, peer,
                      DescribeNotTls(std::span(head).first(got)), TlsFailure::kNotTls);
  }
  net::TlsHandshakeOptions options;
  options.role = net::TlsRole::kServer;
  options.already_received = std::span<const std::byte>(head.data(), got);
  co_return co_await stream.StartTls(std::move(context), options);
}

}  // namespace

bool LooksLikeTlsRecord(const xdr::FrameHeader& header) {
  auto v = static_cast<uint32_t>(header.version);
  return (v >> 16) == 0x1603 && ((v >> 8) & 0xff) <= 0x04;  // handshake, TLS 1.0 … 1.3
}

net::Task<absl::StatusOr<net::Stream>> DialServer(TransportState& st, const Server& server) {
  const TransportOptions& o = st.options;
  absl::StatusOr<net::Stream> stream = co_await net::Stream::Connect(
      st.executor, server.endpoint.host, server.endpoint.port, o.connect_timeout);
  if (!stream.ok() || st.tls == nullptr) co_return std::move(stream);
  net::TlsHandshakeOptions options =
      DialHandshake(o.tls.mode, server.endpoint.host, o.negotiation_timeout);
  absl::Status secured = co_await stream->StartTls(st.tls, options);
  if (secured.ok()) {
    st.stats.tls_handshakes.Add();
    st.Log(LogLevel::kDebug, "TLS with ", server.address, ": ", stream->tls()->version, " ",
           stream->tls()->cipher);
    co_return std::move(stream);
  }
  stream->Close();
  if (absl::IsCancelled(secured)) co_return secured;
  st.stats.CountTlsFailure(net::TlsFailureOf(secured).value_or(TlsFailure::kOther));
  absl::Status explained = ExplainDialFailure(secured);
  st.Log(LogLevel::kWarning, "Could not secure the connection to ", server.address, ": ",
         explained.message());
  co_return explained;
}

net::Task<absl::Status> SecureInbound(TransportState& st, net::Stream& stream,
                                      const std::string& peer) {
  if (st.tls == nullptr) co_return absl::OkStatus();
  const net::Duration limit = st.options.negotiation_timeout;
  absl::Status s = co_await net::WithTimeout(limit, AcceptTls(st.tls, stream, peer));
  if (s.ok()) {
    st.stats.tls_handshakes.Add();
    st.Log(LogLevel::kDebug, "TLS with ", peer, ": ", stream.tls()->version, " ",
           stream.tls()->cipher);
    co_return s;
  }
  // Our own bound, or the watchdog's negotiation_timeout closing the stream under us.
  if ((absl::IsDeadlineExceeded(s) && !net::TlsFailureOf(s).has_value()) ||
      (absl::IsCancelled(s) && !st.stopped)) {
    s = Failure(absl::StatusCode::kDeadlineExceeded, peer,
                absl::StrCat("not complete within negotiation_timeout (",
                             std::chrono::duration<double, std::milli>(limit).count(), " ms)"),
                TlsFailure::kTimeout);
  }
  if (!absl::IsCancelled(s))
    st.stats.CountTlsFailure(net::TlsFailureOf(s).value_or(TlsFailure::kOther));
  co_return s;
}

}  // namespace uxcom::xcom::internal
