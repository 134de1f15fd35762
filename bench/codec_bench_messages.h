// The representative messages of //bench:codec_bench (and of its libtirpc baseline test):
//
// * SmallAppMessage: an accept_op carrying one app_data with a 100-byte app_type payload, the
//   common case of a group replicating small transactions;
// * LargeAppMessage: the same with a 64 KiB payload;
// * GcsSnapshotMessage: a gcs_snapshot_op whose snapshot holds 4 configs of 9 nodes each
//   ("host:port" addresses, 36-byte uuids), config-heavy;
// * ChainMessage: a learn_op whose `a` is a 3-element next chain of 100-byte app_type payloads.
//
// Every message carries the fields of every version (delivered_msg, event_horizon, node proto
// ranges and services, the config fields of x_1_4 … x_1_9, log_end) so that it encodes at
// x_1_0 … x_1_9 alike. Payloads live in static storage.
#ifndef UXCOM_BENCH_CODEC_BENCH_MESSAGES_H_
#define UXCOM_BENCH_CODEC_BENCH_MESSAGES_H_

#include <string>
#include <vector>

#include "xdr/pax_msg.h"

namespace uxcom::bench {

xdr::PaxMsg SmallAppMessage();
xdr::PaxMsg LargeAppMessage();
xdr::PaxMsg GcsSnapshotMessage();
xdr::PaxMsg ChainMessage();

struct NamedMessage {
  std::string name;  // "small_app", "large_app_64k", "gcs_snapshot_9_nodes", "chain_3"
  xdr::PaxMsg msg;
};
std::vector<NamedMessage> AllCodecBenchMessages();

}  // namespace uxcom::bench

#endif  // UXCOM_BENCH_CODEC_BENCH_MESSAGES_H_
