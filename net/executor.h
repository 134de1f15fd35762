// Executor: one event loop, one thread, one io_uring (or one epoll set).
//
// An Executor runs net::Task coroutines and their I/O. Like XCom's task loop it is
// single-threaded: create it, spawn tasks and run it on one thread; other threads may only
// Post() closures, Stop() it and read its metrics(). Several executors (one per thread) and
// several independent services sharing one executor are both fine.
//
// Backends. kIoUring uses one ring per executor, with IORING_SETUP_SINGLE_ISSUER |
// DEFER_TASKRUN (kernel 6.1), else COOP_TASKRUN (5.19), else no flags; multishot accept,
// multishot recv into a provided-buffer ring, and one io_uring_enter per loop turn that
// submits every queued SQE and reaps every CQE. kEpoll is a first-class edge-triggered epoll
// reactor behind the same awaitables, for hosts where io_uring is blocked (Docker's and
// containerd's default seccomp profiles, kernel.io_uring_disabled, gVisor). kAuto picks
// io_uring when every io_uring syscall uxcom needs works here (setup, register, enter: each is
// tried, since a seccomp filter may refuse any of them), else epoll; a fallback is reported
// through ExecutorOptions::on_backend (by default one line on stderr, once per process). The
// environment variable UXCOM_BACKEND=io_uring|epoll overrides kAuto and disables the fallback.
//
// Threads. The thread that first runs an executor becomes its only submitter (io_uring
// SINGLE_ISSUER); it may be another thread than the one that created it. Shut it down (or
// destroy it) on that thread too: from any other thread, in-flight io_uring requests cannot
// be cancelled one by one and are left to the kernel's ring teardown.
//
// Lifetime. Every task belongs to a Scope (Spawn() uses the executor's root scope).
// Shutdown() (also run by the destructor) cancels every scope, lets the tasks unwind, then
// cancels every kernel operation still in flight, waits for the kernel to release each
// buffer, destroys every remaining coroutine frame and closes every socket it owns.
//
//   absl::StatusOr<std::unique_ptr<Executor>> ex = Executor::Create();
//   absl::Status s = (*ex)->BlockOn(Serve(**ex));   // run until Serve() finishes
//
// Time: Now() is a monotonic clock read once per loop turn, so timestamps taken while
// handling one batch of completions agree and cost nothing. Tests can give an executor virtual
// time instead (ExecutorOptions::clock = ClockKind::kVirtual): time then stands still while
// anything can run and jumps to the next timer when nothing can, so every timer fires at
// exactly its deadline and "nothing arrived within 5 s" takes no real time at all:
//
//   ExecutorOptions options;
//   options.clock = ClockKind::kVirtual;
//   auto ex = *Executor::Create(options);
//   ex->BlockOn(Sleep(std::chrono::hours(1)));   // returns at once; Now() is 1 h later
#ifndef UXCOM_NET_EXECUTOR_H_
#define UXCOM_NET_EXECUTOR_H_

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/detail/intrusive_list.h"
#include "net/detail/timer_heap.h"
#include "net/metrics.h"
#include "net/task.h"

namespace uxcom::net {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::nanoseconds;

// How an executor tells time.
enum class ClockKind {
  kSteady,   // std::chrono::steady_clock
  kVirtual,  // deterministic test time, moved by the loop itself (ExecutorOptions::clock)
};

// Where virtual time starts: far enough from the epoch that TimePoint{} ("never") stays apart
// from any time a test sees.
inline constexpr TimePoint kVirtualEpoch{std::chrono::hours(1)};

enum class BackendKind {
  kAuto,     // io_uring if the probe succeeds, else epoll; UXCOM_BACKEND overrides
  kIoUring,  // fail Create() if io_uring is unavailable
  kEpoll,
};
const char* BackendName(BackendKind kind);

// io_uring features a test can switch off to exercise the fallbacks.
enum UringFeature : uint32_t {
  kUringDeferTaskrun = 1u << 0,     // SINGLE_ISSUER | DEFER_TASKRUN (6.1)
  kUringCoopTaskrun = 1u << 1,      // COOP_TASKRUN | TASKRUN_FLAG (5.19)
  kUringMultishotRecv = 1u << 2,    // multishot recv + provided-buffer ring (6.0)
  kUringMultishotAccept = 1u << 3,  // multishot accept (5.19)
  kUringExtArg = 1u << 4,           // IORING_ENTER_EXT_ARG wait timeouts (5.11)
  kUringRecvBundle = 1u << 5,       // multishot recv bundles: one recv, many buffers (6.10)
};

// The backend Create() chose, as ExecutorOptions::on_backend receives it.
struct BackendChoice {
  BackendKind kind = BackendKind::kAuto;  // kIoUring or kEpoll: what runs
  std::string description;                // Executor::backend_description()
  // Why io_uring was refused, when kAuto fell back to epoll (e.g. "io_uring_setup: Operation
  // not permitted (errno 1)"); empty when the requested backend runs.
  std::string fallback_reason;

