// Access to the golden XCom vectors from tests: the directory, the manifest and the frames.
//
// The vectors are this package's data (test/vectors/xcom-8.0.18/, see its README.md). A test
// that depends on //test/vectors:golden_vectors and has //test/vectors:xcom_8_0_18_all in its
// `data` finds them through its runfiles; UXCOM_VECTORS_DIR points it at another catalog of the
// same shape instead (e.g. `bazel test --test_env=UXCOM_VECTORS_DIR=/path/to/xcom-8.0.18`).
//
//   const nlohmann::ordered_json& manifest = uxcom::testing::GoldenManifest();
//   for (const auto& m : manifest["messages"]) {
//     std::vector<std::byte> frame = uxcom::testing::ReadVector(m["file"]);
//   }
#ifndef UXCOM_TEST_VECTORS_GOLDEN_VECTORS_H_
#define UXCOM_TEST_VECTORS_GOLDEN_VECTORS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"

namespace uxcom::testing {

// The catalog directory (ends without a slash).
std::string GoldenVectorsDir();

// manifest.json, parsed once (key order preserved: fields appear in wire order).
const nlohmann::ordered_json& GoldenManifest();

// The bytes of a file named relative to the catalog, e.g. "v1_6/000_op_client_msg.bin".
// Aborts the test binary with a message if it cannot be read.
std::vector<std::byte> ReadVector(std::string_view relative_path);

// Reads any file (absolute or relative to the working directory); aborts on failure.
std::vector<std::byte> ReadFileBytes(const std::string& path);

}  // namespace uxcom::testing

#endif  // UXCOM_TEST_VECTORS_GOLDEN_VECTORS_H_
