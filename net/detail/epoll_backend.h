// The epoll backend: an edge-triggered reactor behind the same awaitables as io_uring.
// Every operation first tries its non-blocking syscall and waits for readiness only on EAGAIN,
// so a ready socket costs one syscall and no epoll_wait.
#ifndef UXCOM_NET_DETAIL_EPOLL_BACKEND_H_
#define UXCOM_NET_DETAIL_EPOLL_BACKEND_H_

#include <memory>

#include "absl/status/statusor.h"
#include "net/detail/backend.h"

namespace uxcom::net {
struct ExecutorOptions;
class ExecutorMetrics;
}  // namespace uxcom::net

namespace uxcom::net::detail {

absl::StatusOr<std::unique_ptr<Backend>> CreateEpollBackend(const ExecutorOptions& options,
                                                            ExecutorMetrics* metrics);

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_EPOLL_BACKEND_H_
