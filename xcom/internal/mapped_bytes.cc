#include "xcom/internal/mapped_bytes.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <new>

namespace uxcom::xcom::internal {

size_t MappedBytes::PageRounded(size_t n) {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (std::max<size_t>(n, 1) + page - 1) / page * page;
}

void MappedBytes::Resize(size_t n) {
  const size_t want = PageRounded(n);
  if (want == mapped_) return;
  void* p = data_ == nullptr
                ? mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                : mremap(data_, mapped_, want, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) throw std::bad_alloc();
  data_ = static_cast<std::byte*>(p);
  mapped_ = want;
}

void MappedBytes::Reset() {
  if (data_ != nullptr) munmap(data_, mapped_);
  data_ = nullptr;
  mapped_ = 0;
}

}  // namespace uxcom::xcom::internal
