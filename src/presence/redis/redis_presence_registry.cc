#include "presence/redis/redis_presence_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <random>

#include "core/metrics.h"
#include "redis/redis_client.h"
#include "redis/redis_subscriber.h"

namespace parley {

using presence::Transition;
using presence::UserFlush;
using redis::RedisReply;

// A script and, once Redis told it, its SHA for EVALSHA.
struct RedisPresenceRegistry::Script {
  explicit Script(const std::string& text) : source(text) {}
  const std::string& source;
  std::mutex mutex;
  std::string sha;
  bool loading = false;
};

namespace {

std::string random_origin() {
  std::random_device device;
  std::uniform_int_distribution<std::uint64_t> any;
  const std::uint64_t value = (any(device) << 1) ^ any(device);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) out[static_cast<std::size_t>(i)] = kHex[(value >> (4 * i)) & 0xf];
  return out;
}

RedisPresenceConfig checked(RedisPresenceConfig config) {
  config.timeout_ms = std::max<TimeMs>(config.timeout_ms, 1);
  const std::chrono::milliseconds twice_timeout(2 * config.timeout_ms);
  config.state_ttl = std::max(config.state_ttl, twice_timeout);
  config.claim_batch = std::max<std::size_t>(config.claim_batch, 1);
  config.flush_batch = std::max<std::size_t>(config.flush_batch, 1);
  return config;
}

bool is_noscript(const Result<RedisReply>& reply) {
  return reply && reply->is_error() && reply->str.starts_with("NOSCRIPT");
}

}  // namespace

RedisPresenceRegistry::RedisPresenceRegistry(RedisPresenceConfig config)
    : config_(checked(std::move(config))),
      origin_(random_origin()),
      apply_script_(std::make_unique<Script>(presence::kApplyScript)),
      claim_script_(std::make_unique<Script>(presence::kClaimScript)),
      status_script_(std::make_unique<Script>(presence::kStatusScript)),
      client_(std::make_unique<redis::RedisClient>(config_.redis)),
      subscriber_(std::make_unique<redis::RedisSubscriber>(
          config_.redis, [this](std::string_view channel, std::string_view payload) { on_notice(channel, payload); },
          [this] { on_resubscribed(); })) {}

RedisPresenceRegistry::~RedisPresenceRegistry() {
  stop();
}

void RedisPresenceRegistry::start() {
  client_->start();
  subscriber_->start();
}

void RedisPresenceRegistry::stop() {
  subscriber_->stop();
  client_->stop();
}

bool RedisPresenceRegistry::connected() const {
  return client_->connected() && subscriber_->connected();
}

RedisPresenceRegistry::Stats RedisPresenceRegistry::stats() const {
  return {malformed_.load(),   flush_failures_.load(), claim_failures_.load(),
          transitions_.load(), heard_.load(),          stale_notices_.load()};
}

RedisPresenceRegistry::Shard& RedisPresenceRegistry::shard(const UserId& user) {
  return shards_[std::hash<UserId>{}(user) % shards_.size()];
}

void RedisPresenceRegistry::set_wake(const std::function<void()>& wake) {
  std::lock_guard lock(wake_mutex_);
  wake_ = wake;
}

void RedisPresenceRegistry::wake() {
  std::lock_guard lock(wake_mutex_);
  if (wake_) wake_();
}

std::optional<PresenceEvent> RedisPresenceRegistry::heartbeat(const UserId& user, const DeviceId& device, TimeMs now) {
  bool new_device = false;
  {
    auto& s = shard(user);
    std::lock_guard lock(s.mutex);
    auto& slot = s.users[user];
    // A logged-out device's last frames before its connection closes.
    if (std::find(slot.gone.begin(), slot.gone.end(), device) != slot.gone.end()) return std::nullopt;
    if (slot.beats.empty()) process_metrics().presence_users.add(1);
    auto [it, inserted] = slot.beats.try_emplace(device, now);
    if (!inserted) it->second = std::max(it->second, now);
    new_device = inserted;
    slot.dirty = true;
  }
  // A device that just came: send it now rather than at the next sweep, so
  // that its user is announced at once. Known devices wait for the sweep.
  if (new_device) wake();
  return std::nullopt;
}

