// xcomdump: see xcomdump.h and `xcomdump --help`.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "xdr/tools/xcomdump.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  bool encode = false, to_file = false, help = false;
  for (const std::string& a : args) {
    encode = encode || a == "--encode";
    to_file = to_file || a == "-o" || a.starts_with("--output");
    help = help || a == "-h" || a == "--help";
  }
  if (encode && !to_file && !help && isatty(STDOUT_FILENO)) {
    std::cerr << "xcomdump: refusing to write binary frames to a terminal; redirect standard "
                 "output or use -o FILE\n";
    return uxcom::xdr::tools::kExitUsage;
  }
  std::ios::sync_with_stdio(false);
  return uxcom::xdr::tools::XcomdumpMain(args, std::cin, std::cout, std::cerr);
}
