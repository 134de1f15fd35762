// //bench:tls_record_bench: what TLS adds to each message, measured without sockets or threads.
//
//   bazel run --config=opt //bench:tls_record_bench -- --benchmark_format=json
//
// A delivered message is sealed once by its sender (per connection) and opened once by its
// receiver. This bench does exactly that in one thread, in memory, for transport_bench's frames:
//
// * Seal+Open/payload:P: net::detail::TlsSession (the code the transport runs, TLS 1.3,
//   TLS_AES_256_GCM_SHA384) encrypts one write shaped as xcom's write pump shapes it (frames
//   under 2 KiB copied into one batch of up to 64 KiB; larger ones as a 16-byte prefix and the
//   rest; frames over 64 KiB written alone), and the other end's session decrypts it into a
//   64 KiB reader buffer, fed in socket-sized pieces.
// * Gcm/payload:P: AES-256-GCM alone (OpenSSL's EVP) over the same bytes in 16 KiB records, a
//   seal and an open each: the floor any TLS stack with this suite pays on this CPU.
// * Copy/payload:P: one memcpy of the same bytes, for scale.
//
// `time_per_msg` is CPU time per frame (one thread). When transport_bench is CPU-bound (both
// cores busy), a TLS run cannot exceed p / (p + t) of the plaintext run's msg/s, where p is
// transport_bench's plaintext `uxcom_cpu_us_msg` and t this bench's Seal+Open figure; with the
// Gcm figure for t, no TLS implementation of this suite can (bench/README.md, "TLS").
#include <openssl/evp.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/transport/common.h"
#include "bench/transport/uxcom_impl.h"
#include "benchmark/benchmark.h"
#include "net/detail/tls_session.h"
#include "net/openssl_block_cache.h"
#include "net/tls_context.h"
#include "net/tls_testing.h"

namespace uxcom::bench {
namespace {

using net::detail::CipherBuffer;
using net::detail::TlsSession;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "tls_record_bench: %s\n", what);
  std::abort();
}

// xcom/internal/write_pump.cc's shapes: the batch, the copy threshold, the prefix.
constexpr size_t kBatchBytes = 64 * 1024;
constexpr size_t kReferencedFrameBytes = 2048;
constexpr size_t kPrefixBytes = 16;
constexpr size_t kRecordPayload = 16 * 1024;

// One write of the pump: its iovecs over `frames` (kept alive here) and how many frames it holds.
struct Write {
  std::vector<std::byte> storage;
  std::vector<iovec> iov;
  int frames = 0;
  size_t bytes = 0;
};

Write ShapeWrite(size_t frame) {
  Write w;
  if (frame < kReferencedFrameBytes) {  // copied into the batch: one buffer
    w.frames = static_cast<int>(kBatchBytes / frame);
    w.storage.assign(frame * w.frames, std::byte{0x5a});
    w.iov.push_back({w.storage.data(), w.storage.size()});
  } else {  // a prefix and the rest per frame; alone when larger than the batch
    w.frames = static_cast<int>(std::max<size_t>(1, kBatchBytes / frame));
    w.storage.assign(frame * w.frames, std::byte{0x5a});
    for (int i = 0; i < w.frames; ++i) {
      std::byte* f = w.storage.data() + i * frame;
      w.iov.push_back({f, kPrefixBytes});
      w.iov.push_back({f + kPrefixBytes, frame - kPrefixBytes});
    }
  }
  w.bytes = w.storage.size();
  return w;
}

size_t FrameOf(size_t payload) {
  return transport::FrameSize(transport::BroadcastMessage(payload));
}

// Moves everything `from` has output into `to`'s input, in pieces as a socket read would.
void Deliver(std::span<const std::byte> bytes, TlsSession& to, std::span<std::byte> dst,
             size_t* plain_out) {
  while (!bytes.empty()) {
    std::span<std::byte> space = to.InputSpace();
    size_t n = std::min(space.size(), bytes.size());
    std::memcpy(space.data(), bytes.data(), n);
    to.CommitInput(n);
    bytes = bytes.subspan(n);
    for (;;) {  // the reader drains what it can (FrameReader consumes its buffer each time)
      TlsSession::ReadResult r = to.Read(dst);
      if (r.progress == TlsSession::Progress::kFailed) Die("TLS read failed");
      if (r.progress == TlsSession::Progress::kWantInput || r.n == 0) break;
      *plain_out += r.n;
    }
  }
}

// A client and a server session with the handshake done in memory.
struct SessionPair {
  std::unique_ptr<TlsSession> client;
  std::unique_ptr<TlsSession> server;
};

SessionPair Connect() {
  static net::testing::TestPki* pki = new net::testing::TestPki;
  static net::testing::CertFiles* node = new net::testing::CertFiles(pki->Node("node-1"));
  net::TlsConfig config = pki->Config(*node);
  config.min_version = config.max_version = net::TlsVersion::kTls13;
  config.ciphersuites = "TLS_AES_256_GCM_SHA384";  // what XCom negotiates by default
  absl::StatusOr<std::shared_ptr<net::TlsContext>> ctx = net::TlsContext::Create(config);
  if (!ctx.ok()) Die("TlsContext");
  SessionPair p;
  auto client = TlsSession::Create(**ctx, {.role = net::TlsRole::kClient}, "server");
  auto server = TlsSession::Create(**ctx, {.role = net::TlsRole::kServer}, "client");
  if (!client.ok() || !server.ok()) Die("TlsSession");
  p.client = *std::move(client);
  p.server = *std::move(server);
  for (int round = 0; round < 10; ++round) {
    TlsSession::Progress c = p.client->Handshake();
    if (CipherBuffer* out = p.client->TakeOutput()) {
      p.server->AddInput(out->bytes);
      p.client->Recycle(out);
    }
    TlsSession::Progress s = p.server->Handshake();
    if (CipherBuffer* out = p.server->TakeOutput()) {
      p.client->AddInput(out->bytes);
      p.server->Recycle(out);
    }
    if (c == TlsSession::Progress::kFailed || s == TlsSession::Progress::kFailed) {
      Die("handshake failed");
    }
    if (c == TlsSession::Progress::kDone && s == TlsSession::Progress::kDone) {
      if (p.client->info().cipher != "TLS_AES_256_GCM_SHA384") Die("unexpected cipher");
      return p;
    }
  }
  Die("handshake did not complete");
}

