#pragma once

// What the MCP client (agents/mcp/client.hpp) answers when a server asks
// something of it (spec 2025-11-25, "client features"): the decisions, as
// plain functions on JSON text, so they are tested without a server.
//
// - Elicitation (`elicitation/create`): the server wants input from the
//   user. The server's config picks a policy: `decline` (the default:
//   nobody agreed to anything), `defaults` (accept with the defaults the
//   requested schema gives, where it gives one for every required field)
//   or `ask` (the turn's caller answers a pending question through the API;
//   agents/questions/question_book.hpp).
// - Roots (`roots/list`): the file:// locations the server may work in, as
//   configured.
// - Progress (`notifications/progress`): parsed here, acted on by the
//   client (it extends the call's deadline) and its owner (events).
// Sampling is in agents/mcp/sampling.hpp (it needs the agents' messages).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bsm::mcp {

/// The answer to one request of the server: a result, or a JSON-RPC error
/// when `code` is not 0.
struct rpc_answer {
  /// The result as JSON text (an object).
  std::string result_json;
  int64_t code = 0;
  std::string message;

  static rpc_answer ok(std::string result_json);
  static rpc_answer error(int64_t code, std::string message);

  bool failed() const noexcept {
    return code != 0;
  }
};

/// JSON-RPC: the params are not what the method takes.
inline constexpr int64_t rpc_invalid_params = -32602;
/// JSON-RPC: no such method, or one this client does not offer the server
/// (its capability is not declared).
inline constexpr int64_t rpc_method_not_found = -32601;

/// How the client answers elicitation/create.
enum class elicitation_policy {
  /// Action "decline" for every request.
  decline,
  /// Action "accept" with the schema's defaults (form_defaults); "decline"
  /// where a required field has none, and for URL-mode requests.
  defaults,
  /// A question to the turn's caller, pending in the agent until answered
  /// or declined at its deadline; "decline" for URL-mode requests.
  ask,
};

/// "decline", "defaults" or "ask"; nullopt for anything else.
std::optional<elicitation_policy> parse_elicitation_policy(std::string_view x);

std::string_view to_string(elicitation_policy x);

/// The content of a form filled with the defaults of `schema_json` (an
/// elicitation's requestedSchema: an object of flat properties of type
/// string, integer, number or boolean, or an enum): each property with a
/// default, as that default. Nullopt if a required property has none, or a
/// default does not fit its type or enum; the form is then declined.
std::optional<std::string> form_defaults(const std::string& schema_json);

/// Empty if `content_json` (a JSON object) fills the form `schema_json`:
/// every required property present, every property it names in the
/// schema and of the property's type and values. Else what is wrong.
std::string form_problem(const std::string& schema_json,
                         const std::string& content_json);

/// What an elicitation/create in form mode asks.
struct form_request {
  std::string message;
  /// The requestedSchema, a JSON object as text.
  std::string schema_json;
};

/// The form `params_json` asks for, or the answer to give at once: error
/// -32602 for params that are no object or a form request without a
/// requestedSchema object, "decline" for URL mode (it needs a browser).
std::variant<form_request, rpc_answer>
parse_form_request(const std::string& params_json);

/// The answer to an elicitation/create with params `params_json` under
/// `policy` decline or defaults: {"action":"accept","content":{...}} or
/// {"action":"decline"}; errors as parse_form_request. Under `ask` the
/// caller answers (answer_of_question).
rpc_answer answer_elicitation(elicitation_policy policy,
                              const std::string& params_json);

/// The elicitation result of a settled question: action "accept" with its
/// content, "decline" or "cancel".
rpc_answer answer_of_question(const std::string& action,
                              const std::string& content_json);

/// One root the server may work in.
struct root {
  /// A file:// URI.
  std::string uri;
  /// Shown to the server; may be empty.
  std::string name;
};

/// The result of roots/list: {"roots":[{"uri":...,"name":...}]}.
std::string roots_result(const std::vector<root>& roots);

/// Empty if `uri` is a file:// URI with a path, else what is wrong.
std::string root_uri_problem(std::string_view uri);

/// One notifications/progress of a call.
struct progress_update {
  /// The progress token as JSON text (a string or a number).
  std::string token_json;
  double progress = 0;
  /// Unset if the server does not know the total.
  std::optional<double> total;
  std::string message;
};

/// The update in the params of a notifications/progress; nullopt if they
/// lack a progressToken or a numeric progress.
std::optional<progress_update> parse_progress(const std::string& params_json);

} // namespace bsm::mcp
