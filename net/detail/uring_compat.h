// What liburing 2.3 (Debian 12) lacks and uxcom needs, in one place.
//
// The machines run far newer kernels than their liburing, so every kernel feature is probed
// at run time (setup flags by try-and-fall-back on EINVAL, opcodes with
// io_uring_get_probe_ring, multishot request flags by their first completion) and only the
// user-space helpers are supplied here. Kernel versions that introduced each feature uxcom
// uses:
//   IORING_SETUP_SUBMIT_ALL, COOP_TASKRUN, TASKRUN_FLAG              5.18 / 5.19
//   IORING_SETUP_SINGLE_ISSUER                                       6.0
//   IORING_SETUP_DEFER_TASKRUN                                       6.1
//   IORING_SETUP_R_DISABLED + IORING_REGISTER_ENABLE_RINGS           5.10
//   IORING_SETUP_CQSIZE                                              5.5
//   IORING_FEAT_NODROP                                               5.5
//   IORING_FEAT_FAST_POLL (poll-driven socket ops)                   5.7
//   IORING_FEAT_EXT_ARG (wait with timeout, no timeout SQE)          5.11
//   IORING_OP_ACCEPT, CONNECT, ASYNC_CANCEL                          5.5
//   IORING_OP_SEND, RECV, READ                                       5.6
//   IORING_ASYNC_CANCEL_ANY                                          5.19
//   IORING_ACCEPT_MULTISHOT                                          5.19
//   IORING_REGISTER_PBUF_RING (provided-buffer rings)                5.19
//   IORING_RECV_MULTISHOT                                            6.0
//   IORING_RECVSEND_POLL_FIRST                                       5.19
//   IORING_CQE_F_SOCK_NONEMPTY (recv left data in the socket)        5.19
//   IORING_RECVSEND_BUNDLE + IORING_FEAT_RECVSEND_BUNDLE             6.10
#ifndef UXCOM_NET_DETAIL_URING_COMPAT_H_
#define UXCOM_NET_DETAIL_URING_COMPAT_H_

#include <liburing.h>

#include <cstdint>

// UAPI constants newer than liburing 2.3's <liburing/io_uring.h> (values from the kernel's
// include/uapi/linux/io_uring.h, as liburing's own examples/proxy.c defines them).
#ifndef IORING_RECVSEND_BUNDLE
#define IORING_RECVSEND_BUNDLE (1U << 4)  // sqe->ioprio: one recv fills several buffers (6.10)
#endif
#ifndef IORING_FEAT_RECVSEND_BUNDLE
#define IORING_FEAT_RECVSEND_BUNDLE (1U << 14)  // io_uring_params.features (6.10)
#endif

namespace uxcom::net::detail {

// io_uring_setup_buf_ring() arrived in liburing 2.4: maps page-aligned ring memory for
// `entries` buffers (a power of two), registers it as buffer group `group_id` and initializes
// it. Returns nullptr and sets *error to -errno on failure (EINVAL: kernel < 5.19).
io_uring_buf_ring* SetupBufRing(io_uring* ring, unsigned entries, int group_id, int* error);
// io_uring_enable_rings() is declared by liburing 2.3's header but missing from its shared
// library: IORING_REGISTER_ENABLE_RINGS (5.10) through the raw register syscall.
int EnableRings(io_uring* ring);
// io_uring_free_buf_ring() (liburing 2.4): unregisters and unmaps.
void FreeBufRing(io_uring* ring, io_uring_buf_ring* buf_ring, unsigned entries, int group_id);

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_URING_COMPAT_H_
