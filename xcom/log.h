// Logging for the transport: a sink the embedder chooses, and the lines operators grep for.
//
// XCom's transport logs a handful of lines that operators know ("XCom initialized and ready
// to accept incoming connections on port P", "Creating new server node"). uxcom keeps those
// texts; instead of 8.0.18's bare "Failure reading from fd=... n=..." it logs one line for
// every connection it closes, naming the peer, the fd and the reason ("Closing ... connection
// ... (fd=F): <reason>"). xcom/README.md ("Operator log lines") lists which lines are
// verbatim and which are equivalents. Where they go is up to the embedder:
//
//   TransportOptions options;
//   options.log = [](LogLevel level, std::string_view line) {
//     if (level >= LogLevel::kInfo) my_logger.Write(line);
//   };
//
// The default sink writes kInfo and above to stderr. A sink runs on the executor thread and
// must not block.
#ifndef UXCOM_XCOM_LOG_H_
#define UXCOM_XCOM_LOG_H_

#include <functional>
#include <string_view>

namespace uxcom::xcom {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

const char* LogLevelName(LogLevel level);

using LogSink = std::function<void(LogLevel level, std::string_view line)>;

// Writes "uxcom/xcom <LEVEL>: <line>" to stderr for kInfo and above.
void StderrLogSink(LogLevel level, std::string_view line);

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_LOG_H_
