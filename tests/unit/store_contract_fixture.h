#pragma once
// Shared by the store contract tests: one typed fixture that runs every test
// against MemoryStore and RocksStore (fresh temp directory per test) here,
// and MariaDbStore in tests/cluster, plus record builders and comparable
// views of records.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "core/ports.h"
#include "fakes/memory_store.h"
#include "store/rocks/rocks_store.h"

namespace parley::testing {

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "parley-store-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// The value of a read that must succeed; a failure fails the test (gtest
// reports the exception) with the store's message.
template <typename T>
T must(Result<T> result) {
  if (!result.ok()) throw std::runtime_error("store read failed: " + result.error().message);
  return std::move(result).value();
}

// A fresh, empty store of type S for one test and whatever it stands on (a
// temp dir, a database), released after the test. One specialization per
// adapter; tests/cluster adds MariaDbStore's.
template <typename S>
class ScratchStore;

template <>
class ScratchStore<MemoryStore> {
 public:
  MemoryStore& store() { return store_; }

 private:
  MemoryStore store_;
};

template <>
class ScratchStore<RocksStore> {
 public:
  RocksStore& store() { return *store_; }

 private:
  TempDir dir_;
  std::unique_ptr<RocksStore> store_ = RocksStore::open(dir_.str());
};

template <typename S>
class StoreContractTest : public ::testing::Test {
 protected:
  AccountStore& accounts() { return scratch_.store(); }
  ChatStore& chats() { return scratch_.store(); }
  // Only for stores that implement them (instantiated when a suite uses them).
  MessageLog& log() { return scratch_.store(); }
  PushJobStore& push_jobs() { return scratch_.store(); }

  ScratchStore<S> scratch_;
};

using StoreTypes = ::testing::Types<MemoryStore, RocksStore>;

struct StoreTypeNames {
  template <typename S>
  static std::string GetName(int) {
    return std::is_same_v<S, RocksStore> ? "Rocks" : std::is_same_v<S, MemoryStore> ? "Memory" : "Other";
  }
};

// ---- Builders -----------------------------------------------------------------

inline User make_user(const UserId& id, const std::string& email) {
  return User{id, email, "Name of " + id, "hash-of-" + id, 1000, 0};
}

inline Device make_device(const DeviceId& id, const UserId& user, const std::string& token_digest) {
  return Device{id, user, "phone " + id, token_digest, 2000, 0, std::nullopt};
}

inline Chat make_group(const ChatId& id, const std::vector<UserId>& members) {
  Chat chat{id, ChatKind::group, "group " + id, {}, 3000};
  for (const UserId& u : members) chat.members.push_back({u, MemberRole::member});
  if (!chat.members.empty()) chat.members.front().role = MemberRole::admin;
  return chat;
}

inline Chat make_direct(const ChatId& id, const UserId& a, const UserId& b) {
  return Chat{id, ChatKind::direct, "", {{a, MemberRole::member}, {b, MemberRole::member}}, 3000};
}

inline Message make_message(const ChatId& chat, Seq seq, LogOffset offset, const UserId& sender = "alice",
                            const std::string& client_msg_id = "") {
  return Message{chat,
                 seq,
                 sender,
                 "dev-" + sender,
                 client_msg_id,
                 "text " + std::to_string(seq),
                 4000 + static_cast<TimeMs>(seq),
                 offset};
}

// One marker raised, as a read receipt does.
inline Status raise_marker(ChatStore& store, const ChatId& chat, const UserId& user, Seq seq) {
  const ReadMarker marker{chat, user, seq};
  return store.raise_read_markers({&marker, 1});
}

inline PushJob make_push_job(std::uint64_t id) {
  return PushJob{id,
                 0,
                 "user-" + std::to_string(id),
                 "dev",
                 "https://push.example/" + std::to_string(id),
                 "chat",
                 7,
                 "sender",
                 "preview",
                 3,
                 2,
                 5000,
                 9000};
}

// ---- Comparable views (the model types have no operator==) --------------------

inline auto fields(const User& u) {
  return std::tie(u.id, u.email, u.display_name, u.password_hash, u.created_at, u.last_active_at, u.presence_visibility,
                  u.disabled);
}
inline auto fields(const Device& d) {
  return std::make_tuple(d.id, d.user_id, d.name, d.token_digest, d.created_at, d.last_used_at, d.push.has_value(),
                         d.push ? d.push->provider : "", d.push ? d.push->url : "", d.push ? d.push->p256dh : "",
                         d.push ? d.push->auth : "");
}
inline auto fields(const Message& m) {
  return std::tie(m.chat_id, m.seq, m.sender_id, m.sender_device_id, m.client_msg_id, m.text, m.ts, m.offset);
}
inline auto fields(const PushJob& j) {
  return std::tie(j.id, j.user_id, j.device_id, j.url, j.provider, j.p256dh, j.auth, j.chat_id, j.seq, j.sender_id,
                  j.preview, j.count, j.attempts, j.next_attempt_at, j.give_up_at);
}

// "user:role" per member, in stored order.
inline std::vector<std::string> member_list(const Chat& chat) {
  std::vector<std::string> out;
  for (const Member& m : chat.members) {
    // joined_seq, muted_until and pending only when set, so most lists read "amy:admin".
    out.push_back(m.user_id + (m.role == MemberRole::admin ? ":admin" : ":member") +
                  (m.joined_seq != 0 ? "@" + std::to_string(m.joined_seq) : "") +
                  (m.muted_until != 0 ? "~" + std::to_string(m.muted_until) : "") + (m.pending ? "?" : ""));
  }
  return out;
}

inline std::vector<Seq> seqs(const std::vector<Message>& messages) {
  std::vector<Seq> out;
  for (const Message& m : messages) out.push_back(m.seq);
  return out;
}

inline std::vector<DeviceId> device_ids(const std::vector<Device>& devices) {
  std::vector<DeviceId> out;
  for (const Device& d : devices) out.push_back(d.id);
  return out;
}

}  // namespace parley::testing
