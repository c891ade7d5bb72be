// The MCP conformance suite's client under test (make interop):
// `conformance client --command <this>` runs it with the server's URL as
// its last argument and the scenario in MCP_CONFORMANCE_SCENARIO. It is
// the node's own MCP client over Streamable HTTP (agents/mcp): it
// initializes, lists the tools, calls each one (add_numbers with 5 and 3,
// the others without arguments) and ends the session, as an agent's tool
// host would, configured with `elicitation: defaults` (the server's
// elicitation/create is accepted with the requested schema's defaults). Exit 0
// when it did its part; the suite judges the rest.
// The auth scenarios give a pre-registered client in MCP_CONFORMANCE_CONTEXT
// (JSON: client_id and client_secret, or private_key_pem): the client then
// gets its tokens through agents/mcp/oauth/token_source.hpp, as a server
// entry with `auth:` does.

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "agents/mcp/client.hpp"
#include "agents/mcp/http_transport.hpp"
#include "agents/mcp/oauth/token_source.hpp"
#include "agents/mcp/server_requests.hpp"
#include "runtime/error.hpp"

#include <nlohmann/json.hpp>

namespace {

/// The token source for the context's client; null without one.
std::shared_ptr<bsm::mcp::http_authorizer>
authorizer_of(const char* context, const std::string& url) {
  if (context == nullptr)
    return nullptr;
  auto ctx = nlohmann::json::parse(context, nullptr, false);
  if (!ctx.is_object() || !ctx.contains("client_id"))
    return nullptr;
  bsm::mcp::oauth::token_source_options opts;
  opts.server_url = url;
  auto& c = opts.credentials;
  c.client_id = ctx.value("client_id", "");
  c.client_secret = ctx.value("client_secret", "");
  c.private_key_pem = ctx.value("private_key_pem", "");
  opts.log = [](std::string_view line) {
    std::cerr << line << '\n';
  };
  auto made = bsm::mcp::oauth::token_source::make(std::move(opts));
  if (!made) {
    std::cerr << "auth: " << bsm::render(made.error()) << '\n';
    std::exit(1);
  }
  return *made;
}

} // namespace

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  if (argc < 2) {
    std::cerr << "usage: bsm_mcp_conformance_client URL\n";
    return 2;
  }
  const char* scenario = std::getenv("MCP_CONFORMANCE_SCENARIO");
  bsm::mcp::http_transport_options http;
  http.url = argv[argc - 1];
  // The standalone GET stream, as the tool host opens it: the suite's
  // elicitation server sends its request there. Not for sse-retry: its
  // server answers on the first GET it sees, so a listening stream would
  // take the answer before the resumption (GET with Last-Event-ID after
  // `retry`) it checks.
  http.listen = scenario == nullptr || std::string{scenario} != "sse-retry";
  http.authorizer
    = authorizer_of(std::getenv("MCP_CONFORMANCE_CONTEXT"), http.url);
  bsm::mcp::client_options opts;
  opts.log = [](std::string_view line) {
    std::cerr << line << '\n';
  };
  opts.on_elicitation = [](const std::string& params) {
    return bsm::mcp::answer_elicitation(bsm::mcp::elicitation_policy::defaults,
                                        params);
  };
  auto client = bsm::mcp::client::connect_http(http, opts, 20s);
  if (!client) {
    std::cerr << "initialize failed: " << bsm::render(client.error()) << '\n';
    return 1;
  }
  auto tools = (*client)->list_tools(20s);
  if (!tools) {
    std::cerr << "tools/list failed: " << bsm::render(tools.error()) << '\n';
    return 1;
  }
  int failed = 0;
  for (const auto& tool : *tools) {
    auto args = tool.name == "add_numbers" ? R"({"a":5,"b":3})" : "{}";
    auto result = (*client)->call_tool(tool.name, args, 20s);
    if (!result) {
      std::cerr << tool.name << " failed: " << bsm::render(result.error())
                << '\n';
      ++failed;
      continue;
    }
    std::cout << tool.name << (result->is_error ? " (error): " : ": ")
              << result->content << '\n';
  }
  std::cerr << "scenario " << (scenario ? scenario : "(none)") << ", "
            << (*client)->shutdown(2s) << '\n';
  return failed == 0 ? 0 : 1;
}
