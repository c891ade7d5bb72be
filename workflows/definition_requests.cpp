// The workflows actor's requests about definitions: put (a new version or
// the same one), get, list, and the parsed versions' cache.

#include <nlohmann/json.hpp>

#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "workflows/workflow_keys.hpp"
#include "workflows/workflow_version.hpp"
#include "workflows/workflows_actor_detail.hpp"

namespace bsm::workflows::detail {

using nlohmann::json;

namespace {

workflow_catalog catalog_of(self_pointer self, const std::string& defining) {
  auto catalog = self->state.env.catalog;
  const auto* db = self->state.env.db;
  catalog.has_workflow = [db, defining](const std::string& name) {
    if (name == defining)
      return true;
    auto v = read_version(*db, name);
    return v && *v;
  };
  const auto* types = self->state.env.calls.types;
  if (types != nullptr)
    catalog.has_message_type = [types](const std::string& name) {
      return types->contains(name);
    };
  return catalog;
}

} // namespace

caf::expected<workflows_state::version_entry>
version_of(self_pointer self, const v1::WorkflowVersion& v) {
  auto key = v.name() + "/" + v.version();
  auto& cache = self->state.versions;
  if (auto i = cache.find(key); i != cache.end())
    return i->second;
  auto body = json::parse(v.definition_json(), nullptr, false);
  if (body.is_discarded())
    return make_error(errc::internal, "version " + key + " does not parse");
  auto def = parse_definition(body);
  if (!def)
    return def.error();
  auto graph = workflow_graph::make(*def);
  if (!graph)
    return graph.error();
  workflows_state::version_entry entry{
    std::make_shared<const workflow_definition>(std::move(*def)),
    std::make_shared<const workflow_graph>(std::move(*graph))};
  if (cache.size() >= workflows_state::cached_versions)
    // Full: forget the versions no running run holds (they parse again
    // when a run needs them).
    for (auto i = cache.begin(); i != cache.end();)
      i = i->second.def.use_count() == 1 ? cache.erase(i) : std::next(i);
  return cache.emplace(key, std::move(entry)).first->second;
}

caf::expected<workflows_state::version_entry>
version_of(self_pointer self, const std::string& name,
           const std::string& version) {
  auto key = name + "/" + version;
  if (auto i = self->state.versions.find(key); i != self->state.versions.end())
    return i->second;
  auto v = read_version(*self->state.env.db, name, version);
  if (!v)
    return v.error();
  if (!*v)
    return make_error(errc::internal, "its version " + key + " is gone");
  return version_of(self, **v);
}

void store_version(
  self_pointer self, const workflow_definition& def, const v1::Principal& by,
  std::function<void(caf::expected<v1::WorkflowPutResponse>)> done) {
  const auto* db = self->state.env.db;
  auto version = definition_version(def);
  auto found = read_version(*db, def.name, version);
  if (!found)
    return done(found.error());
  if (*found) {
    v1::WorkflowPutResponse resp;
    *resp.mutable_workflow() = std::move(**found);
    resp.set_existed(true);
    return done(std::move(resp));
  }
  v1::WorkflowVersion v;
  v.set_name(def.name);
  v.set_version(version);
  v.set_definition_json(canonical_json(def));
  v.set_created_unix_ms(unix_now_ms());
  *v.mutable_created_by() = by;
  write(
    self,
    [db, v](rocksdb::WriteBatch& batch) { return put_version(batch, *db, v); },
    [self, v, done = std::move(done)](const caf::error& err) {
      if (err)
        return done(err);
      publish(self, "workflow.defined", [&] {
        return json{{"workflow", v.name()}, {"version", v.version()}};
      });
      v1::WorkflowPutResponse resp;
      *resp.mutable_workflow() = v;
      done(std::move(resp));
    });
}

caf::result<v1::WorkflowPutResponse> put_workflow(self_pointer self,
                                                  v1::WorkflowPutRequest& req) {
  const auto& env = self->state.env;
  if (!is_workflow_name(req.name()))
    return make_field_error(errc::invalid_argument, "name",
                            "a workflow's name is [a-z0-9_-], 1..64");
  if (req.body().size() > env.max_body_bytes)
    return make_error(errc::invalid_argument,
                      "the definition is larger than "
                        + std::to_string(env.max_body_bytes) + " bytes");
  caf::expected<workflow_definition> def{workflow_definition{}};
  if (req.format() == "yaml") {
    def = parse_definition_yaml(req.body(), "");
  } else {
    auto body = json::parse(req.body(), nullptr, false);
    if (body.is_discarded())
      return make_error(errc::invalid_argument, "the body is not JSON");
    if (body.is_object() && !body.contains("name"))
      body["name"] = req.name();
    def = parse_definition(body);
  }
  if (!def)
    return def.error();
  if (def->name != req.name())
    return make_field_error(errc::invalid_argument, "name",
                            "name: '" + def->name + "' in the body, '"
                              + req.name() + "' in the path");
  if (auto err = check_definition(*def, catalog_of(self, def->name)))
    return err;
  auto rp = self->make_response_promise<v1::WorkflowPutResponse>();
  store_version(self, *def, req.caller(), deliver_to(rp));
  return rp;
}

caf::result<v1::WorkflowGetResponse>
get_workflow(self_pointer self, const v1::WorkflowGetRequest& req) {
  const auto& db = *self->state.env.db;
  auto v = read_version(db, req.name(), req.version());
  if (!v)
    return v.error();
  if (!*v)
    return make_error(
      errc::not_found,
      "no workflow '" + req.name().substr(0, 64) + "'"
        + (req.version().empty()
             ? std::string{}
             : " of version '" + req.version().substr(0, 64) + "'"));
  auto all = read_versions(db, req.name());
  if (!all)
    return all.error();
  v1::WorkflowGetResponse resp;
  *resp.mutable_workflow() = std::move(**v);
  for (const auto& x : *all)
    resp.add_versions(x.version());
  return resp;
}

caf::result<v1::WorkflowListResponse> list_workflows(self_pointer self) {
  auto all = read_newest(*self->state.env.db);
  if (!all)
    return all.error();
  v1::WorkflowListResponse resp;
  for (auto& v : *all) {
    v.clear_definition_json();
    *resp.add_workflows() = std::move(v);
  }
  return resp;
}

} // namespace bsm::workflows::detail
