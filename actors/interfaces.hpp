#pragma once

// Every typed actor interface of the hub, one comment line per handler.

#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "protocols/caf_types.hpp"

namespace bsm {

/// Answers liveness probes and describes the node.
using node_info_actor = caf::typed_actor<
  /// Echoes the sequence and payload, adding the node name.
  caf::replies_to<v1::PingRequest>::with<v1::PingResponse>,
  /// Reports node name, version and uptime.
  caf::replies_to<v1::NodeInfoRequest>::with<v1::NodeInfoResponse>>;

/// Per-agent key/value memory and per-session conversation history.
using memory_actor = caf::typed_actor<
  /// Stores a value under a key.
  caf::replies_to<v1::MemoryPutRequest>::with<v1::MemoryPutResponse>,
  /// Reads a value.
  caf::replies_to<v1::MemoryGetRequest>::with<v1::MemoryGetResponse>,
  /// Deletes a key.
  caf::replies_to<v1::MemoryDeleteRequest>::with<v1::MemoryDeleteResponse>,
  /// Lists keys by prefix, a page at a time.
  caf::replies_to<v1::MemoryListRequest>::with<v1::MemoryListResponse>,
  /// Appends a turn to a session.
  caf::replies_to<v1::SessionAppendRequest>::with<v1::SessionAppendResponse>,
  /// Appends several turns to a session in one atomic write.
  caf::replies_to<v1::SessionAppendTurnsRequest>::with<
    v1::SessionAppendTurnsResponse>,
  /// Reads the last turns of a session, a page at a time.
  caf::replies_to<v1::SessionReadRequest>::with<v1::SessionReadResponse>,
  /// Lists an agent's sessions, a page at a time.
  caf::replies_to<v1::SessionListRequest>::with<v1::SessionListResponse>,
  /// Reads a session's turns oldest first, a page at a time.
  caf::replies_to<v1::SessionPageRequest>::with<v1::SessionPageResponse>,
  /// The writes a batch of its mailbox's envelopes cause, none made
  /// (mailbox.proto: exactly-once effects).
  caf::replies_to<v1::EffectRequest>::with<v1::EffectResponse>,
  /// Replicas (cluster.replication_factor 2): a claim to act for an
  /// agent's state, a change of it, a page of it, a page pushed to a copy.
  caf::replies_to<v1::EpochClaimRequest>::with<v1::EpochClaimResponse>,
  caf::replies_to<v1::ReplicaWriteRequest>::with<v1::ReplicaWriteResponse>,
  caf::replies_to<v1::AgentStatePageRequest>::with<v1::AgentStatePageResponse>,
  caf::replies_to<v1::AgentStateLoadRequest>::with<v1::AgentStateLoadResponse>,

