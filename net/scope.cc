#include "net/scope.h"

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "net/executor.h"

namespace uxcom::net {
namespace detail {

ScopeState::ScopeState(Executor& ex, CancelSource* parent_cancel)
    : executor(&ex), cancel(parent_cancel) {
  context.executor = &ex;
  context.cancel = &cancel;
  ExecutorAccess::RegisterScope(ex, this);
}

ScopeState::~ScopeState() { Unlink(); }

ScopeState* NewScopeState(Executor& ex, ScopeState* parent) {
  return new ScopeState(ex, parent != nullptr ? &parent->cancel : nullptr);
}

ScopeState* NewScopeStateUnder(Executor& ex, CancelSource* parent_cancel) {
  return new ScopeState(ex, parent_cancel);
}

void ReleaseScopeState(ScopeState* state) {
  if (state->active == 0) {
    delete state;
    return;
  }
  state->released = true;
  state->cancel.Cancel();
}

void SpawnHandle(ScopeState* state, std::coroutine_handle<> handle, PromiseBase* promise) {
  promise->owner = state;
  promise->self = handle;
  promise->context = &state->context;
  state->tasks.push_back(promise);
  ++state->active;
  Executor& ex = *state->executor;
  ex.AssertInLoopThread("Spawn");
#ifndef NDEBUG
  if (promise->closure_has_captures != nullptr && promise->closure_has_captures()) {
    std::fputs(
        "uxcom/net: Spawn of a capturing lambda's coroutine: its frame refers to a closure "
        "that may die before the task does; spawn a named coroutine function and pass its state "
        "as parameters (net/task.h, \"Coroutine rules\")\n",
        stderr);
    std::abort();
  }
#endif
  ExecutorMetrics::Add(ExecutorAccess::Metrics(ex).tasks_spawned, 1);
  ExecutorAccess::Schedule(ex, handle);
}

void OnSpawnedTaskDone(PromiseBase* promise, std::coroutine_handle<> handle) noexcept {
  ScopeState* state = promise->owner;
  promise->Unlink();
  if (promise->exception) {
    try {
      std::rethrow_exception(promise->exception);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "uxcom/net: exception escaped a spawned task: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "uxcom/net: unknown exception escaped a spawned task\n");
    }
    std::terminate();
  }
  handle.destroy();
  ExecutorMetrics::Add(ExecutorAccess::Metrics(*state->executor).tasks_finished, 1);
  if (--state->active == 0) {
    while (Waiter* w = state->joiners.front()) w->Wake();
    if (state->released) delete state;
  }
}

}  // namespace detail

Scope::Scope(Executor& executor)
    : state_(detail::NewScopeState(executor, detail::ExecutorAccess::RootScope(executor))) {}
Scope::Scope(Scope& parent) : state_(detail::NewScopeState(parent.executor(), parent.state_)) {}
Scope::~Scope() { detail::ReleaseScopeState(state_); }

void Scope::Cancel() { state_->cancel.Cancel(); }
bool Scope::cancelled() const { return state_->cancel.cancelled(); }
size_t Scope::active_tasks() const { return state_->active; }
Executor& Scope::executor() const { return *state_->executor; }
TaskContext* Scope::context() const { return &state_->context; }

Task<void> Scope::Close() {
  Cancel();
  co_await detail::JoinAwaiter{state_, /*cancellable=*/false, {}};
}

}  // namespace uxcom::net
