#pragma once

// The node's configuration as plain option structs. `load_node_config`
// parses a YAML file plus `--set` overrides into these once at start-up;
// afterwards they are passed by value. Actors never read files themselves.
// The keys node.*, http.listen, cluster.*, store.durability,
// security.enabled, logging.* and agents.paths are a contract (DESIGN.md).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

namespace bsm {

/// A host and port to listen on. Port 0 binds any free port.
struct listen_address {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
};

/// Renders "host:port" (IPv6 hosts in brackets).
std::string to_string(const listen_address& x);

struct node_options {
  /// Unique name of this node in the cluster. Default: "node-a".
  std::string name = "node-a";
  /// RocksDB and everything else the node keeps. Default: ./data/node-a.
  std::filesystem::path data_dir = "./data/node-a";
};

/// The HTTP bridge (API.md). Limits protect the node from slow, large or
/// hostile clients; none can change at run time.
struct http_options {
  /// Address of the HTTP bridge. Default: 127.0.0.1:8080.
  listen_address listen{"127.0.0.1", 8080};
  /// Threads that run the sockets (parsing, writing). Default: 1.
  /// Range: 1..64.
  uint32_t io_threads = 1;
  /// Open connections; further ones are closed at once. Default: 1024.
  /// Range: 1..1000000.
  uint64_t max_connections = 1024;
  /// Request line plus headers, without the target (431 above it).
  /// Default: 16 KiB. Range: 1 KiB..1 MiB.
  uint64_t max_header_bytes = 16 * 1024;
  /// Request target (path and query; 414 above it). Default: 8 KiB.
  /// Range: 256 B..1 MiB.
  uint64_t max_uri_bytes = 8 * 1024;
  /// Request body (413 above it, decided from Content-Length before the
  /// body is read). Default: 4 MiB. Range: 1 KiB..256 MiB.
  uint64_t max_body_bytes = 4ull << 20;
  /// Nesting of objects and arrays in a JSON body (400 above it).
  /// Default: 64. Range: 1..1000.
  uint32_t max_json_depth = 64;
  /// Time a client has to send a whole request once it started (slow
  /// clients are closed). Default: 10s.
  std::chrono::milliseconds read_timeout{10'000};
  /// Time a keep-alive connection may sit without a request. Default: 60s.
  std::chrono::milliseconds idle_timeout{60'000};
  /// On shutdown: time in-flight requests get to finish. Default: 10s.
  std::chrono::milliseconds drain_timeout{10'000};
  /// `ask` deadline when the request names none, and the largest one a
  /// request may name. Default: 30s and 5m.
  std::chrono::milliseconds ask_timeout{30'000};
  std::chrono::milliseconds max_ask_timeout{300'000};
  /// Origins allowed by CORS ("*" for any); empty disables CORS.
  /// Default: none.
  std::vector<std::string> cors_allowed_origins;
  /// Comment line on idle event streams, so proxies keep them open and a
  /// gone client is noticed. Default: 15s.
  std::chrono::milliseconds sse_heartbeat{15'000};
  /// Bytes an event stream may queue for a slow client before it is
  /// closed. Default: 1 MiB. Range: 4 KiB..256 MiB.
  uint64_t sse_max_queued_bytes = 1ull << 20;
};

/// How this node finds and watches the other members of its cluster.
/// Nothing here changes at run time. The timings must keep the order
/// heartbeat_interval < suspect_after < down_after, and membership_ttl >
/// heartbeat_interval (so a live node refreshes its record in time).
struct cluster_options {
  /// Address of the CAF middleman (BASP). Default: 127.0.0.1:7100.
  listen_address listen{"127.0.0.1", 7100};
  /// host:port other nodes use to reach `listen`; needed when `listen` binds
  /// 0.0.0.0 or sits behind NAT. Empty means `listen` itself. Port 0 is
  /// refused (nobody can connect to it). Default: empty.
  std::string advertise;
  /// host:port of other nodes; a node skips its own address. Default: none.
  std::vector<std::string> seeds;
  /// "static" (the seeds) or redis://host[:port][/db] (port 1..65535,
  /// default 6379; db a number, default 0). Default: "static".
  std::string membership = "static";
  /// Time between two heartbeats to each peer. Default: 500ms.
  /// Minimum: 50ms.
  std::chrono::milliseconds heartbeat_interval{500};
  /// Silence after which a peer counts as suspect (no new work placed on
  /// it). Default: 1500ms. Must exceed heartbeat_interval.
  std::chrono::milliseconds suspect_after{1'500};
  /// Silence after which a peer counts as down (its agents move).
  /// Default: 3s. Must exceed suspect_after.
  std::chrono::milliseconds down_after{3'000};
  /// Limit of one connection attempt to a peer. Default: 2s.
  /// Minimum: 100ms.
  std::chrono::milliseconds connect_timeout{2'000};
  /// Time to live of this node's record in the Redis membership table
  /// (refreshed every heartbeat; ignored with "static"). Default: 5s.
  /// Must exceed heartbeat_interval.
  std::chrono::milliseconds membership_ttl{5'000};
};

enum class durability {
  /// Nothing survives a crash.
  none,
  /// Survives a process crash, not a power loss.
  os,
  /// Survives a power loss (one fsync per group commit).
  fsync,
};

/// What the store does when it finds a damaged write-ahead log at start.
enum class wal_recovery {
  /// Refuse to start and name the damaged file. The operator decides.
  strict,
  /// Recover up to the last consistent record; later records are lost.
  tolerant,
};

struct store_options {
  /// Default: os.
  bsm::durability durability = durability::os;
  /// RocksDB block cache. Default: 64 MiB. Range: 1 MiB..64 GiB.
  uint64_t block_cache_bytes = 64ull << 20;
  /// RocksDB write buffer (memtable) per column family. Default: 16 MiB.
  /// Range: 1 MiB..4 GiB.
  uint64_t write_buffer_bytes = 16ull << 20;
  /// Default: strict.
  bsm::wal_recovery wal_recovery = wal_recovery::strict;
};

/// Limits of agent memory (the memory actor).
struct memory_options {
  /// Longest key. Default: 1 KiB. Range: 1..64 KiB.
  uint64_t max_key_bytes = 1024;
  /// Largest value. Default: 1 MiB. Range: 1 KiB..64 MiB.
  uint64_t max_value_bytes = 1ull << 20;
  /// Largest session turn (content). Default: 256 KiB. Range: 1 KiB..64 MiB.
  uint64_t max_turn_bytes = 256ull << 10;
};

/// Durable mailboxes (DESIGN.md, "Durable mailboxes and memory").
struct mailbox_options {
  /// Unacknowledged envelopes a mailbox holds before it refuses sends with
  /// `unavailable`. Default: 100000. Range: 1..100000000.
  uint64_t max_depth = 100'000;
  /// Failed deliveries after which an envelope moves to dead letters.
  /// Default: 5. Range: 1..1000.
  uint32_t max_deliveries = 5;
  /// Time a handler gets to finish (reply) before the delivery counts as
  /// failed. Default: 5m. Range: 1ms..24h.
  std::chrono::milliseconds delivery_timeout{300'000};
  /// Wait before the first redelivery of a failed envelope; doubles per
  /// failure. Default: 100ms.
  std::chrono::milliseconds redelivery_backoff_initial{100};
  /// Cap of the redelivery wait. Default: 5s.
  std::chrono::milliseconds redelivery_backoff_max{5'000};
  /// How long an idempotency key is remembered. Default: 24h.
  /// Range: 1s..365 days.
  std::chrono::milliseconds idempotency_ttl{24 * 3'600'000};
  /// Largest envelope (payload and headers). Default: 1 MiB.
  /// Range: 1 KiB..64 MiB.
  uint64_t max_envelope_bytes = 1ull << 20;
};

struct security_options {
  /// Default: false (embedded default on loopback).
  bool enabled = false;
};

enum class log_format { text, json };

struct logging_options {
  /// trace, debug, info, warn, error, critical or off. Default: info.
  std::string level = "info";
  /// Default: text.
  log_format format = log_format::text;
  /// Log file; empty means standard error. Default: empty.
  std::filesystem::path file;
};

/// Defaults for every supervisor of the node (DESIGN.md, "Supervision").
struct supervision_options {
  /// At most this many restarts ... Default: 5. Range: 0..10000.
  uint32_t max_restarts = 5;
  /// ... within this period, else the supervisor escalates. Default: 10s.
  std::chrono::milliseconds period{10'000};
  /// Backoff before the first restart; doubles per recent restart.
  /// Default: 100ms.
  std::chrono::milliseconds backoff_initial{100};
  /// Cap of the restart backoff. Default: 10s.
  std::chrono::milliseconds backoff_max{10'000};
  /// Time a child gets to stop before it is killed. Default: 5s.
  std::chrono::milliseconds shutdown_timeout{5'000};
};

/// How CAF's workers find work.
enum class scheduler_policy {
  /// Per-worker queues; idle workers poll, then sleep in short steps.
  stealing,
  /// One shared queue; idle workers block on a condition variable.
  sharing,
};

struct scheduler_options {
  /// CAF worker threads; 0 means one per core not taken by the HTTP I/O
  /// threads (at least one). Default: 0. Range: 0..256.
  uint32_t threads = 0;
  /// Default: sharing. Measured on 2 cores (docs/BENCHMARKS.md): polling
  /// idle workers (stealing) take the CPU the I/O threads need.
  scheduler_policy policy = scheduler_policy::sharing;
};

struct agents_options {
  /// Agent definition files or folders. Default: [agents/].
  std::vector<std::filesystem::path> paths{"agents/seed/"};
};

/// OpenAI-compatible model upstreams (OpenAI, Ollama, vLLM, llama.cpp
/// server): the defaults of agents whose model provider is "openai".
struct openai_options {
  /// Up to the API version; calls go to <base_url>/chat/completions.
  /// Default: "https://api.openai.com/v1".
  std::string base_url = "https://api.openai.com/v1";
  /// The API key; empty means read it from `api_key_env` at node start
  /// (keeps the key out of the file). Default: empty.
  std::string api_key;
  /// Environment variable holding the key. Default: "OPENAI_API_KEY".
  std::string api_key_env = "OPENAI_API_KEY";
  /// Deadline of one call including retries; the time left in an agent's
  /// turn can only shorten it. Default: 60s.
  std::chrono::milliseconds timeout{60'000};
  /// Limit of one connection set-up. Default: 10s.
  std::chrono::milliseconds connect_timeout{10'000};
  /// Retries of 429, 5xx and connection failures. Default: 2. Range: 0..10.
  uint32_t max_retries = 2;
  /// Wait before the first retry; doubles per retry up to
  /// retry_backoff_max. Default: 500ms and 8s.
  std::chrono::milliseconds retry_backoff_initial{500};
  std::chrono::milliseconds retry_backoff_max{8'000};
  /// Upstream calls at once (worker threads). Default: 8. Range: 1..256.
  uint32_t max_concurrency = 8;
};

/// One MCP tool server the node runs (stdio transport): a child process,
/// restarted by its supervisor when it dies. Its tools reach models as
/// "<name>__<tool>".
struct mcp_server_config {
  /// [a-z0-9_-], 1..32 characters, no "__"; unique among the servers.
  std::string name;
  /// The program: a path, or a name looked up in PATH. Required.
  std::string command;
  /// Its arguments. Default: none.
  std::vector<std::string> args;
  /// Variables added to the node's environment for the server. Names:
  /// [A-Za-z_][A-Za-z0-9_]*. Default: none.
  std::map<std::string, std::string> env;
  /// Overrides tools.call_timeout for this server's tools. Default: unset.
  std::optional<std::chrono::milliseconds> call_timeout;
};

/// Tools of agents: MCP servers run by the tool host
/// (agents/tools/tool_host.hpp). Nothing here changes at run time.
struct tools_options {
  /// Deadline of one tool call when the call names none. Default: 30s.
  std::chrono::milliseconds call_timeout{30'000};
  /// Time a server gets to start and answer the MCP handshake and the
  /// first tool list. Default: 20s.
  std::chrono::milliseconds startup_timeout{20'000};
  /// Default: none. Only in the file (not `--set`).
  std::vector<mcp_server_config> mcp_servers;
};

/// Everything a node reads from its config file.
struct node_config {
  /// The file the config was read from; empty for pure defaults.
  std::filesystem::path source;
  node_options node;
  http_options http;
  cluster_options cluster;
  store_options store;
  memory_options memory;
  mailbox_options mailbox;
  security_options security;
  logging_options logging;
  supervision_options supervision;
  scheduler_options scheduler;
  agents_options agents;
  openai_options openai;
  tools_options tools;
};

/// One `--set key.path=value` from the command line.
struct config_override {
  std::string key;
  std::string value;
};

/// Parses "a.b=value". Errors: `invalid_argument` without '=' or key.
/// Also fails for a key without a section ("name=x"). Splits at the first
/// '='; the value stays text here and `load_node_config` parses it as YAML
/// (`[a:1,b:2]` is a list, `true` a boolean).
[[nodiscard]] caf::expected<config_override>
parse_override(const std::string& arg);

/// Reads `file`, applies `overrides` on top, and validates the result.
/// Errors (all `invalid_argument`, with one line naming file, line and key):
/// a missing or unreadable file, a YAML syntax error, an unknown key, a
/// value of the wrong type, a value out of range. Relative paths in the
/// file stay relative to the working directory, as the operator typed them.
/// An empty `file` means no file: the defaults plus `overrides`. An override
/// of a key that takes one value uses its text verbatim when the text is not
/// a single YAML value, so `--set http.listen=[::1]:8080` is an address.
/// Errors at an override name it instead of a file line.
[[nodiscard]] caf::expected<node_config>
load_node_config(const std::filesystem::path& file,
                 const std::vector<config_override>& overrides);

/// Why `name` is not a valid node name (node.name; also an agent
/// definition's placement.node), or an empty string if it is: 1..64
/// characters of A-Z, a-z, 0-9, '.', '_' and '-'.
[[nodiscard]] std::string node_name_problem(std::string_view name);

/// Checks cross-field rules (for example backoff_initial <= backoff_max).
/// Also checks every single-key rule, for configs built in code. Errors
/// name the key but no file: "key 'scheduler.threads': 300 is out of ...".
[[nodiscard]] caf::error validate(const node_config& cfg);

} // namespace bsm
