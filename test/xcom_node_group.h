// Test support (testonly): a group of xcom_node processes (xcom/tools/xcom_node.cc), each
// driven on stdin and observed through its JSON event lines:
//   {"event":"ready",…}  {"event":"delivered","from":1,"seq":3,"origin":"inbound",…}
//   {"event":"sent","count":N}  {"event":"stats","statistics":{…}}  {"event":"peers",…}
// A node's payloads carry "seq=<n>" from a per-process counter, so receivers check order and
// duplicates per sender.
//
//   Cluster c;                                       // xcom_node from the runfiles
//   std::string why = c.Start(3);                    // empty: every node is ready
//   c.nodes[0]->proc->Send("send 5");
//   bool all = c.Eventually([&] { return c.nodes[1]->delivered[0].size() == 5; }, kWait);
//   json p;
//   c.nodes[0]->WaitPeer(c.nodes[1]->address, IsNegotiated, kWait, &p);
//
// Every wait has a deadline; Transcripts() tells what each node printed, for failure messages.
#ifndef UXCOM_TEST_XCOM_NODE_GROUP_H_
#define UXCOM_TEST_XCOM_NODE_GROUP_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "test/process.h"

namespace uxcom::test {

using json = nlohmann::json;

inline constexpr Clock::duration kWait = std::chrono::seconds(20);
inline constexpr int kMaxVersion = 7;  // x_1_6, xcom_node's default maximum

inline Clock::time_point After(Clock::duration d) { return Clock::now() + d; }

std::vector<long long> Range(long long first, long long last);  // [first, last]
std::string Show(const std::vector<long long>& seqs);           // "[0,1,2]"

// One xcom_node process and what it reported.
struct Node {
  int index = 0;
  std::string address;
  std::unique_ptr<Process> proc;
  bool ready = false;
  bool stopped = false;
  std::map<int, std::vector<long long>> delivered;  // sender -> seqs, in delivery order
  std::map<int, std::vector<std::string>> origins;  // sender -> origin of each delivery
  long long sent = 0;                               // total of the "sent" events
  long long attempted = 0;    // messages of every send command, "sent" or "send_error"
  std::optional<json> stats;  // the latest stats / peers events
  std::optional<json> peers;
  int stats_events = 0;
  int peers_events = 0;
  std::vector<std::string> problems;  // error / send_error events, unparsable lines
  struct LogLine {
    double ms;  // the node's own executor time
    std::string text;
  };
  std::vector<LogLine> log;  // "log" events (--log_events)

  // When the node logged each line containing `text`, in ms of its own clock.
  std::vector<double> LogTimes(const std::string& text) const;

  void Handle(const std::string& line);
  // Handles every line already read from the process, without waiting.
  void Pump();
  // Handles lines until `done` holds, the process's stdout closes or `deadline` passes.
  bool PumpUntil(const std::function<bool()>& done, Clock::time_point deadline);
  // Sends "stats" or "peers" and returns the answer (nullopt after `deadline`).
  std::optional<json> Query(const std::string& command, Clock::time_point deadline);
  // The entry of `peer` in a peers answer, or null.
  static json PeerEntry(const json& peers_answer, const std::string& peer);
  // Polls "peers" until the entry of `peer` satisfies `want`; returns whether it did, and the
  // last entry seen (null if none) in `last`.
  bool WaitPeer(const std::string& peer, const std::function<bool(const json&)>& want,
                Clock::duration timeout, json* last);
  // Polls "stats" until `want` holds; the last statistics seen go to `last`.
  bool WaitStats(const std::function<bool(const json&)>& want, Clock::duration timeout, json* last);
  std::string Transcript() const;
};

uint64_t Counter(const json& statistics, const std::string& name);
uint64_t Drops(const json& statistics, const std::string& reason);
// A peers entry negotiated at xcom_node's default maximum version.
bool IsNegotiated(const json& peer_entry);

class Cluster {
 public:
  Cluster();
  std::string binary;  // xcom_node (from the test's runfiles by default)
  std::string members;
  std::vector<std::unique_ptr<Node>> nodes;
  // Node index -> RLIMIT_NOFILE it starts with (soft and hard), for nodes meant to run out of
  // descriptors.
  std::map<int, int> fd_limits;
  // Given to every node after --self and --members (e.g. "--log_events").
  std::vector<std::string> flags;

  std::string Transcripts() const;
  // Starts node `i` (a new process; a previous one must be gone) and waits for "ready".
  // Empty on success, else why not.
  std::string StartNode(int i, const std::string& address);
  // `n` nodes on fresh ports. A port can be taken by someone else between ReservePort and the
  // node's bind: then the whole group starts again on new ports.
  std::string Start(int n);
  // Pumps every node until `done` holds or `timeout` passes.
  bool Eventually(const std::function<bool()>& done, Clock::duration timeout);
  // Waits until every node negotiated with every other one; empty, or what is missing.
  std::string WaitMesh();
  // Tells every node to quit and reads what each still printed; empty when every one stopped
  // and exited 0, else what went wrong, with its transcript.
  std::string StopAll();
};

}  // namespace uxcom::test

#endif  // UXCOM_TEST_XCOM_NODE_GROUP_H_
