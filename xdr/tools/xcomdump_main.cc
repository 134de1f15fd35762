// xcomdump: see xcomdump.h and `xcomdump --help`.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tools/cli/stop_signals.h"
#include "xdr/tools/xcomdump.h"

int main(int argc, char** argv) {
  // First, before any thread: SIGINT/SIGTERM end reading gracefully (a "stopped" record).
  std::unique_ptr<uxcom::cli::StopSignals> stop = uxcom::cli::StopSignals::Install();
  std::vector<std::string> args(argv, argv + argc);
  bool encode = false, to_file = false, help = false;
  for (const std::string& a : args) {
    encode = encode || a == "--encode";
    to_file = to_file || a == "-o" || a.starts_with("--output");
    help = help || a == "-h" || a == "--help";
  }
  if (encode && !to_file && !help && isatty(STDOUT_FILENO)) {
    std::cerr << "xcomdump: --encode: refusing to write binary frames to a terminal; redirect "
                 "standard output or use -o FILE\n";
    return uxcom::xdr::tools::kExitUsage;
  }
  std::ios::sync_with_stdio(false);
  // Standard input through poll(), so that a signal ends a read blocked on a pipe.
  uxcom::cli::InterruptibleInput input(STDIN_FILENO, stop ? stop->wake_fd() : -1);
  std::istream in(&input);
  return uxcom::xdr::tools::XcomdumpMain(args, in, std::cout, std::cerr, stop.get());
}
