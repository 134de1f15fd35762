// FlagSet: the command-line manners every uxcom tool shares.
//
//   --help / -h         usage on standard output, exit 0
//   a usage error       "TOOL: --flag: what is wrong" on standard error, exit 64 (EX_USAGE)
//
// Each tool declares its flags on one FlagSet (a library such as a TLS option group adds its
// own flags to the same set), parses once, and validates what needs more than one flag with
// UsageError(), so that every usage error looks and exits the same:
//
//   cli::FlagSet flags("xcom_probe", "HOST:PORT...", "Negotiates with XCom endpoints.");
//   bool json = false;
//   absl::Duration timeout = absl::Seconds(5);
//   flags.Bool("json", &json, "one JSON object per target");
//   flags.Duration("timeout", &timeout, "connect and answer timeout");
//   std::vector<std::string> targets;
//   if (std::optional<int> exit = flags.ParseOrExit(argc, argv, &targets)) return *exit;
//   if (targets.empty()) return flags.UsageError("", "no target given");
//
// Syntax: --name=value and --name value; booleans as --name, --name=true|false, --noname;
// "--" ends the flags; anything else not starting with "-" (or "-" alone) is positional.
// Values are checked when parsed: "--timeout: 'abc' is not a duration (e.g. 5s, 250ms)".
#ifndef UXCOM_TOOLS_CLI_FLAGS_H_
#define UXCOM_TOOLS_CLI_FLAGS_H_

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace uxcom::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 64;  // EX_USAGE (sysexits.h)

class FlagSet {
 public:
  // `synopsis`: what follows the program name on the usage line ("[OPTIONS] FILE...");
  // `description`: a paragraph printed under it.
  FlagSet(std::string program, std::string synopsis, std::string description);

  // A setter gets the flag's text value and says what is wrong with it (the message names
  // the value, not the flag: the flag is prepended).
  using Setter = std::function<absl::Status(std::string_view value)>;

  void Bool(std::string name, bool* value, std::string help);
  void String(std::string name, std::string* value, std::string help);
  // Integers in [min, max].
  void Int(std::string name, int64_t* value, std::string help, int64_t min = INT64_MIN,
           int64_t max = INT64_MAX);
  void Int(std::string name, int* value, std::string help, int min = INT32_MIN,
           int max = INT32_MAX);
  void Uint(std::string name, uint64_t* value, std::string help, uint64_t max = UINT64_MAX);
  // Durations as Abseil writes them: 5s, 250ms, 1m30s.
  void Duration(std::string name, absl::Duration* value, std::string help);
  // Any other value type. `value_name` is shown in the usage (--max_version=VERSION).
  void Custom(std::string name, std::string value_name, std::string help, Setter set);
  // A flag without a value (like Bool, but no --noname form): `set` runs when it is given.
  void Action(std::string name, std::string help, std::function<void()> set);
  // A second spelling of a declared flag ("-o" for "output", "-i" for "interface").
  void Alias(std::string alias, std::string name);
  // Text printed after the flags (exit statuses, examples).
  void Epilog(std::string text);

  struct Result {
    enum Kind { kOk, kHelp, kUsageError } kind = kOk;
    std::vector<std::string> positional;
    std::string error;  // "--timeout: 'abc' is not a duration …"
  };
  // args[0] is the program name.
  Result Parse(const std::vector<std::string>& args) const;

  // Parse, then: --help → usage to `out`, returns 0; an error → message to `err`, returns 64;
  // success → positional arguments to *positional (if given), returns nullopt.
  std::optional<int> ParseOrExit(const std::vector<std::string>& args,
                                 std::vector<std::string>* positional, std::ostream& out,
                                 std::ostream& err) const;
  // The same over main()'s arguments and the process's stdout/stderr.
  std::optional<int> ParseOrExit(int argc, char** argv, std::vector<std::string>* positional) const;

  std::string Usage() const;
  const std::string& program() const { return program_; }

  // Prints "PROGRAM: FLAG: PROBLEM" (or "PROGRAM: PROBLEM" for an empty flag) and the hint to
  // `err` (std::cerr by default); returns kExitUsage. For checks that need several flags.
  int UsageError(std::string_view flag, std::string_view problem) const;
  int UsageError(std::ostream& err, std::string_view flag, std::string_view problem) const;

 private:
  struct Flag {
    std::string name;
    std::string value_name;  // empty: takes no value
    std::string help;
    bool is_bool = false;
    Setter set;
  };
  void Add(Flag flag);
  const Flag* Find(std::string_view name) const;

  std::string program_;
  std::string synopsis_;
  std::string description_;
  std::string epilog_;
  std::vector<Flag> flags_;
  std::vector<std::pair<std::string, std::string>> aliases_;
};

// Parsers the tools share, for Custom flags and positional arguments.
absl::Status ParseBool(std::string_view text, bool* out);
absl::Status ParseDuration(std::string_view text, absl::Duration* out);

}  // namespace uxcom::cli

#endif  // UXCOM_TOOLS_CLI_FLAGS_H_
