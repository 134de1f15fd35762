// A group of xcom_node processes for multi-process tests (testonly), driven on stdin and
// observed through their JSON event lines (xcom/tools/xcom_node.cc):
//   {"event":"ready",…}  {"event":"delivered","from":1,"seq":3,"origin":"inbound",…}
//   {"event":"sent","count":N}  {"event":"stats","statistics":{…}}  {"event":"peers",…}
//
//   Cluster c;
//   c.binary = Runfile("xcom/tools/xcom_node");
//   c.flags = {"--write_stall_timeout_ms=300"};     // every node's extra flags
//   std::string why = c.Start(3);                     // empty: every node is ready
//   c.nodes[0]->proc->Send("send 5");
//   c.Eventually([&] { return c.nodes[1]->delivered[0].size() == 5; }, kWait);
//
// Every wait has a deadline; a failure prints what each node printed (Transcripts()).
#ifndef UXCOM_TEST_NODE_CLUSTER_H_
#define UXCOM_TEST_NODE_CLUSTER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "doctest/doctest.h"
#include "net/testing.h"
#include "nlohmann/json.hpp"
#include "test/process.h"

namespace uxcom::test {

using json = nlohmann::json;
using namespace std::chrono_literals;

inline constexpr Clock::duration kWait = 20s;

inline Clock::time_point After(Clock::duration d) { return Clock::now() + d; }

inline std::vector<long long> Range(long long first, long long last) {  // [first, last]
  std::vector<long long> out;
  for (long long s = first; s <= last; ++s) out.push_back(s);
  return out;
}

inline std::string Show(const std::vector<long long>& seqs) {
  std::string out = "[";
  for (size_t i = 0; i < seqs.size(); ++i) out += (i ? "," : "") + std::to_string(seqs[i]);
  return out + "]";
}

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
  std::optional<json> stats;                        // the latest stats / peers events
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
  std::vector<double> LogTimes(const std::string& text) const {
    std::vector<double> out;
    for (const LogLine& l : log) {
      if (l.text.find(text) != std::string::npos) out.push_back(l.ms);
    }
    return out;
  }

  void Handle(const std::string& line) {
    if (line.empty() || line[0] != '{') return;  // not an event
    json e = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (e.is_discarded() || !e.contains("event")) {
      problems.push_back("unparsable: " + line);
      return;
    }
    std::string event = e["event"].get<std::string>();
    if (event == "ready") {
      ready = true;
    } else if (event == "delivered") {
      int from = e["from"].get<int>();
      delivered[from].push_back(e["seq"].get<long long>());
      origins[from].push_back(e["origin"].get<std::string>());
    } else if (event == "log") {
      log.push_back({e["ms"].get<double>(), e["text"].get<std::string>()});
    } else if (event == "sent") {
      sent += e["count"].get<long long>();
    } else if (event == "stats") {
      stats = e["statistics"];
      ++stats_events;
    } else if (event == "peers") {
      peers = e["peers"];
      ++peers_events;
    } else if (event == "stopped") {
      stopped = true;
    } else {
      problems.push_back(line);
    }
  }

  // Handles every line already read from the process, without waiting.
  void Pump() {
    while (std::optional<std::string> line = proc->TryReadLine()) Handle(*line);
  }

  // Handles lines until `done` holds, the process's stdout closes or `deadline` passes.
  bool PumpUntil(const std::function<bool()>& done, Clock::time_point deadline) {
    while (!done()) {
      std::optional<std::string> line = proc->ReadLine(deadline);
      if (!line) return done();
      Handle(*line);
    }
    return true;
  }

  // Sends "stats" or "peers" and returns the answer (nullopt after `deadline`).
  std::optional<json> Query(const std::string& command, Clock::time_point deadline) {
    int& counter = command == "stats" ? stats_events : peers_events;
    int before = counter;
    if (!proc->Send(command)) return std::nullopt;
    if (!PumpUntil([&] { return counter != before; }, deadline)) return std::nullopt;
    return command == "stats" ? stats : peers;
  }

  // The entry of `peer` in a peers answer, or null.
  static json PeerEntry(const json& peers_answer, const std::string& peer) {
    for (const json& p : peers_answer) {
      if (p.value("address", "") == peer) return p;
    }
    return json();
  }

