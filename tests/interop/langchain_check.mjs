// LangChain.js (`@langchain/openai`) against a node's /v1, for `make
// interop`: invoke, stream, a tool call answered with a ToolMessage, and
// withStructuredOutput through function calling (the forced tool call is
// the object). One line per check; exits 1 if any failed.
//   node langchain_check.mjs http://127.0.0.1:PORT/v1 MODEL
import { ChatOpenAI } from '@langchain/openai';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { z } from 'zod';
import { check, done } from './check_lines.mjs';

const [baseURL, model] = process.argv.slice(2);
if (!baseURL || !model) {
  console.error('usage: node langchain_check.mjs http://127.0.0.1:PORT/v1 MODEL');
  process.exit(2);
}
const chat = new ChatOpenAI({
  model,
  apiKey: 'sk-interop',
  configuration: { baseURL },
  maxRetries: 0,
  timeout: 30_000,
});
const label = `langchain ${model}`;
const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    },
  },
};

await check(`${label} invoke`, async () => {
  const r = await chat.invoke('hello there');
  if (typeof r.content !== 'string' || !r.content) throw new Error('no content');
  if (!(r.usage_metadata?.total_tokens > 0))
    throw new Error(`no usage_metadata: ${JSON.stringify(r.usage_metadata)}`);
  return `${r.content.length} chars, ${r.usage_metadata.total_tokens} tokens`;
});

await check(`${label} stream`, async () => {
  let parts = 0;
  let text = '';
  for await (const chunk of await chat.stream('hello there')) {
    parts++;
    text += chunk.content;
  }
  if (!text) throw new Error('nothing streamed');
  return `${parts} chunks`;
});

await check(`${label} tool call and ToolMessage`, async () => {
  const withTools = chat.bindTools([weatherTool]);
  const ask = new HumanMessage('call get_weather {"city":"Paris"}');
  const first = await withTools.invoke([ask]);
  const call = first.tool_calls?.[0];
  if (call?.name !== 'get_weather') throw new Error(`no tool call: ${JSON.stringify(first.tool_calls)}`);
  const result = new ToolMessage({ tool_call_id: call.id, content: `sunny in ${call.args.city}` });
  const second = await withTools.invoke([ask, first, result]);
  if (!String(second.content).includes('sunny'))
    throw new Error(`the answer ignores the tool: ${second.content}`);
  return `get_weather ${JSON.stringify(call.args)}`;
});

await check(`${label} withStructuredOutput(functionCalling)`, async () => {
  const person = z.object({ name: z.string(), age: z.number() });
  const structured = chat.withStructuredOutput(person, { method: 'functionCalling', name: 'person' });
  const r = await structured.invoke('Ada Lovelace is 36');
  if (r === undefined || r === null) throw new Error('returned nothing');
  const parsed = person.parse(r);
  return JSON.stringify(parsed);
});

done();
