#include "net/executor.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "net/detail/backend.h"
#include "net/detail/epoll_backend.h"
#include "net/detail/uring_backend.h"
#include "net/resolver.h"

namespace uxcom::net {

const char* BackendName(BackendKind kind) {
  switch (kind) {
    case BackendKind::kAuto:
      return "auto";
    case BackendKind::kIoUring:
      return "io_uring";
    case BackendKind::kEpoll:
      return "epoll";
  }
  return "?";
}

namespace detail {
void ScheduleOn(Executor* executor, std::coroutine_handle<> handle) {
  ExecutorAccess::Schedule(*executor, handle);
}
void ExecutorAccess::RegisterScope(Executor& ex, ScopeState* scope) { ex.scopes_.push_back(scope); }
}  // namespace detail

// Marks the calling thread as the one running the loop while it is in scope (nests).
class Executor::LoopThread {
 public:
  explicit LoopThread(Executor& ex)
      : ex_(ex), previous_(ex.loop_thread_.exchange(std::this_thread::get_id())) {}
  ~LoopThread() { ex_.loop_thread_.store(previous_); }
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

 private:
  Executor& ex_;
  std::thread::id previous_;
};

#ifndef NDEBUG
void Executor::AssertInLoopThread(const char* what) const {
  const std::thread::id loop = loop_thread_.load(std::memory_order_relaxed);
  if (loop == std::thread::id{} || loop == std::this_thread::get_id()) return;
  std::ostringstream message;
  message << "uxcom/net: " << what << " used on thread " << std::this_thread::get_id()
          << ", but the executor runs on thread " << loop
          << " (executor thread only: use Executor::Post from other threads)\n";
  std::fputs(message.str().c_str(), stderr);
  std::abort();
}
#endif

namespace {

absl::Status ValidateOptions(const ExecutorOptions& o) {
  auto pow2 = [](uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
  if (!pow2(o.sq_entries) || o.sq_entries < 8 || o.sq_entries > 32768) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ExecutorOptions.sq_entries must be a power of two in [8, 32768], got ", o.sq_entries));
  }
  if (o.cq_multiplier < 2 || o.cq_multiplier > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("ExecutorOptions.cq_multiplier must be in [2, 64], got ", o.cq_multiplier));
  }
  if (!pow2(o.recv_buffer_count) || o.recv_buffer_count > 32768) {
    return absl::InvalidArgumentError(
        absl::StrCat("ExecutorOptions.recv_buffer_count must be a power of two in [1, 32768], got ",
                     o.recv_buffer_count));
  }
  if (o.recv_buffer_size < 64 || o.recv_buffer_size > (1u << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ExecutorOptions.recv_buffer_size must be in [64, 1048576], got ", o.recv_buffer_size));
  }
  if (o.recv_buffers_per_stream < 1) {
    return absl::InvalidArgumentError("ExecutorOptions.recv_buffers_per_stream must be >= 1");
  }
  if (o.resolver_threads < 1 || o.resolver_threads > 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ExecutorOptions.resolver_threads must be in [1, 64], got ", o.resolver_threads));
  }
  if (o.busy_poll.count() < 0) {
    return absl::InvalidArgumentError("ExecutorOptions.busy_poll must not be negative");
  }
  if (o.virtual_settle.count() <= 0) {
    return absl::InvalidArgumentError("ExecutorOptions.virtual_settle must be positive");
  }
  return absl::OkStatus();
}

// The backend kAuto and UXCOM_BACKEND ask for. `may_fall_back`: io_uring was chosen
// automatically, so epoll may take over when io_uring is refused.
absl::StatusOr<BackendKind> WantedBackend(BackendKind requested, bool* may_fall_back) {
  *may_fall_back = false;
  if (requested != BackendKind::kAuto) return requested;
  const char* env = std::getenv("UXCOM_BACKEND");
  if (env == nullptr || *env == '\0') {
    *may_fall_back = true;
    return BackendKind::kIoUring;
  }
  if (std::strcmp(env, "io_uring") == 0) return BackendKind::kIoUring;
  if (std::strcmp(env, "epoll") == 0) return BackendKind::kEpoll;
  return absl::InvalidArgumentError(
      absl::StrCat("UXCOM_BACKEND must be \"io_uring\" or \"epoll\", got \"", env, "\""));
}

// The default report: a fallback is worth one line per process, a routine choice none.
void ReportFallbackOnce(const BackendChoice& choice) {
  if (!choice.fell_back()) return;
  static std::once_flag once;
  std::call_once(once, [&] { std::fprintf(stderr, "uxcom/net: %s\n", choice.ToString().c_str()); });
}

}  // namespace

std::string BackendChoice::ToString() const {
  if (!fell_back()) return absl::StrCat("backend ", description);
  return absl::StrCat("backend ", description, "; io_uring unavailable: ", fallback_reason);
}

absl::StatusOr<std::unique_ptr<Executor>> Executor::Create(ExecutorOptions options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  bool may_fall_back = false;
  absl::StatusOr<BackendKind> want = WantedBackend(options.backend, &may_fall_back);
  if (!want.ok()) return want.status();
  // The executor exists before its backend (the backend counts into its metrics); until one is
  // attached it owns no kernel state, and destroying it on any error path below is safe.
  std::unique_ptr<Executor> ex(new Executor(std::move(options)));
  BackendChoice choice;
  absl::StatusOr<std::unique_ptr<detail::Backend>> backend =
      absl::UnavailableError("no backend tried");
  if (*want == BackendKind::kIoUring) {
    backend = detail::CreateUringBackend(ex->options_, &ex->metrics_);
    if (!backend.ok() && may_fall_back) {
      // Whatever refused io_uring (seccomp, io_uring_disabled, an old kernel, memory): epoll.
      choice.fallback_reason = std::string(backend.status().message());
    }
  }
  if (*want == BackendKind::kEpoll || choice.fell_back()) {
    backend = detail::CreateEpollBackend(ex->options_, &ex->metrics_);
  }
  if (!backend.ok()) return backend.status();
  ex->backend_ = *std::move(backend);
  ex->kind_ = choice.fell_back() ? BackendKind::kEpoll : *want;
  ex->description_ = ex->backend_->Describe();
  choice.kind = ex->kind_;
  choice.description = ex->description_;
  if (ex->options_.on_backend) {
    ex->options_.on_backend(choice);
  } else {
    ReportFallbackOnce(choice);
  }
  return ex;
}

Executor::Executor(ExecutorOptions options)
    : options_(std::move(options)),
      kind_(options_.backend),
      virtual_time_(options_.clock == ClockKind::kVirtual),
      now_(virtual_time_ ? kVirtualEpoch : Clock::now()) {
  ready_.resize(256);
  root_scope_ = detail::NewScopeState(*this, nullptr);
}

Executor::~Executor() { Shutdown(); }

detail::ResolverPool& Executor::resolver() {
  if (resolver_ == nullptr) {
    resolver_ = std::make_unique<detail::ResolverPool>(this, options_.resolver_threads);
  }
  return *resolver_;
}

void Executor::Schedule(std::coroutine_handle<> handle) {
  AssertInLoopThread("a coroutine wake-up");
  if (ready_size_ == ready_.size()) {
    std::vector<std::coroutine_handle<>> bigger(ready_.size() * 2);
    for (size_t i = 0; i < ready_size_; ++i) {
      bigger[i] = ready_[(ready_head_ + i) & (ready_.size() - 1)];
    }
    ready_ = std::move(bigger);
    ready_head_ = 0;
  }
  ready_[(ready_head_ + ready_size_) & (ready_.size() - 1)] = handle;
  ++ready_size_;
}

bool Executor::RunReady() {
  // Only what was ready when the turn began: coroutines scheduled meanwhile wait for the next
  // turn, so I/O completions are reaped between them (fairness, bounded work per turn).
  size_t n = ready_size_;
  for (size_t i = 0; i < n; ++i) {
    std::coroutine_handle<> h = ready_[ready_head_];
    ready_head_ = (ready_head_ + 1) & (ready_.size() - 1);
    --ready_size_;
    h.resume();
  }
  return n > 0;
}

void Executor::Post(absl::AnyInvocable<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    posted_.push_back(std::move(fn));
  }
  has_posted_.store(true, std::memory_order_seq_cst);
  backend_->Wake();
}

