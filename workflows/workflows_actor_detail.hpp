#pragma once

// What the workflows actor's files share (workflows_actor.cpp, the runs;
// definition_requests.cpp, the definitions): internal to this folder.

#include <functional>
#include <string>

#include <caf/expected.hpp>
#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>

#include "workflows/workflows_actor.hpp"

namespace bsm::workflows::detail {

using self_pointer = workflows_actor::stateful_pointer<workflows_state>;
using then_fn = std::function<void(const caf::error&)>;

spdlog::logger& log_of(self_pointer self);

/// A completion that answers `rp` with its value or its error.
template <class Response>
std::function<void(caf::expected<Response>)>
deliver_to(caf::typed_response_promise<Response> rp) {
  return [rp](caf::expected<Response> resp) mutable {
    if (resp)
      rp.deliver(std::move(*resp));
    else
      rp.deliver(resp.error());
  };
}

/// Publishes what `data` makes on the event bus under `topic`, unless
/// nobody subscribed to it: then `data` is not called.
void publish(self_pointer self, std::string topic,
             const std::function<nlohmann::json()>& data);

/// Hands `fill` to the store writer; `then` runs once it is on disk or
/// failed.
void write(self_pointer self, store_writer::batch_fill fill, then_fn then);

// -- definitions (definition_requests.cpp) ----------------------------------

/// The parsed form of a stored version, from the cache or parsed now.
caf::expected<workflows_state::version_entry>
version_of(self_pointer self, const v1::WorkflowVersion& v);

/// The parsed form of version `version` of `name`: from the cache, else
/// read from the store (a run's version is kept as long as the run).
/// Error: internal if it is not stored.
caf::expected<workflows_state::version_entry>
version_of(self_pointer self, const std::string& name,
           const std::string& version);

/// Stores `def` as a version unless that version is stored already.
void store_version(
  self_pointer self, const workflow_definition& def, const v1::Principal& by,
  std::function<void(caf::expected<v1::WorkflowPutResponse>)> done);

caf::result<v1::WorkflowPutResponse> put_workflow(self_pointer self,
                                                  v1::WorkflowPutRequest& req);

caf::result<v1::WorkflowGetResponse>
get_workflow(self_pointer self, const v1::WorkflowGetRequest& req);

/// The newest version of every workflow, without their definitions.
caf::result<v1::WorkflowListResponse> list_workflows(self_pointer self);

} // namespace bsm::workflows::detail
