// main() for fuzz targets built without libFuzzer (g++, --config=asan): runs
// LLVMFuzzerTestOneInput on every file named on the command line, descending into directories.
//
//   decode_fuzzer -expect_inputs=781 test/vectors/xcom-8.0.18
//
// -expect_inputs=N: exactly N inputs must be replayed (a corpus that lost files, or a path that
// resolves to the wrong directory, fails instead of passing on what is left). Other arguments
// that start with '-' are libFuzzer flags and are ignored. Fails (exit 1), saying why, when a
// named path does not exist, a file or directory cannot be read (an unreadable file is never
// replayed as an empty input), nothing was replayed, or the count differs from -expect_inputs.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Replays one file; false (with a message) when it cannot be read whole.
bool RunFile(const std::filesystem::path& path, int& runs) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz replay: cannot open %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  std::vector<char> bytes;
  try {  // libstdc++ reports a read error (EIO) from the stream buffer as an exception
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz replay: cannot read %s: %s\n", path.c_str(), e.what());
    return false;
  }
  if (in.bad()) {
    std::fprintf(stderr, "fuzz replay: cannot read %s\n", path.c_str());
    return false;
  }
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ++runs;
  return true;
}

// Replays `path`, a file or a directory tree; false at the first thing that cannot be read.
bool RunPath(const std::filesystem::path& path, int& runs) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    std::fprintf(stderr, "fuzz replay: %s does not exist\n", path.c_str());
    return false;
  }
  if (!std::filesystem::is_directory(path, error)) return RunFile(path, runs);
  std::filesystem::recursive_directory_iterator it(path, error), end;
  for (; !error && it != end; it.increment(error)) {
    if (it->is_regular_file(error) && !RunFile(it->path(), runs)) return false;
  }
  if (error) {
    std::fprintf(stderr, "fuzz replay: cannot list %s: %s\n", path.c_str(),
                 error.message().c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 0;
  long expected = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.starts_with("-expect_inputs=")) {
      char* rest = nullptr;
      expected = std::strtol(arg.c_str() + std::strlen("-expect_inputs="), &rest, 10);
      if (*rest != '\0' || expected < 1) {
        std::fprintf(stderr, "fuzz replay: bad %s (want a count >= 1)\n", arg.c_str());
        return 1;
      }
      continue;
    }
    if (arg.starts_with("-")) continue;  // a libFuzzer flag
    if (!RunPath(arg, runs)) return 1;
  }
  std::printf("replayed %d inputs\n", runs);
  if (runs == 0) {
    std::fprintf(stderr, "fuzz replay: no input replayed\n");
    return 1;
  }
  if (expected >= 0 && runs != expected) {
    std::fprintf(stderr, "fuzz replay: replayed %d inputs, expected %ld\n", runs, expected);
    return 1;
  }
  return 0;
}
