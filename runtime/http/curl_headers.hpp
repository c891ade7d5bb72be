#pragma once

// What every libcurl client here does the same way: the one process-wide
// initialisation, and request headers as an owned curl_slist.

#include <memory>
#include <string>

#include <curl/curl.h>

namespace bsm::http {

/// libcurl wants one process-wide initialisation before the first handle;
/// the first connection calls this. Never undone: handles may live until
/// exit. Thread-safe.
void init_curl_once();

struct curl_slist_deleter {
  void operator()(curl_slist* list) const {
    curl_slist_free_all(list);
  }
};

/// Header lines for CURLOPT_HTTPHEADER; must outlive the transfer.
using curl_header_list = std::unique_ptr<curl_slist, curl_slist_deleter>;

/// Appends "Name: value" to `list` (nothing if libcurl is out of memory).
void add_curl_header(curl_header_list& list, const std::string& line);

} // namespace bsm::http
