// A node of a 3-node group is killed (SIGKILL) and restarted on the same port: the survivors
// keep going, drop what they queued for it once it expired, redial it with back-off, negotiate
// again with a new tag, and everything sent after it is back reaches it in order, exactly once.
//
// Every node is its own xcom_node process (test/xcom_node_group.h). A node's payloads carry
// "seq=<n>" from a per-process counter, so a restarted node counts from 0 again and the
// survivors' counters keep going.
//
// What the transport promises here (xcom/options.h, xcom/internal/sender.cc):
//   - a peer's outbound connection is dialled and redialled for as long as the peer is in a
//     site; failed dials back off 0.1 s, 1.1 s, 2.1 s, … (at most 10 s);
//   - messages queued for an unreachable peer expire after disconnected_message_ttl (2 s) and
//     are counted as drops.expired_disconnected, never delivered later;
//   - every outbound connection sends x_version_req with the next tag: the k-th connection to
//     a peer uses tag 313 + k - 1, so a reconnection carries a new tag above 313.
//
// Every wait has a deadline; a failure prints what each node printed.
#include <algorithm>
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
#include "test/xcom_node_group.h"
#include "xcom/options.h"

namespace uxcom::test {
namespace {

using namespace std::chrono_literals;

// The survivors redial a dead peer with back-off growing by 1 s per failure, up to 10 s.
constexpr Clock::duration kReconnectWait = 40s;
constexpr int kFirstTag = 313;

TEST_CASE(
    "a killed node restarted on its port is redialled with a new tag and gets every "
    "later message once, in order") {
  // The nodes run on this variant's backend (UXCOM_BACKEND reaches them): where the io_uring
  // variant finds io_uring refused, this skips, visibly, instead of failing to start them.
  net::testing::NewExecutor().reset();
  Cluster c;
  std::string started = c.Start(3);
  REQUIRE_MESSAGE(started.empty(), started);
  constexpr int kVictim = 1;
  const std::vector<int> survivors = {0, 2};
  const std::string victim_address = c.nodes[kVictim]->address;

  // --- the group forms: every node negotiated x_1_6 with both others ---------------------------
  std::string mesh = c.WaitMesh();
  REQUIRE_MESSAGE(mesh.empty(), mesh);

  // --- phase 1: every node broadcasts 5; every node gets 0..4 from each, once, in order -------
  for (auto& n : c.nodes) REQUIRE(n->proc->Send("send 5"));
  bool all = c.Eventually(
      [&] {
        for (auto& n : c.nodes) {
          for (int from = 0; from < 3; ++from) {
            if (n->delivered[from].size() < 5) return false;
          }
        }
        return true;
      },
      kWait);
  REQUIRE_MESSAGE(all, "phase 1 deliveries incomplete\n" << c.Transcripts());
  for (auto& n : c.nodes) {
    for (int from = 0; from < 3; ++from) {
      CHECK_MESSAGE(n->delivered[from] == Range(0, 4),
                    "node " << n->index << " from " << from << ": " << Show(n->delivered[from]));
      std::string want = from == n->index ? "self" : "inbound";
      for (const std::string& o : n->origins[from]) CHECK(o == want);
    }
  }

  // The survivors' view of the victim before the kill.
  struct Before {
    uint64_t connects = 0;
    uint64_t sent = 0;
    uint64_t dropped = 0;
    uint64_t dials = 0;
    uint64_t dial_failures = 0;       // all peers (statistics)
    uint64_t peer_dial_failures = 0;  // to the victim (peers)
    uint64_t expired = 0;
  };
  std::map<int, Before> before;
  for (int s : survivors) {
    Node& n = *c.nodes[s];
    std::optional<json> peers = n.Query("peers", After(kWait));
    std::optional<json> stats = n.Query("stats", After(kWait));
    REQUIRE_MESSAGE((peers && stats), c.Transcripts());
    json p = Node::PeerEntry(*peers, victim_address);
    REQUIRE(!p.is_null());
    Before& b = before[s];
    b.connects = p["connects"].get<uint64_t>();
    b.sent = p["sent"].get<uint64_t>();
    b.dropped = p["dropped"].get<uint64_t>();
    b.dials = Counter(*stats, "dials");
    b.dial_failures = Counter(*stats, "dial_failures");
    b.peer_dial_failures = p["dial_failures"].get<uint64_t>();
    b.expired = Drops(*stats, "expired_disconnected");
    CHECK(b.connects >= 1);
    CHECK(b.sent == 5);
    // The k-th connection to a peer negotiates with tag 313 + k - 1.
    CHECK(p["last_tag"].get<uint64_t>() == kFirstTag + b.connects - 1);
  }

  // --- kill -9 the victim
  // -------------------------------------------------------------------------
  Clock::time_point killed_at = Clock::now();
  c.nodes[kVictim]->proc->Kill(SIGKILL);
  std::optional<int> status = c.nodes[kVictim]->proc->Wait(After(kWait));
  REQUIRE_MESSAGE(status.has_value(), "the victim did not die\n" << c.Transcripts());
  CHECK(DescribeStatus(status) == "signal 9");
  std::unique_ptr<Node> dead = std::move(c.nodes[kVictim]);
  c.nodes.erase(c.nodes.begin() + kVictim);  // c.nodes: the survivors only, for now
  Node* s0 = c.nodes[0].get();
  Node* s2 = c.nodes[1].get();

  // --- the survivors redial it on the back-off schedule ---------------------------------------
  // Each survivor is asked for its peers every few milliseconds, and the time each new dial of
  // the victim is first seen is recorded (a dial is a failure, or a connection: the first redial
  // may still reach the dying process's listening socket and be reset). The connection had
  // negotiated, so the first redial follows at once; then the waits are Backoff{}.initial,
  // Next(initial), … (0.1 s, 1.1 s, 2.1 s with xcom_node's defaults). Seen from outside, over a
  // pipe: each time is late by at most one polling round. (Exact once the executor has a
  // virtual clock; here a fixed 1 s retry, or one at round-trip speed, fails.)
  const xcom::Backoff backoff{};
  constexpr size_t kDials = 3;  // gaps: initial, Next(initial)
  auto dials_of = [](const json& peer) {
    return peer["connects"].get<uint64_t>() + peer["dial_failures"].get<uint64_t>();
  };
  std::map<int, std::vector<Clock::time_point>> dialled_at;
  std::map<int, bool> jumped;  // two dials appeared between polls: a gap was not measured
  Clock::time_point watch_until = After(10s);
  auto watched = [&] {
    for (Node* n : {s0, s2}) {
      if (dialled_at[n->index].size() < kDials) return false;
    }
    return true;
  };
  while (!watched() && Clock::now() < watch_until) {
    for (Node* n : {s0, s2}) {
      std::optional<json> answer = n->Query("peers", After(kWait));
      REQUIRE_MESSAGE(answer.has_value(), n->Transcript());
      json p = Node::PeerEntry(*answer, victim_address);
      REQUIRE(!p.is_null());
      const uint64_t total = dials_of(p);
      const uint64_t baseline = before[n->index].connects + before[n->index].peer_dial_failures;
      REQUIRE(total >= baseline);
      std::vector<Clock::time_point>& times = dialled_at[n->index];
      if (total - baseline > times.size() + 1) jumped[n->index] = true;
      while (times.size() < total - baseline) times.push_back(Clock::now());
    }
    std::this_thread::sleep_for(5ms);
  }
  for (Node* n : {s0, s2}) {
    const std::vector<Clock::time_point>& times = dialled_at[n->index];
    REQUIRE_MESSAGE(times.size() >= kDials,
                    "node " << n->index << " dialled " << times.size() << " times in 10 s");
    CHECK_MESSAGE(!jumped[n->index], "node " << n->index << ": polling fell behind the dials");
    Clock::duration wait = backoff.initial;
    for (size_t k = 1; k < kDials; ++k) {
      const Clock::duration gap = times[k] - times[k - 1];
      INFO("node ", n->index, ": gap ", std::chrono::duration<double>(gap).count(),
           " s before dial ", k + 1, ", back-off wait ",
           std::chrono::duration<double>(wait).count(), " s");
      CHECK(gap >= wait - 50ms);  // 50 ms: the first sighting may be late by one polling round
      CHECK(gap <= wait + 400ms);
      wait = backoff.Next(wait);
    }
  }

  // The survivors notice: their connection to the victim closes.
  for (Node* n : {s0, s2}) {
    json p;
    bool ok = n->WaitPeer(
        victim_address, [](const json& e) { return e.value("state", "") == "none"; }, kWait, &p);
    REQUIRE_MESSAGE(ok, "node " << n->index << " still connected to the dead node: " << p.dump()
                                << "\n"
                                << c.Transcripts());
  }

  // --- phase 2: the survivors keep broadcasting 4 each -----------------------------------------
  // To each other: delivered (seqs 5..8). To the dead node: queued, then expired after the 2 s
  // TTL (drops.expired_disconnected), never sent; meanwhile the survivors redial it and fail.
  for (Node* n : {s0, s2}) REQUIRE(n->proc->Send("send 4"));
  all = c.Eventually(
      [&] {
        for (Node* n : {s0, s2}) {
          for (int from : survivors) {
            if (n->delivered[from].size() < 9) return false;
          }
        }
        return true;
      },
      kWait);
  REQUIRE_MESSAGE(all, "phase 2 deliveries incomplete\n" << c.Transcripts());
  for (Node* n : {s0, s2}) {
    for (int from : survivors) {
      CHECK_MESSAGE(n->delivered[from] == Range(0, 8),
                    "node " << n->index << " from " << from << ": " << Show(n->delivered[from]));
    }
    CHECK_MESSAGE(n->delivered[kVictim] == Range(0, 4), Show(n->delivered[kVictim]));
  }
  for (Node* n : {s0, s2}) {
    const Before& b = before[n->index];
    json p;
    bool expired = n->WaitPeer(
        victim_address,
        [&](const json& e) {
          return e["dropped"].get<uint64_t>() == b.dropped + 4 && e["queued"].get<uint64_t>() == 0;
        },
        kWait, &p);
    CHECK_MESSAGE(expired, "node " << n->index << ": the 4 messages for the dead node did not "
                                   << "expire: " << p.dump() << "\n"
                                   << n->Transcript());
    CHECK(p["sent"].get<uint64_t>() == b.sent);  // nothing went to the dead node
    json st;
    bool failed = n->WaitStats(
        [&](const json& s) { return Counter(s, "dial_failures") > b.dial_failures; }, kWait, &st);
    CHECK_MESSAGE(failed,
                  "node " << n->index << ": no failed dial to the dead node: " << st.dump());
    CHECK(Drops(st, "expired_disconnected") == b.expired + 4);
  }

  // --- restart the victim on the same port
  // --------------------------------------------------------
  c.nodes.insert(c.nodes.begin() + kVictim, nullptr);
  std::string restarted;
  for (int attempt = 0; attempt < 3; ++attempt) {
    restarted = c.StartNode(kVictim, victim_address);
    if (restarted.empty()) break;
    MESSAGE("restart attempt " << attempt << " failed: " << restarted);
    std::this_thread::sleep_for(500ms);
  }
  REQUIRE_MESSAGE(restarted.empty(), restarted);
  Node* back = c.nodes[kVictim].get();
  // The new process dials the survivors afresh: its first connections, tag 313.
  for (Node* n : {s0, s2}) {
    json p;
    bool ok = back->WaitPeer(n->address, IsNegotiated, kWait, &p);
    REQUIRE_MESSAGE(ok, "the restarted node never negotiated with node "
                            << n->index << ", last: " << p.dump() << "\n"
                            << c.Transcripts());
    CHECK(p["connects"].get<uint64_t>() >= 1);
    CHECK(p["last_tag"].get<uint64_t>() == kFirstTag + p["connects"].get<uint64_t>() - 1);
  }
  // The survivors redial it (back-off) and negotiate again with the next tag.
  for (Node* n : {s0, s2}) {
    const Before& b = before[n->index];
    json p;
    bool ok = n->WaitPeer(
        victim_address,
        [&](const json& e) {
          return IsNegotiated(e) && e["connects"].get<uint64_t>() > b.connects;
        },
        kReconnectWait, &p);
    REQUIRE_MESSAGE(ok, "node " << n->index << " did not reconnect to the restarted node, last: "
                                << p.dump() << "\n"
                                << c.Transcripts());
    double down_s = std::chrono::duration<double>(Clock::now() - killed_at).count();
    uint64_t connects = p["connects"].get<uint64_t>();
    uint64_t tag = p["last_tag"].get<uint64_t>();
    CHECK(connects >= 2);
    CHECK(tag > static_cast<uint64_t>(kFirstTag));
    CHECK(tag >= kFirstTag + b.connects);  // newer than every tag used before the kill
    CHECK(tag == kFirstTag + connects - 1);
    json st;
    REQUIRE(n->WaitStats([](const json&) { return true; }, kWait, &st));
    uint64_t failures = Counter(st, "dial_failures") - b.dial_failures;
    uint64_t dials = Counter(st, "dials") - b.dials;
    MESSAGE("node " << n->index << " back on the restarted node after " << down_s
                    << " s: " << failures << " failed dials of " << dials << ", connects "
                    << connects << ", tag " << tag << " (before the kill: connects " << b.connects
                    << "); outbound closes " << st.value("outbound_closes", json()).dump());
    CHECK(failures >= 1);
    CHECK(dials >= failures + 1);
    // The peer's own count includes them (and any failures before the group came up).
    CHECK(p["dial_failures"].get<uint64_t>() >= 1);
    CHECK(p["dial_failures"].get<uint64_t>() >= failures);
    // Back-off: waits of 0.1 s, 1.1 s, 2.1 s, … between dials. A fixed 100 ms retry would fail
    // about 10 times per second; with the back-off it is at most 2 + one per second.
    CHECK(static_cast<double>(failures) <= 2 + down_s);
  }

  // --- phase 3: everyone broadcasts 5
  // ------------------------------------------------------------- The survivors' seqs go on
  // at 9..13; the restarted node counts from 0 again.
  for (auto& n : c.nodes) REQUIRE(n->proc->Send("send 5"));
  all = c.Eventually(
      [&] {
        for (Node* n : {s0, s2}) {
          for (int from : survivors) {
            if (n->delivered[from].size() < 14) return false;
          }
          if (n->delivered[kVictim].size() < 10) return false;
        }
        for (int from = 0; from < 3; ++from) {
          if (back->delivered[from].size() < 5) return false;
        }
        return true;
      },
      kWait);
  CHECK_MESSAGE(all, "phase 3 deliveries incomplete\n" << c.Transcripts());

  // --- stop everyone; then nothing more can arrive ---------------------------------------------
  const std::string stop = c.StopAll();
  CHECK_MESSAGE(stop.empty(), stop);

  // Every delivery over each process's life: exactly these, in this order.
  std::vector<long long> victim_twice = Range(0, 4);
  for (long long s = 0; s <= 4; ++s) victim_twice.push_back(s);
  for (Node* n : {s0, s2}) {
    for (int from : survivors) {
      CHECK_MESSAGE(n->delivered[from] == Range(0, 13),
                    "node " << n->index << " from " << from << ": " << Show(n->delivered[from]));
    }
    // The old incarnation's 0..4, then the new one's 0..4.
    CHECK_MESSAGE(n->delivered[kVictim] == victim_twice,
                  "node " << n->index << " from the victim: " << Show(n->delivered[kVictim]));
    CHECK(n->problems.empty());
  }
  // The restarted node: only what was sent after it was back, nothing it missed while dead.
  for (int from : survivors) {
    CHECK_MESSAGE(back->delivered[from] == Range(9, 13),
                  "restarted node from " << from << ": " << Show(back->delivered[from]));
  }
  CHECK(back->delivered[kVictim] == Range(0, 4));
  CHECK(back->problems.empty());
  CHECK(dead->problems.empty());
}

}  // namespace
}  // namespace uxcom::test
