#pragma once

// The contract review of docs/WORKFLOWS.md in YAML and in JSON (keys in
// another order), for the definition and version tests.

namespace bsm::test {

inline constexpr const char* contract_review_yaml = R"(
name: contract-review
description: Security and legal review in parallel, then sign-off.
input:
  type: object
  required: [contract]
steps:
  - id: security_review
    type: agent
    agent: security
    input: "Review the security terms of: ${input.contract}"
    retries: 2
    backoff: {initial: 1s, max: 30s, multiplier: 2}
    timeout: 5m
  - id: legal_review
    type: agent
    agent: legal
    input: "Review the legal terms of: ${input.contract}"
    on_failure: continue
  - id: sign_off
    type: approval
    needs: [security_review, legal_review]
    prompt: |
      Security: ${steps.security_review.output}
      Legal: ${steps.legal_review.output}
    timeout: 2d
    default: reject
  - id: record
    type: agent
    agent: runner
    needs: [sign_off]
    when: steps.sign_off.output.outcome == 'approve'
    input: "Record the decision on ${input.contract}"
output:
  decision: ${steps.sign_off.output}
  record: ${steps.record.output}
)";

inline constexpr const char* contract_review_json = R"({
  "steps": [
    {"type": "agent", "id": "security_review", "agent": "security",
     "timeout": "300s", "max_attempts": 3,
     "backoff": {"multiplier": 2.0, "max": "30000ms", "initial": "1s"},
     "input": "Review the security terms of: ${input.contract}"},
    {"on_failure": "continue", "input": "Review the legal terms of: ${input.contract}",
     "agent": "legal", "type": "agent", "id": "legal_review"},
    {"id": "sign_off", "type": "approval",
     "needs": ["security_review", "legal_review"],
     "prompt": "Security: ${steps.security_review.output}\nLegal: ${steps.legal_review.output}\n",
     "default": "reject", "timeout": "48h"},
    {"id": "record", "type": "agent", "agent": "runner", "needs": ["sign_off"],
     "when": "steps.sign_off.output.outcome == 'approve'",
     "input": "Record the decision on ${input.contract}"}
  ],
  "output": {"record": "${steps.record.output}",
             "decision": "${steps.sign_off.output}"},
  "input": {"required": ["contract"], "type": "object"},
  "description": "Security and legal review in parallel, then sign-off.",
  "name": "contract-review"
})";

} // namespace bsm::test
