#pragma once

// The one place that lists every bsm.v1 message type: CAF's type
// registration and the runtime's type registry both walk this list.

#include <memory>

#include <caf/actor_system_config.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "bsm/v1/agents.pb.h"
#include "bsm/v1/budgets.pb.h"
#include "bsm/v1/cluster.pb.h"
#include "bsm/v1/credentials.pb.h"
#include "bsm/v1/envelope.pb.h"
#include "bsm/v1/events.pb.h"
#include "bsm/v1/handoff.pb.h"
#include "bsm/v1/http.pb.h"
#include "bsm/v1/mailbox.pb.h"
#include "bsm/v1/memory.pb.h"
#include "bsm/v1/runtime.pb.h"
#include "bsm/v1/security.pb.h"
#include "bsm/v1/tasks.pb.h"
#include "bsm/v1/workflows.pb.h"
#include "protocols/proto_inspect.hpp"

namespace bsm {

template <class... Ts>
struct type_list {};

/// Every message type of package bsm.v1. Add new types here.
using bsm_v1_types = type_list<
  v1::Envelope, v1::PingRequest, v1::PingResponse, v1::NodeInfoRequest,
  v1::NodeInfoResponse, v1::TreeRequest, v1::TreeResponse, v1::TreeNode,
  v1::SupervisionEvent, v1::MemoryPutRequest, v1::MemoryPutResponse,
  v1::MemoryGetRequest, v1::MemoryGetResponse, v1::MemoryDeleteRequest,
  v1::MemoryDeleteResponse, v1::MemoryListRequest, v1::MemoryListResponse,
  v1::SessionAppendRequest, v1::SessionAppendResponse, v1::SessionReadRequest,
  v1::SessionReadResponse, v1::SessionAppendTurnsRequest,
  v1::SessionAppendTurnsResponse, v1::SendRequest, v1::SendResponse,
  v1::IdempotencyRecord, v1::DeadLetter, v1::MailboxOpenRequest,
  v1::MailboxOpenResponse, v1::MailboxReadRequest, v1::MailboxReadResponse,
  v1::MailboxTargetsRequest, v1::MailboxTargetsResponse,
  v1::MailboxDrainRequest, v1::MailboxDrainResponse, v1::EffectRequest,
  v1::StoreWrite, v1::EffectRefusal, v1::EffectResponse, v1::Event,
  v1::PublishRequest, v1::SubscribeRequest, v1::SubscribeResponse,
  v1::UnsubscribeRequest, v1::UnsubscribeResponse, v1::HttpIdempotencyRecord,
  v1::HttpIdempotencyGetRequest, v1::HttpIdempotencyGetResponse,
  v1::HttpIdempotencyPutRequest, v1::HttpIdempotencyPutResponse, v1::ToolCall,
  v1::ChatMessage, v1::ToolSpec, v1::KnowledgePassage, v1::TokenUsage,
  v1::ModelSettings, v1::ModelRequest, v1::ModelResponse, v1::ToolCallFragment,
  v1::ChatDelta, v1::ToolListRequest, v1::ToolListResponse, v1::ToolCallRequest,
  v1::ToolCallResponse, v1::ChatRequest, v1::ChatStep, v1::ChatReply,
  v1::TurnCancelRequest, v1::TurnCancelResponse, v1::Question,
  v1::QuestionAskRequest, v1::QuestionListRequest, v1::QuestionListResponse,
  v1::QuestionAnswerRequest, v1::ToolProgress,
  v1::AgentInfo, v1::AgentListRequest, v1::AgentListResponse,
  v1::AgentReloadRequest, v1::AgentReloadResponse, v1::AgentDefinition,
  v1::ToolLedgerGetRequest, v1::ToolLedgerGetResponse, v1::ToolLedgerPutRequest,
  v1::ToolLedgerPutResponse, v1::MemberRecord, v1::Heartbeat, v1::LinkEntry,
  v1::LinkBatch, v1::LinkRefusal, v1::LinkAck, v1::RemoteAskRequest,
  v1::RemoteAskResponse, v1::RemoteTell, v1::ClusterViewRequest, v1::MemberView,
  v1::ClusterViewResponse, v1::AuthTokenRequest, v1::AuthTokenResponse,
  v1::UserInfo, v1::UserPutRequest, v1::UserPutResponse, v1::UserListRequest,
  v1::UserListResponse, v1::UserDeleteRequest, v1::UserDeleteResponse,
  v1::ApiKeyInfo, v1::ApiKeyCreateRequest, v1::ApiKeyCreateResponse,
  v1::ApiKeyListRequest, v1::ApiKeyListResponse, v1::ApiKeyRevokeRequest,
  v1::ApiKeyRevokeResponse, v1::SessionListRequest, v1::SessionSummary,
  v1::SessionListResponse, v1::SessionPageRequest, v1::SessionPageResponse,
  v1::EpochClaimRequest, v1::EpochClaimResponse, v1::ReplicaWriteRequest,
  v1::ReplicaWriteResponse, v1::AgentStatePageRequest,
  v1::AgentStatePageResponse, v1::AgentStateLoadRequest,
  v1::AgentStateLoadResponse, v1::HttpIdempotencyClaimRequest,
  v1::HttpIdempotencyClaimResponse, v1::HttpIdempotencyReleaseRequest,
  v1::HttpIdempotencyReleaseResponse, v1::StateEntry, v1::StateChunk,
  v1::StateChunkRequest, v1::StateChunkResponse, v1::HandoffStatus,
  v1::LeaveRequest, v1::LeaveResponse, v1::DeadLetterListRequest,
  v1::DeadLetterEntry, v1::DeadLetterListResponse, v1::DeadLetterGetRequest,
  v1::DeadLetterDeleteRequest, v1::DeadLetterDeleteResponse,
  v1::DeadLetterPurgeRequest, v1::DeadLetterPurgeResponse, v1::TaskSpec,
  v1::TaskRecord, v1::TaskSubmitRequest, v1::TaskSubmitResponse,
  v1::TaskGetRequest, v1::TaskGetResponse, v1::TaskListRequest,
  v1::TaskListResponse, v1::TaskCancelRequest, v1::TaskCancelResponse,
  v1::TaskRetryRequest, v1::TaskRetryResponse, v1::BudgetAcquireRequest,
  v1::BudgetAcquireResponse, v1::BudgetSettleRequest,
  v1::BudgetSettleResponse, v1::BudgetUse, v1::BudgetListRequest,
  v1::BudgetListResponse, v1::TaskFinished, v1::WorkflowVersion,
  v1::RunRecord, v1::StepRecord, v1::WorkflowPutRequest,
  v1::WorkflowPutResponse, v1::WorkflowGetRequest, v1::WorkflowGetResponse,
  v1::WorkflowListRequest, v1::WorkflowListResponse, v1::RunStartRequest,
  v1::RunStartResponse, v1::RunGetRequest, v1::RunGetResponse,
  v1::RunListRequest, v1::RunListResponse, v1::RunCancelRequest,
  v1::RunCancelResponse, v1::RunSignalRequest, v1::RunSignalResponse>;

/// Calls `f(static_cast<T*>(nullptr))` for every type in the list.
template <class... Ts, class F>
void for_each_type(type_list<Ts...>, F&& f) {
  (f(static_cast<Ts*>(nullptr)), ...);
}

/// Registers every bsm.v1 type with CAF under its protobuf full name.
void add_message_types(caf::actor_system_config& cfg);

} // namespace bsm

