// Task<T>: a lazy, move-only C++20 coroutine returning T.
//
// A Task does nothing until it is awaited (or spawned on a Scope). Awaiting it starts it
// inline, like a function call: while a chain of nested tasks starts, the stack holds one
// frame per nesting level, as nested calls would. A task that finishes without suspending
// returns to its awaiter, which continues without suspending, so the stack never grows with
// the number of awaits (a loop of a million synchronously completing awaits runs in constant
// stack; see core_test). A task that suspended resumes its awaiter by symmetric transfer when
// it finishes. The only allocation is the coroutine frame itself, recycled per thread
// (detail/frame_cache.h) so steady-state calls do not reach malloc.
//
// Errors are values, not exceptions: I/O tasks return absl::Status or absl::StatusOr<U>.
// An exception escaping a task is rethrown to the awaiting task; one escaping a spawned task
// terminates the process with a message (as std::thread does), since nobody can observe it.
//
// Every task runs under a TaskContext: the executor it runs on and the cancellation source of
// the scope that owns it. An awaited task inherits its awaiter's context, so cancelling a scope
// reaches every operation of every task it owns, however deeply nested.
//
//   Task<absl::StatusOr<int>> Answer() { co_return 42; }
//   Task<absl::Status> Caller() {
//     absl::StatusOr<int> v = co_await Answer();
//     if (!v.ok()) co_return v.status();
//     co_return absl::OkStatus();
//   }
//
// Coroutine rules (the one place they are stated; code, tests, docs and examples follow them):
// 1. Put every awaited result in a named variable first; never co_await inside a condition,
//    a `?:`, a braced list or a macro argument (CHECK, REQUIRE). GCC 12 destroys temporaries
//    of such co_await expressions twice or too early (GCC PRs 99576, 100611). Checked line by
//    line by tools/coroutine_lint.sh, a step of tools/test.sh.
// 2. Spawn named coroutine functions with their state passed as parameters, never a capturing
//    lambda's coroutine: the frame of a lambda's coroutine refers to the closure object and
//    holds no copy of its captures (C++ Core Guidelines CP.51), and a spawned task outlives
//    the expression that made the closure. Enforced: in debug builds Spawn and Scope::Spawn
//    abort with a message when given one (with GCC, which passes the closure to the promise;
//    //net:coroutine_rules_test). A coroutine whose first parameter is a capturing lambda is
//    refused the same way: take the callable as a later parameter.
//    Safe, and used by tests: `ex->BlockOn([&]() -> Task<T> {...}())` from ordinary (non-
//    coroutine) code. The closure is a temporary of that full-expression and BlockOn returns
//    only once the task has finished (even when cancelled), so the closure outlives the
//    frame; and it is not a co_await expression, so rule 1's bugs do not apply. The same holds
//    for a lambda stored in a local variable that is awaited (or BlockOn'd) in its scope.
#ifndef UXCOM_NET_TASK_H_
#define UXCOM_NET_TASK_H_

#include <coroutine>
#include <exception>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "net/cancellation.h"
#include "net/detail/frame_cache.h"
#include "net/detail/intrusive_list.h"

// Every awaitable type of net/ and xcom/ carries this attribute, so that a call whose awaitable
// is dropped without co_await (which does nothing, or loses what it was for) fails to compile
// under -Werror and warns otherwise (//xcom:nodiscard_test proves it for each of them).
#define UXCOM_AWAITABLE                                                           \
  [[nodiscard(                                                                    \
      "co_await it: an awaitable does nothing until it is awaited (spawn a Task " \
      "instead)")]]

namespace uxcom::net {

class Executor;

// What a running task can reach: its executor and the cancellation source it obeys.
struct TaskContext {
  Executor* executor = nullptr;
  CancelSource* cancel = nullptr;
};

namespace detail {

class ScopeState;

// Whether T is a lambda's closure type, by the name the compiler gives it (GCC "<lambda(…)>",
// clang "(lambda at …)"): the language has no trait for it.
template <typename T>
constexpr std::string_view TypeName() {
  return __PRETTY_FUNCTION__;
}
template <typename T>
constexpr bool kIsLambda = std::is_class_v<T> &&
                           (TypeName<T>().find("<lambda") != std::string_view::npos ||
                            TypeName<T>().find("(lambda at") != std::string_view::npos);
// Asked when the task is spawned: inside the lambda's own body its closure type is incomplete.
template <typename Closure>
bool HasCaptures() {
  return !std::is_empty_v<Closure>;
}

// State shared by every Task promise. The list hook links a spawned (root) task into the
// scope that owns it.
class PromiseBase : public ListNode {
 public:
  TaskContext* context = nullptr;
  std::coroutine_handle<> continuation;
  ScopeState* owner = nullptr;   // set only for spawned tasks
  std::coroutine_handle<> self;  // set only for spawned tasks
  std::exception_ptr exception;
  // The awaiting coroutine actually suspended (the task did not finish synchronously).
  bool awaiter_suspended = false;
  // Set for a lambda's coroutine (by GCC, which passes the closure to the promise; clang 14
  // does not): whether the closure has captures, which Spawn refuses in debug builds.
  bool (*closure_has_captures)() = nullptr;

