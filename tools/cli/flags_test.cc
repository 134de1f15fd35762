// The command-line conventions every tool inherits from FlagSet: how flags are spelled, what a
// usage error says (the flag and the problem) and that it exits 64, and --help on stdout.
#include "tools/cli/flags.h"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

namespace uxcom::cli {
namespace {

struct Tool {
  FlagSet flags{"tool", "[OPTIONS] FILE...", "Does things."};
  bool json = false;
  std::string name = "default";
  int count = 1;
  absl::Duration timeout = absl::Seconds(5);
  Tool() {
    flags.Bool("json", &json, "JSON output");
    flags.String("name", &name, "a name");
    flags.Int("count", &count, "how many", 1, 10);
    flags.Duration("timeout", &timeout, "how long\nsecond line");
    flags.Alias("-n", "name");
    flags.Epilog("Exit status: 0 fine.");
  }
  FlagSet::Result Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "tool");
    return flags.Parse(args);
  }
};

TEST_CASE("flags: both spellings of a value, booleans in three forms, positional arguments") {
  Tool t;
  FlagSet::Result r = t.Parse({"--json", "--name=x", "a", "--count", "3", "-", "--timeout=250ms"});
  REQUIRE(r.kind == FlagSet::Result::kOk);
  CHECK(t.json);
  CHECK(t.name == "x");
  CHECK(t.count == 3);
  CHECK(t.timeout == absl::Milliseconds(250));
  CHECK(r.positional == std::vector<std::string>{"a", "-"});
  CHECK(t.Parse({"--nojson"}).kind == FlagSet::Result::kOk);
  CHECK_FALSE(t.json);
  CHECK(t.Parse({"--json=true"}).kind == FlagSet::Result::kOk);
  CHECK(t.json);
  CHECK(t.Parse({"-n", "short"}).kind == FlagSet::Result::kOk);
  CHECK(t.name == "short");
  CHECK(t.Parse({"-json=false"}).kind == FlagSet::Result::kOk);  // one dash works too
  CHECK_FALSE(t.json);
  r = t.Parse({"--", "--json"});
  CHECK(r.positional == std::vector<std::string>{"--json"});
}

TEST_CASE("flags: every usage error names the flag and the problem") {
  Tool t;
  CHECK(t.Parse({"--bogus"}).error == "--bogus: unknown flag");
  CHECK(t.Parse({"--count=abc"}).error == "--count: 'abc' is not an integer");
  CHECK(t.Parse({"--count=11"}).error == "--count: '11' is out of range [1, 10]");
  CHECK(t.Parse({"--count=99999999999999999999"}).error ==
        "--count: '99999999999999999999' is out of range [1, 10]");
  CHECK(t.Parse({"--timeout=abc"}).error ==
        "--timeout: 'abc' is not a duration (e.g. 5s, 250ms, 1m30s)");
  CHECK(t.Parse({"--timeout=-1s"}).kind == FlagSet::Result::kUsageError);
  CHECK(t.Parse({"--json=maybe"}).error == "--json: 'maybe' is not true or false");
  CHECK(t.Parse({"--name"}).error == "--name: needs a value (--name=TEXT)");
}

TEST_CASE("flags: ParseOrExit prints help on stdout (0) and errors on stderr (64)") {
  Tool t;
  std::ostringstream out, err;
  std::vector<std::string> positional;
  CHECK(t.flags.ParseOrExit({"tool", "--help"}, &positional, out, err) == 0);
  CHECK(out.str().starts_with("usage: tool [OPTIONS] FILE...\n\nDoes things.\n"));
  CHECK(out.str().find("  -n, --name=TEXT") != std::string::npos);
  CHECK(out.str().find("--json[=true|false]") != std::string::npos);
  CHECK(out.str().find("Exit status: 0 fine.") != std::string::npos);
  CHECK(err.str().empty());

  std::ostringstream out2, err2;
  CHECK(t.flags.ParseOrExit({"tool", "--count=0"}, &positional, out2, err2) == kExitUsage);
  CHECK(out2.str().empty());
  CHECK(err2.str() == "tool: --count: '0' is out of range [1, 10]\n(tool --help for usage)\n");

  std::ostringstream out3, err3;
  CHECK(t.flags.ParseOrExit({"tool", "x"}, nullptr, out3, err3) == kExitUsage);
  CHECK(err3.str().starts_with("tool: unexpected argument 'x'"));
  CHECK_FALSE(t.flags.ParseOrExit({"tool", "x"}, &positional, out3, err3).has_value());

  std::ostringstream err4;
  CHECK(t.flags.UsageError(err4, "--members", "'a:b' is not HOST:PORT") == 64);
  CHECK(err4.str() == "tool: --members: 'a:b' is not HOST:PORT\n(tool --help for usage)\n");
}

}  // namespace
}  // namespace uxcom::cli
