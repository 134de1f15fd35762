// MemoryShelf: large per-message buffers kept on a thread for the next message, within a fixed
// budget.
#include "xcom/internal/memory_shelf.h"

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace uxcom::xcom::internal {
namespace {

// Empties this thread's buffer shelf (each test starts from nothing).
void Drain(BufferShelf& shelf) {
  while (shelf.Take(0, SIZE_MAX)) {
  }
}

TEST_CASE("a kept buffer is handed back only for a size it fits, without reallocating") {
  BufferShelf& shelf = BufferShelf::ThisThread();
  Drain(shelf);
  xdr::Buffer b(20000);
  const std::byte* memory = b.data();
  shelf.Put(std::move(b));
  CHECK(shelf.items() == 1);
  CHECK(shelf.bytes() == 20000);
  CHECK_FALSE(shelf.Take(30000, 60000));  // too small
  CHECK_FALSE(shelf.Take(1000, 10000));   // too large for what is asked
  std::optional<xdr::Buffer> got = shelf.Take(16384, 40000);
  REQUIRE(got);
  CHECK(got->data() == memory);
  CHECK(shelf.items() == 0);
  CHECK(shelf.bytes() == 0);
}

TEST_CASE("the shelf keeps at most kMaxItems buffers and kMaxBytes bytes, the newest ones") {
  BufferShelf& shelf = BufferShelf::ThisThread();
  Drain(shelf);
  for (size_t i = 0; i < BufferShelf::kMaxItems + 10; ++i) shelf.Put(xdr::Buffer(64));
  CHECK(shelf.items() == BufferShelf::kMaxItems);
  // A full shelf of small buffers still keeps a large one: the oldest small one makes room.
  shelf.Put(xdr::Buffer(100000));
  CHECK(shelf.items() == BufferShelf::kMaxItems);
  CHECK(shelf.Take(100000, 200000).has_value());
  Drain(shelf);
  const size_t big = BufferShelf::kMaxBytes / 3 + 1;
  for (int i = 0; i < 4; ++i) shelf.Put(xdr::Buffer(big + static_cast<size_t>(i)));
  CHECK(shelf.items() == 2);  // a third would pass kMaxBytes: the two newest are kept
  CHECK(shelf.bytes() <= BufferShelf::kMaxBytes);
  CHECK(shelf.Take(big + 3, big + 3).has_value());
  CHECK(shelf.Take(big + 2, big + 2).has_value());
  shelf.Put(xdr::Buffer());  // nothing to keep
  CHECK(shelf.items() == 0);
  shelf.Put(xdr::Buffer(BufferShelf::kMaxBytes + 1));  // larger than the whole shelf: freed
  CHECK(shelf.items() == 0);
  Drain(shelf);
}

TEST_CASE("ArenaFor reuses a shelved arena that fits, reset, and makes one otherwise") {
  ArenaShelf& shelf = ArenaShelf::ThisThread();
  while (shelf.Take(0, SIZE_MAX)) {
  }
  std::unique_ptr<xdr::Arena> a = ArenaFor(10000);
  (void)a->AllocateArray<char>(9000);
  const xdr::Arena* kept = a.get();
  ShelveArena(std::move(a));
  CHECK(shelf.items() == 1);
  std::unique_ptr<xdr::Arena> again = ArenaFor(9000);
  CHECK(again.get() == kept);
  CHECK(again->used() == 0);
  const size_t blocks = again->block_allocations();
  (void)again->AllocateArray<char>(9000);
  CHECK(again->block_allocations() == blocks);           // its memory, no new block
  std::unique_ptr<xdr::Arena> other = ArenaFor(100000);  // nothing that large: a new one
  CHECK(other.get() != kept);
}

}  // namespace
}  // namespace uxcom::xcom::internal
