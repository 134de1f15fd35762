// xcomdump as an operator uses it: dumping captures in the manifest's conventions, encoding
// JSON lines back to identical frames, and reporting malformed input without losing what came
// before it. Most cases call the tool's function over streams; the last ones run the binary.
#include "xdr/tools/xcomdump.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "test/vectors/golden_vectors.h"
#include "xdr/big_endian.h"
#include "xdr/json.h"
#include "xdr/limits.h"

namespace uxcom::xdr::tools {
namespace {

struct Run {
  int status;
  std::string out;
  std::string err;
};

Run Xcomdump(std::vector<std::string> args, const std::string& input) {
  args.insert(args.begin(), "xcomdump");
  std::istringstream in(input);
  std::ostringstream out, err;
  const int status = XcomdumpMain(args, in, out, err);
  return {status, out.str(), err.str()};
}

std::string Bytes(const std::vector<std::byte>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

std::vector<Json> Lines(const std::string& text) {
  std::vector<Json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
  return out;
}

// Every frame of a catalog, negotiation headers first, as one stream, with the JSON object
// xcomdump must print for each, and the --profile flag of the catalog's release.
struct Capture {
  std::string profile_flag;
  std::string bytes;
  std::vector<Json> expected;
};

const Capture& AllFrames(const std::string& catalog) {
  static std::map<std::string, Capture>* captures = new std::map<std::string, Capture>;
  auto [it, fresh] = captures->try_emplace(catalog);
  Capture& c = it->second;
  if (!fresh) return c;
  const Json& manifest = testing::GoldenManifest(catalog);
  c.profile_flag = "--profile=" + manifest["mysql_version"].get<std::string>();
  for (const Json& entry : manifest["negotiation"]) {
    c.bytes += Bytes(testing::ReadVector(entry["file"].get<std::string>(), catalog));
    Json j = Json::object();
    j["header"] = entry["header"];
    c.expected.push_back(std::move(j));
  }
  for (const Json& entry : manifest["messages"]) {
    c.bytes += Bytes(testing::ReadVector(entry["file"].get<std::string>(), catalog));
    Json j = Json::object();
    j["header"] = entry["header"];
    j["pax_msg"] = entry["pax_msg"];
    c.expected.push_back(std::move(j));
  }
  return c;
}

std::string Frame(const std::string& file, std::string_view catalog = testing::kCatalog8018) {
  return Bytes(testing::ReadVector(file, catalog));
}

TEST_CASE("a capture of every golden frame dumps to exactly the manifest's objects") {
  for (const std::string& catalog : testing::GoldenCatalogs()) {
    INFO("catalog ", catalog);
    const Capture& all = AllFrames(catalog);
    const Run r = Xcomdump({all.profile_flag}, all.bytes);
    CHECK(r.status == kExitOk);
    CHECK(r.err.empty());
    const std::vector<Json> lines = Lines(r.out);
    REQUIRE(lines.size() == all.expected.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      INFO("frame ", i);
      CHECK(lines[i] == all.expected[i]);
    }
  }
}

TEST_CASE("--encode turns the dump back into the identical byte stream") {
  for (const std::string& catalog : testing::GoldenCatalogs()) {
    INFO("catalog ", catalog);
    const Capture& all = AllFrames(catalog);
    const Run dump = Xcomdump({all.profile_flag}, all.bytes);
    REQUIRE(dump.status == kExitOk);
    // --like_mysql: 8.0.39's catalog has leader cargo types at x_1_7 and x_1_8, which its
    // routines encode and the default refuses (peers at those versions may not know them).
    const Run encoded = Xcomdump({"--encode", "--like_mysql", all.profile_flag}, dump.out);
    CHECK(encoded.status == kExitOk);
    CHECK(encoded.err.empty());
    CHECK(encoded.out == all.bytes);
  }
}

TEST_CASE("the default profile is 8.0.39: 8.0.18's cargo-3 repositories need --profile=8.0.18") {
  const std::string recover = Frame("v1_6/079_xcom_recover_repository.bin");
  const Run modern = Xcomdump({}, recover);
  CHECK(modern.status == kExitMalformedInput);
  const Run old = Xcomdump({"--profile=8.0.18"}, recover);
  CHECK(old.status == kExitOk);
  CHECK(Lines(old.out)[0]["pax_msg"]["a"]["body"]["c_t"]["name"] == "xcom_recover");
  // 8.0.39 names what 8.0.18 does not, and the other way round.
  const std::string leaders = Frame("v1_9/126_set_leaders_type_1.bin", testing::kCatalog8039);
  CHECK(Lines(Xcomdump({}, leaders).out)[0]["pax_msg"]["a"]["body"]["c_t"]["name"] ==
        "set_leaders_type");
  const std::string cargo_5 = Frame("v1_6/064_query_type.bin");
  CHECK(Lines(Xcomdump({}, cargo_5).out)[0]["pax_msg"]["a"]["body"]["c_t"]["name"].is_null());
  CHECK(Lines(Xcomdump({"--profile", "8.0.18"}, cargo_5)
                  .out)[0]["pax_msg"]["a"]["body"]["c_t"]["name"] == "query_type");
  CHECK(Xcomdump({"--profile=8.0.40"}, "").status == kExitUsage);
}

TEST_CASE("files are read in order, '-' is standard input") {
  const std::string dir = testing::GoldenVectorsDir() + "/";
  const Run r =
      Xcomdump({dir + "v1_6/015_op_i_am_alive_op.bin", "-"}, Frame("v1_0/000_op_client_msg.bin"));
  CHECK(r.status == kExitOk);
  const std::vector<Json> lines = Lines(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["pax_msg"]["op"]["name"] == "i_am_alive_op");
  CHECK(lines[1]["header"]["version"] == 1);
}

TEST_CASE("a malformed frame yields an error object after the frames before it, exit 1") {
  const std::string good = Frame("v1_6/000_op_client_msg.bin");
  std::string bad = Frame("v1_6/035_unified_boot_type_nodes_1.bin");
  // The node count sits after the 72-byte prefix, two flags and 76 bytes of app_data.
  const size_t count_at = 12 + 72 + 8 + 76;
  StoreBigEndian32(&bad[count_at], 101);
  const Run r = Xcomdump({}, good + good + bad + good);
  CHECK(r.status == kExitMalformedInput);
  const std::vector<Json> lines = Lines(r.out);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].contains("pax_msg"));
  CHECK(lines[1].contains("pax_msg"));
  const Json& e = lines[2]["error"];
  CHECK(e["offset"] == 2 * good.size() + count_at);
  CHECK(e["frame_offset"] == 2 * good.size());
  CHECK(e["field"] == "a.body.nodes");
  CHECK(e["reason"] == "count 101 > 100 (NSERVERS)");
  CHECK(e["source"] == "<stdin>");
  CHECK(r.err.find("count 101 > 100") != std::string::npos);

