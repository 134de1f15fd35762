// Input of //xcom:nodiscard_test, never built as a target: every awaitable the public API of
// net/ and xcom/ returns, each discarded on a line marked "// discarded". The test compiles it
// twice: as written, where each marked line must be diagnosed (the awaitable is [[nodiscard]]
// with the message of UXCOM_AWAITABLE) and nothing else may be; and with "co_await" put in
// front of each marked expression, which must compile cleanly (so the first run fails for the
// right reason only).
#include <chrono>
#include <cstddef>
#include <span>

#include "net/channel.h"
#include "net/event.h"
#include "net/listener.h"
#include "net/resolver.h"
#include "net/scope.h"
#include "net/stream.h"
#include "net/task.h"
#include "net/timer.h"
#include "net/when_any.h"
#include "xcom/transport.h"

namespace net = uxcom::net;
namespace xcom = uxcom::xcom;
using namespace std::chrono_literals;

net::Task<absl::Status> Compute() { co_return absl::OkStatus(); }

net::Task<void> DiscardEveryAwaitable(net::Executor& ex, net::Stream& stream,
                                      net::Listener& listener, net::Channel<int>& channel,
                                      net::Event& event, net::Scope& scope, xcom::Transport& t,
                                      const xcom::IncomingMessage& in, xcom::SiteId site,
                                      const uxcom::xdr::PaxMsg& msg, std::span<std::byte> buffer) {
  // net/
  Compute();                                                                // discarded
  net::Sleep(1ms);                                                          // discarded
  net::SleepUntil(ex.Now());                                                // discarded
  net::Yield();                                                             // discarded
  net::CancellationRequested();                                             // discarded
  net::CurrentExecutor();                                                   // discarded
  net::WithTimeout(1s, Compute());                                          // discarded
  net::WithTimeout(1s, channel.Pop());                                      // discarded
  net::WhenAny(channel.Pop(), event.Wait());                                // discarded
  channel.Push(1);                                                          // discarded
  channel.Pop();                                                            // discarded
  event.Wait();                                                             // discarded
  scope.Join();                                                             // discarded
  scope.Close();                                                            // discarded
  stream.ReadSome(buffer);                                                  // discarded
  stream.ReadExactly(buffer);                                               // discarded
  stream.ReadChunk([](std::span<const std::byte> d) { return d.size(); });  // discarded
  stream.Write(buffer);                                                     // discarded
  net::Stream::Connect(ex, listener.local_address());                       // discarded
  listener.Accept();                                                        // discarded
  net::Resolve("localhost", 1);                                             // discarded
  // xcom/
  t.SendTo(site, 1, msg);        // discarded
  t.SendToAll(site, msg);        // discarded
  t.SendToOthers(site, msg);     // discarded
  t.SendToSelf(site, msg);       // discarded
  t.SendToAcceptors(site, msg);  // discarded
  t.SendToSomeone(site, msg);    // discarded
  t.Receive();                   // discarded
  t.Receive(1s);                 // discarded
  t.Reply(in, msg);              // discarded
  t.Flush(1s);                   // discarded
  t.WaitForPeer(site, 1, 1s);    // discarded
  t.Stop();                      // discarded
}