  // Polls "peers" until the entry of `peer` satisfies `want`; returns the last entry seen
  // (null if none) and whether it satisfied `want`.
  bool WaitPeer(const std::string& peer, const std::function<bool(const json&)>& want,
                Clock::duration timeout, json* last) {
    Clock::time_point deadline = After(timeout);
    for (;;) {
      std::optional<json> answer = Query("peers", deadline);
      if (!answer) return false;
      *last = PeerEntry(*answer, peer);
      if (!last->is_null() && want(*last)) return true;
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(50ms);  // polling interval only
    }
  }

  // Polls "stats" until `want` holds; the last statistics seen go to `last`.
  bool WaitStats(const std::function<bool(const json&)>& want, Clock::duration timeout,
                 json* last) {
    Clock::time_point deadline = After(timeout);
    for (;;) {
      std::optional<json> answer = Query("stats", deadline);
      if (!answer) return false;
      *last = *answer;
      if (want(*last)) return true;
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(50ms);
    }
  }

  std::string Transcript() const {
    std::string out = proc ? proc->Transcript() : "(not started)\n";
    for (const std::string& p : problems) out += "  problem: " + p + "\n";
    for (const auto& [from, seqs] : delivered) {
      out += "  delivered from node " + std::to_string(from) + ": " + Show(seqs) + "\n";
    }
    return out;
  }
};

inline uint64_t Counter(const json& statistics, const std::string& name) {
  return statistics.value(name, uint64_t{0});
}
inline uint64_t Drops(const json& statistics, const std::string& reason) {
  if (!statistics.contains("drops")) return 0;
  return statistics["drops"].value(reason, uint64_t{0});
}

class Cluster {
 public:
  std::string binary;
  std::vector<std::string> flags;  // given to every node after --self, --members, --log_events
  std::string members;
  std::vector<std::unique_ptr<Node>> nodes;

  std::string Transcripts() const {
    std::string out;
    for (const auto& n : nodes) {
      if (n != nullptr) out += n->Transcript();
    }
    return out;
  }

  // Starts node `i` (a new process; a previous one must be gone) and waits for "ready".
  // Empty on success, else why not.
  std::string StartNode(int i, const std::string& address) {
    auto n = std::make_unique<Node>();
    n->index = i;
    n->address = address;
    std::string error;
    std::vector<std::string> argv = {binary, "--self=" + address, "--members=" + members,
                                     "--log_events"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    n->proc = Process::Start("node" + std::to_string(i), std::move(argv), &error);
    if (n->proc == nullptr) return error;
    bool ok = n->PumpUntil([&] { return n->ready; }, After(kWait));
    nodes[i] = std::move(n);
    if (!ok) {
      return "node " + std::to_string(i) + " (" + address + ") did not get ready:\n" +
             nodes[i]->Transcript();
    }
    return "";
  }

  // Three nodes on fresh ports. A port can be taken by someone else between ReservePort and
  // the node's bind: then the whole group starts again on new ports.
  std::string Start(int n) {
    std::string why;
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::vector<std::string> addresses;
      for (int i = 0; i < n; ++i)
        addresses.push_back("127.0.0.1:" + std::to_string(net::testing::ReservePort()));
      members.clear();
      for (const std::string& a : addresses) members += (members.empty() ? "" : ",") + a;
      nodes.clear();
      nodes.resize(n);
      why.clear();
      for (int i = 0; i < n && why.empty(); ++i) why = StartNode(i, addresses[i]);
      if (why.empty()) return "";
      MESSAGE("starting the group again on other ports: " << why);
    }
    return why;
  }

  // Pumps every node until `done` holds or `timeout` passes.
  bool Eventually(const std::function<bool()>& done, Clock::duration timeout) {
    Clock::time_point deadline = After(timeout);
    for (;;) {
      for (auto& n : nodes) {
        if (n != nullptr) n->Pump();
      }
      if (done()) return true;
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
  }
};

}  // namespace uxcom::test

#endif  // UXCOM_TEST_NODE_CLUSTER_H_