  SUBCASE("--keep_going finds the next frame after it and goes on") {
    const Run k = Xcomdump({"--keep_going"}, good + bad + good);
    CHECK(k.status == kExitMalformedInput);
    const std::vector<Json> all = Lines(k.out);
    REQUIRE(all.size() == 4);
    CHECK(all[1].contains("error"));
    // The search starts one byte into the bad frame and resumes where the good one starts.
    const Json& r = all[2]["resync"];
    CHECK(r["cause"] == "after_error");
    CHECK(r["from"] == good.size() + 1);
    CHECK(r["resumed_at"] == good.size() + bad.size());
    CHECK(r["skipped"] == bad.size() - 1);
    CHECK(all[3].contains("pax_msg"));
  }
}

TEST_CASE("truncated input: a partial header or a short body is reported with its offset") {
  const std::string good = Frame("v1_4/000_op_client_msg.bin");
  Run r = Xcomdump({}, good + good.substr(0, 5));
  CHECK(r.status == kExitMalformedInput);
  std::vector<Json> lines = Lines(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1]["error"]["offset"] == good.size());
  CHECK(lines[1]["error"]["reason"] == "truncated frame header: 5 of 12 bytes");

  r = Xcomdump({}, good.substr(0, 40));
  lines = Lines(r.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["error"]["offset"] == 40);
  CHECK(lines[0]["error"]["reason"] ==
        "truncated body: 28 of " + std::to_string(good.size() - 12) + " bytes");
}

