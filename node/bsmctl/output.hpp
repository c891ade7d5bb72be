#pragma once

// How bsmctl prints server answers: compact JSON (one document per line,
// key order as the server sent it) or aligned tables for people. Pure
// functions from JSON to text, so they are tested without a server.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bsm::ctl {

/// JSON that keeps the server's key order.
using ordered_json = nlohmann::ordered_json;

/// `doc` as one line of JSON; invalid UTF-8 is replaced, never thrown.
std::string compact(const ordered_json& doc);

/// Parses a body; nullopt if it is not JSON.
std::optional<ordered_json> parse_body(const std::string& body);

/// A body as one line: compact JSON if it parses, else the text with line
/// breaks replaced by spaces.
std::string one_line(const std::string& body);

/// Text for a table cell on one line: line breaks and tabs become spaces.
std::string single_line(std::string text);

/// A value for a table cell: strings without quotes, the rest as JSON.
std::string cell(const ordered_json& value);

/// `doc[key]` as a table cell; `fallback` if `doc` is no object or the key
/// is missing or null.
std::string text_of(const ordered_json& doc, const char* key,
                    const std::string& fallback = "-");

/// Rows (the first is the header) as columns padded to the widest cell,
/// two spaces apart, the last column unpadded; one line per row.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

/// GET /v1/actors as NAME MAILBOX_DEPTH. Takes {"actors":[...]} or a bare
/// array; missing values print as "-".
std::string actors_table(const ordered_json& doc);

/// One event of GET /v1/events as "time topic source data".
std::string event_line(const ordered_json& event);

/// An object as KEY VALUE rows (a non-object as its one-line JSON).
std::string fields_table(const ordered_json& doc);

/// GET /v1/plugins as NAME, STATE, VERSION, OFFERS (tools and actor kinds'
/// paths) or the reason it failed, and PATH.
std::string plugins_table(const ordered_json& doc);

/// `doc` as one YAML document (block style, keys in the server's order),
/// ending with a line end.
std::string yaml_document(const ordered_json& doc);

/// "code: message" from an error body {"error":{"code","message",...}},
/// or the body on one line when it has another shape.
std::string error_summary(const std::string& body);

} // namespace bsm::ctl
