// InstallOpenSslBlockCache: OpenSSL's small blocks are reused instead of going back to malloc,
// within the documented bounds; realloc keeps contents; an install after OpenSSL's first
// allocation is refused with the reason.
//
// Built twice: as openssl_block_cache_test (installs first thing) and as
// openssl_block_cache_late_test (UXCOM_TEST_ALLOCATE_FIRST: OpenSSL allocates before).
#include "net/openssl_block_cache.h"

#include <doctest/doctest.h>
#include <openssl/crypto.h>

#include <cstring>
#include <vector>

namespace uxcom::net {
namespace {

#ifdef UXCOM_TEST_ALLOCATE_FIRST

TEST_CASE("the cache cannot be installed once OpenSSL has allocated") {
  CRYPTO_free(CRYPTO_malloc(16, __FILE__, __LINE__), __FILE__, __LINE__);
  absl::Status s = InstallOpenSslBlockCache();
  CHECK(absl::IsFailedPrecondition(s));
  CHECK(s.message().find("OpenSSL has already allocated memory") != std::string::npos);
  CHECK_FALSE(GetOpenSslBlockCacheStats().installed);
}

#else

const absl::Status g_installed = InstallOpenSslBlockCache();

void* Malloc(size_t n) { return CRYPTO_malloc(n, __FILE__, __LINE__); }
void Free(void* p) { CRYPTO_free(p, __FILE__, __LINE__); }

TEST_CASE("installed before OpenSSL's first allocation, and installing again is harmless") {
  REQUIRE(g_installed.ok());
  CHECK(InstallOpenSslBlockCache().ok());
  CHECK(GetOpenSslBlockCacheStats().installed);
}

TEST_CASE("a freed small block serves the next request of its size class") {
  REQUIRE(g_installed.ok());
  void* a = Malloc(40);  // class 64
  std::memset(a, 1, 40);
  Free(a);
  const OpenSslBlockCacheStats before = GetOpenSslBlockCacheStats();
  void* b = Malloc(64);
  CHECK(b == a);
  const OpenSslBlockCacheStats after = GetOpenSslBlockCacheStats();
  CHECK(after.requests == before.requests + 1);
  CHECK(after.from_cache == before.from_cache + 1);
  CHECK(after.blocks_kept == before.blocks_kept - 1);
  Free(b);
}

TEST_CASE("blocks above kMaxCachedBlock go to malloc and free, never to the cache") {
  REQUIRE(g_installed.ok());
  const OpenSslBlockCacheStats before = GetOpenSslBlockCacheStats();
  Free(Malloc(kMaxCachedBlock + 1));
  void* again = Malloc(kMaxCachedBlock + 1);
  const OpenSslBlockCacheStats after = GetOpenSslBlockCacheStats();
  CHECK(after.from_cache == before.from_cache);
  CHECK(after.blocks_kept == before.blocks_kept);
  Free(again);
}

TEST_CASE("at most kMaxBlocksPerClass blocks are kept per class; the rest are freed") {
  REQUIRE(g_installed.ok());
  std::vector<void*> blocks;
  for (size_t i = 0; i < kMaxBlocksPerClass + 100; ++i) blocks.push_back(Malloc(1000));
  const uint64_t kept_before = GetOpenSslBlockCacheStats().blocks_kept;
  for (void* p : blocks) Free(p);
  const uint64_t kept_after = GetOpenSslBlockCacheStats().blocks_kept;
  CHECK(kept_after - kept_before <= kMaxBlocksPerClass);
  CHECK(kept_after - kept_before >= 100);  // a class emptied by the mallocs refills to its bound
}

TEST_CASE("realloc keeps the contents, in place while the block has room") {
  REQUIRE(g_installed.ok());
  auto* p = static_cast<char*>(Malloc(33));  // class 64
  std::memcpy(p, "0123456789abcdefghijklmnopqrstuvw", 33);
  auto* same = static_cast<char*>(CRYPTO_realloc(p, 60, __FILE__, __LINE__));
  CHECK(same == p);
  auto* grown = static_cast<char*>(CRYPTO_realloc(same, 5000, __FILE__, __LINE__));
  REQUIRE(grown != nullptr);
  CHECK(std::memcmp(grown, "0123456789abcdefghijklmnopqrstuvw", 33) == 0);
  auto* shrunk = static_cast<char*>(CRYPTO_realloc(grown, 10, __FILE__, __LINE__));
  CHECK(std::memcmp(shrunk, "0123456789", 10) == 0);
  Free(shrunk);
  Free(nullptr);  // like free(NULL)
}

#endif

}  // namespace
}  // namespace uxcom::net
