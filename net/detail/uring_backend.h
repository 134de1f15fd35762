// The io_uring backend, as the executor sees it: a factory. One ring per executor, one
// io_uring_enter per loop turn. The implementation, one job per file (asio's per-service
// layout): uring_ring.h (setup, probing, submission and completion), uring_buffer_pool.h (the
// provided buffers of multishot recv), uring_stream.h (connected sockets), uring_listener.h.
#ifndef UXCOM_NET_DETAIL_URING_BACKEND_H_
#define UXCOM_NET_DETAIL_URING_BACKEND_H_

#include <memory>

#include "absl/status/statusor.h"
#include "net/detail/backend.h"

namespace uxcom::net {
struct ExecutorOptions;
class ExecutorMetrics;
}  // namespace uxcom::net

namespace uxcom::net::detail {

// kUnavailable when io_uring is missing, disabled (kernel.io_uring_disabled, seccomp refusing
// io_uring_setup, io_uring_enter or io_uring_register) or lacks an opcode uxcom needs; the
// message names the syscall and errno, or the missing opcode. Defined in uring_ring.cc.
absl::StatusOr<std::unique_ptr<Backend>> CreateUringBackend(const ExecutorOptions& options,
                                                            ExecutorMetrics* metrics);

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_URING_BACKEND_H_
