#include "xdr/arena.h"

#include <algorithm>
#include <cstdint>

namespace uxcom::xdr {
namespace {

std::byte* AlignUp(std::byte* p, size_t alignment) {
  auto v = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<std::byte*>((v + alignment - 1) & ~(uintptr_t{alignment} - 1));
}

}  // namespace

Arena::Arena(size_t initial_block_size)
    : initial_block_size_(std::max<size_t>(initial_block_size, 64)) {}

Arena::~Arena() = default;

void Arena::LimitGrowth(size_t bytes) {
  limit_ = bytes > kNoLimit - used_ ? kNoLimit : used_ + bytes;
}

// One block the size of the whole last cycle: the next cycle of that size stays in it.
void Arena::MergeBlocks() {
  const size_t total = capacity_;
  blocks_.clear();
  blocks_.push_back({std::make_unique_for_overwrite<std::byte[]>(total), total});
  ++block_allocations_;
}

void* Arena::do_allocate(size_t bytes, size_t alignment) {
  std::byte* p = AlignUp(next_, alignment);
  if (next_ != nullptr && p <= end_ && static_cast<size_t>(end_ - p) >= bytes) {
    next_ = p + bytes;
    used_ += bytes;
    return p;
  }
  return AllocateSlow(bytes, alignment);
}

void* Arena::AllocateSlow(size_t bytes, size_t alignment) {
  // The block being filled is always the last one (Reset merges them all), so a new block is
  // appended. It at least doubles the last one, keeping the block count logarithmic.
  size_t last = blocks_.empty() ? initial_block_size_ / 2 : blocks_.back().size;
  size_t size = std::max({bytes + alignment, 2 * last, initial_block_size_});
  // Under a cap, a block is no larger than what the cap leaves (or the allocation needs).
  if (limit_ != kNoLimit) {
    const size_t left = limit_ > used_ ? limit_ - used_ : 0;
    size = std::max(bytes + alignment, std::min(size, left + alignment));
  }
  capacity_ += size;
  blocks_.push_back({std::make_unique_for_overwrite<std::byte[]>(size), size});
  ++block_allocations_;
  next_ = blocks_.back().data.get();
  end_ = next_ + size;
  std::byte* p = AlignUp(next_, alignment);
  next_ = p + bytes;
  used_ += bytes;
  return p;
}

}  // namespace uxcom::xdr
