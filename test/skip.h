// Skipping a test that cannot run here, visibly and countably (testonly).
//
// Bazel has no "skipped" status: a test binary that returns early is PASSED. So a test that
// lacks what it needs (io_uring, root, a kernel feature, a tool) calls Skip(), which
//   - prints "[uxcom] SKIPPED (<need>): <what>: <why>" to stderr, in the test's log;
//   - appends "uxcom-skip <need> <what>: <why>" to the file uxcom_skip.part in
//     $TEST_UNDECLARED_OUTPUTS_ANNOTATIONS_DIR, which Bazel copies into the target's
//     bazel-testlogs/<package>/<target>/test.outputs_manifest/ANNOTATIONS.
// tools/test.sh reads those files: a target that skipped anything is counted as skipped, not
// passed ("N passed, N failed, N skipped"), and is listed with its reasons. With CI=true every
// skip except Need::kBuildConfig counts as a failure: CI runs as root on a host with io_uring
// and every tool installed, so a skip there means the host, not the test, is broken.
//
//   TEST_CASE("connect to a blackhole address times out") {
//     if (geteuid() != 0) return testing::Skip(testing::Need::kRoot, "needs a network namespace");
//     ...
//   }
//
// Skip() returns: the caller returns from the test case (doctest then reports it passed, and
// the count above corrects that). SkipAll() ends the whole test binary with status 0, for a
// need every test case shares (the io_uring variant of a test on a host without io_uring).
#ifndef UXCOM_TEST_SKIP_H_
#define UXCOM_TEST_SKIP_H_

#include <string_view>

namespace uxcom::testing {

enum class Need {
  kIoUring,        // io_uring is refused here (seccomp, kernel.io_uring_disabled, old kernel)
  kRoot,           // root or a capability (namespaces, sysctls)
  kKernelFeature,  // a kernel feature newer than this kernel (e.g. recv bundles, 6.10)
  kTool,           // a program the test runs (ip, unshare) is not installed
  kBuildConfig,    // this build configuration lacks the feature (e.g. a cache off under ASan)
};

// "io_uring", "root", "kernel", "tool", "build": the <need> in the lines above.
const char* NeedName(Need need);

// Records and prints one skip of the current test; `what` names what is not tested.
void Skip(Need need, std::string_view what);

// Skip(), then exit(0): nothing in this binary can run here.
[[noreturn]] void SkipAll(Need need, std::string_view what);

}  // namespace uxcom::testing

#endif  // UXCOM_TEST_SKIP_H_
