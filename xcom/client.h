// One-shot XCom client: connect, negotiate, send one message, optionally await one reply.
//
// This is XCom's client_task (and the connection half of xcom_send_client_app_data): it
// dials, sends x_version_req with tag 313 and its maximum version, requires an
// x_version_reply with that tag and a version it speaks, then writes one normal frame encoded
// with that version. Unlike 8.0.18 (which redials forever and may abort() on an error), every
// step has a timeout and every failure is a Status that says which step failed and why:
//
//   kInvalidArgument     the address does not parse; the message cannot be encoded
//   kUnavailable         refused, reset, unreachable
//   kDeadlineExceeded    "connect", "negotiation", "send" or "reply" took too long
//   kFailedPrecondition  the peer is not an XCom endpoint (its answer is not a version reply
//                        to our tag; the bytes are shown), no version in common, it closed
//                        the connection without answering (an allowlist or the IPv6 gate), or
//                        an add_node for a node older than x_1_5 lists an address without an
//                        IPv4 address (nothing is sent, as in xcom_send_client_app_data)
//
//   absl::StatusOr<ClientResult> r = co_await SendOnce(ex, "10.0.0.1:33061", request,
//                                                      {.await_reply = true});
//   if (r.ok()) Use(r->version, *r->reply);
//
// Negotiate() stops after the handshake (what xcom_probe does) and reports its round trip.
//
// TLS: with ssl_mode enabled the client runs the TLS handshake right after connecting, as a
// Group Replication member dials (VERIFY_IDENTITY checks the host name of `address`). With TLS
// off, a peer that closes without answering is tried once more with a TLS handshake; if it
// answers one, the error says the peer speaks TLS (PeerSpeaksTls) instead of guessing.
#ifndef UXCOM_XCOM_CLIENT_H_
#define UXCOM_XCOM_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "net/executor.h"
#include "net/task.h"
#include "xcom/tls_options.h"
#include "xdr/decode.h"
#include "xdr/limits.h"
#include "xdr/negotiation.h"
#include "xdr/pax_msg.h"
#include "xdr/protocol_version.h"

namespace uxcom::xcom {

struct ClientOptions {
  xdr::ProtocolVersion min_version = xdr::kMinProtocolVersion;
  xdr::ProtocolVersion max_version = xdr::kMaxProtocolVersion;
  uint16_t tag = xdr::kFirstNegotiationTag;  // the original client always uses 313
  net::Duration connect_timeout = std::chrono::seconds(10);
  // Bounds each of: the negotiation, the send, the reply.
  net::Duration timeout = std::chrono::seconds(10);
  // SendOnce waits for one normal frame back and decodes it.
  bool await_reply = false;
  size_t max_frame_body = xdr::kDefaultMaxBodySize;
  // The peer's release, whose rules the message and the reply are coded with (xdr/profile.h).
  xdr::Profile profile = xdr::kDefaultProfile;
  // TLS: the mode, and the context holding the material (MakeTlsContext(tls, false); it must
  // outlive the call). kDisabled: plaintext.
  SslMode ssl_mode = SslMode::kDisabled;
  net::TlsContext* tls = nullptr;
  // With TLS off: when the peer closes without answering, find out whether it speaks TLS.
  bool detect_tls = true;
};

struct ClientResult {
  net::SocketAddress peer;
  xdr::ProtocolVersion version = xdr::ProtocolVersion::kUnknown;  // negotiated
  net::Duration negotiation_rtt{};                                // request written → reply read
  std::optional<xdr::OwnedPaxMsg> reply;
  std::string tls_version;  // "TLSv1.3" when TLS was used
  std::string tls_cipher;
};

// What a failed Negotiate()/SendOnce() ran into, for tools that report one outcome per peer
// (xcom_probe). The kFailedPrecondition cases carry a status payload saying which they are.
enum class ClientFailure {
  kBadAddress,           // kInvalidArgument: the address does not parse
  kUnreachable,          // refused, reset, unreachable, unknown host
  kTimeout,              // a step took longer than its timeout
  kClosedWithoutAnswer,  // closed before answering: an allowlist, the IPv6 gate
  kNotXcom,              // answered, but not with a version reply to our request
  kNoCommonVersion,      // answered x_unknown_proto or a version outside ours
  kSpeaksTls,            // TLS off here; closed without answering, and answers a TLS handshake
  kTlsFailed,            // TLS on here; the handshake failed (net::TlsFailureOf says why)
  kOther,
};
const char* ClientFailureName(ClientFailure failure);
ClientFailure ClassifyClientFailure(const absl::Status& status);
// True for the error of a plaintext attempt at a peer that answers a TLS handshake.
bool PeerSpeaksTls(const absl::Status& status);

net::Task<absl::StatusOr<ClientResult>> Negotiate(net::Executor& executor, std::string address,
                                                  ClientOptions options = {});

net::Task<absl::StatusOr<ClientResult>> SendOnce(net::Executor& executor, std::string address,
                                                 const xdr::PaxMsg& msg,
                                                 ClientOptions options = {});

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_CLIENT_H_