  // Frames come from the per-thread FrameCache: a coroutine called once per message costs no
  // malloc in steady state.
  static void* operator new(std::size_t size) { return FrameCache::Allocate(size); }
  static void operator delete(void* frame) noexcept { FrameCache::Deallocate(frame); }
};

// Called when a spawned task finishes; destroys its frame. Defined in scope.cc.
void OnSpawnedTaskDone(PromiseBase* promise, std::coroutine_handle<> handle) noexcept;

struct FinalAwaiter {
  bool await_ready() const noexcept { return false; }
  template <typename P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> handle) noexcept {
    PromiseBase& promise = handle.promise();
    if (promise.continuation) {
      // Finished synchronously inside the awaiter's await_suspend: just return there.
      return promise.awaiter_suspended ? promise.continuation : std::noop_coroutine();
    }
    if (promise.owner != nullptr) OnSpawnedTaskDone(&promise, handle);
    return std::noop_coroutine();
  }
  void await_resume() const noexcept {}
};

// Returns the TaskContext of the awaiting task without suspending it.
struct UXCOM_AWAITABLE ContextAwaiter {
  TaskContext* context = nullptr;
  bool await_ready() const noexcept { return false; }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> handle) noexcept {
    static_assert(std::is_base_of_v<PromiseBase, P>, "await net/ awaitables from a net::Task");
    context = handle.promise().context;
    return false;
  }
  TaskContext* await_resume() const noexcept { return context; }
};
inline ContextAwaiter CurrentContext() { return {}; }

template <typename T>
class TaskPromise : public PromiseBase {
 public:
  template <typename U>
  void return_value(U&& value) {
    value_.emplace(std::forward<U>(value));
  }
  T TakeResult() {
    if (exception) std::rethrow_exception(exception);
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <>
class TaskPromise<void> : public PromiseBase {
 public:
  void return_void() {}
  void TakeResult() {
    if (exception) std::rethrow_exception(exception);
  }
};

}  // namespace detail

template <typename T = void>
class UXCOM_AWAITABLE Task {
 public:
  struct promise_type : detail::TaskPromise<T> {
    promise_type() = default;
    // A lambda's coroutine: the frame refers to the closure, it holds no copy of it.
    template <typename Closure, typename... Args>
    requires detail::kIsLambda<std::remove_cvref_t<Closure>>
    explicit promise_type(Closure&, Args&...) noexcept {
      this->closure_has_captures = &detail::HasCaptures<std::remove_cvref_t<Closure>>;
    }
    Task get_return_object() noexcept {
      return Task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    detail::FinalAwaiter final_suspend() const noexcept { return {}; }
    void unhandled_exception() noexcept { this->exception = std::current_exception(); }
  };
  using Handle = std::coroutine_handle<promise_type>;
  using value_type = T;

  Task() = default;
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      Reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { Reset(); }

  bool valid() const { return static_cast<bool>(handle_); }

  struct UXCOM_AWAITABLE Awaiter {
    Handle handle;
    TaskContext* context_override = nullptr;
    bool await_ready() const noexcept { return false; }
    // Starts the task inline; if it finishes without suspending, the awaiter continues
    // without suspending either (no stack growth even where the compiler does not turn
    // symmetric transfer into a tail call, e.g. GCC at -O0). Otherwise the task resumes its
    // awaiter by symmetric transfer when it finishes.
    template <typename P>
    bool await_suspend(std::coroutine_handle<P> awaiting) {
      static_assert(std::is_base_of_v<detail::PromiseBase, P>, "await a net::Task from a Task");
      promise_type& p = handle.promise();
      p.continuation = awaiting;
      p.context = context_override != nullptr ? context_override : awaiting.promise().context;
      handle.resume();
      if (handle.done()) return false;
      p.awaiter_suspended = true;
      return true;
    }
    T await_resume() { return handle.promise().TakeResult(); }
  };

  // Awaiting consumes the task: `co_await std::move(task)` or `co_await MakeTask()`.
  Awaiter operator co_await() && noexcept { return Awaiter{handle_}; }

  // Awaits this task under `context` instead of the awaiter's (used by WithTimeout).
  Awaiter WithContext(TaskContext* context) && noexcept { return Awaiter{handle_, context}; }

  // Releases ownership of the frame (used by Scope::Spawn).
  Handle Release() { return std::exchange(handle_, nullptr); }

 private:
  explicit Task(Handle handle) : handle_(handle) {}
  void Reset() {
    if (handle_) handle_.destroy();
    handle_ = nullptr;
  }
  Handle handle_;
};

// An awaitable that is not a Task: something with await_ready / await_suspend / await_resume.
template <typename A>
concept Awaiter = requires(A a) {
  {a.await_ready()};
  {a.await_resume()};
};

// What awaiting `A` gives.
template <typename A>
struct AwaitResult {
  using type = decltype(std::declval<A&>().await_resume());
};
template <typename T>
struct AwaitResult<Task<T>> {
  using type = T;
};
template <typename A>
using AwaitResultOf = typename AwaitResult<A>::type;

namespace detail {
template <typename A>
Task<AwaitResultOf<A>> AwaitInTask(A awaiter) {
  co_return co_await std::move(awaiter);
}
}  // namespace detail

// `awaitable` as a Task (a Task stays itself): what functions that take Tasks (WithTimeout,
// WhenAny, BlockOn, Scope::Spawn) accept. The awaiter must be movable until awaited, which
// channel, event and transport awaiters are; socket operations are not (await them in a task).
template <typename T>
Task<T> AsTask(Task<T> task) {
  return task;
}
template <Awaiter A>
Task<AwaitResultOf<A>> AsTask(A awaiter) {
  static_assert(std::is_move_constructible_v<A>,
                "this awaiter cannot be moved: co_await it inside a Task and pass that Task");
  return detail::AwaitInTask(std::move(awaiter));
}

}  // namespace uxcom::net

#endif  // UXCOM_NET_TASK_H_