std::optional<PresenceEvent> RedisPresenceRegistry::logged_out(const UserId& user, const DeviceId& device,
                                                               TimeMs /*now*/) {
  {
    auto& s = shard(user);
    std::lock_guard lock(s.mutex);
    auto& slot = s.users[user];
    if (slot.beats.erase(device) > 0 && slot.beats.empty()) process_metrics().presence_users.add(-1);
    if (std::find(slot.gone.begin(), slot.gone.end(), device) == slot.gone.end()) slot.gone.push_back(device);
    slot.dirty = true;
  }
  wake();
  return std::nullopt;
}

std::optional<PresenceEvent> RedisPresenceRegistry::released(const UserId& user, const DeviceId& device, TimeMs since,
                                                             TimeMs /*now*/) {
  {
    auto& s = shard(user);
    std::lock_guard lock(s.mutex);
    auto& slot = s.users[user];
    auto beat = slot.beats.find(device);
    if (beat != slot.beats.end()) {
      if (beat->second > since) return std::nullopt;  // back on this node since
      slot.beats.erase(beat);
      if (slot.beats.empty()) process_metrics().presence_users.add(-1);
    }
    // Redis drops the device unless it heartbeated after `since` on another node.
    slot.quiet.emplace_back(device, since);
    slot.dirty = true;
  }
  wake();
  return std::nullopt;
}

std::vector<PresenceChange> RedisPresenceRegistry::collect(TimeMs now) {
  flush(now, resync_.exchange(false));
  const auto clock = std::chrono::steady_clock::now();
  if ((claim_more_.load() || clock >= next_claim_) && !claim_in_flight_.exchange(true)) {
    next_claim_ = clock + config_.claim_interval;
    claim_more_ = false;
    claim(now);
  }
  std::vector<PresenceChange> out;
  std::lock_guard lock(mutex_);
  out.swap(changes_);
  return out;
}

