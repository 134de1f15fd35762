// Access to the golden XCom vector catalogs from tests: directories, manifests and frames.
//
// Two catalogs are this package's data (see their README.md): "xcom-8.0.18" (MySQL 8.0.18,
// x_1_0 … x_1_6) and "xcom-8.0.39" (MySQL 8.0.39, x_1_6 … x_1_9). A test that depends on
// //test/vectors:golden_vectors finds them through its runfiles. Environment variables point a
// catalog at another one of the same shape (e.g. a held-back acceptance catalog):
//   UXCOM_VECTORS_DIR          the 8.0.18 catalog
//   UXCOM_VECTORS_DIR_8_0_39   the 8.0.39 catalog
// (`bazel test --test_env=UXCOM_VECTORS_DIR_8_0_39=/path/to/xcom-8.0.39 //xdr:golden_vectors_test`)
//
//   for (const std::string& catalog : uxcom::testing::GoldenCatalogs()) {
//     const nlohmann::ordered_json& manifest = uxcom::testing::GoldenManifest(catalog);
//     for (const auto& m : manifest["messages"]) {
//       std::vector<std::byte> frame = uxcom::testing::ReadVector(m["file"], catalog);
//     }
//   }
#ifndef UXCOM_TEST_VECTORS_GOLDEN_VECTORS_H_
#define UXCOM_TEST_VECTORS_GOLDEN_VECTORS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"

namespace uxcom::testing {

inline constexpr std::string_view kCatalog8018 = "xcom-8.0.18";
inline constexpr std::string_view kCatalog8039 = "xcom-8.0.39";

// Every catalog, oldest release first.
const std::vector<std::string>& GoldenCatalogs();

// The catalog directory (ends without a slash).
std::string GoldenVectorsDir(std::string_view catalog = kCatalog8018);

// manifest.json, parsed once (key order preserved: fields appear in wire order). Its
// "mysql_version" ("8.0.18", "8.0.39") names the profile its frames are read with.
const nlohmann::ordered_json& GoldenManifest(std::string_view catalog = kCatalog8018);

// The bytes of a file named relative to the catalog, e.g. "v1_6/000_op_client_msg.bin".
// Aborts the test binary with a message if it cannot be read.
std::vector<std::byte> ReadVector(std::string_view relative_path,
                                  std::string_view catalog = kCatalog8018);

// Reads any file (absolute or relative to the working directory); aborts on failure.
std::vector<std::byte> ReadFileBytes(const std::string& path);

}  // namespace uxcom::testing

#endif  // UXCOM_TEST_VECTORS_GOLDEN_VECTORS_H_
