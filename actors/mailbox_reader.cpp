#include "actors/mailbox_reader.hpp"

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
  };
}

} // namespace bsm
