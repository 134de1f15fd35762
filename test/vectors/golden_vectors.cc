#include "test/vectors/golden_vectors.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>

namespace uxcom::testing {

const std::vector<std::string>& GoldenCatalogs() {
  static const std::vector<std::string> catalogs = {std::string(kCatalog8018),
                                                    std::string(kCatalog8039)};
  return catalogs;
}

std::string GoldenVectorsDir(std::string_view catalog) {
  const char* variable = catalog == kCatalog8039 ? "UXCOM_VECTORS_DIR_8_0_39" : "UXCOM_VECTORS_DIR";
  if (const char* dir = std::getenv(variable); dir != nullptr && *dir != '\0') return dir;
  // Tests run in the runfiles root of the workspace.
  return "test/vectors/" + std::string(catalog);
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

std::vector<std::byte> ReadVector(std::string_view relative_path, std::string_view catalog) {
  return ReadFileBytes(GoldenVectorsDir(catalog) + "/" + std::string(relative_path));
}

const nlohmann::ordered_json& GoldenManifest(std::string_view catalog) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<nlohmann::ordered_json>, std::less<>> manifests;
  std::lock_guard<std::mutex> lock(mu);
  auto it = manifests.find(catalog);
  if (it != manifests.end()) return *it->second;
  const std::string path = GoldenVectorsDir(catalog) + "/manifest.json";
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "golden_vectors: cannot open %s\n", path.c_str());
    std::abort();
  }
  auto parsed = std::make_unique<nlohmann::ordered_json>(nlohmann::ordered_json::parse(in));
  return *manifests.emplace(std::string(catalog), std::move(parsed)).first->second;
}

}  // namespace uxcom::testing
