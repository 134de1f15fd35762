// The io_uring backend: one ring per executor, one io_uring_enter per loop turn.
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

// kUnavailable when io_uring is missing, disabled (kernel.io_uring_disabled, seccomp) or
// lacks an opcode uxcom needs; the message says which.
absl::StatusOr<std::unique_ptr<Backend>> CreateUringBackend(const ExecutorOptions& options,
                                                            ExecutorMetrics* metrics);

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_URING_BACKEND_H_
