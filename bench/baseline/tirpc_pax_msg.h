// The baseline the uxcom codec is measured against: pax_msg as C structs with XDR routines
// written here on libtirpc's primitives (xdrmem, xdr_sizeof, xdr_bytes, xdr_array, xdr_pointer,
// …), walking the structures the way MySQL's rpcgen-generated code does, with the protocol
// version in a side channel as 8.0.18 passes it (XDR.x_public), and the message lifecycle of its
// transport. x_1_0 … x_1_6 follow 8.0.18's rules or, on request, 8.0.39's; x_1_7 … x_1_9
// follow 8.0.39's (its one struct for every version, xdr/profile.h):
//
// * Serialize: a sizing pass (xdr_sizeof), a zeroed allocation of header + body (calloc), an
//   xdrmem encode at offset 12, the header written last (tag 0 or 666, x_normal).
// * Deserialize: a zeroed pax_msg (calloc), an xdrmem decode that allocates every pointer,
//   array and string, then FreePaxMsg (xdr_free with the version, then free).
//
// It is a model for benchmarks and tests (including the "XCom-model" transport baseline), not
// MySQL code: the structs and routines are written from the wire-format spec. Nothing here is
// hardened against hostile input beyond what libtirpc does (it allocates whatever a length
// says before checking that the bytes exist).
//
//   uxcom::bench::tirpc::pax_msg* m = FromModel(uxcom_msg);
//   char* frame; uint32_t frame_size;
//   Serialize(7, m, &frame, &frame_size);
//   free(frame);
//   FreePaxMsg(7, m);
#ifndef UXCOM_BENCH_BASELINE_TIRPC_PAX_MSG_H_
#define UXCOM_BENCH_BASELINE_TIRPC_PAX_MSG_H_

#include <rpc/types.h>
#include <rpc/xdr.h>

#include <cstddef>
#include <cstdint>

#include "xdr/pax_msg.h"

