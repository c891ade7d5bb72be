#include "runtime/http/curl_headers.hpp"

#include <mutex>

namespace bsm::http {

void init_curl_once() {
  static std::once_flag flag;
  std::call_once(flag, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void add_curl_header(curl_header_list& list, const std::string& line) {
  if (auto* head = curl_slist_append(list.get(), line.c_str())) {
    (void)list.release(); // `head` owns the old list now
    list.reset(head);
  }
}

} // namespace bsm::http
