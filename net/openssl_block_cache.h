// OpenSSL's small allocations from a cache, so that steady TLS traffic calls malloc for
// nothing, as plaintext traffic does.
//
// OpenSSL 3.0 allocates a few small blocks for every TLS record it writes or reads (bookkeeping
// of its WPACKET builder: three per record written, one per record read) and frees them at
// once. No option avoids them. InstallOpenSslBlockCache() routes all of
// OpenSSL's allocations through CRYPTO_set_mem_functions to a cache that keeps freed small
// blocks for the next request of the same size class, so after warm-up those allocations reuse
// memory instead of calling malloc.
//
//   int main(int argc, char** argv) {
//     // First, before anything uses OpenSSL (it refuses once it has allocated).
//     if (absl::Status s = uxcom::net::InstallOpenSslBlockCache(); !s.ok()) {
//       std::cerr << s << "\n";  // OpenSSL then allocates with malloc, as it does by default
//     }
//     ...
//   }
//
// It is opt-in because it is process-wide: it replaces the allocator of every OpenSSL user in
// the process, which only the program (not a library) may decide. uxcom's own tools and
// benchmarks install it; an embedder may. It changes no behaviour, only where small blocks
// come from.
//
// Bounds: blocks of up to kMaxCachedBlock bytes, in size classes of powers of two from 32;
// at most kMaxBlocksPerClass kept per class (about 0.5 MiB in all). Larger requests, and
// blocks freed beyond those limits, go to malloc and free. The cache is shared by all threads
// under one lock (a few lock operations per TLS record, not per message) and is never
// destroyed, so OpenSSL may free into it during process exit. Memory allocated before the
// install is not OpenSSL's concern: CRYPTO_set_mem_functions fails then.
#ifndef UXCOM_NET_OPENSSL_BLOCK_CACHE_H_
#define UXCOM_NET_OPENSSL_BLOCK_CACHE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace uxcom::net {

inline constexpr size_t kMaxCachedBlock = 1024;
inline constexpr size_t kMaxBlocksPerClass = 256;

// Installs the cache as OpenSSL's allocator. FailedPrecondition if OpenSSL has already
// allocated (or another allocator was installed first); OK if this cache is already installed.
absl::Status InstallOpenSslBlockCache();

struct OpenSslBlockCacheStats {
  bool installed = false;
  uint64_t requests = 0;     // OpenSSL's malloc and realloc calls since the install
  uint64_t from_cache = 0;   // of which served by a kept block (no malloc)
  uint64_t blocks_kept = 0;  // blocks in the cache now
};
OpenSslBlockCacheStats GetOpenSslBlockCacheStats();

}  // namespace uxcom::net

#endif  // UXCOM_NET_OPENSSL_BLOCK_CACHE_H_
