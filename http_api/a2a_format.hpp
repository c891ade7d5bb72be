#pragma once

// A streamed A2A task (SendStreamingMessage, message/stream): the task as
// it starts (working), the answer as pieces of its artifact as the agent
// writes them, then the task's last state (completed, or failed with why,
// or canceled if CancelTask came meanwhile), each a JSON-RPC response to
// the request in an SSE `data:` line. The task store learns the end.
// Plain class, tested without a node.

#include <memory>

#include <nlohmann/json.hpp>

#include "gateway/a2a_protocol.hpp"
#include "http_api/stream_formats.hpp"

namespace bsm {

namespace gateway {
class a2a_tasks;
} // namespace gateway

/// The events of the request `id` for the working task `task`.
std::unique_ptr<stream_format>
a2a_task_events(nlohmann::json id, gateway::task_view task,
                gateway::a2a_dialect dialect,
                std::shared_ptr<gateway::a2a_tasks> tasks);

} // namespace bsm
