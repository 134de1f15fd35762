// //bench:transport_bench's runs of uxcom: the transport, and raw net/ streaming of the same
// frames over the same connection pattern. One thread and one net::Executor per node.
#ifndef UXCOM_BENCH_TRANSPORT_UXCOM_IMPL_H_
#define UXCOM_BENCH_TRANSPORT_UXCOM_IMPL_H_

#include <cstddef>
#include <cstdint>

#include "bench/transport/common.h"
#include "net/executor.h"
#include "xcom/tls_options.h"

namespace uxcom::bench::transport {

// Bytes of `msg`'s frame at x_1_6, header included.
size_t FrameSize(const xdr::PaxMsg& msg);

// N xcom::Transports on loopback (they dial, negotiate x_1_6 and reconnect themselves); every
// node runs the closed-loop broadcast of common.h with SendToAll and Receive. With `tls`, every
// connection runs over TLS with those options (one key pair for every node).
RunResult RunUxcomBroadcast(const Workload& w, net::BackendKind backend,
                            const xcom::TlsOptions& tls = {});

// TLS material for the bench (a throwaway CA and one certificate naming 127.0.0.1, in a
// temporary directory kept for the life of the process), in VERIFY_IDENTITY with OpenSSL's
// default TLS 1.3 suites: what XCom negotiates by default (TLS_AES_256_GCM_SHA384).
const xcom::TlsOptions& BenchTls();
// Three nodes; node 0 sends a request to node 1 (SendTo), node 1 answers with
// Transport::Reply, node 0 waits for it (Receive). `rounds` round trips, one at a time.
RunResult RunUxcomLatency(uint64_t warmup, uint64_t rounds, net::BackendKind backend);

// The same frame bytes with net/ alone: every node writes the pre-encoded frame M times to
// each other node, in writes of whole frames up to 64 KiB, and counts the frames it reads
// (in place, ReadChunk). No encoding, decoding, queueing or window: an upper bound.
RunResult RunRawBroadcast(const Workload& w, net::BackendKind backend);
// Request frame out, reply frame back, on one connection between node 0 and node 1.
RunResult RunRawLatency(uint64_t warmup, uint64_t rounds, net::BackendKind backend);

}  // namespace uxcom::bench::transport

#endif  // UXCOM_BENCH_TRANSPORT_UXCOM_IMPL_H_
