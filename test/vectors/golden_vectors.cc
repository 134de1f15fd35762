#include "test/vectors/golden_vectors.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace uxcom::testing {

std::string GoldenVectorsDir() {
  if (const char* dir = std::getenv("UXCOM_VECTORS_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  // Tests run in the runfiles root of the workspace.
  return "test/vectors/xcom-8.0.18";
}

std::vector<std::byte> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "golden_vectors: cannot open %s\n", path.c_str());
    std::abort();
  }
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  for (size_t i = 0; i < chars.size(); ++i) bytes[i] = static_cast<std::byte>(chars[i]);
  return bytes;
}

std::vector<std::byte> ReadVector(std::string_view relative_path) {
  return ReadFileBytes(GoldenVectorsDir() + "/" + std::string(relative_path));
}

const nlohmann::ordered_json& GoldenManifest() {
  static const nlohmann::ordered_json* manifest = [] {
    const std::string path = GoldenVectorsDir() + "/manifest.json";
    std::ifstream in(path);
    if (!in) {
      std::fprintf(stderr, "golden_vectors: cannot open %s\n", path.c_str());
      std::abort();
    }
    return new nlohmann::ordered_json(nlohmann::ordered_json::parse(in));
  }();
  return *manifest;
}

}  // namespace uxcom::testing
