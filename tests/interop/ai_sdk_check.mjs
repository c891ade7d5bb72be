// The Vercel AI SDK (`ai` with `@ai-sdk/openai-compatible`) against a node's
// /v1, for `make interop`: plain and streamed text, a client-side tool loop,
// a forced tool, usage and the error shape. One line per check; exits 1 if
// any failed.
//   node ai_sdk_check.mjs http://127.0.0.1:PORT/v1 MODEL
import { generateText, streamText, tool, isStepCount, APICallError } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { z } from 'zod';
import { check, done } from './check_lines.mjs';

const [baseURL, model] = process.argv.slice(2);
if (!baseURL || !model) {
  console.error('usage: node ai_sdk_check.mjs http://127.0.0.1:PORT/v1 MODEL');
  process.exit(2);
}
const provider = createOpenAICompatible({
  name: 'bsm',
  baseURL,
  apiKey: 'sk-interop',
  includeUsage: true,
});
const label = `ai-sdk ${model}`;
const weather = (execute) =>
  tool({
    description: 'The weather in a city.',
    inputSchema: z.object({ city: z.string() }),
    ...(execute ? { execute } : {}),
  });

await check(`${label} generateText`, async () => {
  const r = await generateText({ model: provider(model), prompt: 'hello there', maxRetries: 0 });
  if (!r.text) throw new Error('no text');
  if (!(r.usage.totalTokens > 0)) throw new Error(`no usage: ${JSON.stringify(r.usage)}`);
  return `${r.text.length} chars, ${r.usage.totalTokens} tokens, finish ${r.finishReason}`;
});

await check(`${label} streamText`, async () => {
  const r = streamText({ model: provider(model), prompt: 'hello there', maxRetries: 0 });
  let parts = 0;
  let text = '';
  for await (const piece of r.textStream) {
    parts++;
    text += piece;
  }
  const usage = await r.usage;
  if (!text) throw new Error('no text streamed');
  if (!(usage.totalTokens > 0)) throw new Error(`no usage: ${JSON.stringify(usage)}`);
  return `${parts} parts, ${usage.totalTokens} tokens`;
});

await check(`${label} client tool loop`, async () => {
  const seen = [];
  const r = await generateText({
    model: provider(model),
    prompt: 'call get_weather {"city":"Paris"}',
    tools: { get_weather: weather(async ({ city }) => (seen.push(city), `sunny in ${city}`)) },
    stopWhen: isStepCount(4),
    maxRetries: 0,
  });
  if (seen.length !== 1) throw new Error(`the tool ran ${seen.length} times`);
  if (!r.text.includes('sunny')) throw new Error(`the answer ignores the tool: ${r.text}`);
  return `${r.steps.length} steps, tool got ${JSON.stringify(seen[0])}`;
});

await check(`${label} toolChoice named`, async () => {
  const r = await generateText({
    model: provider(model),
    prompt: 'Paris',
    tools: { get_weather: weather(), other: tool({ description: 'unused', inputSchema: z.object({}) }) },
    toolChoice: { type: 'tool', toolName: 'get_weather' },
    maxRetries: 0,
  });
  const calls = r.toolCalls.map((c) => c.toolName);
  if (calls.length !== 1 || calls[0] !== 'get_weather')
    throw new Error(`calls: ${JSON.stringify(calls)}`);
  if (typeof r.toolCalls[0].input.city !== 'string') throw new Error('no city argument');
  return `called get_weather ${JSON.stringify(r.toolCalls[0].input)}`;
});

await check(`${label} unknown model is a 404 APICallError`, async () => {
  try {
    await generateText({ model: provider('no-such-agent'), prompt: 'hi', maxRetries: 0 });
  } catch (e) {
    const err = APICallError.isInstance(e) ? e : e?.lastError ?? e?.cause;
    if (!APICallError.isInstance(err)) throw new Error(`not an APICallError: ${e}`);
    if (err.statusCode !== 404) throw new Error(`status ${err.statusCode}`);
    return `404: ${err.message}`;
  }
  throw new Error('no error');
});

done();
