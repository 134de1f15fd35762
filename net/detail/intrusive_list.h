// A minimal doubly linked intrusive list: nodes live inside the objects they link (coroutine
// frames, awaitables), so linking and unlinking never allocate. Single-threaded.
#ifndef UXCOM_NET_DETAIL_INTRUSIVE_LIST_H_
#define UXCOM_NET_DETAIL_INTRUSIVE_LIST_H_

#include <cstddef>

namespace uxcom::net::detail {

struct ListNode {
  ListNode* prev = nullptr;
  ListNode* next = nullptr;

  bool linked() const { return next != nullptr; }
  void Unlink() {
    if (next == nullptr) return;
    prev->next = next;
    next->prev = prev;
    prev = next = nullptr;
  }
};

// T must derive from ListNode (one list membership per base; use member objects for more).
template <typename T>
class IntrusiveList {
 public:
  IntrusiveList() { head_.prev = head_.next = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return head_.next == &head_; }
  size_t size() const {
    size_t n = 0;
    for (const ListNode* p = head_.next; p != &head_; p = p->next) ++n;
    return n;
  }
  T* front() const { return empty() ? nullptr : static_cast<T*>(head_.next); }

  void push_back(T* item) {
    ListNode* node = item;
    node->prev = head_.prev;
    node->next = &head_;
    head_.prev->next = node;
    head_.prev = node;
  }
  T* pop_front() {
    if (empty()) return nullptr;
    ListNode* node = head_.next;
    node->Unlink();
    return static_cast<T*>(node);
  }

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (ListNode* p = head_.next; p != &head_;) {
      ListNode* next = p->next;  // fn may unlink p
      fn(static_cast<T*>(p));
      p = next;
    }
  }

 private:
  mutable ListNode head_;
};

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_INTRUSIVE_LIST_H_
