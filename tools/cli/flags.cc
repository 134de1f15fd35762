#include "tools/cli/flags.h"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <ostream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace uxcom::cli {
namespace {

template <typename T>
absl::Status ParseInteger(std::string_view text, T min, T max, T* out) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || end != text.data() + text.size()) {
    return absl::InvalidArgumentError(absl::StrCat("'", std::string(text), "' is not an integer"));
  }
  if (ec == std::errc::result_out_of_range || v < min || v > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(text), "' is out of range [", min, ", ", max, "]"));
  }
  *out = v;
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseBool(std::string_view text, bool* out) {
  if (text == "true" || text == "1" || text == "yes") {
    *out = true;
  } else if (text == "false" || text == "0" || text == "no") {
    *out = false;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(text), "' is not true or false"));
  }
  return absl::OkStatus();
}

absl::Status ParseDuration(std::string_view text, absl::Duration* out) {
  absl::Duration d;
  if (!absl::ParseDuration(std::string(text), &d) || d < absl::ZeroDuration() ||
      d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(text), "' is not a duration (e.g. 5s, 250ms, 1m30s)"));
  }
  *out = d;
  return absl::OkStatus();
}

FlagSet::FlagSet(std::string program, std::string synopsis, std::string description)
    : program_(std::move(program)),
      synopsis_(std::move(synopsis)),
      description_(std::move(description)) {}

void FlagSet::Add(Flag flag) { flags_.push_back(std::move(flag)); }

void FlagSet::Bool(std::string name, bool* value, std::string help) {
  Add({.name = std::move(name),
       .value_name = "",
       .help = std::move(help),
       .is_bool = true,
       .set = [value](std::string_view text) { return ParseBool(text, value); }});
}

void FlagSet::String(std::string name, std::string* value, std::string help) {
  Add({.name = std::move(name),
       .value_name = "TEXT",
       .help = std::move(help),
       .set = [value](std::string_view text) {
         *value = std::string(text);
         return absl::OkStatus();
       }});
}

void FlagSet::Int(std::string name, int64_t* value, std::string help, int64_t min, int64_t max) {
  Add({.name = std::move(name),
       .value_name = "N",
       .help = std::move(help),
       .set = [=](std::string_view text) { return ParseInteger(text, min, max, value); }});
}

void FlagSet::Int(std::string name, int* value, std::string help, int min, int max) {
  Add({.name = std::move(name),
       .value_name = "N",
       .help = std::move(help),
       .set = [=](std::string_view text) { return ParseInteger(text, min, max, value); }});
}

void FlagSet::Uint(std::string name, uint64_t* value, std::string help, uint64_t max) {
  Add({.name = std::move(name),
       .value_name = "N",
       .help = std::move(help),
       .set = [=](std::string_view text) { return ParseInteger(text, uint64_t{0}, max, value); }});
}

void FlagSet::Duration(std::string name, absl::Duration* value, std::string help) {
  Add({.name = std::move(name),
       .value_name = "DURATION",
       .help = std::move(help),
       .set = [value](std::string_view text) { return ParseDuration(text, value); }});
}

void FlagSet::Custom(std::string name, std::string value_name, std::string help, Setter set) {
  Add({.name = std::move(name),
       .value_name = std::move(value_name),
       .help = std::move(help),
       .set = std::move(set)});
}

void FlagSet::Action(std::string name, std::string help, std::function<void()> set) {
  Add({.name = std::move(name),
       .value_name = "",
       .help = std::move(help),
       .is_bool = false,
       .set = [set](std::string_view) {
         set();
         return absl::OkStatus();
       }});
}

void FlagSet::Alias(std::string alias, std::string name) {
  aliases_.emplace_back(std::move(alias), std::move(name));
}

void FlagSet::Epilog(std::string text) { epilog_ = std::move(text); }