  bool fell_back() const { return !fallback_reason.empty(); }
  // "backend io_uring (...)" or "backend epoll (...); io_uring unavailable: <reason>".
  std::string ToString() const;
};

struct ExecutorOptions {
  BackendKind backend = BackendKind::kAuto;
  // Called by Create() with the backend it chose, once per executor. Unset (the default): a
  // fallback from io_uring to epoll prints ToString() to stderr, once per process, and a
  // routine choice prints nothing. A tool's --verbose sets it to print every choice; an
  // embedder routes it into its own log. Runs on the thread calling Create().
  //   o.on_backend = [](const BackendChoice& c) { std::puts(c.ToString().c_str()); };
  std::function<void(const BackendChoice&)> on_backend{};
  // Submission queue entries (power of two, 8..32768). The completion queue is sized
  // cq_multiplier times larger; overflow beyond that is still handled, and counted.
  uint32_t sq_entries = 512;
  uint32_t cq_multiplier = 8;
  // Provided buffers for multishot recv (ReadChunk): count (power of two, 1..32768) x size
  // bytes (64..1 MiB). Data waits in the kernel when none is free: nothing is dropped. The
  // kernel is offered a window of the most recently freed buffers, not the whole pool, so that
  // steady streaming reuses buffers still in cache; the window grows when it runs dry.
  uint32_t recv_buffer_count = 512;
  uint32_t recv_buffer_size = 16 * 1024;
  // A stream holding more than this many received, unread buffers stops its multishot recv
  // until its reader catches up, so one slow reader cannot starve every other connection.
  uint32_t recv_buffers_per_stream = 64;
  // A copy read (ReadSome, ReadExactly) into a buffer of at least this many bytes puts the
  // stream in direct mode: its multishot recv ends (bytes the ring already holds are copied out
  // as before) and from then on the kernel receives straight into the caller's buffer, one copy
  // less per byte. The stream stays in direct mode through smaller copy reads and returns to
  // the ring after 4 of them in a row, or at a ReadChunk: a reader whose free space varies (the
  // XCom transport's frame buffer) would otherwise cancel and re-arm the multishot recv every
  // few reads. Small reads keep the ring because arming a recv per read costs ~1 µs. 0 = never.
  // The default, one provided buffer's worth: transport_bench's 1 KiB and 16 KiB rows spent
  // 10-25 % more CPU per message through the ring than straight into the frame buffer
  // (bench/README.md). (io_uring; epoll always receives straight into the caller's buffer.)
  uint32_t direct_read_min = 16 * 1024;
  // Try send/recv/accept as a plain non-blocking syscall before involving the ring when the
  // socket is probably ready (io_uring backend; epoll always does).
  bool speculative_send = true;
  // Spin this long, polling for completions, before blocking (latency-critical embedders).
  Duration busy_poll{0};
  // Features to leave unused even when the kernel has them (bit set of UringFeature).
  uint32_t disabled_uring_features = 0;
  // How long Shutdown() lets cancelled tasks unwind before destroying those still running.
  Duration shutdown_grace = std::chrono::seconds(2);
  // Threads used for blocking name resolution (getaddrinfo); started on first use.
  int resolver_threads = 1;
  // The clock. kVirtual (tests): Now() starts at kVirtualEpoch and moves only when no task is
  // ready, no closure is posted, no name resolution is in flight and the kernel has completed
  // no I/O for `virtual_settle` of real time; it then jumps to the earliest timer's deadline
  // and fires that timer. Timers fire in deadline order (FIFO among equal deadlines), each at
  // exactly its deadline, so timeouts and back-off schedules are asserted to the nanosecond.
  // Real I/O keeps running: the settle window is what lets loopback traffic in flight land
  // before time moves. Meant for tests whose peers share this executor (other processes and
  // threads do not wait for virtual time).
  ClockKind clock = ClockKind::kSteady;
  Duration virtual_settle = std::chrono::milliseconds(5);
};

namespace detail {
class Backend;
class ScopeState;
class ResolverPool;
struct ExecutorAccess;
}  // namespace detail

class Executor {
 public:
  // Creates an executor and its backend. Errors: kUnavailable when the requested backend is
  // not available here (kIoUring, or UXCOM_BACKEND=io_uring, where io_uring is refused; kAuto
  // fails only if epoll fails too), kInvalidArgument for bad options or a bad UXCOM_BACKEND.
  static absl::StatusOr<std::unique_ptr<Executor>> Create(ExecutorOptions options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  BackendKind backend() const { return kind_; }
  // E.g. "io_uring (flags SINGLE_ISSUER|DEFER_TASKRUN, multishot recv, 512x16384 B ring)".
  const std::string& backend_description() const { return description_; }
  const ExecutorOptions& options() const { return options_; }

  // Starts `task` on the root scope. It runs on this executor's thread from the next turn.
  template <typename T>
  void Spawn(Task<T> task);

  // Runs the loop until `task` finishes and returns its result. Other tasks keep running
  // while it does and stay alive afterwards. If Stop() is called meanwhile, `task` is
  // cancelled and BlockOn still waits for it to return.
  template <typename T>
  T BlockOn(Task<T> task);

  // Runs the loop until Stop(). Tasks stay suspended afterwards; Run() may be called again.
  void Run();
  // Thread-safe. Makes Run() return after the current turn, and cancels a BlockOn()'s task.
  void Stop();
  bool stop_requested() const { return stop_.load(std::memory_order_acquire); }

  // Thread-safe: runs `fn` on the executor's thread during a later turn (FIFO), waking the
  // loop if it is blocked. Closures still queued at Shutdown() are destroyed unrun.
  void Post(absl::AnyInvocable<void()> fn);

  // Cancels every task, waits for them and for every kernel operation, destroys what is
  // left. Idempotent; the destructor calls it. Streams and Listeners must be destroyed before
  // the executor (they may outlive Shutdown()). Must run on the executor's thread (or with
  // the loop not running).
  void Shutdown();

  // The monotonic time cached at the start of the current loop turn; under virtual time, the
  // virtual time itself.
  TimePoint Now() const { return now_; }
  ClockKind clock() const { return options_.clock; }

  ExecutorMetrics::Snapshot metrics() const { return metrics_.Take(); }

  // Debug builds (NDEBUG undefined): aborts with a message naming `what` when called on
  // another thread than the one running this executor's loop. For every "executor thread only"
  // entry point (Spawn, Scope::Spawn, every timer and wake-up, Transport's methods); calls made
  // while no thread runs the loop (setting up before Run or BlockOn) pass. Release builds:
  // nothing at all.
#ifdef NDEBUG
  void AssertInLoopThread(const char*) const {}
#else
  void AssertInLoopThread(const char* what) const;
#endif

 private:
  // No backend yet: Create() attaches one. Destroyable at every point before that.
  explicit Executor(ExecutorOptions options);
  class LoopThread;
  void Schedule(std::coroutine_handle<> handle);
  void AddTimer(detail::TimerNode* node) {
    AssertInLoopThread("a timer");
    timers_.Push(node);
  }
  void RemoveTimer(detail::TimerNode* node) { timers_.Remove(node); }
  detail::ResolverPool& resolver();
  // One loop turn: run ready coroutines, posted closures, poll I/O (blocking if `block` and
  // nothing is ready), fire due timers.
  void Turn(bool block);
  friend struct detail::ExecutorAccess;
  bool RunReady();
  void RunPosted();
  void FireTimers();
  void PollSteady(bool may_wait);
  void PollVirtual(bool may_wait);
  // A fresh clock reading (virtual: the virtual time), for deadlines that must never be early.
  TimePoint ReadClock() const { return virtual_time_ ? now_ : Clock::now(); }
  void SpawnRoot(std::coroutine_handle<> handle, detail::PromiseBase* promise);

  ExecutorOptions options_;
  BackendKind kind_;
  std::string description_;
  std::unique_ptr<detail::Backend> backend_;
  const bool virtual_time_;
  TimePoint now_;
  // Work outside the kernel's view that will wake the loop when done (name resolutions): virtual
  // time stands still while there is any.
  int external_work_ = 0;
  detail::TimerHeap timers_;
  ExecutorMetrics metrics_;

  // Ready queue: a ring buffer of coroutine handles that grows by doubling.
  std::vector<std::coroutine_handle<>> ready_;
  size_t ready_head_ = 0;
  size_t ready_size_ = 0;

  std::mutex post_mu_;
  std::vector<absl::AnyInvocable<void()>> posted_;
  std::vector<absl::AnyInvocable<void()>> posted_swap_;
  std::atomic<bool> has_posted_{false};
  std::atomic<bool> stop_{false};

  detail::ScopeState* root_scope_ = nullptr;
  detail::IntrusiveList<detail::ListNode> scopes_;  // every live ScopeState
  // The thread inside Run(), BlockOn() or Shutdown(), if any (AssertInLoopThread).
  std::atomic<std::thread::id> loop_thread_{};
  std::unique_ptr<detail::ResolverPool> resolver_;
  bool shutting_down_ = false;
  bool shut_down_ = false;
};

}  // namespace uxcom::net

#include "net/scope.h"

namespace uxcom::net {

template <typename T>
void Executor::Spawn(Task<T> task) {
  detail::SpawnOn(root_scope_, std::move(task));
}

namespace detail {

// What the rest of net/ reaches inside an executor; not for embedders.
struct ExecutorAccess {
  static void Schedule(Executor& ex, std::coroutine_handle<> handle) { ex.Schedule(handle); }
  static TimePoint ReadClock(const Executor& ex) { return ex.ReadClock(); }
  static void AddTimer(Executor& ex, TimerNode* node) { ex.AddTimer(node); }
  static void RemoveTimer(Executor& ex, TimerNode* node) { ex.RemoveTimer(node); }
  static ExecutorMetrics& Metrics(Executor& ex) { return ex.metrics_; }
  static Backend& BackendOf(Executor& ex) { return *ex.backend_; }
  static ScopeState* RootScope(Executor& ex) { return ex.root_scope_; }
  static ResolverPool& Resolver(Executor& ex) { return ex.resolver(); }
  static void RegisterScope(Executor& ex, ScopeState* scope);
  static void RunUntil(Executor& ex, ScopeState* scope, const bool* done);
  // Marks work the loop must wait for before virtual time may move (see external_work_).
  static void BeginExternalWork(Executor& ex) { ++ex.external_work_; }
  static void EndExternalWork(Executor& ex) { --ex.external_work_; }
};

template <typename T>
Task<void> CaptureResult(Task<T> task, std::optional<T>* out, bool* done) {
  out->emplace(co_await std::move(task));
  *done = true;
}
inline Task<void> CaptureVoid(Task<void> task, bool* done) {
  co_await std::move(task);
  *done = true;
}
}  // namespace detail

template <typename T>
T Executor::BlockOn(Task<T> task) {
  // A private scope, so that Stop() cancels only this task and its children.
  detail::ScopeState* scope = detail::NewScopeState(*this, root_scope_);
  bool done = false;
  if constexpr (std::is_void_v<T>) {
    detail::SpawnOn(scope, detail::CaptureVoid(std::move(task), &done));
    detail::ExecutorAccess::RunUntil(*this, scope, &done);
    detail::ReleaseScopeState(scope);
  } else {
    std::optional<T> result;
    detail::SpawnOn(scope, detail::CaptureResult(std::move(task), &result, &done));
    detail::ExecutorAccess::RunUntil(*this, scope, &done);
    detail::ReleaseScopeState(scope);
    return std::move(*result);
  }
}

}  // namespace uxcom::net

#endif  // UXCOM_NET_EXECUTOR_H_