namespace bsm::atom {

// Atoms of the runtime's internal messages (CAF 0.17 atoms: at most 10
// characters). Typed payloads are protobuf messages; atoms only tag timers
// and control messages that never leave the process.

/// A supervisor's timer: restart a group of children after their backoff.
using restart = caf::atom_constant<caf::atom("restart")>;
/// A supervisor's timer: a stopping child's shutdown timeout ran out.
using stop_timeout = caf::atom_constant<caf::atom("stoptmo")>;
/// To a mailbox, from the store writer: an append reached the disk (or
/// failed).
using committed = caf::atom_constant<caf::atom("committed")>;
/// A mailbox's timer: try the next delivery (target back, backoff over).
using deliver = caf::atom_constant<caf::atom("deliver")>;
/// A mailbox's commit of a delivery's effects is on disk, or failed.
using applied = caf::atom_constant<caf::atom("applied")>;
/// The supervision relay's timer: look up the event bus again and publish
/// what is buffered.
using flush_events = caf::atom_constant<caf::atom("flushevts")>;
/// To a supervisor: start one more child (its spec follows).
using add_child = caf::atom_constant<caf::atom("addchild")>;
/// To a supervisor: stop the named child and forget it.
using remove_child = caf::atom_constant<caf::atom("rmchild")>;
/// An MCP server actor's timer: handle what its idle server sent.
using mcp_poll = caf::atom_constant<caf::atom("mcppoll")>;
/// To the tool host, from an MCP server actor: its tools, listed anew.
using tools_changed = caf::atom_constant<caf::atom("toolschgd")>;
/// Cluster timers: the membership's heartbeat tick, a link's flush.
using tick = caf::atom_constant<caf::atom("tick")>;
using flush = caf::atom_constant<caf::atom("flush")>;
/// The timer of an actor's timed requests (actors/timed_request.hpp): fail
/// those whose deadline passed.
using deadline = caf::atom_constant<caf::atom("deadline")>;
/// To the HTTP bridge's reload worker: run the node's reload once.
using reload = caf::atom_constant<caf::atom("reload")>;

} // namespace bsm::atom

namespace bsm::http {
class exchange;
} // namespace bsm::http

// An HTTP request handed from the bridge's I/O threads to the bridge actor.
// It never leaves the process (no serialization), hence "unsafe".
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<bsm::http::exchange>)