TEST_CASE("a frame larger than --max_body_size is refused without reading it") {
  const std::string good = Frame("v1_6/033_app_type_checked_70000.bin");
  const Run r = Xcomdump({"--max_body_size=65536"}, good);
  CHECK(r.status == kExitMalformedInput);
  const std::vector<Json> lines = Lines(r.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["error"]["field"] == "header.length");
  CHECK(lines[0]["error"]["offset"] == 4);
}

TEST_CASE("trailing bytes are shown, and --encode puts them back") {
  std::string frame = Frame("v1_6/015_op_i_am_alive_op.bin");
  frame += std::string("\xde\xad\xbe\xef", 4);
  StoreBigEndian32(&frame[4], static_cast<uint32_t>(frame.size() - 12));
  const Run r = Xcomdump({}, frame);
  CHECK(r.status == kExitOk);
  const std::vector<Json> lines = Lines(r.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["trailing_bytes"] == "deadbeef");
  CHECK(Xcomdump({"--encode"}, r.out).out == frame);
}

TEST_CASE("a body that re-encodes differently is flagged non_canonical") {
  std::string frame = Frame("v1_6/015_op_i_am_alive_op.bin");
  StoreBigEndian32(&frame[12 + 92], 5);  // force_delivery = 5: true, but not 1
  const Run r = Xcomdump({}, frame);
  const std::vector<Json> lines = Lines(r.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["non_canonical"] == true);
  CHECK(lines[0]["pax_msg"]["force_delivery"] == true);
}

TEST_CASE("--decode_as reads bodies with another version than their header's") {
  std::string frame = Frame("v1_2/000_op_client_msg.bin");
  StoreBigEndian32(&frame[0], 7);  // mislabelled as x_1_6
  Run r = Xcomdump({}, frame);
  CHECK(r.status == kExitMalformedInput);
  r = Xcomdump({"--decode_as=x_1_2"}, frame);
  CHECK(r.status == kExitOk);
  CHECK(Lines(r.out)[0]["header"]["version"] == 7);
  CHECK(Xcomdump({"--decode_as", "3"}, frame).status == kExitOk);
  CHECK(Xcomdump({"--decode_as=11"}, frame).status == kExitUsage);
}

TEST_CASE("a frame whose header names no known version is an error naming it") {
  std::string frame = Frame("v1_6/015_op_i_am_alive_op.bin");
  StoreBigEndian32(&frame[0], 11);
  const Run r = Xcomdump({}, frame);
  CHECK(r.status == kExitMalformedInput);
  CHECK(Lines(r.out)[0]["error"]["reason"].get<std::string>().starts_with(
      "unknown protocol version 11 has no wire layout"));
}

TEST_CASE("--with_offsets and --pretty") {
  const std::string a = Frame("v1_6/neg_version_req_tag313.bin");
  const std::string b = Frame("v1_6/015_op_i_am_alive_op.bin");
  const std::vector<Json> lines = Lines(Xcomdump({"--with_offsets"}, a + b).out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["offset"] == 0);
  CHECK(lines[1]["offset"] == 12);
  const Run pretty = Xcomdump({"--pretty"}, a);
  CHECK(pretty.out.find("\n  \"header\": {") != std::string::npos);
}

TEST_CASE("--encode computes an omitted length and refuses a wrong one") {
  const Run dump = Xcomdump({}, Frame("v1_6/015_op_i_am_alive_op.bin"));
  Json j = Json::parse(dump.out);
  j["header"].erase("length");
  CHECK(Xcomdump({"--encode"}, j.dump() + "\n").out == Frame("v1_6/015_op_i_am_alive_op.bin"));
  j["header"]["length"] = 100;
  const Run r = Xcomdump({"--encode"}, j.dump() + "\n");
  CHECK(r.status == kExitMalformedInput);
  CHECK(Json::parse(r.err)["error"]["reason"] ==
        "header.length 100 does not match the body (124 bytes); omit it to have it computed");
}

