// The portal's files served next to the API (server/static_files.h).
#include "server/static_files.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace shebao::server {
namespace {

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = std::filesystem::temp_directory_path() /
           ("shebao-static-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(root / "assets");
    write("index.html", "<!doctype html><title>shebao</title>");
    write("assets/index-abc123.js", "console.log(1)");
    write("assets/index-abc123.js.gz", "GZIPPED");
    write("assets/index-abc123.css", "body{}");
    write("size.txt", "12.3 KB");
  }
  void TearDown() override { std::filesystem::remove_all(root); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(root / name, std::ios::binary) << text;
  }
  HttpRequest get(const std::string& target, const std::string& encoding = "") {
    HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.accept_encoding = encoding;
    return r;
  }
  std::filesystem::path root;
};

TEST_F(StaticFilesTest, ApiPathsAreLeftToTheApi) {
  StaticFiles files(root);
  EXPECT_FALSE(files.serve(get("/v1/me")));
  EXPECT_FALSE(files.serve(get("/healthz")));
  EXPECT_FALSE(files.serve(get("/metrics")));
  EXPECT_FALSE(files.serve(get("/openapi.json")));
  EXPECT_FALSE(files.serve(get("/v2/nothing")));
  EXPECT_FALSE(files.serve(get("/v1")));
  EXPECT_TRUE(files.serve(get("/verify")));  // not an API version: a client route
  HttpRequest post = get("/");
  post.method = "POST";
  EXPECT_FALSE(files.serve(post));
}

TEST_F(StaticFilesTest, IndexAndClientRoutesAnswerIndexHtmlRevalidated) {
  StaticFiles files(root);
  for (const char* target : {"/", "/person/record", "/employer/declaration?x=1"}) {
    auto r = files.serve(get(target));
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->content_type, "text/html; charset=utf-8");
    EXPECT_EQ(r->body, "<!doctype html><title>shebao</title>");
    EXPECT_EQ(header(*r, "Cache-Control"), "no-cache");
    EXPECT_NE(header(*r, "Content-Security-Policy"), "");
  }
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutableWithTheirContentType) {
  StaticFiles files(root);
  auto js = files.serve(get("/assets/index-abc123.js"));
  ASSERT_TRUE(js);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js->body, "console.log(1)");
  EXPECT_EQ(header(*js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(*js, "Content-Encoding"), "");
  auto css = files.serve(get("/assets/index-abc123.css"));
  ASSERT_TRUE(css);
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
  auto txt = files.serve(get("/size.txt"));
  ASSERT_TRUE(txt);
  EXPECT_EQ(header(*txt, "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, PrecompressedFileWhenTheClientAcceptsGzip) {
  StaticFiles files(root);
  auto r = files.serve(get("/assets/index-abc123.js", "gzip, deflate, br"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "GZIPPED");
  EXPECT_EQ(header(*r, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(*r, "Vary"), "Accept-Encoding");
  auto refused = files.serve(get("/assets/index-abc123.js", "gzip;q=0"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->body, "console.log(1)");
}

TEST_F(StaticFilesTest, MissingFilesAndEscapesAre404) {
  StaticFiles files(root);
  for (const char* target : {"/assets/missing.js", "/../etc/passwd", "/assets/..%2f..%2fetc", "/favicon.ico",
                             "/a\\b"}) {
    auto r = files.serve(get(target));
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 404) << target;
  }
}

TEST(StaticContentTypes, ByExtension) {
  EXPECT_EQ(content_type_of("a.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_of("a.json"), "application/json");
  EXPECT_EQ(content_type_of("a.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace shebao::server
