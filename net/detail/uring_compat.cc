#include "net/detail/uring_compat.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace uxcom::net::detail {

io_uring_buf_ring* SetupBufRing(io_uring* ring, unsigned entries, int group_id, int* error) {
  size_t bytes = entries * sizeof(io_uring_buf);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) {
    *error = -errno;
    return nullptr;
  }
  auto* br = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg;
  std::memset(&reg, 0, sizeof reg);
  reg.ring_addr = reinterpret_cast<uint64_t>(br);
  reg.ring_entries = entries;
  reg.bgid = static_cast<uint16_t>(group_id);
  int rc = io_uring_register_buf_ring(ring, &reg, 0);
  if (rc != 0) {
    munmap(mem, bytes);
    *error = rc;
    return nullptr;
  }
  io_uring_buf_ring_init(br);
  *error = 0;
  return br;
}

int EnableRings(io_uring* ring) {
  long rc =
      syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0);
  return rc < 0 ? -errno : 0;
}

void FreeBufRing(io_uring* ring, io_uring_buf_ring* buf_ring, unsigned entries, int group_id) {
  io_uring_unregister_buf_ring(ring, group_id);
  munmap(buf_ring, entries * sizeof(io_uring_buf));
}

}  // namespace uxcom::net::detail
