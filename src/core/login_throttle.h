#pragma once
// LoginThrottle: limits password guessing. Every login or signup attempt
// takes a token from its client address's bucket and one from its account's
// (the e-mail, whether or not such an account exists, so that throttling
// reveals nothing); a successful attempt gives the account token back, so
// the account bucket counts failures only. An empty bucket refuses the
// attempt before any password is hashed, with the time until it refills.
//
// Memory is fixed at construction: each table is a set-associative array of
// `max_tracked` slots keyed by a salted 64-bit hash. A new key replaces a
// slot whose bucket has refilled (it holds no information), else the least
// recently used one of its set, so spraying keys costs no memory.
// Thread-safe: short critical sections on striped locks, no I/O under them.

#include <array>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

#include "core/model.h"

namespace parley {

struct BucketLimit {
  double burst = 10;      // attempts allowed at once; 0: unlimited
  double per_minute = 1;  // refill rate
};

struct LoginThrottleConfig {
  BucketLimit account{10, 1};        // failed attempts per e-mail, from anywhere
  BucketLimit address{30, 30};       // attempts per client address (IPv6: per /64)
  std::size_t max_tracked = 65'536;  // slots per table
  bool enabled = true;
};

// Token buckets for many keys in a fixed amount of memory.
class BucketTable {
 public:
  BucketTable(BucketLimit limit, std::size_t slots, std::uint64_t salt);

  // Takes one token of `key`; when none is left, takes nothing and returns
  // the milliseconds until one is (> 0). 0 means taken.
  TimeMs take(std::string_view key, TimeMs now);
  // Gives one token back (never past the burst).
  void give_back(std::string_view key, TimeMs now);

 private:
  static constexpr std::size_t kWays = 4;
  static constexpr std::size_t kStripes = 64;
  struct Slot {
    std::uint64_t tag = 0;  // 0: empty
    double tokens = 0;
    TimeMs updated = 0;
  };
  std::uint64_t hash(std::string_view key) const;
  double refilled(const Slot& slot, TimeMs now) const;
  // The slot of `tag` in its set, claimed (and full) if it was not there.
  Slot& slot_for(std::uint64_t tag, TimeMs now);

  BucketLimit limit_;
  double per_ms_;
  std::uint64_t salt_;
  std::size_t sets_;
  std::vector<Slot> slots_;  // sets_ * kWays
  std::array<std::mutex, kStripes> stripes_;
};

class LoginThrottle {
 public:
  LoginThrottle(const LoginThrottleConfig& config, std::uint64_t salt);

  struct Admission {
    bool admitted = true;
    TimeMs retry_after_ms = 0;  // when refused
  };
  // One attempt from `address` on `account` (a normalised e-mail).
  Admission admit(std::string_view address, std::string_view account, TimeMs now);
  // The admitted attempt succeeded: it does not count against the account.
  void succeeded(std::string_view account, TimeMs now);

 private:
  bool enabled_;
  BucketTable accounts_;
  BucketTable addresses_;
};

}  // namespace parley
