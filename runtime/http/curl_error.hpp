#pragma once

// The one mapping from libcurl's failures to our error codes, for every
// HTTP client on libcurl (bsmctl, the OpenAI client). The callers word the
// message (naming the URL) and may refine the code with what only they
// know (a cancel flag, a connect timeout shorter than the deadline).

#include <string>

#include <curl/curl.h>

#include "runtime/error.hpp"

namespace bsm::http {

/// The code for a transfer that ended with `rc` (not CURLE_OK):
/// - timed out: `deadline_exceeded`;
/// - cannot connect, resolve, send or receive, no or a cut answer, a failed
///   TLS handshake: `unavailable` (retry later);
/// - a malformed URL or a scheme libcurl does not speak: `invalid_argument`
///   (fix the URL);
/// - anything else: `internal`.
errc curl_error_code(CURLcode rc);

/// What went wrong: the transfer's error buffer `detail` (CURLOPT_ERRORBUFFER)
/// when it holds text, else libcurl's description of `rc`.
/// REQUIRES: `detail` is a NUL-terminated string.
std::string curl_error_text(CURLcode rc, const char* detail);

} // namespace bsm::http
