// uxcom's XDR codec against MySQL 8.0.18's way of encoding (the libtirpc baseline in
// bench/baseline) and against memcpy, in one run.
//
//   bazel run --config=opt //bench:codec_bench -- --benchmark_format=json > codec.json
//   bench/codec_ratios.py codec.json
//
// Benchmarks are named <operation>/<message>/<version>/<codec>:
//   encode    uxcom: AppendFrame into a reused Buffer | tirpc: xdr_sizeof, calloc, xdrmem
//             encode, free (8.0.18's serialize_msg and the send path's free)
//   decode    uxcom_view: a reused xdr::Decoder, zero-copy |
//             uxcom_copy: the same, copying strings and opaque data into its arena |
//             uxcom_arena: what the transport does to decode a self-delivery or a compaction's
//               check: a ReusablePaxMsg decoded into again, in an Arena reset each time,
//               zero-copy, with its options |
//             uxcom_transport: what the transport does with every frame it reads: the same
//               call, copying, with its options (the defaults of TransportOptions) |
//             tirpc: calloc, xdrmem decode, xdr_free, free
//   memcpy/large_app_64k: copying the 64 KiB payload once, the floor for large messages
// Every benchmark reports allocs_per_op, counted by interposing malloc (bench/allocation_counter).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "bench/allocation_counter.h"
#include "bench/baseline/tirpc_pax_msg.h"
#include "bench/codec_bench_messages.h"
#include "xdr/buffer.h"
#include "xdr/decode.h"
#include "xdr/encode.h"
#include "xdr/limits.h"

