// A growable byte buffer that does not zero-fill what it grows into, for encoding frames.
//
// Encoders append into a caller-owned buffer that is reused message after message: Clear()
// keeps the capacity, so once the buffer has grown to the largest frame, appending allocates
// nothing. Unlike std::vector::resize, growing writes no zeros first (a 64 KiB payload is
// copied once, not zeroed and then copied).
//
//   uxcom::xdr::Buffer out;
//   for (const PaxMsg& m : batch) {
//     absl::StatusOr<size_t> n = AppendFrame(version, m, out);   // header + body
//   }
//   send(out.span());
//   out.Clear();
#ifndef UXCOM_XDR_BUFFER_H_
#define UXCOM_XDR_BUFFER_H_

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>

namespace uxcom::xdr {

class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t capacity) { Reserve(capacity); }
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&&) noexcept = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  std::span<std::byte> span() { return {data_.get(), size_}; }
  std::span<const std::byte> span() const { return {data_.get(), size_}; }

  // Forgets the contents, keeps the memory.
  void Clear() { size_ = 0; }
  void Reserve(size_t capacity) {
    if (capacity > capacity_) Reallocate(capacity);
  }
  // Grows by n bytes whose contents are unspecified; returns a pointer to the first of them.
  std::byte* AppendUninitialized(size_t n) {
    if (capacity_ - size_ < n) Reallocate(Grown(size_ + n));
    std::byte* p = data_.get() + size_;
    size_ += n;
    return p;
  }
  void Append(std::span<const std::byte> bytes) {
    if (!bytes.empty()) std::memcpy(AppendUninitialized(bytes.size()), bytes.data(), bytes.size());
  }
  // Shrinks to n bytes (n <= size()).
  void Truncate(size_t n) {
    if (n < size_) size_ = n;
  }

 private:
  size_t Grown(size_t needed) const { return needed > 2 * capacity_ ? needed : 2 * capacity_; }
  void Reallocate(size_t capacity) {
    auto fresh = std::make_unique_for_overwrite<std::byte[]>(capacity);
    if (size_ != 0) std::memcpy(fresh.get(), data_.get(), size_);
    data_ = std::move(fresh);
    capacity_ = capacity;
  }

  std::unique_ptr<std::byte[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_BUFFER_H_
