#include "net/metrics.h"

#include <bit>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace uxcom::net {

double ExecutorMetrics::Snapshot::ops_per_enter() const {
  if (enters == 0) return 0;
  // Everything done per kernel entry: SQEs submitted and CQEs (or epoll events) reaped by the
  // entry, plus direct socket syscalls made between entries.
  return static_cast<double>(submissions + completions + syscalls) / static_cast<double>(enters);
}

std::string ExecutorMetrics::Snapshot::ToString() const {
  std::string out = absl::StrFormat(
      "turns=%d enters=%d sqes=%d cqes=%d syscalls=%d ops/enter=%.2f enobufs=%d "
      "rearms=%d bundles=%d direct_reads=%d feature_fallbacks=%d cq_overflows=%d sent=%d "
      "received=%d "
      "tasks=%d/%d timers=%d posted=%d accepts=%d accept_lost=%d accept_shed=%d "
      "accept_errors=%d batch=[",
      loop_turns, enters, submissions, completions, syscalls, ops_per_enter(), enobufs,
      multishot_rearms, recv_bundles, direct_reads, feature_fallbacks, cq_overflows, bytes_sent,
      bytes_received, tasks_finished, tasks_spawned, timers_fired, posted, accepts,
      accept_connections_lost, accepts_shed, accept_errors);
  for (int i = 0; i < kBatchBuckets; ++i) absl::StrAppend(&out, i ? " " : "", batch_histogram[i]);
  out += "]";
  return out;
}

ExecutorMetrics::Snapshot ExecutorMetrics::Take() const {
  Snapshot s;
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  s.loop_turns = get(loop_turns);
  s.enters = get(enters);
  s.submissions = get(submissions);
  s.completions = get(completions);
  s.syscalls = get(syscalls);
  s.enobufs = get(enobufs);
  s.multishot_rearms = get(multishot_rearms);
  s.recv_bundles = get(recv_bundles);
  s.direct_reads = get(direct_reads);
  s.feature_fallbacks = get(feature_fallbacks);
  s.cq_overflows = get(cq_overflows);
  s.bytes_sent = get(bytes_sent);
  s.bytes_received = get(bytes_received);
  s.tasks_spawned = get(tasks_spawned);
  s.tasks_finished = get(tasks_finished);
  s.timers_fired = get(timers_fired);
  s.posted = get(posted);
  s.accepts = get(accepts);
  s.accept_connections_lost = get(accept_connections_lost);
  s.accepts_shed = get(accepts_shed);
  s.accept_errors = get(accept_errors);
  for (int i = 0; i < kBatchBuckets; ++i) s.batch_histogram[i] = get(batch_histogram[i]);
  return s;
}

void ExecutorMetrics::RecordEnter(uint64_t submitted) {
  Add(enters, 1);
  Add(submissions, submitted);
  // 0 -> 0, 1 -> 1, 2 -> 2, 3..4 -> 3, 5..8 -> 4, ... >32 -> 7.
  int bucket = submitted <= 1 ? static_cast<int>(submitted)
                              : 1 + static_cast<int>(std::bit_width(submitted - 1));
  if (bucket >= kBatchBuckets) bucket = kBatchBuckets - 1;
  Add(batch_histogram[bucket], 1);
}

}  // namespace uxcom::net
