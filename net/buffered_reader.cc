#include "net/buffered_reader.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace uxcom::net {

BufferedReader::BufferedReader(Stream& stream, size_t initial_capacity, size_t max_buffered)
    : stream_(stream),
      max_buffered_(std::max<size_t>(max_buffered, 1)),
      capacity_(std::clamp<size_t>(initial_capacity, 1, max_buffered_)),
      data_(std::make_unique<std::byte[]>(capacity_)) {}

void BufferedReader::Consume(size_t n) {
  head_ += std::min(n, size());
  if (head_ == tail_) head_ = tail_ = 0;
}

void BufferedReader::MakeRoom(size_t n) {
  if (capacity_ - head_ >= n) return;
  size_t used = size();
  if (capacity_ < n) {
    size_t grown = std::min(max_buffered_, std::max(n, capacity_ * 2));
    auto bigger = std::make_unique<std::byte[]>(grown);
    std::memcpy(bigger.get(), data_.get() + head_, used);
    data_ = std::move(bigger);
    capacity_ = grown;
  } else {
    std::memmove(data_.get(), data_.get() + head_, used);
  }
  head_ = 0;
  tail_ = used;
}

Task<absl::Status> BufferedReader::FillSome() {
  if (tail_ == capacity_) MakeRoom(std::min(max_buffered_, size() + 1));
  if (tail_ == capacity_) {
    co_return absl::InvalidArgumentError(absl::StrCat("BufferedReader on ", stream_.Describe(),
                                                      ": buffer full at ", size(),
                                                      " bytes (max_buffered ", max_buffered_, ")"));
  }
  absl::StatusOr<size_t> n = co_await stream_.ReadSome({data_.get() + tail_, capacity_ - tail_});
  if (!n.ok()) co_return n.status();
  if (*n == 0) {
    co_return absl::OutOfRangeError(absl::StrCat("recv ", stream_.Describe(),
                                                 ": connection closed by peer with ", size(),
                                                 " bytes buffered"));
  }
  tail_ += *n;
  co_return absl::OkStatus();
}

Task<absl::Status> BufferedReader::Fill(size_t n) {
  if (n > max_buffered_) {
    co_return absl::InvalidArgumentError(absl::StrCat("BufferedReader on ", stream_.Describe(),
                                                      ": cannot buffer ", n,
                                                      " bytes (max_buffered ", max_buffered_, ")"));
  }
  if (size() >= n) co_return absl::OkStatus();
  MakeRoom(n);
  while (size() < n) {
    absl::Status s = co_await FillSome();
    if (!s.ok()) co_return s;
  }
  co_return absl::OkStatus();
}

Task<absl::Status> BufferedReader::ReadExactly(std::span<std::byte> dst) {
  size_t from_buffer = std::min(dst.size(), size());
  if (from_buffer > 0) std::memcpy(dst.data(), data_.get() + head_, from_buffer);
  Consume(from_buffer);
  if (from_buffer == dst.size()) co_return absl::OkStatus();
  co_return co_await stream_.ReadExactly(dst.subspan(from_buffer));
}

}  // namespace uxcom::net
