// Name resolution that never blocks the executor.
//
// getaddrinfo() blocks (XCom's connect_tcp stalled its whole task loop on DNS), so Resolve()
// runs it on the executor's small resolver thread pool (ExecutorOptions::resolver_threads,
// started on first use) and resumes the task when it returns. Numeric addresses are converted
// inline with no thread at all. Cancelling the awaiting task resumes it at once with
// kCancelled; the lookup still finishes on its thread and its result is discarded.
//
// Errors: kNotFound (no such host / no address), kUnavailable (temporary DNS failure),
// kInvalidArgument (empty host or a NUL byte), kCancelled.
//
//   absl::StatusOr<SocketAddress> a = co_await ResolveOne("db1.example", 33061);  // IPv4 first
#ifndef UXCOM_NET_RESOLVER_H_
#define UXCOM_NET_RESOLVER_H_

#include <condition_variable>
#include <coroutine>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "net/task.h"

namespace uxcom::net {

class Executor;

// Every TCP address of host:port, in getaddrinfo order.
Task<absl::StatusOr<std::vector<SocketAddress>>> Resolve(std::string host, uint16_t port);
// The first IPv4 address if there is one, else the first address (XCom's connect_tcp rule).
Task<absl::StatusOr<SocketAddress>> ResolveOne(std::string host, uint16_t port);

// The blocking lookup itself (what the resolver threads run).
absl::StatusOr<std::vector<SocketAddress>> ResolveBlocking(const std::string& host, uint16_t port);

namespace detail {

struct ResolveRequest {
  std::string host;
  uint16_t port = 0;
  absl::StatusOr<std::vector<SocketAddress>> result;
  // Executor-thread state.
  std::coroutine_handle<> waiter;
  bool resumed = false;  // the waiter was scheduled (by the result or by cancellation)
};

class ResolverPool {
 public:
  ResolverPool(Executor* executor, int max_threads);
  ~ResolverPool();  // stops and joins the threads; queued lookups are dropped
  void Submit(std::shared_ptr<ResolveRequest> request);

 private:
  void Worker();
  Executor* executor_;
  int max_threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<ResolveRequest>> queue_;
  std::vector<std::thread> threads_;
  int idle_ = 0;
  bool stop_ = false;
};

}  // namespace detail
}  // namespace uxcom::net

#endif  // UXCOM_NET_RESOLVER_H_
