// Drives a bsmd's OpenAI-compatible routes with the official `openai`
// package (tests/peers/node_modules) and prints one JSON line of what it
// saw, for tests/integration/openai_sdk_test.cpp to judge. Every part runs
// even when an earlier one fails; a part that threw records `error` (the
// class name and message) instead of its observations.
//   node openai_sdk_check.mjs http://127.0.0.1:PORT/v1
// BSM_PEERS_DIR overrides where the peers are (default ../peers).

import { pathToFileURL } from 'node:url';

const peers = process.env.BSM_PEERS_DIR
  ? pathToFileURL(process.env.BSM_PEERS_DIR.replace(/\/?$/, '/'))
  : new URL('../peers/', import.meta.url);
const { default: OpenAI, NotFoundError, BadRequestError } = await import(
  new URL('node_modules/openai/index.mjs', peers).href
);

const baseURL = process.argv[2];
if (!baseURL) {
  console.error('usage: node openai_sdk_check.mjs http://127.0.0.1:PORT/v1');
  process.exit(2);
}

// Every HTTP request the client makes, so that retries show.
const requests = [];
const countingFetch = async (url, init) => {
  const entry = { method: init?.method ?? 'GET', url: String(url) };
  requests.push(entry);
  const res = await fetch(url, init);
  entry.status = res.status;
  return res;
};
const requestsSince = (mark) => requests.slice(mark);

// Default retries (2) on purpose: a retried 4xx would show as a second
// request. A short timeout keeps a hung server from stalling the test.
const client = new OpenAI({
  apiKey: 'sk-dummy-bsm-test',
  baseURL,
  fetch: countingFetch,
  timeout: 20_000,
});

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    },
    // strict: the client's parse helpers then fill parsed_arguments.
    strict: true,
  },
};
const weatherRequest = 'call get_weather {"city":"Paris"}';

function describeError(e) {
  return {
    name: e?.constructor?.name ?? typeof e,
    message: String(e?.message ?? e),
    status: e?.status ?? null,
  };
}

async function part(fn) {
  try {
    return await fn();
  } catch (e) {
    return { error: describeError(e) };
  }
}

function toolCallsOf(message) {
  return (message?.tool_calls ?? []).map((c) => ({
    id: c.id,
    type: c.type,
    name: c.function?.name,
    arguments: c.function?.arguments,
    parsed_arguments: c.function?.parsed_arguments ?? null,
  }));
}

const results = {};

// (a) the agents as models
results.models = await part(async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  const one = await client.models.retrieve('legal');
  return { ids, retrieved: { id: one.id, object: one.object } };
});

// (b) a plain completion
results.plain = await part(async () => {
  const c = await client.chat.completions.create({
    model: 'legal',
    messages: [
      { role: 'system', content: 'You are a test.' },
      { role: 'user', content: 'hello' },
    ],
  });
  return {
    object: c.object,
    id: c.id,
    role: c.choices[0]?.message?.role,
    content: c.choices[0]?.message?.content,
    finish_reason: c.choices[0]?.finish_reason,
    usage: c.usage ?? null,
  };
});

// (c) streamed with the .stream() helper: deltas against the final message
async function streamed(params) {
  const stream = client.chat.completions.stream(params);
  let deltas = '';
  let chunks = 0;
  let usageChunks = 0;
  let toolCallChunks = 0;
  for await (const chunk of stream) {
    ++chunks;
    if (chunk.usage) ++usageChunks;
    if (chunk.choices[0]?.delta?.tool_calls?.length) ++toolCallChunks;
    deltas += chunk.choices[0]?.delta?.content ?? '';
  }
  const final = await stream.finalChatCompletion();
  return {
    chunks,
    usage_chunks: usageChunks,
    tool_call_chunks: toolCallChunks,
    deltas,
    content: final.choices[0]?.message?.content,
    role: final.choices[0]?.message?.role,
    finish_reason: final.choices[0]?.finish_reason,
    usage: final.usage ?? null,
    tool_calls: toolCallsOf(final.choices[0]?.message),
  };
}

results.stream = await part(() =>
  streamed({
    model: 'legal',
    messages: [{ role: 'user', content: 'what time is it?' }],
  }),
);

results.stream_usage = await part(() =>
  streamed({
    model: 'legal',
    messages: [{ role: 'user', content: 'hello' }],
    stream_options: { include_usage: true },
  }),
);

// (d) client tools: a call ends the turn
results.tools = await part(async () => {
  const c = await client.chat.completions.parse({
    model: 'legal',
    messages: [{ role: 'user', content: weatherRequest }],
    tools: [weatherTool],
  });
  const message = c.choices[0]?.message;
  const calls = toolCallsOf(message);
  // The client's next request, as an application sends it: the assistant
  // message echoed back as the client returned it (with its `parsed`,
  // `refusal` and `parsed_arguments` fields), then the tool's result.
  let followUp = null;
  if (calls.length > 0) {
    const next = await client.chat.completions.create({
      model: 'legal',
      messages: [
        { role: 'user', content: weatherRequest },
        message,
        {
          role: 'tool',
          tool_call_id: calls[0].id,
          content: '{"temperature_c":18,"sky":"clear"}',
        },
      ],
      tools: [weatherTool],
    });
    followUp = {
      finish_reason: next.choices[0]?.finish_reason,
      content: next.choices[0]?.message?.content,
    };
  }
  return {
    finish_reason: c.choices[0]?.finish_reason,
    content: message?.content ?? null,
    tool_calls: calls,
    follow_up: followUp,
  };
});

results.tools_stream = await part(() =>
  streamed({
    model: 'legal',
    messages: [{ role: 'user', content: weatherRequest }],
    tools: [weatherTool],
  }),
);

// (e) errors: the client's error class, the body's fields, and no retry
// of a 4xx (one request each, answered at once).
async function failure(call, errorClass) {
  const mark = requests.length;
  const started = performance.now();
  let thrown = null;
  try {
    await call();
  } catch (e) {
    thrown = e;
  }
  return {
    thrown: thrown !== null,
    expected_class: thrown instanceof errorClass,
    ...(thrown ? describeError(thrown) : {}),
    type: thrown?.type ?? null,
    code: thrown?.code ?? null,
    param: thrown?.param ?? null,
    requests: requestsSince(mark).length,
    millis: Math.round(performance.now() - started),
  };
}

const hello = [{ role: 'user', content: 'hello' }];
results.not_found = await failure(
  () => client.chat.completions.create({ model: 'no-such-agent', messages: hello }),
  NotFoundError,
);
results.not_found_stream = await failure(async () => {
  const stream = client.chat.completions.stream({
    model: 'no-such-agent',
    messages: hello,
  });
  await stream.finalChatCompletion();
}, NotFoundError);
results.not_found_model = await failure(
  () => client.models.retrieve('no-such-agent'),
  NotFoundError,
);
results.bad_request = await failure(
  () => client.chat.completions.create({ model: 'legal', messages: [] }),
  BadRequestError,
);

results.total_requests = requests.length;
process.stdout.write(JSON.stringify(results) + '\n');
