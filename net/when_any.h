// WhenAny: wait for the first of several operations (select).
//
// Runs every operation concurrently; when the first one finishes, cancels the others and waits
// for them (structured: nothing outlives the call, no buffer stays in use). Returns which one
// finished first and every result. An operation cancelled that had finished anyway keeps its
// value, so a message received by the "loser" of a race is never lost:
//
//   WhenAnyResult<absl::StatusOr<IncomingMessage>, absl::StatusOr<IncomingMessage>> r =
//       co_await WhenAny(node_a.Receive(), node_b.Receive());
//   if (r.first == 0) ...std::get<0>(r.results)...        // the other is usually kCancelled
//   auto& other = std::get<1>(r.results);                  // but may hold a message too
//
// Operands are Tasks or movable awaiters (AsTask). Each runs as a child of a scope below the
// caller's cancellation: cancelling the caller cancels them all, and WhenAny still waits for
// them. Results must not be void (use Task<absl::Status>).
#ifndef UXCOM_NET_WHEN_ANY_H_
#define UXCOM_NET_WHEN_ANY_H_

#include <cstddef>
#include <optional>
#include <tuple>
#include <utility>

#include "net/executor.h"
#include "net/scope.h"
#include "net/task.h"

namespace uxcom::net {

template <typename... T>
struct WhenAnyResult {
  size_t first = 0;            // index of the operation that finished first
  std::tuple<T...> results{};  // every operation's result
};

namespace detail {

template <typename... T>
struct WhenAnyState {
  static constexpr size_t kNone = ~size_t{0};
  ScopeState* scope = nullptr;
  size_t first = kNone;
  std::tuple<std::optional<T>...> results;
};

template <size_t I, typename T, typename State>
Task<void> WhenAnyChild(Task<T> task, State* state) {
  std::get<I>(state->results).emplace(co_await std::move(task));
  if (state->first == State::kNone) {
    state->first = I;
    state->scope->cancel.Cancel();  // the others: their operations end with kCancelled
  }
}

template <typename State, typename... T, size_t... I>
void SpawnWhenAnyChildren(State* state, std::index_sequence<I...>, Task<T>... tasks) {
  (SpawnOn(state->scope, WhenAnyChild<I, T>(std::move(tasks), state)), ...);
}

template <typename... T>
Task<WhenAnyResult<T...>> WhenAnyOfTasks(Task<T>... tasks) {
  static_assert(sizeof...(T) >= 1, "WhenAny needs at least one operation");
  static_assert((!std::is_void_v<T> && ...), "WhenAny needs results: use Task<absl::Status>");
  TaskContext* context = co_await CurrentContext();
  WhenAnyState<T...> state;
  state.scope = NewScopeStateUnder(*context->executor, context->cancel);
  SpawnWhenAnyChildren(&state, std::index_sequence_for<T...>{}, std::move(tasks)...);
  // Not cancellable: the children are cancelled with the caller and finish promptly.
  absl::Status joined = co_await JoinAwaiter{state.scope, /*cancellable=*/false, {}};
  (void)joined;
  ReleaseScopeState(state.scope);
  WhenAnyResult<T...> out;
  out.first = state.first;
  out.results =
      std::apply([](auto&... r) { return std::tuple<T...>(std::move(*r)...); }, state.results);
  co_return out;
}

}  // namespace detail

template <typename... Operations>
Task<WhenAnyResult<AwaitResultOf<Operations>...>> WhenAny(Operations... operations) {
  return detail::WhenAnyOfTasks(AsTask(std::move(operations))...);
}

}  // namespace uxcom::net

#endif  // UXCOM_NET_WHEN_ANY_H_
