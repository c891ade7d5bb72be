// The decisions of the MCP client's OAuth (agents/mcp/oauth): Bearer
// challenges, metadata locations and documents, the client authentication
// method, the scope, the token request and answer, and when to renew.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agents/mcp/oauth/discovery.hpp"
#include "agents/mcp/oauth/token_request.hpp"
#include "agents/mcp/oauth/www_authenticate.hpp"
#include "runtime/error.hpp"

namespace {

using namespace std::chrono_literals;
using namespace bsm::mcp::oauth;
using bsm::errc;
using strings = std::vector<std::string>;

// -- WWW-Authenticate
// ----------------------------------------------------------

TEST(BearerChallenge, ReadsQuotedAndPlainParameters) {
  auto got = parse_bearer_challenge(
    R"(Bearer error="insufficient_scope", scope="mcp:read mcp:write", )"
    R"(resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp")");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->error, "insufficient_scope");
  EXPECT_EQ(got->scope, "mcp:read mcp:write");
  EXPECT_EQ(got->resource_metadata,
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
  got = parse_bearer_challenge("bearer Error=invalid_token");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->error, "invalid_token");
  got = parse_bearer_challenge("Bearer");
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->scope.empty());
}

TEST(BearerChallenge, FindsBearerAmongOtherSchemesAndEscapes) {
  auto got = parse_bearer_challenge(
    R"(Basic realm="a, b", Bearer realm="x", scope="s\"1", DPoP algs="ES256")");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->scope, "s\"1");
  EXPECT_TRUE(got->error.empty());
  EXPECT_FALSE(parse_bearer_challenge(R"(Basic realm="x")"));
  EXPECT_FALSE(parse_bearer_challenge(""));
}

// -- metadata locations
// ---------------------------------------------------------

TEST(OauthDiscovery, TriesPathBasedThenRootProtectedResourceMetadata) {
  EXPECT_EQ(protected_resource_metadata_urls(
              "https://MCP.example.com:8443/v1/mcp/?x=1"),
            (strings{"https://mcp.example.com:8443/.well-known/"
                     "oauth-protected-resource/v1/mcp",
                     "https://mcp.example.com:8443/.well-known/"
                     "oauth-protected-resource"}));
  EXPECT_EQ(protected_resource_metadata_urls("http://h"),
            (strings{"http://h/.well-known/oauth-protected-resource"}));
  EXPECT_TRUE(protected_resource_metadata_urls("ftp://h/x").empty());
  EXPECT_TRUE(protected_resource_metadata_urls("https://u:p@h/x").empty());
}

TEST(OauthDiscovery, TriesOauthThenOpenIdMetadataWithPathInsertion) {
  EXPECT_EQ(authorization_server_metadata_urls("https://auth.example.com"),
            (strings{"https://auth.example.com/.well-known/"
                     "oauth-authorization-server",
                     "https://auth.example.com/.well-known/"
                     "openid-configuration"}));
  EXPECT_EQ(
    authorization_server_metadata_urls("https://a.example.com/tenant1/"),
    (strings{"https://a.example.com/.well-known/"
             "oauth-authorization-server/tenant1",
             "https://a.example.com/.well-known/openid-configuration/"
             "tenant1",
             "https://a.example.com/tenant1/.well-known/"
             "openid-configuration"}));
}

TEST(OauthDiscovery, AResourceCoversItsServerAndPathsBelowIt) {
  EXPECT_TRUE(resource_covers("https://h/mcp", "https://h/mcp"));
  EXPECT_TRUE(resource_covers("https://H/", "https://h/mcp"));
  EXPECT_TRUE(resource_covers("https://h/api", "https://h/api/mcp"));
  EXPECT_FALSE(resource_covers("https://h/api", "https://h/apimcp"));
  EXPECT_FALSE(
    resource_covers("https://evil.example.com/mcp", "https://h/mcp"));
  EXPECT_FALSE(resource_covers("http://h/mcp", "https://h/mcp"));
  EXPECT_FALSE(resource_covers("https://h:444/mcp", "https://h/mcp"));
}

// -- metadata documents
// ----------------------------------------------------------

TEST(OauthDiscovery, ReadsProtectedResourceMetadata) {
  auto got = parse_protected_resource(
    R"({"resource":"https://h/mcp","authorization_servers":["https://as"],
        "scopes_supported":["a","b"]})",
    "https://h/.well-known/oauth-protected-resource/mcp", "https://h/mcp");
  ASSERT_TRUE(got) << bsm::render(got.error());
  EXPECT_EQ(got->resource, "https://h/mcp");
  EXPECT_EQ(got->authorization_servers, strings{"https://as"});
  EXPECT_EQ(got->scopes_supported, (strings{"a", "b"}));
}

