// ByteBudget: bytes held against a limit, each piece released by the Charge that took it.
//
// A peer's queue (peer_queue_bytes) and the inbox (inbox_bytes) bound what they hold in bytes
// as well as in messages. Whatever holds a queued or delivered message holds its Charge, so the
// bytes are given back wherever the message goes (written, expired, dropped, released by the
// application), and whoever waits for room is woken then. An item larger than the whole limit
// is admitted when nothing else is held, so that it can make progress alone.
//
//   auto budget = std::make_shared<ByteBudget>(/*limit=*/64 << 20);
//   if (!budget->HasRoom(n)) { ...drop, or co_await budget->room().Wait() and look again... }
//   item.charge = ByteBudget::Take(budget, n);   // given back when item.charge goes
//
// Executor thread only.
#ifndef UXCOM_XCOM_INTERNAL_BYTE_BUDGET_H_
#define UXCOM_XCOM_INTERNAL_BYTE_BUDGET_H_

#include <cstddef>
#include <memory>
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

  class Charge {
   public:
    Charge() = default;
    Charge(Charge&& other) noexcept
        : budget_(std::move(other.budget_)), bytes_(std::exchange(other.bytes_, 0)) {}
    Charge& operator=(Charge&& other) noexcept {
      if (this != &other) {
        Release();
        budget_ = std::move(other.budget_);
        bytes_ = std::exchange(other.bytes_, 0);
      }
      return *this;
    }
    ~Charge() { Release(); }
    size_t bytes() const { return bytes_; }
    void Release() {
      if (budget_ == nullptr) return;
      budget_->used_ -= bytes_;
      budget_->room_.Set();
      budget_.reset();
      bytes_ = 0;
    }

   private:
    friend class ByteBudget;
    Charge(std::shared_ptr<ByteBudget> budget, size_t bytes)
        : budget_(std::move(budget)), bytes_(bytes) {}
    std::shared_ptr<ByteBudget> budget_;
    size_t bytes_ = 0;
  };

  // Takes `bytes` (whether or not there is room: check HasRoom first).
  static Charge Take(const std::shared_ptr<ByteBudget>& budget, size_t bytes) {
    budget->used_ += bytes;
    return Charge(budget, bytes);
  }

 private:
  size_t limit_;
  size_t used_ = 0;
  net::Event room_;
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_BYTE_BUDGET_H_
