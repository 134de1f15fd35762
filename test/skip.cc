#include "test/skip.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace uxcom::testing {

const char* NeedName(Need need) {
  switch (need) {
    case Need::kIoUring:
      return "io_uring";
    case Need::kRoot:
      return "root";
    case Need::kKernelFeature:
      return "kernel";
    case Need::kTool:
      return "tool";
    case Need::kBuildConfig:
      return "build";
  }
  return "?";
}

void Skip(Need need, std::string_view what) {
  std::string text(what);
  for (char& c : text) {
    if (c == '\n') c = ' ';  // one line per skip in the annotations file
  }
  std::fprintf(stderr, "[uxcom] SKIPPED (%s): %s\n", NeedName(need), text.c_str());
  std::fflush(stderr);
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_ANNOTATIONS_DIR");
  if (dir == nullptr || *dir == '\0') return;  // not under `bazel test`: the line above is all
  std::string path = std::string(dir) + "/uxcom_skip.part";
  if (std::FILE* f = std::fopen(path.c_str(), "a")) {
    std::fprintf(f, "uxcom-skip %s %s\n", NeedName(need), text.c_str());
    std::fclose(f);
  } else {
    std::fprintf(stderr, "[uxcom] cannot record the skip in %s\n", path.c_str());
  }
}

void SkipAll(Need need, std::string_view what) {
  Skip(need, what);
  std::fflush(nullptr);
  std::_Exit(0);
}

}  // namespace uxcom::testing