void RedisPresenceRegistry::flush(TimeMs now, bool everything) {
  // Quiet devices stay noted for a second timeout: a flush of everything
  // (Redis came back, maybe empty) then says their users are offline.
  const TimeMs forget = now - 2 * config_.timeout_ms;
  std::vector<UserFlush> batch;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (auto it = s.users.begin(); it != s.users.end();) {
      auto& slot = it->second;
      if (std::erase_if(slot.beats, [&](const auto& beat) { return beat.second <= forget; }) > 0 &&
          slot.beats.empty()) {
        process_metrics().presence_users.add(-1);
      }
      if (slot.dirty || (everything && !slot.beats.empty())) {
        batch.push_back(
            {it->first, std::move(slot.gone), {slot.beats.begin(), slot.beats.end()}, std::move(slot.quiet)});
        slot.gone.clear();
        slot.quiet.clear();
        slot.dirty = false;
      }
      if (slot.beats.empty() && slot.gone.empty() && slot.quiet.empty() && !slot.dirty) {
        it = s.users.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Sent outside the locks: a failing command may call back on this thread.
  for (std::size_t i = 0; i < batch.size(); i += config_.flush_batch) {
    const auto end = batch.begin() + static_cast<std::ptrdiff_t>(std::min(batch.size(), i + config_.flush_batch));
    send_flush({std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(i)), std::make_move_iterator(end)},
               now);
  }
}

void RedisPresenceRegistry::send_flush(std::vector<UserFlush> users, TimeMs now) {
  auto args = presence::apply_arguments(config_.key_prefix, users, now, config_.timeout_ms,
                                        static_cast<TimeMs>(config_.state_ttl.count()), origin_);
  const std::size_t keys = users.size() + 1;
  auto sent = std::make_shared<std::vector<UserFlush>>(std::move(users));
  run(*apply_script_, std::move(args), keys, [this, sent](const Result<RedisReply>& reply) {
    if (!reply) {
      if (flush_failures_.fetch_add(1) == 0) spdlog::warn("presence: heartbeats not sent: {}", reply.error().message);
      renote(*sent);
      return;
    }
    auto transitions = presence::parse_transitions(*reply);
    if (!transitions) {
      // The script failed: sending the same again would fail again.
      ++flush_failures_;
      spdlog::error("presence: {}", transitions.error().message);
      return;
    }
    decided(*transitions);
  });
}

void RedisPresenceRegistry::renote(const std::vector<UserFlush>& users) {
  for (const auto& sent : users) {
    auto& s = shard(sent.user);
    std::lock_guard lock(s.mutex);
    auto& slot = s.users[sent.user];
    slot.dirty = true;
    for (const auto& device : sent.gone) {
      if (slot.beats.erase(device) > 0 && slot.beats.empty()) process_metrics().presence_users.add(-1);
      if (std::find(slot.gone.begin(), slot.gone.end(), device) == slot.gone.end()) slot.gone.push_back(device);
    }
    slot.quiet.insert(slot.quiet.end(), sent.quiet.begin(), sent.quiet.end());
  }
}

void RedisPresenceRegistry::claim(TimeMs now) {
  const auto& p = config_.key_prefix;
  std::vector<std::string> args{p + "pd",
                                std::to_string(now),
                                std::to_string(config_.timeout_ms),
                                std::to_string(config_.claim_batch),
                                p + "ph:",
                                p + "p:",
                                origin_,
                                std::to_string(config_.state_ttl.count())};
  run(*claim_script_, std::move(args), 1, [this](const Result<RedisReply>& reply) {
    auto transitions = reply ? presence::parse_transitions(*reply) : Result<std::vector<Transition>>(reply.error());
    if (!transitions) {
      if (claim_failures_.fetch_add(1) == 0) spdlog::warn("presence: claim failed: {}", transitions.error().message);
      claim_in_flight_ = false;
      return;
    }
    // A full batch: more may be due, claim again at the next collect.
    if (transitions->size() >= config_.claim_batch) claim_more_ = true;
    claim_in_flight_ = false;
    decided(*transitions);
  });
}

void RedisPresenceRegistry::run(Script& script, std::vector<std::string> args, std::size_t keys,
                                std::function<void(Result<RedisReply>)> done) {
  std::string sha;
  bool load = false;
  {
    std::lock_guard lock(script.mutex);
    sha = script.sha;
    load = sha.empty() && !script.loading;
    if (load) script.loading = true;
  }
  if (load) {
    client_->command({"SCRIPT", "LOAD", script.source}, [&script](const Result<RedisReply>& reply) {
      std::lock_guard lock(script.mutex);
      script.loading = false;
      if (reply && reply->type == RedisReply::Type::string) script.sha = reply->str;
    });
  }
  auto shared = std::make_shared<std::vector<std::string>>(std::move(args));
  auto send = [this, &script, shared, keys](const std::string& by_sha, std::function<void(Result<RedisReply>)> cb) {
    const std::string key_count = std::to_string(keys);
    std::vector<std::string_view> argv;
    argv.reserve(shared->size() + 3);
    argv.emplace_back(by_sha.empty() ? "EVAL" : "EVALSHA");
    argv.emplace_back(by_sha.empty() ? script.source : by_sha);
    argv.emplace_back(key_count);
    argv.insert(argv.end(), shared->begin(), shared->end());
    client_->command(argv, std::move(cb));
  };
  if (sha.empty()) return send({}, std::move(done));
  send(sha, [send, &script, done = std::move(done)](Result<RedisReply> reply) {
    if (!is_noscript(reply)) return done(std::move(reply));
    // Redis lost its script cache (it restarted): run the source, learn the SHA again.
    {
      std::lock_guard lock(script.mutex);
      script.sha.clear();
    }
    send({}, done);
  });
}

void RedisPresenceRegistry::decided(const std::vector<Transition>& transitions) {
  if (transitions.empty()) return;
  transitions_ += transitions.size();
  for (const auto& t : transitions) queue(t.event, t.version, true);
  wake();
}

bool RedisPresenceRegistry::queue(const PresenceEvent& event, std::uint64_t version, bool decided_here) {
  // One lock for the versions and the queue, so that the queue keeps the order of the checks.
  std::lock_guard lock(mutex_);
  auto it = watched_.find(event.user_id);
  if (it != watched_.end()) {
    if (!decided_here && version <= it->second.version) {
      ++stale_notices_;
      return false;
    }
    if (version > it->second.version) {
      it->second.version = version;
      it->second.online = event.online;
    }
  } else if (!decided_here) {
    return false;  // nobody here watches the user (any more)
  }
  changes_.push_back({event, decided_here});
  return true;
}

void RedisPresenceRegistry::on_notice(std::string_view channel, std::string_view payload) {
  const std::string prefix = config_.key_prefix + "p:";
  auto notice = presence::parse_notice(payload);
  if (!channel.starts_with(prefix) || !notice) {
    ++malformed_;
    return;
  }
  if (notice->origin == origin_) return;  // decided here: the script's reply brought it
  PresenceEvent event{UserId(channel.substr(prefix.size())), notice->online, notice->last_active_at};
  if (!queue(event, notice->version, false)) return;
  ++heard_;
  wake();
}

void RedisPresenceRegistry::on_resubscribed() {
  // Redis may have restarted empty: send every device noted here again.
  resync_ = true;
  std::vector<UserId> users;
  {
    std::lock_guard lock(mutex_);
    users.reserve(watched_.size());
    for (const auto& [user, watched] : watched_) users.push_back(user);
  }
  // Notices published while this connection was down are lost: read what
  // the watched users' state is now, hand on what differs.
  for (std::size_t i = 0; i < users.size(); i += config_.flush_batch) {
    auto chunk = std::make_shared<std::vector<UserId>>(
        users.begin() + static_cast<std::ptrdiff_t>(i),
        users.begin() + static_cast<std::ptrdiff_t>(std::min(users.size(), i + config_.flush_batch)));
    std::vector<std::string> args{config_.key_prefix + "pd"};
    for (const auto& u : *chunk) args.push_back(config_.key_prefix + "ph:" + u);
    args.insert(args.end(), chunk->begin(), chunk->end());
    run(*status_script_, std::move(args), chunk->size() + 1, [this, chunk](const Result<RedisReply>& reply) {
      auto known = reply ? presence::parse_statuses(*reply, chunk->size())
                         : Result<std::vector<presence::KnownStatus>>(reply.error());
      if (!known) return;  // the next reconnection tries again; notices keep coming meanwhile
      bool any = false;
      {
        std::lock_guard lock(mutex_);
        for (std::size_t k = 0; k < chunk->size(); ++k) {
          auto it = watched_.find((*chunk)[k]);
          const auto& now_known = (*known)[k];
          if (it == watched_.end() || (now_known.version != 0 && now_known.version < it->second.version)) continue;
          it->second.version = std::max(it->second.version, now_known.version);
          if (now_known.status.online == it->second.online) continue;
          it->second.online = now_known.status.online;
          changes_.push_back({{(*chunk)[k], now_known.status.online, now_known.status.last_active_at}, false});
          any = true;
        }
      }
      if (any) wake();
    });
  }
  wake();  // collect() sends everything
}

void RedisPresenceRegistry::watch(const UserId& user) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = ++watched_[user].count == 1;
  }
  if (first) subscriber_->subscribe(channel_of(user));
}

