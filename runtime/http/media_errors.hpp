#pragma once

// Errors for answers no bsm error code names, which status_of() and
// message_of() (error_response.hpp) know, so that a route's own error
// shape (OpenAI's) carries them too.

#include <string>

#include <caf/error.hpp>

namespace bsm::http {

/// 415 `unsupported_media_type`: a body in a Content-Type or
/// Content-Encoding the route does not read.
caf::error unsupported_media_type(std::string message);

} // namespace bsm::http
