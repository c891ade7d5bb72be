#include "actors/security_hub.hpp"

#include <chrono>

#include "runtime/clock.hpp"
#include "runtime/error.hpp"

namespace bsm {

namespace {

template <class T>
caf::result<T> reply(caf::expected<T> x) {
  if (!x)
    return std::move(x.error());
  return std::move(*x);
}

// A change: answer it, and publish the new credentials if it worked.
template <class T>
caf::result<T> changed(security_hub_pointer self, caf::expected<T> x) {
  if (x)
    self->state.publish();
  return reply(std::move(x));
}

} // namespace

void security_hub_state::publish() {
  auto next = service->snapshot();
  if (!next) {
    log->error("security: cannot rebuild the credentials in force: {}",
               render(next.error()));
    return;
  }
  access->set(std::move(*next));
}

security_hub_actor::behavior_type
security_hub(security_hub_pointer self, security_options opts, store* db,
             std::shared_ptr<security::authenticator_slot> access,
             std::shared_ptr<spdlog::logger> log,
             security::login_backoff_metrics backoff_metrics) {
  auto& st = self->state;
  st.access = std::move(access);
  st.log = std::move(log);
  auto service = security::credentials_service::make(
    opts, *db, security::password_hash_params{}, backoff_metrics);
  if (service) {
    st.service = std::move(*service);
    st.publish();
  } else {
    // The supervisor sees the failure; no handler runs after quit.
    st.log->error("security: cannot open the credentials: {}",
                  render(service.error()));
    self->quit(service.error());
  }
  return {
    [self](const v1::AuthTokenRequest& req) {
      int64_t retry_after = 0;
      auto result = self->state.service->login(
        req, unix_now_s(), std::chrono::steady_clock::now(), retry_after);
      if (!result && retry_after > 0) {
        // The bridge sets Retry-After from this.
        v1::AuthTokenResponse wait;
        wait.set_retry_after_s(retry_after);
        return caf::result<v1::AuthTokenResponse>{std::move(wait)};
      }
      return reply(std::move(result));
    },
    [self](const v1::UserPutRequest& req) {
      return changed(self, self->state.service->put_user(req, unix_now_s()));
    },
    [self](const v1::UserListRequest&) {
      return reply(self->state.service->list_users());
    },
    [self](const v1::UserDeleteRequest& req) {
      auto err = self->state.service->delete_user(req.name());
      if (err)
        return caf::result<v1::UserDeleteResponse>{std::move(err)};
      return changed(
        self, caf::expected<v1::UserDeleteResponse>{v1::UserDeleteResponse{}});
    },
    [self](const v1::ApiKeyCreateRequest& req) {
      return changed(self,
                     self->state.service->create_api_key(req, unix_now_s()));
    },
    [self](const v1::ApiKeyListRequest&) {
      return reply(self->state.service->list_api_keys());
    },
    [self](const v1::ApiKeyRevokeRequest& req) {
      auto err = self->state.service->revoke_api_key(req.id());
      if (err)
        return caf::result<v1::ApiKeyRevokeResponse>{std::move(err)};
      return changed(self, caf::expected<v1::ApiKeyRevokeResponse>{
                             v1::ApiKeyRevokeResponse{}});
    },
  };
}

} // namespace bsm