namespace uxcom::bench {
namespace {

using xdr::ProtocolVersion;

struct AllocationScope {
  explicit AllocationScope(benchmark::State& state) : state(state), before(HeapAllocations()) {}
  ~AllocationScope() {
    state.counters["allocs_per_op"] = benchmark::Counter(
        static_cast<double>(HeapAllocations() - before), benchmark::Counter::kAvgIterations);
  }
  benchmark::State& state;
  uint64_t before;
};

template <ProtocolVersion V>
void EncodeUxcom(benchmark::State& state, const xdr::PaxMsg* msg) {
  xdr::Buffer out;
  (void)xdr::AppendFrame<V>(*msg, out);  // grow once
  {
    AllocationScope allocations(state);
    for (auto _ : state) {
      out.Clear();
      absl::StatusOr<size_t> n = xdr::AppendFrame<V>(*msg, out);
      benchmark::DoNotOptimize(n);
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}

template <ProtocolVersion V>
void EncodeTirpc(benchmark::State& state, const xdr::PaxMsg* msg) {
  tirpc::pax_msg* c = tirpc::FromModel(*msg);
  const uint32_t version = xdr::ToWire(V);
  uint32_t size = 0;
  {
    AllocationScope allocations(state);
    for (auto _ : state) {
      char* frame = nullptr;
      if (!tirpc::Serialize(version, c, &frame, &size)) state.SkipWithError("serialize failed");
      benchmark::DoNotOptimize(frame);
      benchmark::ClobberMemory();
      free(frame);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  tirpc::FreePaxMsg(version, c);
}

template <ProtocolVersion V>
std::vector<std::byte> Body(const xdr::PaxMsg& msg) {
  std::vector<std::byte> body;
  if (!xdr::AppendBody<V>(msg, body).ok()) std::abort();
  return body;
}

// A Decoder reused message after message (the embedder's API for decoding a stream).
template <ProtocolVersion V>
void DecodeUxcom(benchmark::State& state, const xdr::PaxMsg* msg, bool zero_copy) {
  const std::vector<std::byte> body = Body<V>(*msg);
  xdr::Decoder decoder({.zero_copy = zero_copy});
  (void)decoder.Decode<V>(body);  // grow once
  {
    AllocationScope allocations(state);
    for (auto _ : state) {
      absl::StatusOr<xdr::DecodeInfo> d = decoder.Decode<V>(body);
      benchmark::DoNotOptimize(d);
      benchmark::DoNotOptimize(&decoder.msg());
      benchmark::ClobberMemory();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

// The decode the transport performs: an InboundFrame (xcom/internal/inbound_frame.h) keeps a
// ReusablePaxMsg and an Arena; the arena is reset when the frame comes back from the
// application (InboundFrame::Recycle), and the next frame is decoded with the same call as
// here, the version known at run time. A frame read from a socket is decoded copying, with
// TransportState::FrameDecodeOptions (max_body_size = TransportOptions::max_frame_body,
// max_blob_bytes and profile, all at their defaults here); a self-delivery's or a compaction
// check's decode of a compacted frame zero-copy with OutgoingMessage's options
// (outgoing_message.cc, DecodeFrame). The xcom/internal headers are private to the transport,
// so the options are spelled out; the decode is the one call.
xdr::DecodeOptions TransportDecodeOptions(bool zero_copy) {
  if (zero_copy) {
    return {.max_body_size = xdr::kMaxBodySize,
            .zero_copy = true,
            .max_blob_bytes = std::numeric_limits<uint32_t>::max()};
  }
  return {.max_body_size = xdr::kDefaultMaxBodySize};
}

template <ProtocolVersion V>
void DecodeAsTransport(benchmark::State& state, const xdr::PaxMsg* msg, bool zero_copy) {
  const std::vector<std::byte> body = Body<V>(*msg);
  xdr::Arena arena;
  xdr::ReusablePaxMsg decoded;
  const xdr::DecodeOptions options = TransportDecodeOptions(zero_copy);
  (void)decoded.Decode(V, body, arena, options);  // grow once
  {
    AllocationScope allocations(state);
    for (auto _ : state) {
      arena.Reset();
      absl::StatusOr<xdr::DecodeInfo> d = decoded.Decode(V, body, arena, options);
      benchmark::DoNotOptimize(d);
      benchmark::DoNotOptimize(&decoded.msg());
      benchmark::ClobberMemory();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

template <ProtocolVersion V>
void DecodeTirpc(benchmark::State& state, const xdr::PaxMsg* msg) {
  const std::vector<std::byte> body = Body<V>(*msg);
  const uint32_t version = xdr::ToWire(V);
  {
    AllocationScope allocations(state);
    for (auto _ : state) {
      tirpc::pax_msg* m = nullptr;
      uint32_t consumed = 0;
      if (!tirpc::Deserialize(version, reinterpret_cast<const char*>(body.data()),
                              static_cast<uint32_t>(body.size()), &m, &consumed)) {
        state.SkipWithError("deserialize failed");
      }
      benchmark::DoNotOptimize(m);
      benchmark::ClobberMemory();
      tirpc::FreePaxMsg(version, m);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

void MemcpyPayload(benchmark::State& state) {
  const xdr::PaxMsg msg = LargeAppMessage();
  const xdr::Bytes payload = std::get<xdr::Bytes>(msg.a[0].body.arm);
  std::vector<char> dst(payload.size());
  {
    AllocationScope allocations(state);
    for (auto _ : state) {
      std::memcpy(dst.data(), payload.data(), payload.size());
      benchmark::DoNotOptimize(dst.data());
      benchmark::ClobberMemory();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
}

// CODEC_BENCH_ITERATIONS=N runs every benchmark exactly N times, with no estimation runs: for
// counting instructions under callgrind (bench/instruction_counts.py), where two counts at
// different N give the cost of one iteration with the setup cancelled out.
benchmark::internal::Benchmark* FixedIterations(benchmark::internal::Benchmark* b) {
  static const char* const n = std::getenv("CODEC_BENCH_ITERATIONS");
  if (n != nullptr && *n != '\0') b->Iterations(std::strtoll(n, nullptr, 10));
  return b;
}

template <ProtocolVersion V>
void RegisterVersion(const std::string& version_name, const NamedMessage& m) {
  const xdr::PaxMsg* msg = &m.msg;
  const std::string suffix = "/" + m.name + "/" + version_name + "/";
  auto add = [&suffix](const char* operation, const char* codec, auto run) {
    FixedIterations(benchmark::RegisterBenchmark((operation + suffix + codec).c_str(), run));
  };
  add("encode", "uxcom", [msg](benchmark::State& s) { EncodeUxcom<V>(s, msg); });
  add("encode", "tirpc", [msg](benchmark::State& s) { EncodeTirpc<V>(s, msg); });
  add("decode", "uxcom_view", [msg](benchmark::State& s) { DecodeUxcom<V>(s, msg, true); });
  add("decode", "uxcom_copy", [msg](benchmark::State& s) { DecodeUxcom<V>(s, msg, false); });
  add("decode", "uxcom_arena", [msg](benchmark::State& s) { DecodeAsTransport<V>(s, msg, true); });
  add("decode", "uxcom_transport",
      [msg](benchmark::State& s) { DecodeAsTransport<V>(s, msg, false); });
  add("decode", "tirpc", [msg](benchmark::State& s) { DecodeTirpc<V>(s, msg); });
}

}  // namespace
}  // namespace uxcom::bench

int main(int argc, char** argv) {
  using namespace uxcom::bench;
  static const std::vector<NamedMessage> messages = AllCodecBenchMessages();
  for (const NamedMessage& m : messages) {
    RegisterVersion<ProtocolVersion::kX1_0>("x_1_0", m);
    RegisterVersion<ProtocolVersion::kX1_4>("x_1_4", m);
    RegisterVersion<ProtocolVersion::kX1_6>("x_1_6", m);
    RegisterVersion<ProtocolVersion::kX1_9>("x_1_9", m);
  }
  FixedIterations(benchmark::RegisterBenchmark("memcpy/large_app_64k", MemcpyPayload));
  benchmark::AddCustomContext("allocation_counting",
                              HeapAllocationCountingEnabled() ? "enabled" : "disabled");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
