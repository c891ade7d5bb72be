// An OpenAI-compatible upstream for `make interop`: the model behind an
// agent whose provider is "openai", so that the AI SDK and LangChain.js
// reach it through a node. It honours what a real model would be asked:
// `tool_choice` "required" or a named function makes it call that tool
// (its arguments filled from the tool's JSON schema: a string property
// takes the last user message's text, numbers 42, booleans true, enums
// their first value), "none" or no tools makes it answer with text, and
// after a tool result it answers with that result. Streams when asked.
// Prints {"port":N} once listening on 127.0.0.1; runs until killed.
//   node fake_upstream.mjs

import http from 'node:http';

const MAX_BODY = 1 << 20;

function valueFor(schema, text) {
  switch (schema?.type) {
    case 'string':
      return Array.isArray(schema.enum) ? schema.enum[0] : text;
    case 'integer':
    case 'number':
      return 42;
    case 'boolean':
      return true;
    case 'array':
      return [valueFor(schema.items, text)];
    case 'object':
      return argumentsFor(schema, text);
    default:
      return Array.isArray(schema?.enum) ? schema.enum[0] : text;
  }
}

function argumentsFor(schema, text) {
  const out = {};
  for (const [name, prop] of Object.entries(schema?.properties ?? {}))
    out[name] = valueFor(prop, text);
  return out;
}

function lastUserText(messages) {
  for (let i = messages.length - 1; i >= 0; --i) {
    const m = messages[i];
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    return (m.content ?? []).map((p) => p.text ?? '').join('');
  }
  return '';
}

// The tool the request makes the model call, or null for a text answer.
function forcedTool(req) {
  const tools = req.tools ?? [];
  const choice = req.tool_choice;
  if (tools.length === 0 || choice === 'none') return null;
  const last = req.messages.at(-1);
  if (last?.role === 'tool') return null;
  if (choice?.type === 'function')
    return tools.find((t) => t.function.name === choice.function.name) ?? null;
  if (choice === 'required') return tools[0];
  // "auto": a model that calls a tool when the message names it.
  const text = lastUserText(req.messages);
  return tools.find((t) => text.includes(t.function.name)) ?? null;
}

function answer(req) {
  const tool = forcedTool(req);
  const text = lastUserText(req.messages);
  if (tool) {
    const args = argumentsFor(tool.function.parameters, text);
    return {
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: `call_${Math.random().toString(36).slice(2, 10)}`,
            type: 'function',
            function: { name: tool.function.name, arguments: JSON.stringify(args) },
          },
        ],
      },
      finish_reason: 'tool_calls',
    };
  }
  const last = req.messages.at(-1);
  const content =
    last?.role === 'tool' ? `The tool said: ${last.content}` : `You said: ${text}`;
  return { message: { role: 'assistant', content }, finish_reason: 'stop' };
}

const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };

function reply(res, req) {
  const { message, finish_reason } = answer(req);
  const base = {
    id: `chatcmpl-${Date.now()}`,
    created: Math.floor(Date.now() / 1000),
    model: req.model,
  };
  if (!req.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message, finish_reason }],
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (delta, finish = null, extra = {}) =>
    res.write(
      `data: ${JSON.stringify({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta, finish_reason: finish }],
        ...extra,
      })}\n\n`,
    );
  chunk({ role: 'assistant', content: '' });
  if (message.tool_calls) {
    const call = message.tool_calls[0];
    const args = call.function.arguments;
    const half = Math.floor(args.length / 2);
    chunk({
      tool_calls: [
        { index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: args.slice(0, half) } },
      ],
    });
    chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] });
  } else {
    for (const word of message.content.split(/(?<= )/)) chunk({ content: word });
  }
  chunk({}, finish_reason, req.stream_options?.include_usage ? { usage } : {});
  res.end('data: [DONE]\n\n');
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
    return;
  }
  let body = '';
  req.on('data', (d) => {
    body += d;
    if (body.length > MAX_BODY) req.destroy();
  });
  req.on('end', () => {
    let parsed;
    try {
      parsed = JSON.parse(body);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'invalid JSON', type: 'invalid_request_error' } }));
      return;
    }
    reply(res, parsed);
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
