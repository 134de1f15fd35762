#include "test/xcom_node_group.h"

#include <thread>
#include <utility>

#include "doctest/doctest.h"
#include "net/testing.h"

namespace uxcom::test {

using namespace std::chrono_literals;
using net::testing::ReservePort;

std::vector<long long> Range(long long first, long long last) {
  std::vector<long long> out;
  for (long long s = first; s <= last; ++s) out.push_back(s);
  return out;
}

std::string Show(const std::vector<long long>& seqs) {
  std::string out = "[";
  for (size_t i = 0; i < seqs.size(); ++i) out += (i ? "," : "") + std::to_string(seqs[i]);
  return out + "]";
}

std::vector<double> Node::LogTimes(const std::string& text) const {
  std::vector<double> out;
  for (const LogLine& l : log) {
    if (l.text.find(text) != std::string::npos) out.push_back(l.ms);
  }
  return out;
}

void Node::Handle(const std::string& line) {
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
  } else if (event == "sent") {
    sent += e["count"].get<long long>();
    attempted += e["count"].get<long long>();
  } else if (event == "stats") {
    stats = e["statistics"];
    ++stats_events;
  } else if (event == "peers") {
    peers = e["peers"];
    ++peers_events;
  } else if (event == "log") {
    log.push_back({e["ms"].get<double>(), e["text"].get<std::string>()});
  } else if (event == "stopped") {
    stopped = true;
  } else if (event == "peer_connected" || event == "peer_lost" || event == "peer_unreachable" ||
             event == "stdin_closed" || event == "help") {
    // the node's account of its peers and input: expected, checked through "peers" instead
  } else {
    // error, send_error, or an event this harness does not know
    if (event == "send_error" && e.contains("count")) attempted += e["count"].get<long long>();
    problems.push_back(line);
  }
}

void Node::Pump() {
  while (std::optional<std::string> line = proc->TryReadLine()) Handle(*line);
}

bool Node::PumpUntil(const std::function<bool()>& done, Clock::time_point deadline) {
  while (!done()) {
    std::optional<std::string> line = proc->ReadLine(deadline);
    if (!line) return done();
    Handle(*line);
  }
  return true;
}

std::optional<json> Node::Query(const std::string& command, Clock::time_point deadline) {
  int& counter = command == "stats" ? stats_events : peers_events;
  int before = counter;
  if (!proc->Send(command)) return std::nullopt;
  if (!PumpUntil([&] { return counter != before; }, deadline)) return std::nullopt;
  return command == "stats" ? stats : peers;
}

json Node::PeerEntry(const json& peers_answer, const std::string& peer) {
  for (const json& p : peers_answer) {
    if (p.value("address", "") == peer) return p;
  }
  return json();
}

bool Node::WaitPeer(const std::string& peer, const std::function<bool(const json&)>& want,
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

bool Node::WaitStats(const std::function<bool(const json&)>& want, Clock::duration timeout,
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

std::string Node::Transcript() const {
  std::string out = proc ? proc->Transcript() : "(not started)\n";
  for (const std::string& p : problems) out += "  problem: " + p + "\n";
  for (const auto& [from, seqs] : delivered) {
    out += "  delivered from node " + std::to_string(from) + ": " + Show(seqs) + "\n";
  }
  return out;
}

uint64_t Counter(const json& statistics, const std::string& name) {
  return statistics.value(name, uint64_t{0});
}
uint64_t Drops(const json& statistics, const std::string& reason) {
  if (!statistics.contains("drops")) return 0;
  return statistics["drops"].value(reason, uint64_t{0});
}

std::string Cluster::Transcripts() const {
  std::string out;
  for (const auto& n : nodes) {
    if (n != nullptr) out += n->Transcript();
  }
  return out;
}

std::string Cluster::StartNode(int i, const std::string& address) {
  auto n = std::make_unique<Node>();
  n->index = i;
  n->address = address;
  std::vector<std::string> argv = {binary, "--self=" + address, "--members=" + members};
  argv.insert(argv.end(), flags.begin(), flags.end());
  if (auto limit = fd_limits.find(i); limit != fd_limits.end()) {
    // posix_spawn cannot set a resource limit: a shell sets it, then becomes the node.
    argv.insert(
        argv.begin(),
        {"/bin/sh", "-c", "ulimit -n " + std::to_string(limit->second) + " && exec \"$@\"", "sh"});
  }
  std::string error;
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

Cluster::Cluster() : binary(Runfile("xcom/tools/xcom_node")) {}

std::string Cluster::Start(int n) {
  if (binary.empty()) return "xcom/tools/xcom_node not found in the runfiles";
  std::string why;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<std::string> addresses;
    for (int i = 0; i < n; ++i) addresses.push_back("127.0.0.1:" + std::to_string(ReservePort()));
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

bool Cluster::Eventually(const std::function<bool()>& done, Clock::duration timeout) {
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

bool IsNegotiated(const json& p) {
  return p.value("state", "") == "negotiated" && p.value("version", 0) == kMaxVersion;
}

std::string Cluster::WaitMesh() {
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (size_t j = 0; j < nodes.size(); ++j) {
      if (i == j) continue;
      json p;
      if (!nodes[i]->WaitPeer(nodes[j]->address, IsNegotiated, kWait, &p)) {
        return "node " + std::to_string(i) + " never negotiated with node " + std::to_string(j) +
               ", last: " + p.dump() + "\n" + Transcripts();
      }
    }
  }
  return "";
}

std::string Cluster::StopAll() {
  std::string why;
  for (auto& n : nodes) n->proc->Send("quit");
  for (auto& n : nodes) {
    const bool stopped = n->PumpUntil([&] { return n->stopped; }, After(kWait));
    const std::string exit = DescribeStatus(n->proc->Wait(After(kWait)));
    while (std::optional<std::string> line = n->proc->ReadLine(After(kWait))) n->Handle(*line);
    if (!stopped || exit != "exit 0") {
      why += "node " + std::to_string(n->index) + (stopped ? "" : " did not stop,") + " " + exit +
             "\n" + n->Transcript();
    }
  }
  return why;
}

}  // namespace uxcom::test
