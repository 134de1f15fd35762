// Coroutine frames recycled per thread.
//
// A Task's frame is the one allocation a coroutine makes, but a steady-state loop that calls
// the same coroutine per message (a reply, a write helper) would otherwise pay malloc and free
// per message. Frames up to kMaxCachedFrame bytes are kept on per-thread free lists by size
// class (64-byte steps) and handed out again; each list holds at most kFramesPerClass frames,
// so a thread caches at most 32 x 64 x (1 + ... + 32) bytes (~1 MiB) whatever it ran before.
// A frame freed on another thread than the one that allocated it simply joins that thread's
// lists (the memory comes from ::operator new either way). Lists are freed at thread exit.
//
// Under AddressSanitizer the cache is off, so that a use of a destroyed frame is still reported
// as a use after free instead of landing in a recycled frame.
#ifndef UXCOM_NET_DETAIL_FRAME_CACHE_H_
#define UXCOM_NET_DETAIL_FRAME_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace uxcom::net::detail {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kFrameCacheEnabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kFrameCacheEnabled = false;
#else
inline constexpr bool kFrameCacheEnabled = true;
#endif
#else
inline constexpr bool kFrameCacheEnabled = true;
#endif

class FrameCache {
 public:
  static constexpr size_t kGranule = 64;
  static constexpr size_t kClasses = 32;
  static constexpr size_t kMaxCachedFrame = kGranule * kClasses;  // header included
  static constexpr size_t kFramesPerClass = 32;

  static void* Allocate(size_t size) {
    if constexpr (!kFrameCacheEnabled) return ::operator new(size);
    const size_t total = size + sizeof(Header);
    if (total > kMaxCachedFrame) return Wrap(::operator new(total), kUncached);
    const uint32_t cls = static_cast<uint32_t>((total - 1) / kGranule);
    Lists& lists = ThreadLists();
    if (Node* n = lists.head[cls]; n != nullptr) {
      lists.head[cls] = n->next;
      --lists.count[cls];
      return Wrap(n, cls);
    }
    return Wrap(::operator new((cls + 1) * kGranule), cls);
  }

  static void Deallocate(void* frame) noexcept {
    if constexpr (!kFrameCacheEnabled) return ::operator delete(frame);
    void* block = static_cast<std::byte*>(frame) - sizeof(Header);
    const uint32_t cls = static_cast<Header*>(block)->size_class;
    if (cls == kUncached) return ::operator delete(block);
    Lists& lists = ThreadLists();
    if (lists.count[cls] >= kFramesPerClass) return ::operator delete(block);
    Node* n = static_cast<Node*>(block);
    n->next = lists.head[cls];
    lists.head[cls] = n;
    ++lists.count[cls];
  }

  // Frames cached by the calling thread (tests).
  static size_t CachedOnThisThread() {
    size_t n = 0;
    for (uint32_t c : ThreadLists().count) n += c;
    return n;
  }

 private:
  static constexpr uint32_t kUncached = ~uint32_t{0};
  // Keeps the frame at the default new alignment (16) after the header.
  struct alignas(__STDCPP_DEFAULT_NEW_ALIGNMENT__) Header {
    uint32_t size_class;
  };
  struct Node {
    Node* next;
  };
  struct Lists {
    Node* head[kClasses] = {};
    uint32_t count[kClasses] = {};
    ~Lists() {
      for (Node*& h : head) {
        while (h != nullptr) ::operator delete(std::exchange(h, h->next));
      }
    }
  };
  static Lists& ThreadLists() {
    thread_local Lists lists;
    return lists;
  }
  static void* Wrap(void* block, uint32_t cls) {
    static_cast<Header*>(block)->size_class = cls;
    return static_cast<std::byte*>(block) + sizeof(Header);
  }
};

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_FRAME_CACHE_H_
