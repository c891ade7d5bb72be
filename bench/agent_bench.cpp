// The local model provider's own time, in process:
// bsm::models::complete_locally on the request an agent actor builds for the
// turn that bench/agent_bench.sh drives over HTTP (the legal agent, its system
// prompt, tools and knowledge passages, the same input), so that the whole turn
// measured there can be set against the provider's share of it. Also the
// knowledge search the agent actor runs before the model call (runtime time,
// not provider time).
//   history:0   the first turn of a session, and every turn of
//               POST /v1/chat/completions with one user message
//   history:N   a turn of a session with N earlier session entries (user and
//               assistant messages), as the agent reads them from memory;
//               with the legal agent's memory.history_turns (20) this is
//               the steady state of a long session
// BSM_AGENT_BENCH_INPUT and BSM_AGENT_BENCH_AGENT override the input and
// the agent (defaults as in bench/agent_bench.sh); BSM_AGENTS_DIR the
// definitions folder (default: the source tree's agents/seed/).

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "agents/agent_catalog.hpp"
#include "agents/agent_definition.hpp"
#include "agents/models/local_model.hpp"
#include "agents/tools/builtin_tools.hpp"
#include "runtime/error.hpp"

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

const std::string& bench_input() {
  static const std::string input
    = env_or("BSM_AGENT_BENCH_INPUT", "What should an NDA contain?");
  return input;
}

std::shared_ptr<const bsm::agents::agent_entry> bench_agent() {
  static const auto entry = [] {
    bsm::agents::agent_catalog catalog{
      {env_or("BSM_AGENTS_DIR", BSM_SOURCE_DIR "/agents/seed")}};
    if (auto loaded = catalog.load(); !loaded)
      throw std::runtime_error("agent definitions: "
                               + bsm::render(loaded.error()));
    auto name = env_or("BSM_AGENT_BENCH_AGENT", "legal");
    auto found = catalog.find(name);
    if (!found)
      throw std::runtime_error("no agent '" + name + "'");
    return found;
  }();
  return entry;
}

bsm::v1::ChatMessage message(std::string role, std::string content) {
  bsm::v1::ChatMessage result;
  result.set_role(std::move(role));
  result.set_content(std::move(content));
  return result;
}

/// The request of agents/agent_actor.cpp's call_model for the bench turn
/// with `history` session entries before it: system prompt, history, the
/// input; the agent's built-in tools; its knowledge passages for the input.
bsm::v1::ModelRequest bench_request(int history) {
  auto entry = bench_agent();
  const auto& def = entry->def;
  bsm::v1::ModelRequest req;
  *req.mutable_model() = def.model();
  if (!def.system_prompt().empty())
    *req.add_messages() = message("system", def.system_prompt());
  // The session repeats the bench input and the provider's own answer to it.
  bsm::v1::ModelRequest first = req;
  *first.add_messages() = message("user", bench_input());
  auto answer = bsm::models::complete_locally(first).message().content();
  for (int i = 0; i < history; ++i)
    *req.add_messages() = i % 2 == 0 ? message("user", bench_input())
                                     : message("assistant", answer);
  *req.add_messages() = message("user", bench_input());
  for (const auto& spec : bsm::agents::builtin_tool_specs())
    if (bsm::agents::allows_tool(def, spec.name()))
      *req.add_tools() = spec;
  for (auto& x : entry->knowledge->search(bench_input(), def.knowledge_top_k()))
    *req.add_knowledge() = std::move(x);
  req.set_timeout_ms(60000);
  req.set_request_id("bench");
  return req;
}

void BM_CompleteLocally(benchmark::State& state) {
  auto req = bench_request(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    auto res = bsm::models::complete_locally(req);
    bytes = res.message().content().size();
    benchmark::DoNotOptimize(res);
  }
  state.counters["answer_bytes"] = static_cast<double>(bytes);
  state.counters["messages"] = req.messages_size();
}
BENCHMARK(BM_CompleteLocally)
  ->ArgName("history")
  ->Arg(0)
  ->Arg(20)
  ->Unit(benchmark::kMicrosecond)
  ->UseRealTime();

void BM_KnowledgeSearch(benchmark::State& state) {
  auto entry = bench_agent();
  auto top_k = entry->def.knowledge_top_k();
  for (auto _ : state) {
    auto found = entry->knowledge->search(bench_input(), top_k);
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(BM_KnowledgeSearch)->Unit(benchmark::kMicrosecond)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