TEST(OauthDiscovery, NamesWhatIsWrongWithProtectedResourceMetadata) {
  auto problem = [](const std::string& body) {
    auto got = parse_protected_resource(body, "https://h/prm", "https://h/mcp");
    EXPECT_FALSE(got);
    if (got)
      return std::string{};
    EXPECT_TRUE(bsm::is(got.error(), errc::failed_precondition));
    return bsm::render(got.error());
  };
  EXPECT_EQ(problem("[]"), "failed_precondition: metadata at https://h/prm is "
                           "unusable: not a JSON object");
  EXPECT_EQ(problem(R"({"authorization_servers":["https://as"]})"),
            "failed_precondition: metadata at https://h/prm is unusable: "
            "'resource' is missing or not a string");
  EXPECT_EQ(problem(R"({"resource":"https://evil.example.com/mcp",
                        "authorization_servers":["https://as"]})"),
            "failed_precondition: metadata at https://h/prm is unusable: "
            "'resource' https://evil.example.com/mcp does not name the MCP "
            "server https://h/mcp");
  EXPECT_EQ(
    problem(R"({"resource":"https://h/mcp","authorization_servers":[]})"),
    "failed_precondition: metadata at https://h/prm is unusable: "
    "'authorization_servers' names no http(s) issuer");
  EXPECT_EQ(problem(R"({"resource":"https://h/mcp",
                        "authorization_servers":["https://as"],
                        "scopes_supported":"a b"})"),
            "failed_precondition: metadata at https://h/prm is unusable: "
            "'scopes_supported' is not an array of strings");
}

TEST(OauthDiscovery, ReadsAuthorizationServerMetadataAndChecksItsIssuer) {
  auto got = parse_authorization_server(
    R"({"issuer":"https://as/","token_endpoint":"https://as/token",
        "token_endpoint_auth_methods_supported":["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported":["ES256"]})",
    "https://as/.well-known/oauth-authorization-server", "https://as");
  ASSERT_TRUE(got) << bsm::render(got.error());
  EXPECT_EQ(got->token_endpoint, "https://as/token");
  EXPECT_EQ(got->token_endpoint_auth_methods, strings{"private_key_jwt"});
  EXPECT_EQ(got->signing_algorithms, strings{"ES256"});
  got = parse_authorization_server(
    R"({"issuer":"https://as","token_endpoint":"https://as/token"})", "m",
    "https://as");
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->token_endpoint_auth_methods);
  got = parse_authorization_server(
    R"({"issuer":"https://other","token_endpoint":"https://as/token"})", "m",
    "https://as");
  ASSERT_FALSE(got);
  EXPECT_EQ(bsm::render(got.error()),
            "failed_precondition: metadata at m is unusable: 'issuer' "
            "https://other is not https://as");
  got = parse_authorization_server(R"({"issuer":"https://as"})", "m",
                                   "https://as");
  ASSERT_FALSE(got);
  EXPECT_EQ(bsm::render(got.error()),
            "failed_precondition: metadata at m is unusable: 'token_endpoint' "
            "is missing or not an http(s) URL");
}

// -- client authentication and scope
// ---------------------------------------------

TEST(OauthTokenRequest, ChoosesTheMethodFromCredentialsAndMetadata) {
  using m = client_auth_method;
  auto basic_only = std::optional<strings>{};
  EXPECT_EQ(choose_auth_method({}, true, false, basic_only),
            m::client_secret_basic);
  EXPECT_EQ(choose_auth_method({}, true, false, strings{"client_secret_post"}),
            m::client_secret_post);
  EXPECT_EQ(choose_auth_method({}, false, true, strings{"private_key_jwt"}),
            m::private_key_jwt);
  EXPECT_EQ(
    choose_auth_method(m::client_secret_post, true, false,
                       strings{"client_secret_basic", "client_secret_post"}),
    m::client_secret_post);
  auto refused = choose_auth_method({}, false, true, basic_only);
  ASSERT_FALSE(refused);
  EXPECT_EQ(bsm::render(refused.error()),
            "failed_precondition: the authorization server does not take "
            "private_key_jwt (it lists: client_secret_basic)");
  refused = choose_auth_method({}, true, false, strings{"none"});
  ASSERT_FALSE(refused);
  EXPECT_TRUE(bsm::is(refused.error(), errc::failed_precondition));
  refused = choose_auth_method(m::private_key_jwt, true, false, basic_only);
  ASSERT_FALSE(refused);
  EXPECT_EQ(bsm::render(refused.error()),
            "invalid_argument: private_key_jwt needs a private key");
  EXPECT_EQ(parse_client_auth_method("client_secret_post"),
            m::client_secret_post);
  EXPECT_FALSE(parse_client_auth_method("none"));
}

