#include "core/account_admin.h"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "core/text.h"

namespace parley {
namespace {

// Log entries read per store call while walking a chat.
constexpr std::size_t kScanPage = 200;
constexpr std::size_t kMaxUserRefBytes = 256;

// Whether a log entry is a text message `user` sent that still has its text.
bool own_text(const Message& m, const UserId& user) {
  return m.kind == MessageKind::text && m.sender_id == user && !m.deleted;
}

// Waits for the answers of submitted sends. Shared with the callbacks, which
// may run on the commit thread.
class Answers {
 public:
  void expect() {
    std::lock_guard lock(mutex_);
    ++waiting_;
  }
  void answer(const Result<SendAck>& result) {
    std::lock_guard lock(mutex_);
    --waiting_;
    // not_found: deleted meanwhile (by its sender, or an earlier try of this erasure).
    if (result.ok()) {
      if (!result->duplicate) ++erased_;
    } else if (result.error().code != ErrorCode::not_found && !error_) {
      error_ = result.error();
    }
    if (waiting_ == 0) done_.notify_all();
  }
  // The first failure, or how many were erased.
  Result<std::uint64_t> wait() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return waiting_ == 0; });
    if (error_) return *error_;
    return erased_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::size_t waiting_ = 0;
  std::uint64_t erased_ = 0;
  std::optional<Error> error_;
};

}  // namespace

AccountAdmin::AccountAdmin(AccountStore& accounts_store, ChatStore& chat_store, MessageLog& log, Accounts& accounts,
                           ChatDirectory& chats, Privacy& privacy, MessagePipeline& pipeline, Credentials& credentials)
    : accounts_store_(accounts_store),
      chat_store_(chat_store),
      log_(log),
      accounts_(accounts),
      chats_(chats),
      privacy_(privacy),
      pipeline_(pipeline),
      credentials_(credentials) {}

Result<User> AccountAdmin::resolve(const std::string& who) {
  if (who.empty() || who.size() > kMaxUserRefBytes || !is_valid_utf8(who)) {
    return make_error(ErrorCode::invalid_request, "a user is named by its id or e-mail (1 to 256 bytes of UTF-8)");
  }
  auto found = who.find('@') == std::string::npos ? accounts_store_.find_user(who)
                                                  : accounts_store_.find_user_by_email(ascii_lower(who));
  if (!found) return found.error();
  if (!*found) return make_error(ErrorCode::not_found, "no such user");
  return std::move(**found);
}

Result<UserSummary> AccountAdmin::summary(User user) {
  auto devices = accounts_.logged_in_devices(user.id);
  if (!devices) return devices.error();
  UserSummary out{std::move(user), devices->size(), 0};
  out.last_active_at = out.user.last_active_at;
  for (const Device& device : *devices) out.last_active_at = std::max(out.last_active_at, device.last_used_at);
  return out;
}

Result<UserPage> AccountAdmin::list_users(const std::string& email_prefix, const std::string& after_email,
                                          std::size_t limit) {
  auto users = accounts_store_.list_users(ascii_lower(email_prefix), after_email, limit);
  if (!users) return users.error();
  UserPage page;
  page.users.reserve(users->size());
  for (User& user : *users) {
    auto one = summary(std::move(user));
    if (!one) return one.error();
    page.users.push_back(std::move(*one));
  }
  if (page.users.size() == limit && limit > 0) page.next = page.users.back().user.email;
  return page;
}

Result<ServerCounts> AccountAdmin::counts() {
  auto users = accounts_store_.count_users();
  if (!users) return users.error();
  auto chats = chat_store_.count_chats();
  if (!chats) return chats.error();
  return ServerCounts{*users, *chats};
}

Result<PasswordReset> AccountAdmin::reset_password(const UserId& user, const std::optional<std::string>& password) {
  PasswordReset out;
  // 256 random bits, printable: nobody types it, the user changes it.
  if (!password) out.generated = credentials_.new_token();
  auto logged_out = accounts_.reset_password(user, password ? *password : *out.generated);
  if (!logged_out) return logged_out.error();
  out.logged_out = std::move(*logged_out);
  return out;
}

