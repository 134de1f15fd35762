#include "net/openssl_block_cache.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

namespace uxcom::net {
namespace {

constexpr size_t kMinBlock = 32;
constexpr size_t kClasses = std::countr_zero(kMaxCachedBlock) - std::countr_zero(kMinBlock) + 1;
constexpr uint64_t kUncached = ~uint64_t{0};

// In front of every block handed to OpenSSL: 16 bytes, so the block keeps malloc's alignment.
struct Header {
  uint64_t capacity;    // bytes usable after the header
  uint64_t size_class;  // index into Cache::free, or kUncached
};
static_assert(sizeof(Header) == 16);

struct FreeBlock {
  FreeBlock* next;
};

struct Cache {
  std::mutex mutex;
  FreeBlock* free[kClasses] = {};
  size_t kept[kClasses] = {};
  uint64_t requests = 0;
  uint64_t from_cache = 0;
  bool installed = false;
};

// Never destroyed: OpenSSL frees during process exit, after static destructors may have run.
Cache& TheCache() {
  static Cache& cache = *new Cache;
  return cache;
}

size_t ClassOf(size_t n) {
  return static_cast<size_t>(std::countr_zero(std::bit_ceil(std::max(n, kMinBlock)))) -
         static_cast<size_t>(std::countr_zero(kMinBlock));
}
size_t ClassBytes(size_t c) { return kMinBlock << c; }

Header* HeaderOf(void* p) { return static_cast<Header*>(p) - 1; }

void* Fresh(size_t capacity, uint64_t size_class) {
  auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + capacity));
  if (h == nullptr) return nullptr;
  *h = {.capacity = capacity, .size_class = size_class};
  return h + 1;
}

void* CacheMalloc(size_t n, const char*, int) {
  Cache& cache = TheCache();
  if (n > kMaxCachedBlock) {
    {
      std::lock_guard lock(cache.mutex);
      ++cache.requests;
    }
    return Fresh(n, kUncached);
  }
  const size_t c = ClassOf(n);
  {
    std::lock_guard lock(cache.mutex);
    ++cache.requests;
    if (FreeBlock* b = cache.free[c]; b != nullptr) {
      cache.free[c] = b->next;
      --cache.kept[c];
      ++cache.from_cache;
      return b;
    }
  }
  return Fresh(ClassBytes(c), c);
}

void CacheFree(void* p, const char*, int) {
  if (p == nullptr) return;
  Header* h = HeaderOf(p);
  if (h->size_class != kUncached) {
    Cache& cache = TheCache();
    std::lock_guard lock(cache.mutex);
    const size_t c = h->size_class;
    if (cache.kept[c] < kMaxBlocksPerClass) {
      cache.free[c] = new (p) FreeBlock{cache.free[c]};
      ++cache.kept[c];
      return;
    }
  }
  std::free(h);
}

void* CacheRealloc(void* p, size_t n, const char* file, int line) {
  if (p == nullptr) return CacheMalloc(n, file, line);
  if (n == 0) {
    CacheFree(p, file, line);
    return nullptr;
  }
  const size_t capacity = HeaderOf(p)->capacity;
  if (n <= capacity) return p;  // the block already has room
  void* q = CacheMalloc(n, file, line);
  if (q == nullptr) return nullptr;  // p stays valid, as realloc's contract says
  std::memcpy(q, p, capacity);
  CacheFree(p, file, line);
  return q;
}

}  // namespace

absl::Status InstallOpenSslBlockCache() {
  Cache& cache = TheCache();
  std::lock_guard lock(cache.mutex);
  if (cache.installed) return absl::OkStatus();
  if (CRYPTO_set_mem_functions(&CacheMalloc, &CacheRealloc, &CacheFree) != 1) {
    return absl::FailedPreconditionError(
        "OpenSSL block cache not installed: OpenSSL has already allocated memory (install it "
        "first thing in main, before any TLS or OpenSSL use) or another allocator was set");
  }
  cache.installed = true;
  return absl::OkStatus();
}

OpenSslBlockCacheStats GetOpenSslBlockCacheStats() {
  Cache& cache = TheCache();
  std::lock_guard lock(cache.mutex);
  OpenSslBlockCacheStats s{
      .installed = cache.installed, .requests = cache.requests, .from_cache = cache.from_cache};
  for (size_t k : cache.kept) s.blocks_kept += k;
  return s;
}

}  // namespace uxcom::net
