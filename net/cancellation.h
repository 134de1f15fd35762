// Cooperative cancellation for net/ tasks.
//
// A CancelSource is a node in a tree: cancelling it cancels every source linked below it
// (a Scope's source hangs under its parent scope's, every scope under its executor's root).
// Pending operations register a CancelRegistration with the source of the task that awaits
// them; cancelling the source runs each registration's callback once, which asks the backend
// to abort the operation. Every operation still completes (an aborted io_uring request
// completes only when its CQE arrives), and reports absl::StatusCode::kCancelled unless it had
// already finished. Operations started under a cancelled source fail at once with kCancelled.
//
// Single-threaded: use a source only on its executor's thread (post to it from elsewhere).
//
//   CancelSource parent;
//   CancelSource child(&parent);
//   parent.Cancel();            // child.cancelled() is now true too
#ifndef UXCOM_NET_CANCELLATION_H_
#define UXCOM_NET_CANCELLATION_H_

#include "net/detail/intrusive_list.h"

namespace uxcom::net {

// A callback registered with a CancelSource; lives inside the operation it cancels.
class CancelRegistration : public detail::ListNode {
 public:
  using Callback = void (*)(CancelRegistration*);
  explicit CancelRegistration(Callback callback = nullptr) : callback_(callback) {}
  CancelRegistration(const CancelRegistration&) = delete;
  CancelRegistration& operator=(const CancelRegistration&) = delete;
  ~CancelRegistration() { Unlink(); }

  void set_callback(Callback callback) { callback_ = callback; }

 private:
  friend class CancelSource;
  Callback callback_;
};

class CancelSource : public detail::ListNode {
 public:
  explicit CancelSource(CancelSource* parent = nullptr) { LinkTo(parent); }
  CancelSource(const CancelSource&) = delete;
  CancelSource& operator=(const CancelSource&) = delete;
  ~CancelSource() {
    Unlink();
    while (CancelSource* child = children_.pop_front()) child->parent_ = nullptr;
    while (CancelRegistration* reg = registrations_.pop_front()) (void)reg;
  }

  bool cancelled() const { return cancelled_; }

  // Cancels this source and every source below it. Idempotent.
  void Cancel() {
    if (cancelled_) return;
    cancelled_ = true;
    // Callbacks may unlink other registrations or complete operations; pop one at a time.
    while (CancelRegistration* reg = registrations_.pop_front()) {
      if (reg->callback_ != nullptr) reg->callback_(reg);
    }
    children_.ForEach([](CancelSource* child) { child->Cancel(); });
  }

  // Registers `reg`; returns false (and does not register) if already cancelled.
  bool Register(CancelRegistration* reg) {
    if (cancelled_) return false;
    reg->Unlink();
    registrations_.push_back(reg);
    return true;
  }

 private:
  void LinkTo(CancelSource* parent) {
    parent_ = parent;
    if (parent == nullptr) return;
    if (parent->cancelled_) cancelled_ = true;
    parent->children_.push_back(this);
  }

  bool cancelled_ = false;
  CancelSource* parent_ = nullptr;
  detail::IntrusiveList<CancelSource> children_;
  detail::IntrusiveList<CancelRegistration> registrations_;
};

}  // namespace uxcom::net

#endif  // UXCOM_NET_CANCELLATION_H_