namespace uxcom::bench::tirpc {

// C layouts in the shape rpcgen gives the .x types: counted arrays as {len, val}, optional data
// as pointers, enums as enum_t, bools as bool_t.
struct synode_no {
  uint32_t group_id;
  uint64_t msgno;
  uint32_t node;
};
struct ballot {
  int32_t cnt;
  uint32_t node;
};
struct x_proto_range {
  enum_t min_proto;
  enum_t max_proto;
};
struct blob {
  struct {
    u_int data_len;
    char* data_val;
  } data;
};
struct node_address {
  char* address;
  blob uuid;
  x_proto_range proto;  // on the wire from x_1_1
  uint32_t services;    // on the wire from x_1_9
};
struct node_list {
  u_int node_list_len;
  node_address* node_list_val;
};
struct node_set {
  u_int node_set_len;
  bool_t* node_set_val;
};
struct bit_set {
  struct {
    u_int bits_len;
    uint32_t* bits_val;
  } bits;
};
struct synode_no_array {
  u_int synode_no_array_len;
  synode_no* synode_no_array_val;
};
struct uncommitted_list {
  uint32_t active;
  synode_no_array vers;
};
struct repository {
  synode_no vers;
  synode_no_array msg_list;
  uncommitted_list u_list;
};
struct trans_id {
  synode_no cfg;
  uint32_t pc;
};
struct x_error {
  int32_t nodeid;
  int32_t code;
  char* message;
};
struct trans_data {
  trans_id tid;
  int32_t pc;
  char* cluster_name;
  x_error errmsg;
};
struct checked_data {
  u_int data_len;
  char* data_val;
};
struct leader {
  char* address;
};
struct leader_array {
  u_int leader_array_len;
  leader* leader_array_val;
};
struct app_u {
  enum_t c_t;
  union {
    node_list nodes;
    repository rep;
    checked_data data;
    trans_data td;
    node_set present;
    uint64_t cache_limit;
    uint32_t event_horizon;
    synode_no_array synodes;
    uint32_t max_leaders;  // 8.0.39
    leader_array leaders;  // 8.0.39
  } app_u_u;
};
struct app_data {
  synode_no unique_id;
  uint32_t group_id;
  uint64_t lsn;
  synode_no app_key;
  enum_t consensus;
  double expiry_time;
  bool_t notused;
  bool_t log_it;
  bool_t chosen;
  enum_t recover;
  app_u body;
  app_data* next;
};
using app_data_ptr = app_data*;
struct app_data_ptr_array {
  u_int app_data_ptr_array_len;
  app_data_ptr* app_data_ptr_array_val;
};
struct snapshot {
  synode_no vers;
  app_data_ptr_array snap;
  uncommitted_list u_list;
};
struct config {
  synode_no start;
  synode_no boot_key;
  node_list nodes;
  node_set global_node_set;     // on the wire from x_1_7 (and at x_1_3 in 8.0.39)
  uint32_t event_horizon;       // on the wire from x_1_4
  uint32_t max_active_leaders;  // on the wire from x_1_9
  leader_array leaders;         // on the wire from x_1_9
};
using config_ptr = config*;
struct configs {
  u_int configs_len;
  config_ptr* configs_val;
};
struct gcs_snapshot {
  synode_no log_start;
  synode_no log_end;  // on the wire from x_1_7 (and at x_1_3 in 8.0.39)
  configs cfg;
  blob app_snap;
};
struct synode_app_data {
  synode_no synode;
  checked_data data;
  synode_no origin;  // on the wire from x_1_9
};
struct synode_app_data_array {
  u_int synode_app_data_array_len;
  synode_app_data* synode_app_data_array_val;
};
struct leader_info_data {
  uint32_t max_nr_leaders;
  leader_array preferred_leaders;
  leader_array actual_leaders;
};
struct reply_data {
  enum_t rt;
  union {
    leader_info_data leaders;
  } reply_data_u;
};
// All fields of every version; the codec writes those the version carries.
struct pax_msg {
  uint32_t to;
  uint32_t from;
  uint32_t group_id;
  synode_no max_synode;
  enum_t start_type;
  ballot reply_to;
  ballot proposal;
  enum_t op;
  synode_no synode;
  enum_t msg_type;
  bit_set* receivers;
  app_data* a;
  snapshot* snap;
  gcs_snapshot* gcs_snap;
  enum_t cli_err;
  bool_t force_delivery;
  int32_t refcnt;
  synode_no delivered_msg;                          // x_1_2+
  uint32_t event_horizon;                           // x_1_4+
  synode_app_data_array requested_synode_app_data;  // x_1_6+
  reply_data* rd;                                   // x_1_9
};

// The pax_msg routine for the protocol version and rules of the operation in progress (set by
// the functions below), dispatching to the layout of that version; fails outside 1..10.
bool_t xdr_pax_msg(XDR* xdrs, pax_msg* objp);

// MySQL's serialize_msg: size, calloc(12 + size), encode, header. *frame is the caller's to
// free(). False if the message cannot be encoded at `version` under the profile's rules.
bool Serialize(uint32_t version, pax_msg* msg, char** frame, uint32_t* frame_size,
               xdr::Profile profile = xdr::kDefaultProfile);

// A zeroed pax_msg decoded from `body` with xdrmem; *consumed is xdr_getpos at the end (where
// decoding stopped, on failure too). On failure the partial message is freed and *out is null.
bool Deserialize(uint32_t version, const char* body, uint32_t size, pax_msg** out,
                 uint32_t* consumed, xdr::Profile profile = xdr::kDefaultProfile);

// xdr_free of everything the message owns, with the version, then free() of the message.
void FreePaxMsg(uint32_t version, pax_msg* msg, xdr::Profile profile = xdr::kDefaultProfile);

// A deep copy of a uxcom message in this model (malloc'd; FreePaxMsg releases it).
pax_msg* FromModel(const xdr::PaxMsg& msg);

}  // namespace uxcom::bench::tirpc

#endif  // UXCOM_BENCH_BASELINE_TIRPC_PAX_MSG_H_
