// ByteBudget: bytes held against a limit, each piece released by the Charge that took it.
//
// A peer's queue (peer_queue_bytes) and the inbox (inbox_bytes) bound what they hold in bytes
// as well as in messages. Whatever holds a queued or delivered message holds its Charge, so the
// bytes are given back wherever the message goes (written, expired, dropped, released by the
// application), and whoever waits for room is woken then. An item larger than the whole limit
// is admitted when nothing else is held, so that it can make progress alone.
//
//   ByteBudget budget(/*limit=*/64 << 20);
//   if (!budget.HasRoom(n)) { ...drop, or co_await budget.room().Wait() and look again... }
//   item.charge = budget.Take(n);   // given back when item.charge goes
//
// A charge points at its budget (one pointer and a size: queues hold many), so the budget must
// outlive every charge: its owner declares it before what holds charges, or keeps it alive
// with a shared_ptr next to the charge. Executor thread only.
#ifndef UXCOM_XCOM_INTERNAL_BYTE_BUDGET_H_
#define UXCOM_XCOM_INTERNAL_BYTE_BUDGET_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

#include "net/event.h"

namespace uxcom::xcom::internal {

class ByteBudget {
 public:
  explicit ByteBudget(size_t limit) : limit_(limit) { room_.Set(); }
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  size_t used() const { return used_; }
  size_t limit() const { return limit_; }
  bool HasRoom(size_t bytes) const { return used_ == 0 || used_ + bytes <= limit_; }

  // Set whenever bytes are given back; a waiter looks at HasRoom() again (and Reset()s it
  // before waiting once more).
  net::Event& room() { return room_; }

  // Gives its bytes back when destroyed. Bytes is size_t, or uint32_t where many are held
  // (a queue entry: SmallCharge).
  template <typename Bytes>
  class BasicCharge {
   public:
    BasicCharge() = default;
    BasicCharge(BasicCharge&& other) noexcept
        : budget_(std::exchange(other.budget_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
    BasicCharge& operator=(BasicCharge&& other) noexcept {
      if (this != &other) {
        Release();
        budget_ = std::exchange(other.budget_, nullptr);
        bytes_ = std::exchange(other.bytes_, 0);
      }
      return *this;
    }
    ~BasicCharge() { Release(); }
    size_t bytes() const { return bytes_; }
    void Release() {
      if (budget_ == nullptr) return;
      budget_->used_ -= bytes_;
      budget_->room_.Set();
      budget_ = nullptr;
      bytes_ = 0;
    }

   private:
    friend class ByteBudget;
    BasicCharge(ByteBudget* budget, Bytes bytes) : budget_(budget), bytes_(bytes) {}
    ByteBudget* budget_ = nullptr;
    Bytes bytes_ = 0;
  };
  using Charge = BasicCharge<size_t>;
  // 12 bytes of data in 16: a holder declaring it [[no_unique_address]] can put 4 bytes of its
  // own in the tail (the Itanium C++ ABI reuses the tail padding of such members).
  using SmallCharge = BasicCharge<uint32_t>;
  static constexpr size_t kMaxSmallCharge = std::numeric_limits<uint32_t>::max();

  // Takes `bytes` (whether or not there is room: check HasRoom first).
  Charge Take(size_t bytes) {
    used_ += bytes;
    return Charge(this, bytes);
  }
  // The same, for at most kMaxSmallCharge bytes (the caller checks).
  SmallCharge TakeSmall(uint32_t bytes) {
    used_ += bytes;
    return SmallCharge(this, bytes);
  }

 private:
  size_t limit_;
  size_t used_ = 0;
  net::Event room_;
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_BYTE_BUDGET_H_
