// RouteTable: (method, pattern) rows, path parameters, 405 with Allow.
#include <gtest/gtest.h>

#include "net/route_table.h"

namespace parley {
namespace {

using Table = RouteTable<int>;

std::vector<std::string> segs(std::initializer_list<const char*> parts) {
  return {parts.begin(), parts.end()};
}

Table sample() {
  Table t;
  t.add("GET", "/v1/chats", 1);
  t.add("POST", "/v1/chats", 2);
  t.add("GET", "/v1/chats/{chat_id}", 3);
  t.add("DELETE", "/v1/chats/{chat_id}/members/{user_id}", 4);
  t.add("GET", "/v1/chats/{chat_id}/messages", 5);
  t.add("POST", "/v1/chats/{chat_id}/messages", 6);
  t.add("PUT", "/v1/devices/current/push", 7);
  t.add("DELETE", "/v1/devices/current/push", 8);
  return t;
}

TEST(RouteTable, FindsTheHandlerAndItsParameters) {
  auto t = sample();
  auto r = t.lookup("DELETE", segs({"v1", "chats", "c1", "members", "u/2"}));
  auto* found = std::get_if<Table::Found>(&r);
  ASSERT_TRUE(found);
  EXPECT_EQ(*found->handler, 4);
  EXPECT_EQ(found->params["chat_id"], "c1");
  EXPECT_EQ(found->params["user_id"], "u/2") << "a decoded slash stays inside its segment";
  EXPECT_THROW((void)found->params["nope"], std::logic_error);
  auto list = t.lookup("GET", segs({"v1", "chats"}));
  ASSERT_TRUE(std::holds_alternative<Table::Found>(list));
  EXPECT_EQ(*std::get<Table::Found>(list).handler, 1);
  EXPECT_EQ(std::get<Table::Found>(list).params.size(), 0u);
}

TEST(RouteTable, KnownPathWithAnotherMethodListsTheAllowedOnes) {
  auto t = sample();
  auto r = t.lookup("PATCH", segs({"v1", "chats"}));
  ASSERT_TRUE(std::holds_alternative<Table::WrongMethod>(r));
  EXPECT_EQ(std::get<Table::WrongMethod>(r).allow, "GET, POST");
  r = t.lookup("GET", segs({"v1", "devices", "current", "push"}));
  EXPECT_EQ(std::get<Table::WrongMethod>(r).allow, "PUT, DELETE");
  r = t.lookup("get", segs({"v1", "chats"}));
  EXPECT_TRUE(std::holds_alternative<Table::WrongMethod>(r)) << "methods are case-sensitive";
}

TEST(RouteTable, UnknownPathsAreNoRoute) {
  auto t = sample();
  for (auto path : {segs({"v1", "nope"}), segs({"v1"}), segs({}), segs({"v1", "chats", "", "messages"}),
                    segs({"v1", "chats", "c1", "messages", "extra"}), segs({"V1", "chats"}),
                    segs({"v1", "devices", "other", "push"})}) {
    EXPECT_TRUE(std::holds_alternative<Table::NoRoute>(t.lookup("GET", path)));
  }
  std::vector<std::string> long_path(10'000, "v1");
  EXPECT_TRUE(std::holds_alternative<Table::NoRoute>(t.lookup("GET", long_path)));
}

TEST(RouteTable, MalformedOrDuplicateRowsAreRefusedAtStartUp) {
  Table t;
  t.add("GET", "/a/{id}", 1);
  EXPECT_THROW(t.add("GET", "/a/{id}", 2), std::logic_error);
  EXPECT_THROW(t.add("GET", "/a/{x}", 2), std::logic_error) << "same shape as /a/{id}";
  EXPECT_NO_THROW(t.add("POST", "/a/{id}", 2));
  EXPECT_THROW(t.add("GET", "no-slash", 3), std::logic_error);
  EXPECT_THROW(t.add("GET", "/b//c", 3), std::logic_error);
  EXPECT_THROW(t.add("GET", "/b/{}", 3), std::logic_error);
  EXPECT_THROW(t.add("GET", "/b/{id}/{id}", 3), std::logic_error);
  EXPECT_EQ(t.describe(), (std::vector<std::string>{"GET /a/{id}", "POST /a/{id}"}));
}

}  // namespace
}  // namespace parley
