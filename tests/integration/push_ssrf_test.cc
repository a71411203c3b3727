// Push webhooks cannot be pointed inside the server's network (SSRF): by
// default loopback, private, link-local, metadata and other special-use
// addresses are refused at registration and again, after resolution, at send
// time; --push-allow-hosts exempts chosen hosts and networks.
#include "fixture.h"
#include "push_receiver.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::str_field;

auto push_for(const std::string& device_id, std::int64_t seq) {
  return [=](const json::object& o) { return str_field(o, "device_id") == device_id && int_field(o, "seq") == seq; };
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

std::vector<std::string> with_flags(std::vector<std::string> base, std::initializer_list<std::string> more) {
  base.insert(base.end(), more);
  return base;
}

class PushSsrfTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    return with_flags(ParleyTest::server_flags(), {"--push-retry-initial-ms", "100"});
  }
};

TEST_F(PushSsrfTest, RegistrationRefusesEveryForbiddenSpelling) {
  PushReceiver receiver;
  receiver.start();
  const std::string port = std::to_string(receiver.port());
  const std::vector<std::string> refused = {
      "http://127.0.0.1:" + port + "/",
      "http://2130706433:" + port + "/",
      "http://0x7f.1:" + port + "/",
      "http://017700000001:" + port + "/",
      "http://127.1:" + port + "/",
      "http://%31%32%37.0.0.1:" + port + "/",
      "http://0:" + port + "/",
      "http://localhost:" + port + "/",
      "http://LocalHost.:" + port + "/",
      "http://[::1]:" + port + "/",
      "http://[::ffff:127.0.0.1]:" + port + "/",
      "http://[::ffff:7f00:1]:" + port + "/",
      "http://evil@127.0.0.1:" + port + "/",
      "http://example.org@127.0.0.1:" + port + "/",
      "http://127.0.0.1:6379/",
      "http://[::1]:22/",
      "http://169.254.169.254/latest/meta-data/",
      "http://[fd00:ec2::254]/latest/meta-data/",
      "http://100.100.100.200/latest/meta-data/",
      "http://10.0.0.1/",
      "http://192.168.0.1/",
      "http://224.0.0.1/",
      "http://255.255.255.255/",
      "gopher://127.0.0.1:" + port + "/_INFO",
      "file:///etc/passwd",
      "https://example.org/",
      "http://example.org/" + std::string(4096, 'a'),
  };
  Session bob = new_session("bob");
  for (const auto& url : refused) {
    auto r = bob.call("PUT", "/v1/devices/current/push", json::object{{"provider", "webhook"}, {"url", url}});
    EXPECT_TRUE(is_error(r, 400, "invalid_request")) << url.substr(0, 100);
  }
  auto r = bob.call("PUT", "/v1/devices/current/push",
                    json::object{{"provider", "webhook"}, {"url", "http://push.example.org/hook"}});
  EXPECT_EQ(r.status, 204) << r.raw;
  EXPECT_EQ(receiver.connections(), 0);
}

// Registered while the operator allowed loopback, sent after the allowance
// was withdrawn: the send-time check on the resolved address refuses every
// spelling, and nothing connects. Allowed again, the same jobs are delivered,
// which proves the refusals were the policy and not a broken URL.
TEST_F(PushSsrfTest, SendTimeCheckRefusesResolvedLoopbackWhateverTheSpelling) {
  PushReceiver receiver;
  receiver.start();
  const std::string port = std::to_string(receiver.port());
  const auto allowing = with_flags(server_flags(), {"--push-allow-hosts", "127.0.0.1"});
  set_server_flags(allowing);
  restart_servers();

  Session alice = new_session("alice");
  Session bob = new_session("bob");
  const std::vector<std::string> spellings = {"127.0.0.1", "2130706433", "0x7f.1", "017700000001", "localhost"};
  std::vector<Session> devices;
  for (std::size_t i = 0; i < spellings.size(); ++i) {
    devices.push_back(another_device(bob, "device" + std::to_string(i)));
    devices.back().set_push("http://" + spellings[i] + ":" + port + "/hook");
  }
  ChatInfo chat = alice.create_direct(bob.user_id());

  set_server_flags(server_flags());  // loopback no longer allowed
  restart_servers();
  Session alice2 = resume(alice);
  auto sent = alice2.send(chat.chat_id, cmid(), "to every spelling");
  ASSERT_TRUE(eventually(
      [&] {
        auto log = logs_of_every_server();
        for (const auto& d : devices) {
          if (count_of(log, "push to device " + d.device_id() + " refused") == 0) return false;
        }
        return true;
      },
      kWait))
      << "not every push was refused";
  EXPECT_EQ(receiver.connections(), 0) << "a refused push connected to the loopback listener";

  set_server_flags(allowing);
  restart_servers();
  for (const auto& d : devices) {
    EXPECT_TRUE(receiver.wait_for(push_for(d.device_id(), sent.seq), Ms(30000))) << d.device_id();
  }
}

TEST_F(PushSsrfTest, AllowedHostNameDoesNotAllowItsAddress) {
  PushReceiver receiver;
  receiver.start();
  set_server_flags(with_flags(server_flags(), {"--push-allow-hosts", "localhost"}));
  restart_servers();
  Session bob = new_session("bob");
  auto r = bob.call("PUT", "/v1/devices/current/push", json::object{{"provider", "webhook"}, {"url", receiver.url()}});
  EXPECT_TRUE(is_error(r, 400, "invalid_request"));
  bob.set_push("http://localhost:" + std::to_string(receiver.port()) + "/named");
  Session alice = new_session("alice");
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto sent = alice.send(chat.chat_id, cmid(), "by name");
  EXPECT_TRUE(receiver.wait_for(push_for(bob.device_id(), sent.seq)));
}

TEST_F(PushSsrfTest, RedirectsAreNotFollowed) {
  PushReceiver inside;  // what a redirect would lead to
  inside.start();
  PushReceiver hook;
  hook.fail_next(1, 307, inside.url("/stolen"));
  hook.start();
  set_server_flags(with_flags(server_flags(), {"--push-allow-hosts", "127.0.0.1"}));
  restart_servers();
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  bob.set_push(hook.url());
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto sent = alice.send(chat.chat_id, cmid(), "redirect me");
  // The 307 counts as a failure and is retried at the same URL.
  ASSERT_TRUE(hook.wait_for(push_for(bob.device_id(), sent.seq), Ms(30000)));
  EXPECT_EQ(hook.requests().size(), 2u);
  EXPECT_EQ(inside.connections(), 0) << "the redirect was followed";
}

TEST_F(PushSsrfTest, MalformedAllowListStopsStartUp) {
  ServerProcess bad(with_flags(server_flags(), {"--push-allow-hosts", "10.0.0.1/8"}));
  EXPECT_THROW(bad.start(), std::runtime_error);
}

}  // namespace
}  // namespace parley::testing
