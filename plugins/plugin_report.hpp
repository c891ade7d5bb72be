#pragma once

// GET /v1/plugins's body and bsmd's log lines about plugins: what loaded,
// what it offers, and what was skipped and why. Made once at start (the
// plugins do not change while the node runs).

#include <string>

#include <nlohmann/json.hpp>

#include "plugins/plugin_loader.hpp"

namespace bsm::plugins {

/// {"plugins": [{"name","version","description","path","state":"loaded",
/// "tools":["<plugin>__<tool>",...],"actor_kinds":[{"kind","path",
/// "handles"}]} ... {"name","path","state":"failed","reason"} ...]}:
/// loaded ones in load order, then failed ones.
nlohmann::json report(const plugin_set& set);

/// One line per loaded plugin: "plugin 'x' 1.0 from <path>: tools a, b;
/// actor kinds k".
std::string summary(const loaded_plugin& p);

} // namespace bsm::plugins
