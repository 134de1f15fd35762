// Helpers shared by net/'s tests (testonly).
#ifndef UXCOM_NET_TESTING_H_
#define UXCOM_NET_TESTING_H_

#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "net/executor.h"
#include "net/stream.h"
#include "net/task.h"

namespace uxcom::net::testing {

// An executor with the backend the test run selects (UXCOM_BACKEND); aborts the test on error.
std::unique_ptr<Executor> NewExecutor(ExecutorOptions options = {});
// The same on virtual time (ClockKind::kVirtual): for tests that assert when something
// happens, or that something did not happen, without sleeping.
std::unique_ptr<Executor> NewVirtualExecutor(ExecutorOptions options = {});

// A loopback TCP port that nothing is bound to right now, for a listener a test starts next.
// It is drawn at random below the kernel's ephemeral range, so no outgoing connection (ours or
// another test's) can take it meanwhile, and this process never hands it out twice. Another
// process may still bind it first; tests run in parallel make that unlikely, not impossible.
uint16_t ReservePort();

// Open file descriptors of this process.
int CountOpenFds();

// Raises RLIMIT_NOFILE's soft limit to at least `want` (up to the hard limit); returns the
// resulting soft limit.
long RaiseFdLimit(long want);

// A connected loopback TCP pair: {client side, server side}.
Task<absl::StatusOr<std::pair<Stream, Stream>>> ConnectedPair(Executor& executor);

}  // namespace uxcom::net::testing

#endif  // UXCOM_NET_TESTING_H_
