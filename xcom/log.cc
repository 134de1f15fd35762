#include "xcom/log.h"

#include <cstdio>

namespace uxcom::xcom {

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}

void StderrLogSink(LogLevel level, std::string_view line) {
  if (level < LogLevel::kInfo) return;
  std::fprintf(stderr, "uxcom/xcom %s: %.*s\n", LogLevelName(level), static_cast<int>(line.size()),
               line.data());
}

}  // namespace uxcom::xcom
