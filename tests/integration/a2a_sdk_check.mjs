// Drives a bsmd's A2A server (/a2a/agents/runner) with the @a2a-js/sdk
// client (tests/peers/node_modules) and prints one JSON line of what it
// saw, for tests/integration/a2a_server_test.cpp to judge. Every part runs
// even when an earlier one fails; a part that threw records `error`
// instead of its observations.
//   node a2a_sdk_check.mjs http://127.0.0.1:PORT/a2a/agents/runner
// BSM_PEERS_DIR overrides where the peers are (default ../peers).

import { pathToFileURL } from 'node:url';

const peers = process.env.BSM_PEERS_DIR
  ? pathToFileURL(process.env.BSM_PEERS_DIR.replace(/\/?$/, '/'))
  : new URL('../peers/', import.meta.url);
const { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory } = await import(
  new URL('node_modules/@a2a-js/sdk/dist/client/index.js', peers).href
);

const base = process.argv[2];
if (!base) {
  console.error('usage: node a2a_sdk_check.mjs http://127.0.0.1:PORT/a2a/agents/NAME');
  process.exit(2);
}

const results = {};
async function part(name, f) {
  try {
    results[name] = (await f()) ?? {};
  } catch (e) {
    results[name] = { error: `${e?.constructor?.name}: ${e?.message}` };
  }
}

const ROLE_USER = 1;
let counter = 0;
function message(text, contextId) {
  return {
    messageId: `m-${++counter}`,
    role: ROLE_USER,
    parts: [{ content: { $case: 'text', value: text } }],
    ...(contextId ? { contextId } : {}),
  };
}

const textOf = (parts) =>
  (parts ?? []).map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');

function taskOf(task) {
  return {
    id: task.id,
    contextId: task.contextId,
    state: task.status?.state,
    answer: textOf(task.artifacts?.[0]?.parts),
    status_text: textOf(task.status?.message?.parts),
  };
}

async function failure(f) {
  try {
    await f();
    return { thrown: false };
  } catch (e) {
    return { thrown: true, name: e?.constructor?.name, message: e?.message };
  }
}

// The SDK resolves ".well-known/agent-card.json" against the base URL.
const factory = new ClientFactory();
let client;

await part('card', async () => {
  client = await factory.createFromUrl(`${base}/`);
  const card = client.agentCard;
  return {
    name: card.name,
    description: card.description,
    streaming: card.capabilities?.streaming ?? null,
    interfaces: card.supportedInterfaces,
    skills: card.skills.map((s) => s.id),
    protocol: client.protocolVersion,
  };
});

await part('send', async () => {
  const task = await client.sendMessage({ message: message('remember owner is alice') });
  return taskOf(task);
});

await part('again', async () => {
  const task = await client.sendMessage({
    message: message('what is the owner', results.send?.contextId),
  });
  return taskOf(task);
});

await part('stream', async () => {
  const events = [];
  let answer = '';
  for await (const event of client.sendMessageStream({ message: message('hello there') })) {
    const { $case, value } = event.payload;
    if ($case === 'task') events.push({ kind: 'task', state: value.status?.state, id: value.id });
    if ($case === 'statusUpdate') events.push({ kind: 'status', state: value.status?.state });
    if ($case === 'artifactUpdate') {
      events.push({ kind: 'artifact', append: value.append, last: value.lastChunk });
      answer += textOf(value.artifact?.parts);
    }
  }
  return { events, answer };
});

await part('get', async () => {
  const task = await client.getTask({ id: results.send?.id });
  return taskOf(task);
});

await part('cancel', async () => failure(() => client.cancelTask({ id: results.send?.id })));

await part('missing', async () => failure(() => client.getTask({ id: 't-none' })));

// The same node through the SDK's own A2A 0.3 transport (message/send,
// tasks/get with 0.3 shapes).
await part('legacy', async () => {
  const card = {
    ...client.agentCard,
    supportedInterfaces: [
      { url: base, protocolBinding: 'JSONRPC', protocolVersion: '0.3', tenant: '' },
    ],
  };
  const legacy = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ legacyCompat: { enabled: true } })],
    }),
  );
  const old = await legacy.createFromAgentCard(card);
  const task = await old.sendMessage({ message: message('hi from 0.3') });
  const again = await old.getTask({ id: task.id });
  return { protocol: old.protocolVersion, sent: taskOf(task), got: taskOf(again) };
});

console.log(JSON.stringify(results));
