// Scope: a nursery that owns the tasks spawned on it.
//
// Structured concurrency for net/: every task belongs to exactly one scope, scopes nest
// (a scope created from an executor hangs under the executor's root scope), and cancelling a
// scope cancels every task in it and in the scopes below it. A cancelled task's pending
// operations complete with absl::StatusCode::kCancelled, so it unwinds through its normal
// error path.
//
// Join() waits until every task has finished; Close() is Cancel() + Join() and is the way to
// retire a group of tasks (e.g. all tasks of a server that is being garbage-collected)
// before freeing what they use. Destroying a Scope with tasks still running cancels them and
// leaves them to finish in the background under the executor (which destroys them at
// Shutdown() at the latest); they must not touch the destroyed Scope or anything freed with
// it, so prefer `co_await scope.Close()`.
//
//   Scope server_tasks(executor);
//   server_tasks.Spawn(AcceptLoop(listener));
//   server_tasks.Spawn(Reaper());
//   ...
//   co_await server_tasks.Close();   // every task has finished; safe to free the server
#ifndef UXCOM_NET_SCOPE_H_
#define UXCOM_NET_SCOPE_H_

#include <coroutine>
#include <cstddef>

#include "absl/status/status.h"
#include "net/cancellation.h"
#include "net/detail/intrusive_list.h"
#include "net/detail/waiter.h"
#include "net/task.h"

namespace uxcom::net {

class Executor;

namespace detail {

class ScopeState : public ListNode {  // ListNode: the executor's list of live scopes
 public:
  // Cancelling `parent_cancel` (may be null) cancels this scope too.
  ScopeState(Executor& executor, CancelSource* parent_cancel);
  ~ScopeState();

  Executor* executor;
  CancelSource cancel;
  TaskContext context;
  IntrusiveList<PromiseBase> tasks;  // spawned tasks not yet finished
  size_t active = 0;
  IntrusiveList<Waiter> joiners;
  bool released = false;  // the owning Scope (or BlockOn) is gone: free when empty
};

ScopeState* NewScopeState(Executor& executor, ScopeState* parent);
// A scope below the cancellation source of a running task (its children are cancelled with it).
ScopeState* NewScopeStateUnder(Executor& executor, CancelSource* parent_cancel);
// The owner is done with `state`: cancel what still runs and free it once empty.
void ReleaseScopeState(ScopeState* state);
void SpawnHandle(ScopeState* state, std::coroutine_handle<> handle, PromiseBase* promise);

template <typename T>
void SpawnOn(ScopeState* state, Task<T> task) {
  auto handle = task.Release();
  if (!handle) return;
  SpawnHandle(state, handle, &handle.promise());
}

struct UXCOM_AWAITABLE JoinAwaiter {
  ScopeState* state;
  bool cancellable;
  Waiter waiter;
  bool await_ready() const noexcept { return state->active == 0; }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> handle) {
    TaskContext uncancellable{handle.promise().context->executor, nullptr};
    if (!waiter.Arm(cancellable ? handle.promise().context : &uncancellable, handle)) {
      return false;
    }
    state->joiners.push_back(&waiter);
    return true;
  }
  absl::Status await_resume() const {
    if (waiter.cancelled()) return absl::CancelledError("scope join cancelled");
    return absl::OkStatus();
  }
};

}  // namespace detail

class Scope {
 public:
  explicit Scope(Executor& executor);
  explicit Scope(Scope& parent);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  // Starts `task` in this scope; it first runs on a later turn of the executor's loop. A task
  // spawned on a cancelled scope still runs, and its operations fail with kCancelled.
  template <typename T>
  void Spawn(Task<T> task) {
    detail::SpawnOn(state_, std::move(task));
  }

  // Cancels every task of this scope and of the scopes below it. Idempotent.
  void Cancel();
  bool cancelled() const;
  size_t active_tasks() const;
  Executor& executor() const;
  // The context tasks of this scope run under (for awaiting a task under this scope).
  TaskContext* context() const;

  // Waits until no task of this scope is running. Returns kCancelled if the awaiting task is
  // cancelled first. Joining a scope from one of its own tasks would wait forever: don't.
  detail::JoinAwaiter Join() { return detail::JoinAwaiter{state_, true, {}}; }

  // Cancel() and wait until every task has finished, ignoring the caller's own cancellation
  // (cancelled tasks finish promptly). Afterwards nothing of this scope runs.
  Task<void> Close();

 private:
  detail::ScopeState* state_;
};

}  // namespace uxcom::net

#endif  // UXCOM_NET_SCOPE_H_
