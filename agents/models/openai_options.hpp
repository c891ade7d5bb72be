#pragma once

// OpenAI-compatible model upstreams (OpenAI, Ollama, vLLM, llama.cpp
// server): the defaults of agents whose model provider is "openai"
// (section `openai:`). The initialisers are the defaults; keys and ranges
// are in openai_options.cpp. Reload: none; a change needs a restart.

#include <chrono>
#include <cstdint>
#include <string>

#include "runtime/config/config_section.hpp"

namespace bsm {

struct openai_options {
  /// Up to the API version; calls go to <base_url>/chat/completions.
  std::string base_url = "https://api.openai.com/v1";
  /// The API key; empty means read it from `api_key_env` at node start
  /// (keeps the key out of the file).
  std::string api_key;
  /// Environment variable holding the key.
  std::string api_key_env = "OPENAI_API_KEY";
  /// Deadline of one call including retries; the time left in an agent's
  /// turn can only shorten it.
  std::chrono::milliseconds timeout{60'000};
  /// Limit of one connection set-up.
  std::chrono::milliseconds connect_timeout{10'000};
  /// Retries of 429, 5xx and connection failures.
  uint32_t max_retries = 2;
  /// Wait before the first retry; doubles per retry up to
  /// retry_backoff_max.
  std::chrono::milliseconds retry_backoff_initial{500};
  std::chrono::milliseconds retry_backoff_max{8'000};
  /// Upstream calls at once (worker threads).
  uint32_t max_concurrency = 8;
};

/// The `openai:` section.
const config::section<openai_options>& openai_section();

} // namespace bsm
