#include "runtime/http/curl_error.hpp"

namespace bsm::http {

errc curl_error_code(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: return errc::deadline_exceeded;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR: return errc::unavailable;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return errc::invalid_argument;
    default: return errc::internal;
  }
}

std::string curl_error_text(CURLcode rc, const char* detail) {
  return detail[0] != '\0' ? detail : curl_easy_strerror(rc);
}

} // namespace bsm::http
