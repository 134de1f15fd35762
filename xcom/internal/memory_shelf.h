// MemoryShelf: large per-message memory set aside on this thread for the next message.
//
// Pooled objects (OutgoingMessage, InboundFrame) keep their small buffers while idle, so small
// messages cost no allocation once the pools are warm. Memory above their retention limit (the
// arena or frame of a 16 KiB or 256 KiB message) is not kept per object, so that a pool of idle
// objects never pins large buffers; without the shelf the next large message would allocate it
// again. The shelf keeps such buffers for whoever needs one next on the same thread, within
// a fixed budget per thread (kMaxItems buffers, kMaxBytes bytes per kind); beyond it the oldest
// buffers are freed. Every executor runs on one thread, so a shelf is never shared. The same shelf
// keeps objects of one size that are expensive to build (DecodedShelf: a self-delivery takes a
// ReusablePaxMsg only while the application reads it).
//
//   MemoryShelf<xdr::Buffer>& shelf = MemoryShelf<xdr::Buffer>::ThisThread();
//   xdr::Buffer b = shelf.Take(16 << 10, 40 << 10).value_or(xdr::Buffer(16 << 10));
//   ...
//   shelf.Put(std::move(b));   // kept for the next Take, or freed if the shelf is full
#ifndef UXCOM_XCOM_INTERNAL_MEMORY_SHELF_H_
#define UXCOM_XCOM_INTERNAL_MEMORY_SHELF_H_

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "xcom/internal/mapped_bytes.h"
#include "xdr/arena.h"
#include "xdr/buffer.h"
#include "xdr/decode.h"

namespace uxcom::xcom::internal {

inline size_t ShelfCapacity(const xdr::Buffer& b) { return b.capacity(); }
inline size_t ShelfCapacity(const std::unique_ptr<xdr::Arena>& a) {
  return a == nullptr ? 0 : a->capacity();
}
inline size_t ShelfCapacity(const MappedBytes& m) { return m.size(); }
inline size_t ShelfCapacity(const std::unique_ptr<xdr::ReusablePaxMsg>& m) {
  return m == nullptr ? 0 : sizeof(xdr::ReusablePaxMsg);
}

template <typename T, size_t kMaxItemsPerThread = 128>
class MemoryShelf {
 public:
  static constexpr size_t kMaxItems = kMaxItemsPerThread;
  static constexpr size_t kMaxBytes = 8 << 20;

  static MemoryShelf& ThisThread() {
    thread_local MemoryShelf shelf;
    return shelf;
  }

  // The most recently kept item whose capacity is within [min, max]; none if there is none.
  // (Most recent first: messages come in runs of one size, so the search usually ends at
  // once; a best fit over every item cost 2 % of a 9-node 16 KiB run.)
  std::optional<T> Take(size_t min, size_t max) {
    for (size_t i = items_.size(); i-- > 0;) {
      const size_t c = ShelfCapacity(items_[i]);
      if (c < min || c > max) continue;
      T item = std::move(items_[i]);
      items_[i] = std::move(items_.back());
      items_.pop_back();
      bytes_ -= c;
      return item;
    }
    return std::nullopt;
  }

  // Whether Put would keep an item of this capacity.
  static bool Keeps(size_t capacity) { return capacity != 0 && capacity <= kMaxBytes; }
  // Keeps `item` (its contents forgotten), freeing the oldest items if the shelf is full: what
  // the latest messages needed is what the next ones will (a run of small messages must not
  // leave a full shelf that refuses every buffer of the large ones that follow).
  void Put(T item) {
    const size_t c = ShelfCapacity(item);
    if (!Keeps(c)) return;
    size_t evict = 0;
    size_t freed = 0;
    while (items_.size() - evict >= kMaxItems || c > kMaxBytes - (bytes_ - freed)) {
      freed += ShelfCapacity(items_[evict]);
      ++evict;
    }
    if (evict != 0) {
      items_.erase(items_.begin(), items_.begin() + static_cast<ptrdiff_t>(evict));
      bytes_ -= freed;
    }
    bytes_ += c;
    items_.push_back(std::move(item));
  }

  size_t bytes() const { return bytes_; }
  size_t items() const { return items_.size(); }

 private:
  MemoryShelf() { items_.reserve(kMaxItems); }
  std::vector<T> items_;
  size_t bytes_ = 0;
};

using ArenaShelf = MemoryShelf<std::unique_ptr<xdr::Arena>>;
using BufferShelf = MemoryShelf<xdr::Buffer>;
// Receive buffers of large frames (FrameBuffer::HandOver), faulted in: 32 x 256 KiB at most.
using MappedShelf = MemoryShelf<MappedBytes, 32>;
// As many as the application reads at once (1,024 x ~550 B at most per thread).
using DecodedShelf = MemoryShelf<std::unique_ptr<xdr::ReusablePaxMsg>, 1024>;

// An arena with at least `bytes` in it: one from this thread's shelf that is not much larger,
// or a new one whose first block holds `new_bytes` (at least `bytes`: a caller may ask for
// room to spare in a new arena, and still take a kept one that holds exactly what it needs,
// which another taker with a smaller need may have left).
inline std::unique_ptr<xdr::Arena> ArenaFor(size_t bytes, size_t new_bytes = 0) {
  std::optional<std::unique_ptr<xdr::Arena>> kept =
      ArenaShelf::ThisThread().Take(bytes, 2 * bytes + 4096);
  if (kept) {
    (*kept)->Reset();
    return *std::move(kept);
  }
  return std::make_unique<xdr::Arena>(std::max(bytes, new_bytes));
}

// An empty buffer with room for `bytes`: one from this thread's shelf that is not much larger,
// or a new one of exactly that size.
inline xdr::Buffer BufferFor(size_t bytes) {
  std::optional<xdr::Buffer> kept = BufferShelf::ThisThread().Take(bytes, bytes + bytes / 8 + 64);
  if (!kept) return xdr::Buffer(bytes);
  kept->Clear();
  return *std::move(kept);
}

// Swaps `buffer` for BufferFor(bytes), setting the old one aside.
inline void RefitBuffer(xdr::Buffer& buffer, size_t bytes) {
  BufferShelf::ThisThread().Put(std::exchange(buffer, BufferFor(bytes)));
}

// Sets an arena aside for ArenaFor (Put frees the oldest when the shelf is full), or frees one
// larger than the whole shelf. (Resetting an arena of several blocks merges them into one:
// worth it only for an arena that is kept.)
inline void ShelveArena(std::unique_ptr<xdr::Arena> arena) {
  if (arena == nullptr || !ArenaShelf::Keeps(arena->capacity())) return;
  arena->Reset();
  ArenaShelf::ThisThread().Put(std::move(arena));
}

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_MEMORY_SHELF_H_
