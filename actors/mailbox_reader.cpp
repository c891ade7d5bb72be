#include "actors/mailbox_reader.hpp"

#include "runtime/mailbox/dead_letters.hpp"
#include "runtime/mailbox/mailbox_store.hpp"

namespace bsm {

mailbox_reader_actor::behavior_type mailbox_reader(mailbox_reader_pointer,
                                                   store* db) {
  return {
    [db](const v1::MailboxOpenRequest& req)
      -> caf::result<v1::MailboxOpenResponse> {
      return mailbox::open(*db, req.target());
    },
    [db](const v1::MailboxReadRequest& req)
      -> caf::result<v1::MailboxReadResponse> {
      return mailbox::read(*db, req);
    },
    [db](const v1::MailboxTargetsRequest&)
      -> caf::result<v1::MailboxTargetsResponse> {
      auto targets = mailbox::pending_targets(*db);
      if (!targets)
        return targets.error();
      v1::MailboxTargetsResponse resp;
      for (auto& t : *targets)
        resp.add_targets(std::move(t));
      return resp;
    },
    [db](const v1::DeadLetterListRequest& req)
      -> caf::result<v1::DeadLetterListResponse> {
      return mailbox::list_dead_letters(*db, req);
    },
    [db](
      const v1::DeadLetterGetRequest& req) -> caf::result<v1::DeadLetterEntry> {
      return mailbox::get_dead_letter(*db, req.id());
    },
    [db](const v1::DeadLetterDeleteRequest& req)
      -> caf::result<v1::DeadLetterDeleteResponse> {
      if (auto err = mailbox::delete_dead_letter(*db, req.id()))
        return err;
      return v1::DeadLetterDeleteResponse{};
    },
    [db](const v1::DeadLetterPurgeRequest& req)
      -> caf::result<v1::DeadLetterPurgeResponse> {
      auto purged = mailbox::purge_dead_letters(*db, req.target());
      if (!purged)
        return purged.error();
      v1::DeadLetterPurgeResponse resp;
      resp.set_purged(*purged);
      return resp;
    },
  };
}

} // namespace bsm