TEST(OauthTokenRequest, TakesTheScopeFromConfigThenChallengeThenMetadata) {
  EXPECT_EQ(choose_scope("mine", "theirs", {"a"}), "mine");
  EXPECT_EQ(choose_scope("", "theirs", {"a"}), "theirs");
  EXPECT_EQ(choose_scope("", "", {"a", "b"}), "a b");
  EXPECT_EQ(choose_scope("", "", {}), "");
}

TEST(OauthTokenRequest, BuildsTheFormForEachMethod) {
  token_request_input in;
  in.client_id = "my client";
  in.client_secret = "p:ss&";
  in.scope = "a b";
  in.resource = "https://h/mcp";
  auto basic = make_token_request(in);
  EXPECT_EQ(basic.body, "grant_type=client_credentials&scope=a+b&resource="
                        "https%3A%2F%2Fh%2Fmcp");
  // base64("my+client:p%3Ass%26")
  EXPECT_EQ(basic.authorization, "Basic bXkrY2xpZW50OnAlM0FzcyUyNg==");
  in.method = client_auth_method::client_secret_post;
  auto post = make_token_request(in);
  EXPECT_TRUE(post.authorization.empty());
  EXPECT_NE(post.body.find("&client_id=my+client&client_secret=p%3Ass%26"),
            std::string::npos);
  in.method = client_auth_method::private_key_jwt;
  in.client_assertion = "h.p.s";
  in.scope.clear();
  auto jwt = make_token_request(in);
  EXPECT_EQ(jwt.body, "grant_type=client_credentials&resource=https%3A%2F%2Fh%"
                      "2Fmcp&client_id=my+client&client_assertion_type=urn%"
                      "3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%"
                      "3Ajwt-bearer&client_assertion=h.p.s");
  EXPECT_EQ(jwt.body.find("p%3Ass"), std::string::npos);
}

// -- the answer
// -------------------------------------------------------------------

TEST(OauthTokenResponse, ReadsATokenAndItsLifetime) {
  auto got = parse_token_response(
    200,
    R"({"access_token":"t1","token_type":"bearer","expires_in":3600,"scope":"a"})",
    "https://as/token");
  ASSERT_TRUE(got) << bsm::render(got.error());
  EXPECT_EQ(got->value, "t1");
  EXPECT_EQ(got->expires_in, std::chrono::seconds{3600});
  EXPECT_EQ(got->scope, "a");
  got = parse_token_response(
    200, R"({"access_token":"t","token_type":"Bearer"})", "e");
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->expires_in);
}

TEST(OauthTokenResponse, NamesTheOauthErrorWithoutEchoingTheBody) {
  auto got = parse_token_response(
    401,
    R"({"error":"invalid_client","error_description":"Invalid client credentials","secret":"s3"})",
    "https://as/token");
  ASSERT_FALSE(got);
  EXPECT_EQ(bsm::render(got.error()),
            "unauthenticated: token endpoint https://as/token refused the "
            "token request (HTTP 401): invalid_client (Invalid client "
            "credentials)");
  got = parse_token_response(500, "<html>oops</html>", "e");
  ASSERT_FALSE(got);
  EXPECT_EQ(bsm::render(got.error()),
            "failed_precondition: token endpoint e answered HTTP 500 without "
            "an OAuth error");
}

TEST(OauthTokenResponse, RefusesUnusableTokens) {
  auto problem = [](const std::string& body) {
    auto got = parse_token_response(200, body, "e");
    EXPECT_FALSE(got);
    return got ? std::string{} : bsm::render(got.error());
  };
  EXPECT_EQ(problem(R"({"token_type":"Bearer"})"),
            "failed_precondition: token endpoint e gave an unusable token: "
            "'access_token' is missing or not a string");
  EXPECT_EQ(problem(R"({"access_token":"t","token_type":"mac"})"),
            "failed_precondition: token endpoint e gave an unusable token: "
            "'token_type' is not Bearer");
  EXPECT_EQ(
    problem(R"({"access_token":"t","token_type":"Bearer","expires_in":-5})"),
    "failed_precondition: token endpoint e gave an unusable token: "
    "'expires_in' is not a positive number");
  EXPECT_EQ(problem("not json"),
            "failed_precondition: token endpoint e answered with something "
            "other than a JSON object");
}

TEST(OauthTokenResponse, RenewsAMarginBeforeExpiryOrHalfwayForShortTokens) {
  std::chrono::steady_clock::time_point t0{};
  EXPECT_EQ(renew_at(t0, 3600s, 60s), t0 + 3540s);
  EXPECT_EQ(renew_at(t0, 100s, 60s), t0 + 50s);
  EXPECT_EQ(renew_at(t0, 120s, 60s), t0 + 60s);
  EXPECT_FALSE(renew_at(t0, std::nullopt, 60s));
}

} // namespace