void Executor::RunPosted() {
  if (!has_posted_.load(std::memory_order_acquire)) return;
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    posted_swap_.swap(posted_);
    has_posted_.store(false, std::memory_order_relaxed);
  }
  ExecutorMetrics::Add(metrics_.posted, posted_swap_.size());
  for (auto& fn : posted_swap_) fn();
  posted_swap_.clear();
}

void Executor::FireTimers() {
  while (detail::TimerNode* top = timers_.top()) {
    if (top->deadline > now_) break;
    timers_.Remove(top);
    ExecutorMetrics::Add(metrics_.timers_fired, 1);
    top->callback(top);
  }
}

void Executor::Turn(bool block) {
  // Poll first and run coroutines last, so that the caller's loop condition (Run's stop flag,
  // BlockOn's done flag) is checked right after the coroutines that may have changed it.
  ExecutorMetrics::Add(metrics_.loop_turns, 1);
  const bool may_wait = block && ready_size_ == 0 && !has_posted_.load(std::memory_order_acquire) &&
                        !stop_.load(std::memory_order_acquire);
  if (virtual_time_) {
    PollVirtual(may_wait);
  } else {
    PollSteady(may_wait);
    now_ = Clock::now();
  }
  FireTimers();
  RunPosted();
  RunReady();
}

void Executor::PollSteady(bool may_wait) {
  Duration timeout{-1};
  if (!may_wait) {
    timeout = Duration{0};
  } else if (detail::TimerNode* top = timers_.top()) {
    timeout = std::max(Duration{0}, top->deadline - Clock::now());
  }
  if (timeout != Duration{0} && options_.busy_poll.count() > 0) {
    TimePoint spin_until = Clock::now() + options_.busy_poll;
    if (timeout.count() > 0) spin_until = std::min(spin_until, Clock::now() + timeout);
    do {
      backend_->Poll(Duration{0});
      if (ready_size_ > 0 || has_posted_.load(std::memory_order_acquire)) break;
    } while (Clock::now() < spin_until);
    if (ready_size_ > 0 || has_posted_.load(std::memory_order_acquire)) {
      timeout = Duration{0};
    } else if (timeout.count() > 0) {
      timeout = std::max(Duration{0}, timers_.top()->deadline - Clock::now());
    }
  }
  backend_->Poll(timeout);
}

