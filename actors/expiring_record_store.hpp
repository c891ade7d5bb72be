#pragma once

// One actor for the idempotency stores: protobuf records by id, in the
// store's "idempotency" column under a prefix of their own, as expiring
// values (a compaction filter drops them after the TTL). The HTTP bridge's
// first answers (actors/http_idempotency_store.hpp, whose actor adds the
// claims of keys in flight) and the agents' tool results
// (agents/tools/tool_ledger.hpp) are two kinds of it.
// Spawn detached: every handler does a blocking RocksDB read or write.
//
// A `Kind` names what differs between them:
//   using actor = ...;                  // typed interface: get and put
//   using get_request, get_response, put_request, put_response;
//   static constexpr const char* name;  // the actor's name in logs
//   static constexpr std::string_view prefix;  // of its store keys
//   static const std::string& id_of(const get_request&);  // and put_request
//   static auto* record_of(get_response&);     // where a found record goes
//   static const auto& record_of(const put_request&);  // what to store

#include <chrono>
#include <string>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "runtime/store/expiring_record.hpp"
#include "runtime/store/store.hpp"

namespace bsm {

template <class Kind>
struct expiring_record_state {
  static constexpr const char* name = Kind::name;

  store* db = nullptr;
  std::chrono::milliseconds ttl{0};

  /// The store key of a request's id: the kind's prefix, then the id.
  template <class Request>
  static std::string store_key(const Request& req) {
    return std::string{Kind::prefix} + Kind::id_of(req);
  }

  /// The record of `req`'s id; `found` is false if there is none or it
  /// expired. Errors: those of get_live_record.
  caf::expected<typename Kind::get_response>
  get(const typename Kind::get_request& req) const {
    typename Kind::get_response resp;
    auto found = get_live_record(*db, column::idempotency, store_key(req),
                                 *Kind::record_of(resp));
    if (!found)
      return found.error();
    resp.set_found(*found);
    return resp;
  }

  /// Stores `req`'s record for `ttl`. Errors: those of put_expiring_record.
  caf::expected<typename Kind::put_response>
  put(const typename Kind::put_request& req) const {
    if (auto err = put_expiring_record(*db, column::idempotency, store_key(req),
                                       Kind::record_of(req), ttl))
      return err;
    return typename Kind::put_response{};
  }
};

/// REQUIRES: `db` outlives the actor.
template <class Kind>
typename Kind::actor::behavior_type expiring_record_store(
  typename Kind::actor::template stateful_pointer<expiring_record_state<Kind>>
    self,
  store* db, std::chrono::milliseconds ttl) {
  self->state.db = db;
  self->state.ttl = ttl;
  return {
    [self](const typename Kind::get_request& req) {
      return self->state.get(req);
    },
    [self](const typename Kind::put_request& req) {
      return self->state.put(req);
    },
  };
}

} // namespace bsm
