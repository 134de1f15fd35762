// BufferedReader: framed reading over a Stream into one contiguous, growable buffer.
//
// Reading a frame header and then its body costs one receive for many small frames (the
// reader pulls whatever has arrived, up to its free space) and never loses a byte: what is
// not consumed stays buffered for the next frame. Large bodies can skip the buffer:
// ReadExactly() hands over the buffered part, then reads the rest straight into the caller's
// memory.
//
// Bounds: the buffer starts at `initial_capacity` and grows to at most `max_buffered` bytes
// (default 16 MiB); Fill(n) with n > max_buffered fails with kInvalidArgument and loses
// nothing. Errors are the stream's; kOutOfRange when the peer closes before n bytes arrive.
//
//   BufferedReader in(stream);
//   if (absl::Status s = co_await in.Fill(12); !s.ok()) co_return s;        // header
//   uint32_t length = LoadBigEndian32(in.buffered().data() + 4);
//   in.Consume(12);
//   std::vector<std::byte> body(length);
//   if (absl::Status s = co_await in.ReadExactly(body); !s.ok()) co_return s;
#ifndef UXCOM_NET_BUFFERED_READER_H_
#define UXCOM_NET_BUFFERED_READER_H_

#include <cstddef>
#include <memory>
#include <span>

#include "absl/status/status.h"
#include "net/stream.h"
#include "net/task.h"

namespace uxcom::net {

class BufferedReader {
 public:
  static constexpr size_t kDefaultInitialCapacity = 64 * 1024;
  static constexpr size_t kDefaultMaxBuffered = 16 * 1024 * 1024;

  explicit BufferedReader(Stream& stream, size_t initial_capacity = kDefaultInitialCapacity,
                          size_t max_buffered = kDefaultMaxBuffered);

  // Waits until at least `n` bytes are buffered.
  Task<absl::Status> Fill(size_t n);
  // Receives whatever is available (at least one byte); kOutOfRange at EOF.
  Task<absl::Status> FillSome();
  std::span<const std::byte> buffered() const { return {data_.get() + head_, tail_ - head_}; }
  size_t size() const { return tail_ - head_; }
  // Drops the first n buffered bytes (n <= size()).
  void Consume(size_t n);
  // Fills `dst` from the buffer, then directly from the stream.
  Task<absl::Status> ReadExactly(std::span<std::byte> dst);

  size_t capacity() const { return capacity_; }
  size_t max_buffered() const { return max_buffered_; }

 private:
  void MakeRoom(size_t n);
  Stream& stream_;
  size_t max_buffered_;
  size_t capacity_;
  std::unique_ptr<std::byte[]> data_;
  size_t head_ = 0;
  size_t tail_ = 0;
};

}  // namespace uxcom::net

#endif  // UXCOM_NET_BUFFERED_READER_H_
