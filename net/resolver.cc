#include "net/resolver.h"

#include <netdb.h>
#include <sys/socket.h>

#include "absl/strings/str_cat.h"
#include "net/detail/waiter.h"
#include "net/executor.h"

namespace uxcom::net {

absl::StatusOr<std::vector<SocketAddress>> ResolveBlocking(const std::string& host, uint16_t port) {
  if (host.empty()) return absl::InvalidArgumentError("resolve: empty host name");
  if (host.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("resolve: host name contains a NUL byte");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    std::string what = absl::StrCat("resolve \"", host, "\": ", gai_strerror(rc));
    if (rc == EAI_AGAIN) return absl::UnavailableError(what);
    if (rc == EAI_MEMORY) return absl::ResourceExhaustedError(what);
    return absl::NotFoundError(what);
  }
  std::vector<SocketAddress> out;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    absl::StatusOr<SocketAddress> a = SocketAddress::FromSockaddr(ai->ai_addr, ai->ai_addrlen);
    if (!a.ok()) continue;
    a->set_port(port);
    out.push_back(*a);
  }
  freeaddrinfo(list);
  if (out.empty()) {
    return absl::NotFoundError(absl::StrCat("resolve \"", host, "\": no IPv4 or IPv6 address"));
  }
  return out;
}

namespace detail {

ResolverPool::ResolverPool(Executor* executor, int max_threads)
    : executor_(executor), max_threads_(max_threads) {}

ResolverPool::~ResolverPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ResolverPool::Submit(std::shared_ptr<ResolveRequest> request) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(std::move(request));
  if (idle_ == 0 && static_cast<int>(threads_.size()) < max_threads_) {
    threads_.emplace_back([this] { Worker(); });
  } else {
    cv_.notify_one();
  }
}

void ResolverPool::Worker() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    ++idle_;
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    --idle_;
    if (stop_) return;
    std::shared_ptr<ResolveRequest> request = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    request->result = ResolveBlocking(request->host, request->port);
    lock.lock();
    if (stop_) return;
    // Post under the lock: the pool (and so the executor) cannot be torn down meanwhile.
    executor_->Post([request, executor = executor_] {
      ExecutorAccess::EndExternalWork(*executor);
      if (!request->resumed) {
        request->resumed = true;
        ExecutorAccess::Schedule(*executor, request->waiter);
      }
    });
  }
}

}  // namespace detail

namespace {

struct ResolveAwaiter {
  std::shared_ptr<detail::ResolveRequest> request;
  struct Hook : CancelRegistration {
    Hook() : CancelRegistration(&OnCancel) {}
    ResolveAwaiter* self = nullptr;
  } hook;
  Executor* executor = nullptr;
  bool cancelled = false;

  static void OnCancel(CancelRegistration* reg) {
    ResolveAwaiter* self = static_cast<Hook*>(reg)->self;
    if (self->request->resumed) return;  // the result is already on its way
    self->request->resumed = true;
    self->cancelled = true;
    detail::ExecutorAccess::Schedule(*self->executor, self->request->waiter);
  }
  bool await_ready() const noexcept { return false; }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> handle) {
    TaskContext* context = handle.promise().context;
    executor = context->executor;
    hook.self = this;
    request->waiter = handle;
    if (context->cancel != nullptr && !context->cancel->Register(&hook)) {
      cancelled = true;
      return false;
    }
    // Virtual time must not move while the lookup runs (it would look like silence).
    detail::ExecutorAccess::BeginExternalWork(*executor);
    detail::ExecutorAccess::Resolver(*executor).Submit(request);
    return true;
  }
  absl::StatusOr<std::vector<SocketAddress>> await_resume() {
    hook.Unlink();
    if (cancelled) {
      return absl::CancelledError(absl::StrCat("resolve \"", request->host, "\" cancelled"));
    }
    return std::move(request->result);
  }
};

}  // namespace

Task<absl::StatusOr<std::vector<SocketAddress>>> Resolve(std::string host, uint16_t port) {
  if (absl::StatusOr<SocketAddress> numeric = SocketAddress::FromNumeric(host, port);
      numeric.ok()) {
    co_return std::vector<SocketAddress>{*numeric};
  }
  if (host.empty()) co_return absl::InvalidArgumentError("resolve: empty host name");
  auto request = std::make_shared<detail::ResolveRequest>();
  request->host = std::move(host);
  request->port = port;
  // A named awaiter: GCC 12 destroys a braced temporary awaiter in `co_return co_await T{…}`
  // twice (heap-use-after-free of the request under ASan).
  ResolveAwaiter awaiter{std::move(request), {}, nullptr, false};
  co_return co_await awaiter;
}

Task<absl::StatusOr<SocketAddress>> ResolveOne(std::string host, uint16_t port) {
  absl::StatusOr<std::vector<SocketAddress>> all = co_await Resolve(std::move(host), port);
  if (!all.ok()) co_return all.status();
  for (const SocketAddress& a : *all) {
    if (a.is_ipv4()) co_return a;
  }
  co_return all->front();
}

}  // namespace uxcom::net