void Executor::PollVirtual(bool may_wait) {
  detail::TimerNode* top = timers_.top();
  if (!may_wait || (top != nullptr && top->deadline <= now_)) {
    backend_->Poll(Duration{0});
    return;
  }
  if (top == nullptr || external_work_ > 0) {
    backend_->Poll(Duration{-1});  // only a real event (I/O, a post) can move anything now
    return;
  }
  // Every task waits. Give the kernel `virtual_settle` of real time to complete I/O already in
  // flight (loopback bytes, a connect); only if nothing at all happens does time move.
  const uint64_t completions = metrics_.completions.load(std::memory_order_relaxed);
  backend_->Poll(options_.virtual_settle);
  const bool quiet = ready_size_ == 0 && !has_posted_.load(std::memory_order_acquire) &&
                     !stop_.load(std::memory_order_acquire) &&
                     metrics_.completions.load(std::memory_order_relaxed) == completions;
  if (quiet && (top = timers_.top()) != nullptr && top->deadline > now_) now_ = top->deadline;
}

void Executor::Run() {
  LoopThread loop(*this);
  while (!stop_.load(std::memory_order_acquire)) Turn(/*block=*/true);
  stop_.store(false, std::memory_order_release);
}

void Executor::Stop() {
  stop_.store(true, std::memory_order_seq_cst);
  backend_->Wake();
}

namespace detail {
void ExecutorAccess::RunUntil(Executor& ex, ScopeState* scope, const bool* done) {
  Executor::LoopThread loop(ex);
  while (!*done) {
    if (ex.stop_requested() && !scope->cancel.cancelled()) scope->cancel.Cancel();
    ex.Turn(/*block=*/!ex.stop_requested());
  }
}
}  // namespace detail

void Executor::Shutdown() {
  if (shut_down_) return;
  LoopThread loop(*this);
  shutting_down_ = true;
  if (backend_ == nullptr) {
    // Create() failed before attaching a backend: nothing ever ran, no task, timer, posted
    // closure or kernel operation exists; only the root scope does.
    delete root_scope_;
    root_scope_ = nullptr;
    shut_down_ = true;
    return;
  }
  root_scope_->cancel.Cancel();
  auto tasks_alive = [this] {
    bool alive = false;
    scopes_.ForEach([&](detail::ListNode* n) {
      if (static_cast<detail::ScopeState*>(n)->active > 0) alive = true;
    });
    return alive;
  };
  // Let cancelled tasks unwind through their own error paths. Bounded: a task that ignores
  // cancellation does not hold shutdown hostage, it is destroyed below.
  TimePoint give_up = Clock::now() + options_.shutdown_grace;
  for (int turn = 0; turn < 100000 && tasks_alive() && Clock::now() < give_up; ++turn) {
    if (ready_size_ == 0) {
      // Wait briefly for cancelled kernel operations to complete.
      detail::TimerNode tick;
      tick.deadline = ReadClock() + std::chrono::milliseconds(5);
      tick.callback = [](detail::TimerNode*) {};
      timers_.Push(&tick);
      Turn(/*block=*/true);
      timers_.Remove(&tick);
    } else {
      Turn(/*block=*/false);
    }
  }
  // Whatever is left: make the kernel let go of every buffer, then destroy the frames.
  backend_->AbortAll();
  ready_size_ = 0;
  for (;;) {
    detail::ScopeState* with_tasks = nullptr;
    scopes_.ForEach([&](detail::ListNode* n) {
      auto* s = static_cast<detail::ScopeState*>(n);
      if (with_tasks == nullptr && !s->tasks.empty()) with_tasks = s;
    });
    if (with_tasks == nullptr) break;
    detail::PromiseBase* promise = with_tasks->tasks.pop_front();
    std::coroutine_handle<> handle = promise->self;
    --with_tasks->active;
    ExecutorMetrics::Add(metrics_.tasks_finished, 1);
    bool free_scope = with_tasks->released && with_tasks->active == 0;
    handle.destroy();
    if (free_scope) delete with_tasks;
  }
  backend_->AbortAll();
  ready_size_ = 0;
  while (detail::TimerNode* top = timers_.top()) timers_.Remove(top);
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    posted_.clear();
  }
  resolver_.reset();
  delete root_scope_;
  root_scope_ = nullptr;
  // Scopes still registered belong to Scope objects that outlive the executor; they are
  // empty now and free themselves when released.
  while (detail::ListNode* n = scopes_.pop_front()) (void)n;
  // The backend stays until the destructor: Streams and Listeners released after Shutdown()
  // (but before the executor is destroyed) still close through it.
  shut_down_ = true;
}

}  // namespace uxcom::net
