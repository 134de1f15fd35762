// A bump allocator that keeps its memory across messages, for allocation-free decoding.
//
// Decode places the message and everything it owns (vectors, copied bytes) in an Arena. Reset()
// forgets every object at once and keeps the blocks, so a connection that decodes into one
// arena stops touching the heap once the arena has grown to its largest message:
//
//   uxcom::xdr::Arena arena;
//   for (;;) {
//     arena.Reset();                     // the previous message is gone
//     auto decoded = Decode(version, body, arena);
//     ...                                // use *decoded->msg until the next Reset()
//   }
//
// It is a std::pmr::memory_resource: containers built on it (std::pmr::vector) allocate from
// it, and deallocation is a no-op. Objects placed in an arena are never destroyed; that is why
// only types whose memory lives in the arena itself go there. Not thread-safe.
#ifndef UXCOM_XDR_ARENA_H_
#define UXCOM_XDR_ARENA_H_

#include <cstddef>
#include <memory>
#include <memory_resource>
#include <new>
#include <utility>
#include <vector>

namespace uxcom::xdr {

class Arena : public std::pmr::memory_resource {
 public:
  // The first block is allocated on first use, `initial_block_size` bytes or more.
  explicit Arena(size_t initial_block_size = 4096);
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() override;

  // Forgets every allocation; keeps the blocks. If the last cycle needed more than one block,
  // they are merged into one block of their total size, so the next cycle of the same size
  // fits into a single block without allocating.
  void Reset() {
    // Inline: a decode loop resets once per message, and almost always into its one block.
    if (blocks_.size() > 1) [[unlikely]] {
      MergeBlocks();
    }
    used_ = 0;
    if (blocks_.empty()) {
      next_ = end_ = nullptr;
    } else {
      next_ = blocks_[0].data.get();
      end_ = next_ + blocks_[0].size;
    }
  }

  // Allocates an uninitialized array of n T (trivial T only).
  template <typename T>
  T* AllocateArray(size_t n) {
    return static_cast<T*>(allocate(n * sizeof(T), alignof(T)));
  }

  // Constructs a T in the arena. Its destructor never runs: use types whose resources are
  // all in this arena (or have none).
  template <typename T, typename... Args>
  T* New(Args&&... args) {
    return ::new (allocate(sizeof(T), alignof(T))) T(std::forward<Args>(args)...);
  }

  // Caps the bytes handed out from now on, for decoding untrusted input within a memory bound:
  // Admits() says whether an allocation stays within `bytes` more than used() is now, and new
  // blocks are sized within what the cap leaves. Allocations nobody checked with Admits() are
  // never refused (they exceed the cap instead). Unlimited() lifts the cap.
  void LimitGrowth(size_t bytes);
  void Unlimited() { limit_ = kNoLimit; }
  bool Admits(size_t bytes) const {  // used_ + bytes <= limit_, without wrapping around
    size_t end = 0;
    return !__builtin_add_overflow(used_, bytes, &end) && end <= limit_;
  }

  // Bytes handed out since the last Reset().
  size_t used() const { return used_; }
  // Bytes held in blocks (what Reset() keeps).
  size_t capacity() const { return capacity_; }
  // How many times the arena asked the heap for a block since construction.
  size_t block_allocations() const { return block_allocations_; }

 private:
  struct Block {
    std::unique_ptr<std::byte[]> data;
    size_t size;
  };

  void* do_allocate(size_t bytes, size_t alignment) override;
  void do_deallocate(void*, size_t, size_t) override {}
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
  void* AllocateSlow(size_t bytes, size_t alignment);
  void MergeBlocks();

  std::vector<Block> blocks_;
  std::byte* next_ = nullptr;
  std::byte* end_ = nullptr;
  size_t used_ = 0;
  size_t initial_block_size_;
  size_t block_allocations_ = 0;
  static constexpr size_t kNoLimit = ~size_t{0};
  size_t capacity_ = 0;      // the sum of the blocks' sizes
  size_t limit_ = kNoLimit;  // the most used_ may become (LimitGrowth); always >= used_
};

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_ARENA_H_
