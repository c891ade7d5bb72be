#include "http_api/handlers.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

void list_plugins(const http_bridge_env& env, ex_ptr ex) {
  ex->respond(
    http::make_json_response(boost::beast::http::status::ok, env.plugins_json));
}

} // namespace bsm::http_handlers
