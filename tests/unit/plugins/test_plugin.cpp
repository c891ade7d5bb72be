// Small plugins for the loader's tests, one source built as several MODULE
// libraries (tests/CMakeLists.txt), each with one BSM_TEST_PLUGIN_* macro:
//   GOOD        "testgood": tools echo (its arguments back), boom (throws),
//               refuse (an error result); actor kind "pinger"
//               (PingRequest -> PingResponse with node "pinger"; sequence
//               13 throws, 7 answers a failure, 8 a reply that does not
//               parse, 9 no reply)
//   BAD_ABI     exports ABI version 999
//   NO_ENTRY    exports no entry point at all
//   THROWS      its registration throws std::runtime_error
//   RETURNS     its entry point returns 3
//   BAD_TOOL    registers a tool named "bad name"
//   NO_NAME     never calls describe()
//   BAD_TYPE    an actor kind declaring "bsm.v1.NoSuchMessage"
//   CLASH       names itself "clash"

#include <stdexcept>
#include <string>

#include "plugins/plugin_api.hpp"

namespace {

using namespace bsm::plugin;

[[maybe_unused]] message_result ping(const json_message& in) {
  if (in.json.find("\"13\"") != std::string::npos)
    throw std::runtime_error("thirteen is unlucky");
  if (in.json.find("\"7\"") != std::string::npos)
    return message_result::failure("seven is refused");
  if (in.json.find("\"8\"") != std::string::npos)
    return message_result::answer("bsm.v1.PingResponse", "{not json");
  if (in.json.find("\"9\"") != std::string::npos)
    return {};
  auto at = in.json.find("\"sequence\":\"");
  std::string sequence = "0";
  if (at != std::string::npos) {
    auto begin = at + 12;
    sequence = in.json.substr(begin, in.json.find('"', begin) - begin);
  }
  return message_result::answer("bsm.v1.PingResponse",
                                R"({"sequence":")" + sequence
                                  + R"(","node":"pinger"})");
}

[[maybe_unused]] void register_test(registrar& r) {
#if defined(BSM_TEST_PLUGIN_GOOD)
  r.describe("testgood", "0.1", "tools and a kind for tests");
  r.add_tool({"echo", "Returns its arguments.", R"({"type":"object"})",
              [](const std::string& args) {
                return tool_result::ok(args);
              }});
  r.add_tool({"boom", "Throws.", R"({"type":"object"})",
              [](const std::string&) -> tool_result {
                throw std::runtime_error("boom went the tool");
              }});
  r.add_tool({"refuse", "Answers an error.", R"({"type":"object"})",
              [](const std::string&) {
                return tool_result::error("refused on purpose");
              }});
  r.add_actor_kind({"pinger", {"bsm.v1.PingRequest"}, ping});
#elif defined(BSM_TEST_PLUGIN_THROWS)
  r.describe("testthrows", "0.1", "");
  throw std::runtime_error("registration exploded");
#elif defined(BSM_TEST_PLUGIN_BAD_TOOL)
  r.describe("testbadtool", "0.1", "");
  r.add_tool({"bad name", "", R"({"type":"object"})", [](const std::string&) {
                return tool_result::ok("");
              }});
#elif defined(BSM_TEST_PLUGIN_NO_NAME)
  r.add_tool({"quiet", "", R"({"type":"object"})", [](const std::string&) {
                return tool_result::ok("");
              }});
#elif defined(BSM_TEST_PLUGIN_BAD_TYPE)
  r.describe("testbadtype", "0.1", "");
  r.add_actor_kind({"odd", {"bsm.v1.NoSuchMessage"}, ping});
#elif defined(BSM_TEST_PLUGIN_CLASH)
  r.describe("clash", "0.1", "");
#else
  (void)r;
#endif
}

} // namespace

#if defined(BSM_TEST_PLUGIN_BAD_ABI)
extern "C" __attribute__((visibility("default"))) uint32_t
bsm_plugin_abi_version() {
  return 999;
}
extern "C" __attribute__((visibility("default"))) int
bsm_plugin_register(bsm_plugin_host*) {
  return 0;
}
#elif defined(BSM_TEST_PLUGIN_NO_ENTRY)
extern "C" __attribute__((visibility("default"))) int bsm_not_a_plugin() {
  return 1;
}
#elif defined(BSM_TEST_PLUGIN_RETURNS)
extern "C" __attribute__((visibility("default"))) uint32_t
bsm_plugin_abi_version() {
  return BSM_PLUGIN_ABI_VERSION;
}
extern "C" __attribute__((visibility("default"))) int
bsm_plugin_register(bsm_plugin_host*) {
  return 3;
}
#else
BSM_PLUGIN(register_test)
#endif