void SetPerMessage(benchmark::State& state, const Write& w) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * w.frames);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.bytes));
  // CPU seconds per frame (JSON: seconds; the console shows "197.8ns").
  state.counters["time_per_msg"] = benchmark::Counter(
      static_cast<double>(w.frames),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["frame_B"] = static_cast<double>(w.bytes / w.frames);
}

void BM_SealOpen(benchmark::State& state) {
  const Write w = ShapeWrite(FrameOf(static_cast<size_t>(state.range(0))));
  SessionPair p = Connect();
  std::vector<std::byte> dst(kBatchBytes);
  size_t plain = 0;
  for (auto _ : state) {
    absl::StatusOr<CipherBuffer*> sealed = p.client->Encrypt(w.iov);
    if (!sealed.ok()) Die("Encrypt");
    Deliver((*sealed)->bytes, *p.server, dst, &plain);
    p.client->Recycle(*sealed);
  }
  if (plain != w.bytes * state.iterations()) Die("opened fewer bytes than were sealed");
  SetPerMessage(state, w);
}

// AES-256-GCM as TLS 1.3 uses it: per record a fresh nonce, 5 bytes of additional data, a
// 16-byte tag; sealed by one context and opened (tag checked) by another.
void BM_Gcm(benchmark::State& state) {
  const Write w = ShapeWrite(FrameOf(static_cast<size_t>(state.range(0))));
  unsigned char key[32] = {7};
  unsigned char iv[12] = {1};
  unsigned char aad[5] = {0x17, 0x03, 0x03, 0x40, 0x11};  // the record header
  static constexpr unsigned char kContentType = 0x17;     // application_data
  EVP_CIPHER_CTX* seal = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* open = EVP_CIPHER_CTX_new();
  if (EVP_EncryptInit_ex(seal, EVP_aes_256_gcm(), nullptr, key, iv) != 1 ||
      EVP_DecryptInit_ex(open, EVP_aes_256_gcm(), nullptr, key, iv) != 1) {
    Die("EVP init");
  }
  std::vector<unsigned char> cipher(kRecordPayload + 1);
  std::vector<unsigned char> clear(kRecordPayload + 1);
  const auto* in = reinterpret_cast<const unsigned char*>(w.storage.data());
  for (auto _ : state) {
    for (size_t at = 0; at < w.bytes; at += kRecordPayload) {
      // TLS 1.3 seals the record's content type after its data: one more byte.
      const int n = static_cast<int>(std::min(kRecordPayload, w.bytes - at)) + 1;
      int len = 0;
      unsigned char tag[16];
      ++iv[11];
      bool ok = EVP_EncryptInit_ex(seal, nullptr, nullptr, nullptr, iv) == 1 &&
                EVP_EncryptUpdate(seal, nullptr, &len, aad, sizeof aad) == 1 &&
                EVP_EncryptUpdate(seal, cipher.data(), &len, in + at, n - 1) == 1 &&
                EVP_EncryptUpdate(seal, cipher.data() + n - 1, &len, &kContentType, 1) == 1 &&
                EVP_EncryptFinal_ex(seal, cipher.data() + n, &len) == 1 &&
                EVP_CIPHER_CTX_ctrl(seal, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1 &&
                EVP_DecryptInit_ex(open, nullptr, nullptr, nullptr, iv) == 1 &&
                EVP_DecryptUpdate(open, nullptr, &len, aad, sizeof aad) == 1 &&
                EVP_DecryptUpdate(open, clear.data(), &len, cipher.data(), n) == 1 &&
                EVP_CIPHER_CTX_ctrl(open, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1 &&
                EVP_DecryptFinal_ex(open, clear.data() + n, &len) == 1;
      if (!ok) Die("AES-256-GCM seal or open failed");
      benchmark::DoNotOptimize(clear.data());
    }
  }
  EVP_CIPHER_CTX_free(seal);
  EVP_CIPHER_CTX_free(open);
  SetPerMessage(state, w);
}

void BM_Copy(benchmark::State& state) {
  const Write w = ShapeWrite(FrameOf(static_cast<size_t>(state.range(0))));
  std::vector<std::byte> to(w.bytes);
  for (auto _ : state) {
    std::memcpy(to.data(), w.storage.data(), w.bytes);
    benchmark::ClobberMemory();
  }
  SetPerMessage(state, w);
}

void Payloads(benchmark::internal::Benchmark* b) {
  for (int payload : {100, 1024, 16384, 256 << 10}) b->Arg(payload);
  b->ArgName("payload");
}

BENCHMARK(BM_SealOpen)->Name("Seal+Open")->Apply(Payloads);
BENCHMARK(BM_Gcm)->Name("Gcm")->Apply(Payloads);
BENCHMARK(BM_Copy)->Name("Copy")->Apply(Payloads);

}  // namespace
}  // namespace uxcom::bench

int main(int argc, char** argv) {
  // As transport_bench and the tools do: OpenSSL's per-record blocks from a cache, not malloc.
  if (absl::Status s = uxcom::net::InstallOpenSslBlockCache(); !s.ok()) {
    std::fprintf(stderr, "note: %s\n", s.ToString().c_str());
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
