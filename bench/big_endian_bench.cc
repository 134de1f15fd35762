// Google Benchmark: cost of big-endian stores and loads, next to a plain memcpy of the same
// bytes (the floor: a helper that is not free would show up as a ratio above 1).
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "xdr/big_endian.h"

namespace {

constexpr int kWords = 1024;

void BM_StoreBigEndian32(benchmark::State& state) {
  std::array<unsigned char, kWords * 4> buf{};
  for (auto _ : state) {
    for (int i = 0; i < kWords; ++i) uxcom::xdr::StoreBigEndian32(&buf[i * 4], i);
    benchmark::DoNotOptimize(buf.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * sizeof buf);
}
BENCHMARK(BM_StoreBigEndian32);

void BM_LoadBigEndian32(benchmark::State& state) {
  std::array<unsigned char, kWords * 4> buf{};
  for (int i = 0; i < kWords; ++i) uxcom::xdr::StoreBigEndian32(&buf[i * 4], i);
  for (auto _ : state) {
    uint32_t sum = 0;
    for (int i = 0; i < kWords; ++i) sum += uxcom::xdr::LoadBigEndian32(&buf[i * 4]);
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * sizeof buf);
}
BENCHMARK(BM_LoadBigEndian32);

void BM_MemcpyBaseline(benchmark::State& state) {
  std::array<uint32_t, kWords> src{};
  std::array<unsigned char, kWords * 4> dst{};
  for (int i = 0; i < kWords; ++i) src[i] = i;
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), sizeof dst);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * sizeof dst);
}
BENCHMARK(BM_MemcpyBaseline);

}  // namespace