TEST_CASE("--encode reports a bad line with its line number and offset, after earlier frames") {
  const std::string first = Xcomdump({}, Frame("v1_6/015_op_i_am_alive_op.bin")).out;
  Json broken = Json::parse(first);
  broken["pax_msg"]["op"] = "no_such_op";
  const std::string input = first + "\n" + broken.dump() + "\n" + first;
  const Run r = Xcomdump({"--encode"}, input);
  CHECK(r.status == kExitMalformedInput);
  CHECK(r.out == Frame("v1_6/015_op_i_am_alive_op.bin"));
  const Json e = Json::parse(r.err)["error"];
  CHECK(e["line"] == 3);
  CHECK(e["offset"] == first.size() + 1);
  CHECK(e["reason"] == "pax_msg: op: unknown pax_op name \"no_such_op\"");

  const Run not_json = Xcomdump({"--encode"}, "{\"header\": \n");
  CHECK(not_json.status == kExitMalformedInput);
  CHECK(Json::parse(not_json.err)["error"]["reason"].get<std::string>().starts_with("not JSON"));
}

TEST_CASE("--encode refuses what the version cannot carry unless --like_8018") {
  const Run dump = Xcomdump({}, Frame("v1_6/084_get_synode_app_data_type_0.bin"));
  Json j = Json::parse(dump.out);
  j["header"]["version"] = 5;  // x_1_4 does not know cargo 23
  j["header"].erase("length");
  j["pax_msg"].erase("requested_synode_app_data");
  const Run strict = Xcomdump({"--encode"}, j.dump());
  CHECK(strict.status == kExitMalformedInput);
  CHECK(strict.err.find("is not known before x_1_6") != std::string::npos);
  CHECK(Xcomdump({"--encode", "--like_8018"}, j.dump()).status == kExitOk);
}

TEST_CASE("usage: --help, unknown options and unreadable files") {
  const Run help = Xcomdump({"--help"}, "");
  CHECK(help.status == kExitOk);
  CHECK(help.out.starts_with("usage: xcomdump"));
  CHECK(Xcomdump({"--frobnicate"}, "").status == kExitUsage);
  CHECK(Xcomdump({"/no/such/file"}, "").status == kExitNoInput);
  CHECK(kExitUsage == 64);
  const Run bad_flag = Xcomdump({"--max_body_size=lots"}, "");
  CHECK(bad_flag.status == kExitUsage);
  CHECK(bad_flag.err.starts_with("xcomdump: --max_body_size: 'lots' is not an integer"));
  CHECK(Xcomdump({"--op=no_such_op"}, "").err.find("'no_such_op' is not one of client_msg") !=
        std::string::npos);
  CHECK(Xcomdump({"--filter=tcp"}, "").status == kExitUsage);  // raw frames: no BPF filter
  CHECK(Xcomdump({}, "").status == kExitOk);                   // an empty capture is a valid one
}

// --- the binary itself ------------------------------------------------------------------------

std::string Shell(const std::string& command, int& status) {
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  status = pclose(p);
  return out;
}

TEST_CASE("the binary dumps a file, and --encode through a pipe reproduces it") {
  const std::string file = testing::GoldenVectorsDir() + "/v1_6/118_full_combo_learn.bin";
  int status = 0;
  const std::string json = Shell("xdr/tools/xcomdump " + file, status);
  CHECK(status == 0);
  const Json line = Json::parse(json);
  CHECK(line["pax_msg"]["op"]["name"] == "learn_op");
  const std::string bytes =
      Shell("xdr/tools/xcomdump " + file + " | xdr/tools/xcomdump --encode -o /dev/stdout", status);
  CHECK(status == 0);
  CHECK(bytes == Frame("v1_6/118_full_combo_learn.bin"));
  Shell("xdr/tools/xcomdump --no-such-flag 2>/dev/null", status);
  CHECK(WEXITSTATUS(status) == kExitUsage);
}

}  // namespace
}  // namespace uxcom::xdr::tools
