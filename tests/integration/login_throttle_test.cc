// Password guessing is throttled: per account (the e-mail, failures only,
// from every address) and per client address (every login and signup). A
// throttled attempt is answered 429 rate_limited with Retry-After, before any
// password is checked; unknown e-mails are throttled exactly like known ones.
// Client addresses come from X-Forwarded-For because the test is the
// operator's trusted proxy (--trusted-proxies 127.0.0.1).
#include "fixture.h"

namespace parley::testing {
namespace {

constexpr int kAccountBurst = 5;
constexpr int kAddressBurst = 12;

class LoginThrottleTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    return {"--threads",
            "2",
            "--login-account-burst",
            std::to_string(kAccountBurst),
            "--login-account-per-minute",
            "1",
            "--login-address-burst",
            std::to_string(kAddressBurst),
            "--login-address-per-minute",
            "1",
            "--trusted-proxies",
            "127.0.0.1"};
  }

  HttpResponse post_from(const std::string& address, const std::string& path, const json::object& body) {
    client::HttpRequest req;
    req.method = "POST";
    req.target = path;
    req.body = json::serialize(body);
    if (!address.empty()) req.extra_headers.emplace_back("X-Forwarded-For", address);
    return server().http().send(req);
  }
  HttpResponse login_from(const std::string& address, const std::string& email, const std::string& password) {
    return post_from(address, "/v1/login", json::object{{"email", email}, {"password", password}});
  }
  HttpResponse signup_from(const std::string& address, const std::string& email) {
    return post_from(address, "/v1/signup",
                     json::object{{"email", email}, {"password", "long enough password"}, {"display_name", "X"}});
  }
  TestUser signed_up(const std::string& address, const std::string& name) {
    TestUser u{name + "-" + cmid() + "@example.org", "long enough password", name, ""};
    auto r = signup_from(address, u.email);
    EXPECT_EQ(r.status, 201) << r.raw;
    return u;
  }
};

::testing::AssertionResult is_throttled(const HttpResponse& r) {
  if (!is_error(r, 429, "rate_limited")) return is_error(r, 429, "rate_limited");
  auto retry = r.header("Retry-After");
  if (retry.empty() || retry.find_first_not_of("0123456789") != std::string::npos || std::stoi(retry) < 1) {
    return ::testing::AssertionFailure() << "Retry-After is '" << retry << "'";
  }
  return ::testing::AssertionSuccess();
}

TEST_F(LoginThrottleTest, ThirtyWrongPasswordsAreThrottledAfterTheAllowance) {
  TestUser ann = signed_up("203.0.113.1", "ann");
  for (int i = 0; i < 30; ++i) {
    auto r = login_from("203.0.113.2", ann.email, "wrong password " + std::to_string(i));
    if (i < kAccountBurst) {
      EXPECT_TRUE(is_error(r, 401, "bad_credentials")) << i;
    } else {
      EXPECT_TRUE(is_throttled(r)) << i;
      EXPECT_LE(std::stoi(r.header("Retry-After")), 60) << "one attempt a minute refills";
    }
  }
}

// Per-account throttling applies to everyone, as on the big servers: once
// the allowance of failures is spent, the right password from another
// address waits too (else a guesser rotating addresses is never slowed).
// The owner waits at most one refill interval.
TEST_F(LoginThrottleTest, ThrottledAccountRefusesEvenTheRightPasswordFromElsewhere) {
  TestUser ann = signed_up("203.0.113.1", "ann");
  for (int i = 0; i < kAccountBurst; ++i) {
    EXPECT_TRUE(is_error(login_from("198.51.100.7", ann.email, "guess"), 401, "bad_credentials"));
  }
  EXPECT_TRUE(is_throttled(login_from("203.0.113.1", ann.email, ann.password)));
  // Another account from the guesser's address is not affected.
  TestUser bob = signed_up("203.0.113.3", "bob");
  EXPECT_EQ(login_from("198.51.100.7", bob.email, bob.password).status, 200);
}

TEST_F(LoginThrottleTest, SuccessfulLoginsDoNotUseUpTheAccountAllowance) {
  TestUser ann = signed_up("203.0.113.1", "ann");
  for (int i = 0; i < kAccountBurst + 3; ++i) {
    auto r = login_from("203.0.113." + std::to_string(10 + i), ann.email, ann.password);
    EXPECT_EQ(r.status, 200) << i << " " << r.raw;
  }
}

TEST_F(LoginThrottleTest, UnknownEmailsAreThrottledExactlyLikeKnownOnes) {
  TestUser ann = signed_up("203.0.113.1", "ann");
  auto statuses = [&](const std::string& email, const std::string& address) {
    std::vector<int> out;
    for (int i = 0; i < kAccountBurst + 3; ++i) out.push_back(login_from(address, email, "wrong password").status);
    return out;
  };
  auto known = statuses(ann.email, "198.51.100.1");
  auto unknown = statuses("nobody-" + cmid() + "@example.org", "198.51.100.2");
  EXPECT_EQ(known, unknown);
  EXPECT_EQ(known.back(), 429);
}

