// The pure parts of the MCP client over Streamable HTTP: when a stream is
// resumed (stream_resume.hpp) and how header values take secrets from the
// environment (header_env.hpp).

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "agents/mcp/header_env.hpp"
#include "agents/mcp/stream_resume.hpp"
#include "runtime/error.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::mcp::decide_resume;
using bsm::mcp::resume_decision;
using bsm::mcp::resume_policy;
using bsm::mcp::stream_end;

stream_end closed_after(std::string id) {
  stream_end end;
  end.last_event_id = std::move(id);
  return end;
}

TEST(StreamResume, NeedsNothingOnceTheAnswerCame) {
  auto end = closed_after("e-2");
  end.answered = true;
  EXPECT_EQ(decide_resume(end, {}).what, resume_decision::done);
}

TEST(StreamResume, ResumesAfterTheServersRetry) {
  auto end = closed_after("ev-1");
  end.retry = 50ms;
  auto d = decide_resume(end, {});
  EXPECT_EQ(d.what, resume_decision::resume);
  EXPECT_EQ(d.delay, 50ms);
}

TEST(StreamResume, BacksOffPerAttemptUpToTheMaximum) {
  resume_policy policy;
  policy.default_retry = 100ms;
  policy.max_retry = 500ms;
  policy.max_attempts = 10;
  auto end = closed_after("ev-1");
  std::vector<std::chrono::milliseconds> delays;
  for (uint32_t i = 0; i < 5; ++i) {
    end.failed_attempts = i;
    delays.push_back(decide_resume(end, policy).delay);
  }
  EXPECT_EQ(delays, (std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms,
                                                            500ms, 500ms}));
  end.retry = 10min; // a server's retry does not exceed the maximum either
  end.failed_attempts = 0;
  EXPECT_EQ(decide_resume(end, policy).delay, 500ms);
}

TEST(StreamResume, GivesUpAfterTheAttemptsOrWithoutAnId) {
  resume_policy policy;
  policy.max_attempts = 3;
  auto end = closed_after("ev-1");
  end.failed_attempts = 3;
  auto d = decide_resume(end, policy);
  EXPECT_EQ(d.what, resume_decision::give_up);
  EXPECT_NE(d.reason.find("3 reconnects"), std::string::npos) << d.reason;
  d = decide_resume(closed_after(""), policy);
  EXPECT_EQ(d.what, resume_decision::give_up);
  EXPECT_NE(d.reason.find("no event id"), std::string::npos) << d.reason;
}

TEST(StreamResume, ReopensTheStandaloneStreamEvenWithoutAnId) {
  stream_end end;
  end.standalone = true;
  end.answered = true; // carries no answer: it never counts as done
  EXPECT_EQ(decide_resume(end, {}).what, resume_decision::resume);
  end.failed_attempts = resume_policy{}.max_attempts;
  EXPECT_EQ(decide_resume(end, {}).what, resume_decision::give_up);
}

// -- header values from the environment ---------------------------------------

bsm::mcp::env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto i = vars.find(name);
    if (i == vars.end())
      return std::nullopt;
    return i->second;
  };
}

TEST(HeaderEnv, ReplacesEveryReference) {
  auto env = env_of({{"TOKEN", "t0k"}, {"TEAM", "a"}, {"EMPTY", ""}});
  auto got = bsm::mcp::expand_env_refs("Bearer ${TOKEN}", env);
  ASSERT_TRUE(got) << bsm::render(got.error());
  EXPECT_EQ(*got, "Bearer t0k");
  got = bsm::mcp::expand_env_refs("${TEAM}-${TOKEN}${EMPTY}!", env);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "a-t0k!");
  got = bsm::mcp::expand_env_refs("costs $5 and {x}", env);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "costs $5 and {x}");
}

TEST(HeaderEnv, NamesAMissingVariableButNoValue) {
  auto env = env_of({{"SET", "secret-value"}});
  auto got = bsm::mcp::expand_env_refs("${SET} ${UNSET}", env);
  ASSERT_FALSE(got);
  EXPECT_TRUE(bsm::is(got.error(), bsm::errc::not_found));
  auto text = bsm::render(got.error());
  EXPECT_NE(text.find("'UNSET' is not set"), std::string::npos) << text;
  EXPECT_EQ(text.find("secret-value"), std::string::npos) << text;
}

TEST(HeaderEnv, RefusesMalformedReferences) {
  auto env = env_of({});
  for (const auto* bad : {"${", "x ${OPEN", "${}", "${1X}", "${A-B}"}) {
    SCOPED_TRACE(bad);
    auto got = bsm::mcp::expand_env_refs(bad, env);
    ASSERT_FALSE(got);
    EXPECT_TRUE(bsm::is(got.error(), bsm::errc::invalid_argument));
    EXPECT_FALSE(bsm::mcp::env_ref_problem(bad).empty());
  }
  EXPECT_TRUE(bsm::mcp::env_ref_problem("Bearer ${T_1}").empty());
}

} // namespace