void RedisPresenceRegistry::unwatch(const UserId& user) {
  {
    std::lock_guard lock(mutex_);
    auto it = watched_.find(user);
    if (it == watched_.end() || --it->second.count > 0) return;
    watched_.erase(it);
  }
  subscriber_->unsubscribe(channel_of(user));
}

Result<std::vector<PresenceStatus>> RedisPresenceRegistry::status(std::span<const UserId> users) {
  if (users.empty()) return std::vector<PresenceStatus>{};
  std::vector<std::string> args{config_.key_prefix + "pd"};
  for (const auto& u : users) args.push_back(config_.key_prefix + "ph:" + u);
  args.insert(args.end(), users.begin(), users.end());
  auto answer = std::make_shared<std::promise<Result<RedisReply>>>();
  auto future = answer->get_future();
  run(*status_script_, std::move(args), users.size() + 1,
      [answer](Result<RedisReply> reply) { answer->set_value(std::move(reply)); });
  if (future.wait_for(config_.status_timeout) != std::future_status::ready) {
    return make_error(ErrorCode::unavailable, "presence: Redis did not answer in time");
  }
  auto reply = future.get();
  if (!reply) return reply.error();
  auto known = presence::parse_statuses(*reply, users.size());
  if (!known) return known.error();
  std::vector<PresenceStatus> out;
  out.reserve(known->size());
  for (const auto& k : *known) out.push_back(k.status);
  return out;
}

}  // namespace parley
