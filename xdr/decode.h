// Decoding a pax_msg body for a protocol version, safely, into an Arena.
//
// The transport reads a header, then `length` body bytes, and decodes them with the version of
// the connection (which must equal the header's):
//
//   uxcom::xdr::Arena arena;                          // one per connection, reused
//   arena.Reset();                                    // the previous message is gone
//   absl::StatusOr<Decoded> d = Decode(header.version, body, arena, {.zero_copy = true});
//   if (!d.ok()) return d.status();   // "decoding pax_msg as x_1_6 (7): a.body.nodes[3].address:
//                                     //  length 70000 > 1024 (MAXNAME) at offset 212"
//   Deliver(*d->msg);                 // views into `body`: keep it alive while you use them
//   if (d->trailing_bytes != 0) CountOddFrame();
//
// Safety on hostile input: every count and length is checked against its XDR bound and against
// the bytes that remain before anything is allocated; the arena grows by at most the body's size
// plus DecodeOptions::max_decode_overhead (2 MiB), so a decode's peak (the body and its decoded
// form) is at most 2 × the body + 2 MiB whatever the body holds; nothing recurses with the input
// (app_data chains are decoded in a loop, and allocated once at their counted length); the body
// may not exceed DecodeOptions::max_body_size.
//
// Leniency exactly where MySQL has it (wire-format spec §2, §7; x1_7-x1_9 §2): any enum value
// and any union discriminant (unknown cargo types decode as a void arm), any non-zero bool or
// pointer flag is true, padding bytes are not checked, bytes after the pax_msg are accepted and
// reported as trailing_bytes (neither 8.0.18 nor 8.0.39 checks them). The union arms are the
// same at every version, and those of the profile's release (profile.h): under 8.0.39 cargo 3
// is a void arm, so an 8.0.18 repository misparses, exactly as 8.0.39 misparses it.
//
// x_1_0 node addresses have no XDR bound in 8.0.18; here they are bounded by the bytes that
// remain (and so by max_body_size); 8.0.39 bounds them by MAXNAME. Decoding never fabricates
// the fields a version does not carry: they stay absent (see pax_msg.h; FillDecodeDefaults
// gives them MySQL's values).
//
// Steady state: decoding into an arena that has grown to the message size performs no heap
// allocation in either mode.
#ifndef UXCOM_XDR_DECODE_H_
#define UXCOM_XDR_DECODE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>

#include "absl/status/statusor.h"
#include "xdr/arena.h"
#include "xdr/limits.h"
#include "xdr/pax_msg.h"
#include "xdr/profile.h"
#include "xdr/protocol_version.h"

namespace uxcom::xdr {

struct DecodeOptions {
  // Bodies larger than this fail before anything is read (ResourceExhausted).
  size_t max_body_size = kDefaultMaxBodySize;
  // Strings and opaque data (checked_data, blobs, addresses) point into the input instead of
  // being copied into the arena. The caller keeps the input alive as long as the message.
  bool zero_copy = false;
  // Fail when bytes follow the pax_msg (MySQL ignores them).
  bool reject_trailing_bytes = false;
  // The largest blob accepted, instead of the profile's MAXBLOB (1024 in 8.0.18, 10 000 000 in
  // 8.0.39): e.g. an 8.0.18-profile reader that must take an 8.0.39 peer's blobs.
  std::optional<uint32_t> max_blob_bytes{};
  // The sender's release, whose rules apply (profile.h).
  Profile profile = kDefaultProfile;
  // The memory bound of a decode: its arena may grow by at most the body's size plus this
  // (ResourceExhausted past it, naming the field and offset where it ran out). A decoded
  // element can take several times its wire size (a 80-byte app_data is a 200-byte AppData), so
  // a body made of nothing but minimal elements is refused; the allowance covers the structure
  // of every message MySQL sends (a batch of MAX_BATCH_APP_DATA = 5 000 app_data takes 1 MB
  // beyond its bytes). SIZE_MAX: no bound.
  size_t max_decode_overhead = kDefaultMaxDecodeOverhead;
  // Set from another thread to make a decode in progress give up soon (Cancelled): a long chain
  // checks it every 4 096 elements.
  const std::atomic<bool>* abandon = nullptr;
};

// What a decode consumed: the pax_msg's bytes and the bytes after it in the body.
struct DecodeInfo {
  size_t consumed = 0;
  size_t trailing_bytes = 0;
};

struct Decoded {
  // In the arena: valid until its next Reset() (and, with zero_copy, while the input lives).
  PaxMsg* msg = nullptr;
  // Body bytes the pax_msg took, and the bytes after it.
  size_t consumed = 0;
  size_t trailing_bytes = 0;
};

// Decodes `body` as a pax_msg of version V. Errors are InvalidArgument (malformed or
// truncated input), ResourceExhausted (max_body_size, max_decode_overhead) or Cancelled
// (abandon) and carry a CodecError with the field
// path, the body offset and the xdrmem "consumed" position.
template <ProtocolVersion V>
absl::StatusOr<Decoded> Decode(std::span<const std::byte> body, Arena& arena,
                               const DecodeOptions& options = {});
// The same with the version known only at run time (UnsupportedVersionError outside 1..10).
absl::StatusOr<Decoded> Decode(ProtocolVersion v, std::span<const std::byte> body, Arena& arena,
                               const DecodeOptions& options = {});

// How many app_data elements a decode of a body of `body_bytes` at `v` reserves when the chain
// starts: no more than the body could hold, at most kDecodeChainReservation. For sizing an
// arena to a decode (a supported v; any other gives the maximum).
size_t FirstChainReservation(ProtocolVersion v, size_t body_bytes);

// One PaxMsg decoded into again and again, instead of a fresh one per decode: what a Decoder
// holds, and what an object that keeps its own arena across messages holds beside it (the
// transport's pooled inbound frames). The message is constructed once and never destroyed;
// each Decode re-binds its containers to the arena it decodes into, without destroying what
// they held (arena memory: forgotten, like everything in an arena). Saves constructing and
// initializing a whole PaxMsg per message, which is what Decode(v, body, arena) does:
//
//   ReusablePaxMsg decoded;                   // beside the arena, for as long as it
//   arena.Reset();                            // the previous message is gone
//   absl::StatusOr<DecodeInfo> info = decoded.Decode(header.version, body, arena, options);
//   if (!info.ok()) return info.status();
//   Deliver(decoded.msg());   // valid until the next Decode and until `arena` is reset or
//                             // destroyed (and, zero-copy, while body lives)
//
// Nothing may use the previous message once Decode starts. Decoding into a different arena
// than last time is fine (the old one may even be gone: its memory is never touched again).
// After a failed Decode the contents are unspecified but safe to read until the arena is reset.
class ReusablePaxMsg {
 public:
  ReusablePaxMsg() : msg_(::new (storage_) PaxMsg()) {}
  // Trivial: the message is never destroyed (its containers may be bound to a dead arena).
  ~ReusablePaxMsg() = default;
  ReusablePaxMsg(const ReusablePaxMsg&) = delete;
  ReusablePaxMsg& operator=(const ReusablePaxMsg&) = delete;

