// The XCom-model baseline of //bench:transport_bench: a transport that works the way MySQL
// 8.0.18's xcom_transport.c does, written here from the behaviour spec (no MySQL code).
//
// Each node is one thread running XCom's task-loop pattern: every pass runs the tasks that can
// make progress, then poll()s the descriptors they wait on (timeout 0 while a task is
// runnable). Its tasks, modelled one by one:
//
// * send_to_all: queues the message (its sequence number) for every other node's sender and
//   for the local sender (msg_link-style: no copy);
// * sender_task, per peer: takes each queued message, stamps `to` and serializes it for the
//   connection (serialize_msg: xdr_sizeof pass, calloc of header + body, xdrmem encode; per
//   destination, as 8.0.18 encodes per connection), copies it into the 64 KiB srv_buf and
//   frees it; the buffer is written with one send() when the next frame does not fit or the
//   queue is empty (flush_srv_buf), waiting for POLLOUT when the socket is full;
// * acceptor_learner_task, per inbound connection: buffered_read_msg — 12 header bytes, then
//   calloc(length) and `length` body bytes, both copied out of a 64 KiB read buffer that one
//   recv() refills when empty (reads the task waits for with POLLIN) — then a zeroed pax_msg
//   and a libtirpc decode (deserialize_msg), dispatch, xdr_free and free;
// * local_sender_task: delivers the node's own messages (no encoding);
// * for the latency benchmark, the acceptor answers on the connection the request came in on
//   (serialize + write), and the requester's reply_handler_task reads the reply the same way.
//
// The libtirpc routines are bench/baseline/tirpc_pax_msg.h. Sockets come from the harness
// (MakeMesh), already connected; negotiation is not modelled (the frames carry x_1_6).
#ifndef UXCOM_BENCH_TRANSPORT_XCOM_MODEL_H_
#define UXCOM_BENCH_TRANSPORT_XCOM_MODEL_H_

#include <cstdint>

#include "bench/transport/common.h"

namespace uxcom::bench::transport {

RunResult RunXcomModelBroadcast(const Workload& w);
RunResult RunXcomModelLatency(uint64_t warmup, uint64_t rounds);

}  // namespace uxcom::bench::transport

#endif  // UXCOM_BENCH_TRANSPORT_XCOM_MODEL_H_
