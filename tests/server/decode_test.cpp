// Request decoding and problem details.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "server/decode.h"

namespace shebao::server {
namespace {
namespace json = boost::json;

HttpRequest with_body(std::string body, std::string type = "application/json") {
  HttpRequest r;
  r.method = "POST";
  r.target = "/v1/x";
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

TEST(Decode, SplitPath) {
  auto s = split_path("/v1/persons/123?x=1");
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, (std::vector<std::string>{"v1", "persons", "123"}));
  EXPECT_EQ(*split_path("/v1//a/"), (std::vector<std::string>{"v1", "a"}));
  EXPECT_EQ(*split_path("/a%2Fb"), (std::vector<std::string>{"a/b"}));
  EXPECT_FALSE(split_path("/a%2"));
  EXPECT_FALSE(split_path("/a%zz"));
  EXPECT_FALSE(split_path("/a%00"));
  EXPECT_FALSE(split_path("relative"));
  EXPECT_FALSE(split_path("/" + std::string(3000, 'a')));
}

TEST(Decode, Query) {
  auto q = parse_query("/x?lang=zh&limit=5&name=a+b%21&flag");
  ASSERT_TRUE(q);
  EXPECT_EQ(query_value(*q, "lang"), "zh");
  EXPECT_EQ(query_value(*q, "limit"), "5");
  EXPECT_EQ(query_value(*q, "name"), "a b!");
  EXPECT_EQ(query_value(*q, "flag"), "");
  EXPECT_FALSE(query_value(*q, "none"));
  auto bad = parse_query("/x?lang=%G1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "query.lang");
}

TEST(Decode, JsonBodies) {
  EXPECT_TRUE(parse_json_object(with_body(R"({"a":"b"})")));
  EXPECT_TRUE(parse_json_object(with_body(R"({"a":"b"})", "application/json; charset=utf-8")));
  auto malformed = parse_json_object(with_body(R"({"a":)"));
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(malformed.error().field, "body");
  auto array = parse_json_object(with_body("[1,2]"));
  ASSERT_FALSE(array);
  EXPECT_NE(array.error().message.find("an array"), std::string::npos);
  EXPECT_FALSE(parse_json_object(with_body("")));
  auto type = parse_json_object(with_body("{}", "text/plain"));
  ASSERT_FALSE(type);
  EXPECT_EQ(type.error().field, "Content-Type");
  std::string deep(100, '[');
  deep = "{\"a\":" + deep + std::string(100, ']') + "}";
  EXPECT_FALSE(parse_json_object(with_body(deep)));
}

TEST(Decode, TypedFields) {
  json::object o = json::parse(R"({"s":"x","n":5,"z":null,"long":"abcdef"})").as_object();
  EXPECT_EQ(*required_string(o, "s"), "x");
  auto wrong = required_string(o, "n");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().field, "n");
  EXPECT_NE(wrong.error().message.find("got a number"), std::string::npos);
  EXPECT_FALSE(required_string(o, "missing"));
  EXPECT_FALSE(required_string(o, "z"));
  EXPECT_FALSE(optional_string(o, "z")->has_value());
  EXPECT_FALSE(required_string(o, "long", 3));
  auto unknown = only_keys(o, {"s", "n", "z"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field, "long");
}

TEST(Problem, Rfc9457Shape) {
  HttpResponse r = problem(Error{ErrorCode::out_of_range, "flexible_base_ratio", "expected 0.60 .. 3.00"});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.content_type, "application/problem+json");
  json::object doc = json::parse(r.body).as_object();
  EXPECT_EQ(doc.at("status").as_int64(), 422);
  EXPECT_EQ(doc.at("code").as_string(), "out_of_range");
  EXPECT_EQ(doc.at("field").as_string(), "flexible_base_ratio");
  EXPECT_EQ(doc.at("type").as_string(), "https://shebao.dev/problems/out_of_range");
  EXPECT_TRUE(doc.contains("title"));
  EXPECT_TRUE(doc.contains("detail"));
  EXPECT_EQ(problem(Error{ErrorCode::conflict, "", ""}).status, 409);
  EXPECT_EQ(problem(Error{ErrorCode::internal, "", ""}).status, 500);
  // The one answer for "missing" and "not yours" never names the record.
  HttpResponse hidden = not_visible();
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.body, not_visible().body);
  EXPECT_FALSE(json::parse(hidden.body).as_object().contains("field"));
}

}  // namespace
}  // namespace shebao::server