  template <ProtocolVersion V>
  absl::StatusOr<DecodeInfo> Decode(std::span<const std::byte> body, Arena& arena,
                                    const DecodeOptions& options = {});
  absl::StatusOr<DecodeInfo> Decode(ProtocolVersion v, std::span<const std::byte> body,
                                    Arena& arena, const DecodeOptions& options = {});

  // The last message decoded. Changing it is allowed (the transport stamps `to`); anything it
  // adds to a container goes to the arena of the last decode.
  PaxMsg& msg() { return *msg_; }
  const PaxMsg& msg() const { return *msg_; }

 private:
  PaxMsg* msg_;
  alignas(PaxMsg) std::byte storage_[sizeof(PaxMsg)];
};

// Decodes message after message into memory it keeps: the fast path for a connection's reader.
// Once its arena has grown to the largest message, a decode allocates nothing and initializes
// nothing it does not decode (no zeroing of the previous message):
//
//   Decoder decoder({.zero_copy = true});                 // one per connection
//   absl::StatusOr<DecodeInfo> info = decoder.Decode(header.version, body);
//   if (!info.ok()) return info.status();
//   Deliver(decoder.msg());   // valid until the next Decode (and, zero-copy, while body lives)
//
// The message is read-only: everything it holds lives in the decoder's arena, and the next
// Decode reuses that memory without running destructors. Copy it to keep or change it.
class Decoder {
 public:
  explicit Decoder(const DecodeOptions& options = {});
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  template <ProtocolVersion V>
  absl::StatusOr<DecodeInfo> Decode(std::span<const std::byte> body);
  absl::StatusOr<DecodeInfo> Decode(ProtocolVersion v, std::span<const std::byte> body);

  // The last message decoded. After a failed Decode its contents are unspecified (but safe to
  // read: every container is valid).
  const PaxMsg& msg() const { return msg_.msg(); }

  const DecodeOptions& options() const { return options_; }
  void set_options(const DecodeOptions& options) { options_ = options; }
  const Arena& arena() const { return arena_; }

 private:
  Arena arena_;
  DecodeOptions options_;
  ReusablePaxMsg msg_;
};

// A decoded message that owns all of its memory (its own arena, no views into the input):
// for tools, tests and code that keeps messages around. Move-only.
class OwnedPaxMsg {
 public:
  OwnedPaxMsg(std::unique_ptr<Arena> arena, PaxMsg* msg) : arena_(std::move(arena)), msg_(msg) {}

  PaxMsg& operator*() const { return *msg_; }
  PaxMsg* operator->() const { return msg_; }
  PaxMsg& get() const { return *msg_; }
  Arena& arena() const { return *arena_; }

 private:
  std::unique_ptr<Arena> arena_;
  PaxMsg* msg_;
};

// Decodes with copies into a fresh arena (options.zero_copy is ignored).
absl::StatusOr<OwnedPaxMsg> DecodeOwned(ProtocolVersion v, std::span<const std::byte> body,
                                        const DecodeOptions& options = {});

#define UXCOM_XDR_DECLARE_DECODE(V)                                                     \
  extern template absl::StatusOr<Decoded> Decode<V>(std::span<const std::byte>, Arena&, \
                                                    const DecodeOptions&);              \
  extern template absl::StatusOr<DecodeInfo> ReusablePaxMsg::Decode<V>(                 \
      std::span<const std::byte>, Arena&, const DecodeOptions&);                        \
  extern template absl::StatusOr<DecodeInfo> Decoder::Decode<V>(std::span<const std::byte>);
UXCOM_XDR_FOR_EACH_PROTOCOL_VERSION(UXCOM_XDR_DECLARE_DECODE)
#undef UXCOM_XDR_DECLARE_DECODE

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_DECODE_H_