  /// Writes a chunk of an agent's state handed over from another node.
  caf::replies_to<v1::StateChunkRequest>::with<v1::StateChunkResponse>>;

/// The node's durable send: validates an envelope and hands it to the
/// target's mailbox. Also what the cluster port serves to other processes.
using mailbox_router_actor = caf::typed_actor<
  /// Answers once the envelope is durable (or a duplicate); see
  /// mailbox.proto for the errors.
  caf::replies_to<v1::SendRequest>::with<v1::SendResponse>,
  /// A graceful stop: every mailbox and outbox ends its deliveries in
  /// flight and starts none (mailbox.proto).
  caf::replies_to<v1::MailboxDrainRequest>::with<v1::MailboxDrainResponse>,
  /// This node's dead letters (mailbox.proto), served by its disk reader.
  caf::replies_to<v1::DeadLetterListRequest>::with<v1::DeadLetterListResponse>,
  caf::replies_to<v1::DeadLetterGetRequest>::with<v1::DeadLetterEntry>,
  caf::replies_to<v1::DeadLetterDeleteRequest>::with<
    v1::DeadLetterDeleteResponse>,
  caf::replies_to<v1::DeadLetterPurgeRequest>::with<
    v1::DeadLetterPurgeResponse>>;

/// What a node's cluster port (CAF BASP) serves to the other nodes and to
/// tools in other processes.
using cluster_ingress_actor = caf::typed_actor<
  /// A durable send into this node (see mailbox_router_actor).
  caf::replies_to<v1::SendRequest>::with<v1::SendResponse>,
  /// Another member's heartbeat (one way).
  caf::reacts_to<v1::Heartbeat>,
  /// Envelopes from another node's outbox, appended here in order.
  caf::replies_to<v1::LinkBatch>::with<v1::LinkAck>,
  /// A request to a local actor on behalf of another node.
  caf::replies_to<v1::RemoteAskRequest>::with<v1::RemoteAskResponse>,
  /// The same, streamed: the local actor gets the sink (an actor of the
  /// asking node) after the message, so its deltas (v1::ChatDelta) go
  /// straight back over the cluster port, before the answer.
  caf::replies_to<v1::RemoteAskRequest,
                  caf::actor>::with<v1::RemoteAskResponse>,
  /// A non-durable tell to a local actor from another node.
  caf::reacts_to<v1::RemoteTell>>;

/// The node's view of the cluster (path "cluster").
using cluster_membership_actor = caf::typed_actor<
  /// A heartbeat the cluster port received.
  caf::reacts_to<v1::Heartbeat>,
  /// Every member with its state (GET /v1/cluster).
  caf::replies_to<v1::ClusterViewRequest>::with<v1::ClusterViewResponse>,
  /// Internal timer: send heartbeats, age members, reconnect.
  caf::reacts_to<atom::tick>,
  /// Decommissions a member: this node, or passed on to that member.
  caf::replies_to<v1::LeaveRequest>::with<v1::LeaveResponse>,
  /// This node's decommission progressed (from the hand-off actor).
  caf::reacts_to<v1::HandoffStatus>>;

/// This node's decommission (path "handoff", actors/handoff_actor.hpp).
using handoff_actor = caf::typed_actor<
  /// Starts it; LeaveRequest.node is this node.
  caf::replies_to<v1::LeaveRequest>::with<v1::LeaveResponse>,
  /// Internal timer: the next step.
  caf::reacts_to<atom::tick>>;

/// The Redis membership table, run by a detached worker: in, a Heartbeat
/// whose `from` is this node's record (kept, with a liveness key that has
/// a TTL); out, one whose `known` lists every other member's record with
/// `state` up or down. `stopping` deletes the liveness key, `leaving` the
/// record too.
using cluster_table_actor
  = caf::typed_actor<caf::replies_to<v1::Heartbeat>::with<v1::Heartbeat>>;

/// One target's durable mailbox (spawned by the router).
using mailbox_actor = caf::typed_actor<
  /// Appends, as for the router (which has validated the envelope).
  caf::replies_to<v1::SendRequest>::with<v1::SendResponse>,
  /// Starts no more deliveries; answered once those in flight have ended
  /// and their acknowledgements are on disk (no deadline of its own).
  caf::replies_to<v1::MailboxDrainRequest>::with<v1::MailboxDrainResponse>,
  /// Internal, from the store writer's completions: appends finished (on
  /// disk, failed, or duplicates); the mailbox takes them all at once.
  caf::reacts_to<atom::committed>,
  /// Internal, from the store writer: the effects of the delivery with
  /// this token, and its envelopes' removal, are on disk (or failed).
  caf::reacts_to<atom::applied, uint64_t, caf::error>,
  /// Internal timer: try the next delivery.
  caf::reacts_to<atom::deliver>,
  /// Internal timer: has the delivery in flight run out of time?
  caf::reacts_to<atom::tick>,
  /// Internal timer: requests past their deadline (timed_request.hpp).
  caf::reacts_to<atom::deadline>>;

/// Blocking mailbox reads, on its own thread, for the mailboxes.
using mailbox_reader_actor = caf::typed_actor<
  caf::replies_to<v1::MailboxOpenRequest>::with<v1::MailboxOpenResponse>,
  caf::replies_to<v1::MailboxReadRequest>::with<v1::MailboxReadResponse>,
  caf::replies_to<v1::MailboxTargetsRequest>::with<v1::MailboxTargetsResponse>,
  caf::replies_to<v1::DeadLetterListRequest>::with<v1::DeadLetterListResponse>,
  caf::replies_to<v1::DeadLetterGetRequest>::with<v1::DeadLetterEntry>,
  caf::replies_to<v1::DeadLetterDeleteRequest>::with<
    v1::DeadLetterDeleteResponse>,
  caf::replies_to<v1::DeadLetterPurgeRequest>::with<
    v1::DeadLetterPurgeResponse>>;

/// The node's event bus: topics with wildcard subscriptions (events.proto).
using event_bus_actor = caf::typed_actor<
  /// Delivers the event to every matching subscriber; invalid ones are dropped.
  caf::reacts_to<v1::PublishRequest>,
  /// Subscribes the requesting actor to a topic pattern.
  caf::replies_to<v1::SubscribeRequest>::with<v1::SubscribeResponse>,
  /// Ends one subscription.
  caf::replies_to<v1::UnsubscribeRequest>::with<v1::UnsubscribeResponse>>;

/// The HTTP bridge's Idempotency-Key records and claims; blocking store
/// access, so it runs detached. Asked by the bridges of every node for the
/// requests whose target this node owns.
using http_idempotency_actor = caf::typed_actor<
  /// Reads the record of a scope (expired records are absent).
  caf::replies_to<v1::HttpIdempotencyGetRequest>::with<
    v1::HttpIdempotencyGetResponse>,
  /// Stores a record for `ttl` and ends the claim it answers.
  caf::replies_to<v1::HttpIdempotencyPutRequest>::with<
    v1::HttpIdempotencyPutResponse>,
  /// The record of a scope, or a claim on it for a first request, in one
  /// step; `unavailable` when too many claims are held.
  caf::replies_to<v1::HttpIdempotencyClaimRequest>::with<
    v1::HttpIdempotencyClaimResponse>,
  /// Ends a claim without a record.
  caf::replies_to<v1::HttpIdempotencyReleaseRequest>::with<
    v1::HttpIdempotencyReleaseResponse>>;

/// Calls language models: the local provider inline, OpenAI-compatible
/// upstreams on its own worker threads.
using model_provider_actor = caf::typed_actor<
  /// One completion.
  caf::replies_to<v1::ModelRequest>::with<v1::ModelResponse>,
  /// One completion, streamed: v1::ChatDelta messages go to the sink actor
  /// as content arrives, in order, before the answer.
  caf::replies_to<v1::ModelRequest, caf::actor>::with<v1::ModelResponse>>;

/// Tools of MCP servers (and later plugins), under their prefixed names.
using tool_host_actor = caf::typed_actor<
  /// Every tool of every running server.
  caf::replies_to<v1::ToolListRequest>::with<v1::ToolListResponse>,
  /// Runs one tool; a tool that failed is a response with is_error.
  caf::replies_to<v1::ToolCallRequest>::with<v1::ToolCallResponse>>;

/// Results of completed tool calls by idempotency key, so a replayed turn
/// does not repeat a side effect. Blocking store access: runs detached.
using tool_ledger_actor = caf::typed_actor<
  caf::replies_to<v1::ToolLedgerGetRequest>::with<v1::ToolLedgerGetResponse>,
  caf::replies_to<v1::ToolLedgerPutRequest>::with<v1::ToolLedgerPutResponse>>;

/// One agent: runs chat turns one at a time.
using agent_actor = caf::typed_actor<
  /// One turn.
  caf::replies_to<v1::ChatRequest>::with<v1::ChatReply>,
  /// One turn, streamed: v1::ChatDelta to the sink as the answer is produced.
  caf::replies_to<v1::ChatRequest, caf::actor>::with<v1::ChatReply>,
  /// Ends a turn that runs or waits (agents.proto, TurnCancelRequest).
  caf::replies_to<v1::TurnCancelRequest>::with<v1::TurnCancelResponse>,
  /// Questions a tool's server asks the turn's caller (agents.proto,
  /// Question*): held until answered, answered with the settled question.
  caf::replies_to<v1::QuestionAskRequest>::with<v1::Question>,
  caf::replies_to<v1::QuestionListRequest>::with<v1::QuestionListResponse>,
  caf::replies_to<v1::QuestionAnswerRequest>::with<v1::Question>,
  /// A tool's server reports progress of a call of a running turn.
  caf::reacts_to<v1::ToolProgress>,
  /// Internal timers: requests past their deadline (timed_request.hpp);
  /// questions past theirs (tick).
  caf::reacts_to<atom::deadline>, caf::reacts_to<atom::tick>>;

/// The supervisor of all agents; agent `x` runs (is registered) at
/// "agents/x".
inline constexpr const char* agents_path = "agents";

/// "agents/<name>".
inline std::string agent_path(const std::string& name) {
  return std::string{agents_path} + "/" + name;
}

/// Where the agent manager is registered.
inline constexpr const char* agent_manager_path = "agent_manager";

/// Keeps the agent definitions and reports the agents.
using agent_manager_actor = caf::typed_actor<
  caf::replies_to<v1::AgentListRequest>::with<v1::AgentListResponse>,
  caf::replies_to<v1::AgentReloadRequest>::with<v1::AgentReloadResponse>>;

/// Where the security hub is registered.
inline constexpr const char* security_path = "security";

/// The security hub's credentials: logins, users, API keys. Blocking store
/// access and password hashing: runs detached.
using security_hub_actor = caf::typed_actor<
  caf::replies_to<v1::AuthTokenRequest>::with<v1::AuthTokenResponse>,
  caf::replies_to<v1::UserPutRequest>::with<v1::UserPutResponse>,
  caf::replies_to<v1::UserListRequest>::with<v1::UserListResponse>,
  caf::replies_to<v1::UserDeleteRequest>::with<v1::UserDeleteResponse>,
  caf::replies_to<v1::ApiKeyCreateRequest>::with<v1::ApiKeyCreateResponse>,
  caf::replies_to<v1::ApiKeyListRequest>::with<v1::ApiKeyListResponse>,
  caf::replies_to<v1::ApiKeyRevokeRequest>::with<v1::ApiKeyRevokeResponse>>;

} // namespace bsm