Result<AccountExport> AccountAdmin::export_account(const UserId& user_id) {
  auto user = resolve(user_id);
  if (!user) return user.error();
  AccountExport out;
  out.user = std::move(*user);
  auto devices = accounts_store_.devices_of_user(user_id);
  if (!devices) return devices.error();
  out.devices = std::move(*devices);
  auto chats = chats_.chats_of(user_id);
  if (!chats) return chats.error();
  for (const ChatPtr& chat : *chats) {
    auto view = chats_.view(*chat, &user_id);
    if (!view) return view.error();
    view->last_message.reset();  // someone else's words, maybe: the user's own come in sent_messages
    out.chats.push_back(std::move(*view));
  }
  auto blocks = accounts_store_.blocked_users(user_id);
  if (!blocks) return blocks.error();
  out.blocks = std::move(*blocks);
  return out;
}

Result<SentPage> AccountAdmin::sent_messages(const UserId& user, const SentCursor& from, std::size_t budget) {
  auto ids = chat_store_.chats_of_user(user);
  if (!ids) return ids.error();
  SentPage page;
  auto chat = std::lower_bound(ids->begin(), ids->end(), from.chat_id);
  Seq after = chat != ids->end() && *chat == from.chat_id ? from.after : 0;
  while (chat != ids->end() && budget > 0) {
    const std::size_t asked = std::min(budget, kScanPage);
    auto entries = log_.read_after(*chat, after, asked);
    if (!entries) return entries.error();
    budget -= entries->size();
    for (Message& m : *entries) {
      if (own_text(m, user)) page.messages.push_back(std::move(m));
    }
    if (entries->size() < asked) {
      ++chat;
      after = 0;
    } else {
      after = entries->back().seq;
    }
  }
  if (chat != ids->end()) page.next = SentCursor{*chat, after};
  return page;
}

Result<std::uint64_t> AccountAdmin::erase_messages(const UserId& user, const ChatId& chat) {
  std::uint64_t erased = 0;
  Seq after = 0;
  for (;;) {
    auto entries = log_.read_after(chat, after, kScanPage);
    if (!entries) return entries.error();
    // One page's deletions at a time: bounded memory and queue share, and a
    // failure stops the erasure before it goes further.
    auto answers = std::make_shared<Answers>();
    for (const Message& m : *entries) {
      if (!own_text(m, user)) continue;
      SendRequest deletion{{user, {}}, chat, "erase:" + std::to_string(m.seq), {}, MessageKind::deletion, m.seq};
      deletion.erasure = true;
      answers->expect();
      pipeline_.submit(std::move(deletion), [answers](Result<SendAck> result) { answers->answer(result); });
    }
    auto page = answers->wait();
    if (!page) return page.error();
    erased += *page;
    if (entries->size() < kScanPage) return erased;
    after = entries->back().seq;
  }
}

Result<ErasureReport> AccountAdmin::erase(const UserId& user) {
  auto found = resolve(user);
  if (!found) return found.error();
  ErasureReport report;
  auto logged_out = accounts_.set_disabled(user, true);
  if (!logged_out) return logged_out.error();
  report.logged_out = std::move(*logged_out);
  auto chat_ids = chat_store_.chats_of_user(user);
  if (!chat_ids) return chat_ids.error();
  // Groups it left earlier still hold what it said.
  auto ended_ids = chat_store_.ended_chats_of_user(user);
  if (!ended_ids) return ended_ids.error();
  for (const auto* ids : {&*chat_ids, &*ended_ids}) {
    for (const ChatId& chat_id : *ids) {
      auto erased = erase_messages(user, chat_id);
      if (!erased) return erased.error();
      report.messages_erased += *erased;
    }
  }
  for (const ChatId& chat_id : *chat_ids) {
    auto chat = chats_.find(chat_id);
    if (!chat) return chat.error();
    if (!*chat || (*chat)->kind != ChatKind::group || !(*chat)->has_member(user)) continue;
    auto left = chats_.remove_member(user, chat_id, user);
    // not_found / forbidden: it left meanwhile.
    if (!left && left.error().code != ErrorCode::not_found && left.error().code != ErrorCode::forbidden) {
      return left.error();
    }
    if (left) ++report.groups_left;
  }
  // No trace as a former member either: every group it left or was removed
  // from, now including the ones left above, forgets it.
  auto ended = chat_store_.ended_chats_of_user(user);
  if (!ended) return ended.error();
  for (const ChatId& chat_id : *ended) {
    auto forgotten = chats_.forget(user, chat_id);
    if (!forgotten && forgotten.error().code != ErrorCode::forbidden) return forgotten.error();
  }
  auto blockers = accounts_.erase(user);
  if (!blockers) return blockers.error();
  privacy_.forget(user);
  for (const UserId& blocker : *blockers) privacy_.forget(blocker);
  return report;
}

}  // namespace parley