const FlagSet::Flag* FlagSet::Find(std::string_view name) const {
  for (const auto& [alias, target] : aliases_) {
    if (alias == name) name = target;
  }
  for (const Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

FlagSet::Result FlagSet::Parse(const std::vector<std::string>& args) const {
  Result r;
  auto fail = [&](std::string error) {
    r.kind = Result::kUsageError;
    r.error = std::move(error);
    return r;
  };
  bool flags_done = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg == "-" || !arg.starts_with("-")) {
      r.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      r.kind = Result::kHelp;
      return r;
    }
    // An alias may be a short form ("-o"); long flags take one or two dashes.
    std::string_view body = arg;
    std::optional<std::string_view> inline_value;
    const Flag* flag = nullptr;
    std::string shown;  // the flag as the user wrote it, for messages
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      inline_value = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    shown = std::string(body);
    flag = Find(body);  // exact alias ("-o")
    if (flag == nullptr) {
      std::string_view name = body.substr(body.starts_with("--") ? 2 : 1);
      flag = Find(name);
      if (flag == nullptr && name.starts_with("no") && !inline_value) {
        const Flag* negated = Find(name.substr(2));
        if (negated != nullptr && negated->is_bool) {
          if (absl::Status s = negated->set("false"); !s.ok()) {
            return fail(absl::StrCat(shown, ": ", std::string(s.message())));
          }
          continue;
        }
      }
    }
    if (flag == nullptr) return fail(absl::StrCat(shown, ": unknown flag"));
    std::string value;
    if (flag->is_bool) {
      value = inline_value ? std::string(*inline_value) : "true";
    } else if (flag->value_name.empty()) {
      if (inline_value) return fail(absl::StrCat(shown, ": takes no value"));
    } else if (inline_value) {
      value = std::string(*inline_value);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return fail(absl::StrCat(shown, ": needs a value (", shown, "=", flag->value_name, ")"));
    }
    if (absl::Status s = flag->set(value); !s.ok()) {
      return fail(absl::StrCat(shown, ": ", std::string(s.message())));
    }
  }
  return r;
}

std::optional<int> FlagSet::ParseOrExit(const std::vector<std::string>& args,
                                        std::vector<std::string>* positional, std::ostream& out,
                                        std::ostream& err) const {
  Result r = Parse(args);
  switch (r.kind) {
    case Result::kHelp:
      out << Usage();
      out.flush();
      return kExitOk;
    case Result::kUsageError:
      return UsageError(err, "", r.error);
    case Result::kOk:
      break;
  }
  if (positional != nullptr) {
    *positional = std::move(r.positional);
  } else if (!r.positional.empty()) {
    return UsageError(err, "", absl::StrCat("unexpected argument '", r.positional[0], "'"));
  }
  return std::nullopt;
}

std::optional<int> FlagSet::ParseOrExit(int argc, char** argv,
                                        std::vector<std::string>* positional) const {
  return ParseOrExit(std::vector<std::string>(argv, argv + argc), positional, std::cout, std::cerr);
}

std::string FlagSet::Usage() const {
  std::string out = absl::StrCat("usage: ", program_, " ", synopsis_, "\n\n", description_);
  if (!description_.empty() && !description_.ends_with("\n")) out += "\n";
  out += "\nOptions:\n";
  for (const Flag& f : flags_) {
    std::string spelled = absl::StrCat("--", f.name);
    for (const auto& [alias, target] : aliases_) {
      if (target == f.name) spelled = absl::StrCat(alias, ", ", spelled);
    }
    if (!f.value_name.empty()) absl::StrAppend(&spelled, "=", f.value_name);
    if (f.is_bool) absl::StrAppend(&spelled, "[=true|false]");
    absl::StrAppend(&out, "  ", spelled);
    // Help text in a column; a long flag gets its own line.
    constexpr size_t kColumn = 26;
    if (spelled.size() + 2 < kColumn) {
      out.append(kColumn - spelled.size() - 2, ' ');
    } else {
      absl::StrAppend(&out, "\n", std::string(kColumn, ' '));
    }
    // Continuation lines of the help stay in the column.
    for (char c : f.help) {
      out += c;
      if (c == '\n') out.append(kColumn, ' ');
    }
    out += "\n";
  }
  absl::StrAppend(&out, "  -h, --help                this text\n");
  if (!epilog_.empty()) {
    absl::StrAppend(&out, "\n", epilog_);
    if (!epilog_.ends_with("\n")) out += "\n";
  }
  return out;
}

int FlagSet::UsageError(std::string_view flag, std::string_view problem) const {
  return UsageError(std::cerr, flag, problem);
}

int FlagSet::UsageError(std::ostream& err, std::string_view flag, std::string_view problem) const {
  err << program_ << ": " << flag << (flag.empty() ? "" : ": ") << problem << "\n(" << program_
      << " --help for usage)\n";
  err.flush();
  return kExitUsage;
}

}  // namespace uxcom::cli