TEST_F(LoginThrottleTest, AddressLimitAppliesToThatAddressOnly) {
  std::vector<TestUser> users;
  for (int i = 0; i < 3; ++i) users.push_back(signed_up("203.0.113." + std::to_string(100 + i), "u"));
  // Correct passwords, many accounts: the address still counts every attempt.
  int answered = 0;
  HttpResponse last;
  for (int i = 0; i < kAddressBurst + 1; ++i) {
    const auto& u = users[static_cast<std::size_t>(i) % users.size()];
    last = login_from("192.0.2.50", u.email, u.password);
    if (last.status == 200) ++answered;
  }
  EXPECT_EQ(answered, kAddressBurst);
  EXPECT_TRUE(is_throttled(last));
  EXPECT_EQ(login_from("192.0.2.51", users[0].email, users[0].password).status, 200) << "another address";
  // IPv6 clients are counted per /64: a new address in the same /64 is the same client.
  for (int i = 0; i < kAddressBurst; ++i) {
    login_from("2001:db8:1:2::" + std::to_string(i + 1), users[1].email, users[1].password);
  }
  EXPECT_TRUE(is_throttled(login_from("2001:db8:1:2::ffff", users[1].email, users[1].password)));
  EXPECT_EQ(login_from("2001:db8:1:3::1", users[1].email, users[1].password).status, 200);
}

TEST_F(LoginThrottleTest, SignupIsThrottledPerAddressAndPerEmail) {
  int created = 0;
  HttpResponse last;
  for (int i = 0; i < kAddressBurst + 1; ++i) {
    last = signup_from("192.0.2.60", "spray-" + cmid() + "@example.org");
    if (last.status == 201) ++created;
  }
  EXPECT_EQ(created, kAddressBurst);
  EXPECT_TRUE(is_throttled(last));
  // Probing one e-mail with signups (409 email_taken) from many addresses.
  TestUser ann = signed_up("192.0.2.61", "ann");
  for (int i = 0; i < kAccountBurst; ++i) {
    EXPECT_TRUE(is_error(signup_from("198.51.100." + std::to_string(i + 1), ann.email), 409, "email_taken"));
  }
  EXPECT_TRUE(is_throttled(signup_from("198.51.100.99", ann.email)));
}

TEST_F(LoginThrottleTest, ForwardedForIsIgnoredFromUntrustedPeersAndMalformedBodiesCostNothing) {
  set_server_flags({"--threads", "2", "--login-address-burst", "3", "--login-address-per-minute", "1"});
  restart_servers();
  // Not a trusted proxy: a spoofed X-Forwarded-For does not make a new client.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(is_error(login_from("10.0.0." + std::to_string(i), "x@example.org", "pw"), 401, "bad_credentials"));
  }
  EXPECT_TRUE(is_throttled(login_from("10.0.0.99", "y@example.org", "pw")));
  // Throttled or not, a malformed body is a 400 and is checked first.
  auto r = post_from("", "/v1/login", json::object{{"email", 5}});
  EXPECT_TRUE(is_error(r, 400, "invalid_request"));
  r = post_from("", "/v1/signup", json::object{{"email", "a@b.c"}});
  EXPECT_TRUE(is_error(r, 400, "invalid_request"));
}

TEST_F(LoginThrottleTest, AllowanceRefillsWithTime) {
  // One token every 3 s: far longer than two failed logins take even on a
  // loaded machine, so the throttle is met before anything refills.
  set_server_flags({"--threads", "2", "--login-account-burst", "2", "--login-account-per-minute", "20",
                    "--login-address-burst", "0"});
  restart_servers();
  TestUser ann = signed_up("", "ann");
  for (int i = 0; i < 2; ++i) EXPECT_EQ(login_from("", ann.email, "wrong").status, 401);
  auto throttled = login_from("", ann.email, ann.password);
  ASSERT_TRUE(is_throttled(throttled));
  // When the next token comes, rounded up: at most the 3 s of one token.
  const std::string retry_after = throttled.header("Retry-After");
  EXPECT_TRUE(retry_after == "1" || retry_after == "2" || retry_after == "3") << retry_after;
  EXPECT_TRUE(eventually([&] { return login_from("", ann.email, ann.password).status == 200; }, kWait, Ms(100)));
}

TEST_F(LoginThrottleTest, MalformedThrottleFlagsStopStartUp) {
  for (auto flags : std::vector<std::vector<std::string>>{{"--trusted-proxies", "10.0.0.1/8"},
                                                          {"--trusted-proxies", "proxy.example"},
                                                          {"--login-account-burst", "-1"}}) {
    ServerProcess bad(flags);
    EXPECT_THROW(bad.start(), std::runtime_error) << flags[0] << " " << flags[1];
  }
}

}  // namespace
}  // namespace parley::testing
