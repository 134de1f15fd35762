// MappedBytes: anonymous mapped memory, resized in place or moved by the kernel (mremap), owned
// by one object at a time.
//
// A connection's FrameBuffer receives into it; growing moves page tables instead of copying
// (and faulting in) what arrived. A frame larger than the buffer's initial capacity takes the
// memory it was received in over whole (FrameBuffer::HandOver), its payload decoded as views
// into it, and gives it back to this thread's MappedShelf when the application releases the
// message, still faulted in for the next large frame.
//
//   MappedBytes m;
//   m.Resize(256 << 10);      // whole pages; throws std::bad_alloc when the kernel refuses
//   std::byte* p = m.get();   // stable until the next Resize or Reset (moving keeps it)
#ifndef UXCOM_XCOM_INTERNAL_MAPPED_BYTES_H_
#define UXCOM_XCOM_INTERNAL_MAPPED_BYTES_H_

#include <cstddef>
#include <utility>

namespace uxcom::xcom::internal {

class MappedBytes {
 public:
  MappedBytes() = default;
  MappedBytes(MappedBytes&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), mapped_(std::exchange(other.mapped_, 0)) {}
  MappedBytes& operator=(MappedBytes&& other) noexcept {
    if (this != &other) {
      Reset();
      data_ = std::exchange(other.data_, nullptr);
      mapped_ = std::exchange(other.mapped_, 0);
    }
    return *this;
  }
  MappedBytes(const MappedBytes&) = delete;
  MappedBytes& operator=(const MappedBytes&) = delete;
  ~MappedBytes() { Reset(); }

  std::byte* get() const { return data_; }
  // Bytes mapped: whole pages, 0 when nothing is.
  size_t size() const { return mapped_; }
  // Maps at least n bytes (at least one page), keeping the first min(old, n). Throws
  // std::bad_alloc when the kernel refuses (as operator new would).
  void Resize(size_t n);
  void Reset();

  // n rounded up to whole pages (at least one): what Resize(n) maps.
  static size_t PageRounded(size_t n);

 private:
  std::byte* data_ = nullptr;
  size_t mapped_ = 0;
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_MAPPED_BYTES_H_
