#pragma once

// GET /v1/budgets (budget_routes.cpp). Apart from handlers.hpp, which
// every route file includes, so that adding it rebuilt only routes.cpp.

#include "actors/http_bridge.hpp"

namespace bsm::http_handlers {

/// GET /v1/budgets: every budget counter, from every live member.
void list_budgets(http_bridge_pointer self, const http::exchange_ptr& ex);

} // namespace bsm::http_handlers
