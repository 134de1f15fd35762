// InboundFrame: the pooled storage behind an IncomingMessage.
//
// A frame read from a socket is decoded into the frame's own arena (payload bytes copied
// once, from the receive buffer into the arena), so the receive buffer is free for the next
// frame at once; a frame larger than the read buffer instead keeps the memory it was received
// in (`received`), its payload decoded as views into it. A self-delivered message instead shares
// the sender's OutgoingMessage (its copy, or its compacted frame decoded zero-copy into this
// frame's arena).
//
// The decoded PaxMsg itself is not in the arena: each frame keeps one (Decoded(), an
// xdr::ReusablePaxMsg) and decodes into it again every time it comes back from its pool, as a
// reused xdr::Decoder does, instead of constructing a fresh one per message. The application
// holds the message until it releases its IncomingMessage; only then does the frame return to
// its pool, its arena reset (or shelved), and the next decode re-binds the message's
// containers to the frame's arena of that time without destroying the forgotten ones.
#ifndef UXCOM_XCOM_INTERNAL_INBOUND_FRAME_H_
#define UXCOM_XCOM_INTERNAL_INBOUND_FRAME_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "xcom/incoming_message.h"
#include "xcom/internal/byte_budget.h"
#include "xcom/internal/connection.h"
#include "xcom/internal/memory_shelf.h"
#include "xcom/internal/object_pool.h"
#include "xcom/internal/outgoing_message.h"
#include "xdr/arena.h"
#include "xdr/decode.h"
#include "xdr/limits.h"
#include "xdr/pax_msg.h"

namespace uxcom::xcom::internal {

class Server;

struct InboundFrame : Pooled<InboundFrame> {
  // Recycled frames give back arenas above this size (the pool never pins large buffers).
  // A 16 KiB message's arena (about 17 KiB) stays: a run of them then goes through no shelf.
  static constexpr size_t kMaxRetainedBytes = 32 << 10;

  // A small first block: a delivered message waiting in the inbox holds this arena, and most
  // messages decode into less (a 100 B payload into a few hundred bytes: the PaxMsg itself
  // is in Decoded()); larger ones grow it.
  static constexpr size_t kFirstBlockBytes = 1024;
  std::unique_ptr<xdr::Arena> arena = std::make_unique<xdr::Arena>(kFirstBlockBytes);
  // What the frame decodes into, constructed once (see above), in `arena` (fitted first by
  // FitArena, on the executor's thread: the shelf is per thread). A frame read from a socket
  // keeps it across its pool's cycles; a self-delivery takes one from this thread's DecodedShelf
  // only when it is read (Message()) and gives it back when released, so that one waiting in the
  // inbox is this object alone (176 B, not 720). codec_bench's uxcom_transport and
  // uxcom_arena columns measure this decode, with the transport's options.
  xdr::ReusablePaxMsg& Decoded() {
    if (decoded_ == nullptr) decoded_ = TakeSpareDecoded();
    return *decoded_;
  }
  // A frame larger than its connection's read buffer: the memory it was received in, taken
  // over whole (FrameBuffer::HandOver), its payload decoded as views into it instead of copied
  // into the arena. Back to this thread's MappedShelf when the message is released.
  MappedBytes received;
  // The message; null for a self-delivery of a compacted message until Message() decodes it.
  const xdr::PaxMsg* msg = nullptr;
  MessageOrigin origin = MessageOrigin::kSelf;
  xdr::ProtocolVersion version = xdr::ProtocolVersion::kUnknown;
  size_t wire_size = 0;
  size_t trailing_bytes = 0;
  OutgoingRef self;                     // kSelf: the message itself
  uint32_t self_to = 0;                 // kSelf, compacted: the `to` to stamp once decoded
  std::shared_ptr<Connection> inbound;  // kInbound: where Reply() writes
  std::shared_ptr<Server> server;       // kOutbound, kSelf: the peer's server
  std::string_view peer;                // points into the connection or server, kept alive above
  // Its bytes in inbox_bytes, given back when the application releases the message (which may
  // be after the transport is gone: the frame keeps the budget alive, declared first).
  std::shared_ptr<ByteBudget> inbox_budget;
  ByteBudget::Charge inbox_charge;
  // A self-delivery decoded on first read: what the decode took beyond what was charged for
  // it on delivery (PendingDecodeBytes), so that inbox_bytes counts what is held.
  ByteBudget::Charge decode_charge;

