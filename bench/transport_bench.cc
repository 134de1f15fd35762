// //bench:transport_bench: the xcom::Transport against raw net/ streaming of the same frames
// and against an XCom-model baseline (bench/transport/xcom_model.h), in one run.
//
//   bazel run --config=opt //bench:transport_bench
//   bazel run --config=opt //bench:transport_bench -- --benchmark_format=json
//
// Every benchmark iteration runs the three implementations one after the other on fresh
// loopback groups (one thread per node, see bench/transport/common.h and bench/README.md) and
// reports, per implementation, messages delivered per second over the network and their wire
// bytes per second, the ratios the targets are stated in, and heap allocations per delivered
// message during the timed phase. The manual time of a row is the transport's. A table of
// every row is printed to stderr at the end (stdout stays valid JSON with
// --benchmark_format=json).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/allocation_counter.h"
#include "bench/transport/common.h"
#include "bench/transport/uxcom_impl.h"
#include "bench/transport/xcom_model.h"
#include "benchmark/benchmark.h"
#include "net/openssl_block_cache.h"

namespace uxcom::bench::transport {
namespace {

struct Totals {
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t delivered = 0;
  uint64_t wire_bytes = 0;
  uint64_t allocations = 0;
  std::vector<double> rtt_us;

  void Add(const RunResult& r) {
    seconds += r.seconds;
    cpu_seconds += r.cpu_seconds;
    delivered += r.delivered;
    wire_bytes += r.wire_bytes;
    allocations += r.allocations;
    rtt_us.insert(rtt_us.end(), r.rtt_us.begin(), r.rtt_us.end());
  }
  double msgs_per_s() const { return static_cast<double>(delivered) / seconds; }
  // CPU time (every thread, user + sys: the kernel's TCP work included) per delivered message.
  double cpu_us_per_msg() const {
    return cpu_seconds * 1e6 / static_cast<double>(std::max<uint64_t>(1, delivered));
  }
  double mb_per_s() const { return static_cast<double>(wire_bytes) / seconds / 1e6; }
  double allocs_per_msg() const {
    return static_cast<double>(allocations) / static_cast<double>(std::max<uint64_t>(1, delivered));
  }
  double Percentile(double p) {
    if (rtt_us.empty()) return 0;
    std::sort(rtt_us.begin(), rtt_us.end());
    size_t i = std::min(rtt_us.size() - 1, static_cast<size_t>(p * rtt_us.size()));
    return rtt_us[i];
  }
  double Mean() const {
    return rtt_us.empty() ? 0
                          : std::accumulate(rtt_us.begin(), rtt_us.end(), 0.0) /
                                static_cast<double>(rtt_us.size());
  }
};

std::vector<std::string>& SummaryLines() {
  static auto* lines = new std::vector<std::string>;
  return *lines;
}

// TRANSPORT_BENCH_ONLY=uxcom|tls|raw|xcom runs one implementation (for profiling); the ratios
// are then meaningless. "tls" is the transport over TLS (BenchTls: TLSv1.3,
// TLS_AES_256_GCM_SHA384, as XCom negotiates by default).
bool Enabled(const char* impl) {
  const char* only = std::getenv("TRANSPORT_BENCH_ONLY");
  return only == nullptr || *only == '\0' || std::string_view(only) == impl;
}

bool Check(benchmark::State& state, const RunResult& r, const char* impl, uint64_t expected) {
  if (!r.error.empty()) {
    state.SkipWithError(absl::StrCat(impl, ": ", r.error).c_str());
    return false;
  }
  if (r.delivered != expected) {
    state.SkipWithError(
        absl::StrCat(impl, ": delivered ", r.delivered, " of ", expected, " messages").c_str());
    return false;
  }
  return true;
}

void BM_Broadcast(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const size_t payload = static_cast<size_t>(state.range(1));
  const size_t frame = FrameSize(BroadcastMessage(payload));
  const Workload w = MakeWorkload(nodes, payload, frame);
  const uint64_t expected = static_cast<uint64_t>(nodes) * (nodes - 1) * w.messages;
  Totals ux, tls, raw, model;
  for (auto _ : state) {
    double seconds = 0;
    if (Enabled("raw")) {
      RunResult r = RunRawBroadcast(w, net::BackendKind::kAuto);
      if (!Check(state, r, "raw", expected)) return;
      raw.Add(r);
      seconds = r.seconds;
    }
    if (Enabled("uxcom")) {
      RunResult r = RunUxcomBroadcast(w, net::BackendKind::kAuto);
      if (!Check(state, r, "uxcom", expected)) return;
      ux.Add(r);
      seconds = r.seconds;
    }
    if (Enabled("tls")) {
      RunResult r = RunUxcomBroadcast(w, net::BackendKind::kAuto, BenchTls());
      if (!Check(state, r, "uxcom_tls", expected)) return;
      tls.Add(r);
      if (!Enabled("uxcom")) seconds = r.seconds;
    }
    if (Enabled("xcom")) {
      RunResult r = RunXcomModelBroadcast(w);
      if (!Check(state, r, "xcom_model", expected)) return;
      model.Add(r);
      if (!Enabled("uxcom")) seconds = r.seconds;
    }
    state.SetIterationTime(seconds);
  }
  state.SetItemsProcessed(static_cast<int64_t>(ux.delivered));
  state.SetBytesProcessed(static_cast<int64_t>(ux.wire_bytes));
  state.counters["frame_B"] = static_cast<double>(frame);
  state.counters["window"] = static_cast<double>(w.window);
  state.counters["msgs_per_node"] = static_cast<double>(w.messages);
  state.counters["uxcom_msg_s"] = ux.msgs_per_s();
  state.counters["raw_msg_s"] = raw.msgs_per_s();
  state.counters["xcom_msg_s"] = model.msgs_per_s();
  state.counters["uxcom_MB_s"] = ux.mb_per_s();
  state.counters["raw_MB_s"] = raw.mb_per_s();
  state.counters["xcom_MB_s"] = model.mb_per_s();
  state.counters["uxcom_cpu_us_msg"] = ux.cpu_us_per_msg();
  state.counters["raw_cpu_us_msg"] = raw.cpu_us_per_msg();
  state.counters["xcom_cpu_us_msg"] = model.cpu_us_per_msg();
  state.counters["vs_raw"] = ux.msgs_per_s() / raw.msgs_per_s();
  state.counters["vs_xcom"] = ux.msgs_per_s() / model.msgs_per_s();
  state.counters["tls_msg_s"] = tls.msgs_per_s();
  state.counters["tls_cpu_us_msg"] = tls.cpu_us_per_msg();
  state.counters["tls_vs_plain"] = tls.msgs_per_s() / ux.msgs_per_s();
  if (HeapAllocationCountingEnabled()) {
    state.counters["allocs_per_msg"] = ux.allocs_per_msg();
    state.counters["tls_allocs_per_msg"] = tls.allocs_per_msg();
    state.counters["xcom_allocs_per_msg"] = model.allocs_per_msg();
  }
  SummaryLines().push_back(absl::StrFormat(
      "| send_to_all %d nodes, %zu B (frame %zu B) | %.0fk | %.0f | %.2f | %.0fk | %.0f | %.2f | "
      "%.0fk | %.0f | %.2f | %.2f | %.2f | %.4f | %.0fk | %.2f | %.2f | %.4f |",
      nodes, payload, frame, raw.msgs_per_s() / 1e3, raw.mb_per_s(), raw.cpu_us_per_msg(),
      ux.msgs_per_s() / 1e3, ux.mb_per_s(), ux.cpu_us_per_msg(), model.msgs_per_s() / 1e3,
      model.mb_per_s(), model.cpu_us_per_msg(), ux.msgs_per_s() / raw.msgs_per_s(),
      ux.msgs_per_s() / model.msgs_per_s(), ux.allocs_per_msg(), tls.msgs_per_s() / 1e3,
      tls.cpu_us_per_msg(), tls.msgs_per_s() / ux.msgs_per_s(), tls.allocs_per_msg()));
}

void BM_RequestReply(benchmark::State& state) {
  constexpr uint64_t kWarmup = 2000;
  constexpr uint64_t kRounds = 20000;
  Totals ux, raw, model;
  for (auto _ : state) {
    double seconds = 0;
    if (Enabled("raw")) {
      RunResult r = RunRawLatency(kWarmup, kRounds, net::BackendKind::kAuto);
      if (!Check(state, r, "raw", 2 * kRounds)) return;
      raw.Add(r);
      seconds = r.seconds;
    }
    if (Enabled("uxcom")) {
      RunResult r = RunUxcomLatency(kWarmup, kRounds, net::BackendKind::kAuto);
      if (!Check(state, r, "uxcom", 2 * kRounds)) return;
      ux.Add(r);
      seconds = r.seconds;
    }
    if (Enabled("xcom")) {
      RunResult r = RunXcomModelLatency(kWarmup, kRounds);
      if (!Check(state, r, "xcom_model", 2 * kRounds)) return;
      model.Add(r);
      if (!Enabled("uxcom")) seconds = r.seconds;
    }
    state.SetIterationTime(seconds);
  }
  state.SetItemsProcessed(static_cast<int64_t>(ux.rtt_us.size()));
  for (auto [name, t] :
       {std::pair{"uxcom", &ux}, std::pair{"raw", &raw}, std::pair{"xcom", &model}}) {
    state.counters[absl::StrCat(name, "_rtt_mean_us")] = t->Mean();
    state.counters[absl::StrCat(name, "_rtt_p50_us")] = t->Percentile(0.50);
    state.counters[absl::StrCat(name, "_rtt_p99_us")] = t->Percentile(0.99);
  }
  // Allocations per round trip (a request and a reply delivered).
  const double ux_allocs = static_cast<double>(ux.allocations) /
                           static_cast<double>(std::max<size_t>(1, ux.rtt_us.size()));
  if (HeapAllocationCountingEnabled()) state.counters["allocs_per_rtt"] = ux_allocs;
  SummaryLines().push_back(absl::StrFormat(
      "| request/reply, 3 nodes, %zu B frames | mean %.1f, p50 %.1f, p99 %.1f | mean %.1f, p50 "
      "%.1f, p99 %.1f | mean %.1f, p50 %.1f, p99 %.1f | allocs/rtt %.2f |",
      FrameSize(RequestMessage()), raw.Mean(), raw.Percentile(0.5), raw.Percentile(0.99), ux.Mean(),
      ux.Percentile(0.5), ux.Percentile(0.99), model.Mean(), model.Percentile(0.5),
      model.Percentile(0.99), ux_allocs));
}

void Register() {
  for (int nodes : {3, 5, 9}) {
    for (int payload : {100, 1024, 16384, 256 << 10}) {
      benchmark::RegisterBenchmark(
          absl::StrCat("SendToAll/nodes:", nodes, "/payload:", payload).c_str(), BM_Broadcast)
          ->Args({nodes, payload})
          ->UseManualTime()
          ->Iterations(3)
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::RegisterBenchmark("RequestReply/nodes:3", BM_RequestReply)
      ->UseManualTime()
      ->Iterations(3)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace uxcom::bench::transport

int main(int argc, char** argv) {
  using uxcom::bench::transport::SummaryLines;
  // Before anything uses OpenSSL: its per-record blocks come from a cache, not malloc, as the
  // tools do (net/openssl_block_cache.h); tls_allocs_per_msg counts what still calls malloc.
  if (absl::Status s = uxcom::net::InstallOpenSslBlockCache(); !s.ok()) {
    std::fprintf(stderr, "note: %s\n", s.ToString().c_str());
  }
  uxcom::bench::transport::Register();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (!SummaryLines().empty()) {
    std::fprintf(
        stderr,
        "\n| workload | raw msg/s | MB/s | CPU µs/msg | uxcom msg/s | MB/s | CPU µs/msg | "
        "XCom-model msg/s | MB/s | CPU µs/msg | uxcom/raw | uxcom/XCom | allocs/msg | "
        "uxcom TLS msg/s | TLS CPU µs/msg | TLS/plaintext | TLS allocs/msg |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | "
        "--- | --- | --- |\n");
    for (const std::string& line : SummaryLines()) std::fprintf(stderr, "%s\n", line.c_str());
  }
  return 0;
}