  // Before decoding (or expanding) about `bytes` into the arena: a fresh or much larger arena
  // is replaced by one whose first block fits, so a small message waiting in the inbox holds
  // a small block.
  // What decoding a body of `body_bytes` at `v` usually takes in the arena (the message
  // itself is in Decoded()): the first reservation of its app_data chain
  // (xdr::FirstChainReservation) and, copying, the bytes. Less, and every decode spills into a
  // second block and leaves an arena no later fit accepts; more, and every message waiting in
  // the inbox holds the difference.
  static size_t DecodedSizeHint(xdr::ProtocolVersion v, size_t body_bytes, bool copying) {
    return xdr::FirstChainReservation(v, body_bytes) * sizeof(xdr::AppData) +
           (copying ? body_bytes : 0) + 256;
  }
  // The message. A self-delivery of a compacted message is decoded from the sender's frame
  // here, on first use (the application's first msg(), on the executor's thread), not when it
  // is delivered: in a burst the inbox is mostly this node's own messages, and one waiting
  // there then holds neither an arena nor a decoded message, only this object (176 B instead
  // of ~1.6 KB for a 100 B message: memory_bounds_test). The decode
  // cannot fail: OutgoingMessage::Compact kept the frame only because it decoded, with the
  // same version and profile, to exactly the copy.
  const xdr::PaxMsg& Message() {
    if (msg == nullptr) DecodeSelf();
    return *msg;
  }
  // What Message() is expected to take for a self-delivery not decoded yet (0 otherwise), so
  // that the inbox charges it on delivery; what it takes beyond is charged then.
  size_t PendingDecodeBytes() const {
    if (msg != nullptr || !self) return 0;
    return sizeof(xdr::ReusablePaxMsg) + PendingArenaHint();
  }
  // What the decoded message holds besides this object: its PaxMsg and its arena.
  size_t DecodeBytes() const {
    return (decoded_ != nullptr ? sizeof(xdr::ReusablePaxMsg) : 0) +
           (arena != nullptr ? arena->capacity() : 0) + received.size();
  }

  // Arenas come from, and large ones go back to, this thread's MemoryShelf.
  void FitArena(size_t bytes) {
    const size_t capacity = arena == nullptr ? 0 : arena->capacity();
    if (capacity < bytes || capacity > 2 * bytes + kFirstBlockBytes) {
      ShelveArena(std::exchange(arena, ArenaFor(bytes)));
    }
  }

  void Recycle() {
    msg = nullptr;
    decode_charge.Release();
    inbox_charge.Release();
    inbox_budget.reset();
    // A self-delivery's arena goes back to the shelf: the next one takes it only when it is
    // read, so a pooled frame waiting in the inbox holds none (see Message()).
    if (self) {
      ShelveArena(std::move(arena));
      GiveBackSpareDecoded(std::move(decoded_));
    }
    self.Release();
    self_to = 0;
    inbound.reset();
    server.reset();
    peer = {};
    wire_size = trailing_bytes = 0;
    if (received.size() != 0) MappedShelf::ThisThread().Put(std::move(received));  // or unmapped
    if (arena != nullptr && arena->capacity() > kMaxRetainedBytes) {
      ShelveArena(std::move(arena));  // FitArena finds one before the next use
    } else if (arena != nullptr) {
      arena->Reset();
    }
  }

 private:
  static std::unique_ptr<xdr::ReusablePaxMsg> TakeSpareDecoded() {
    std::optional<std::unique_ptr<xdr::ReusablePaxMsg>> spare =
        DecodedShelf::ThisThread().Take(0, sizeof(xdr::ReusablePaxMsg));
    return spare ? *std::move(spare) : std::make_unique<xdr::ReusablePaxMsg>();
  }
  static void GiveBackSpareDecoded(std::unique_ptr<xdr::ReusablePaxMsg> decoded) {
    DecodedShelf::ThisThread().Put(std::move(decoded));
  }

  size_t PendingArenaHint() const {
    return DecodedSizeHint(self->compact_version(), self->compact_frame_bytes(),
                           /*copying=*/false);
  }
  void DecodeSelf();

  std::unique_ptr<xdr::ReusablePaxMsg> decoded_;
};

// The memory bound counts 1 KiB per pooled object besides its buffers (memory_bound.cc).
static_assert(sizeof(InboundFrame) + sizeof(xdr::ReusablePaxMsg) <= 1024);

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_INBOUND_FRAME_H_
