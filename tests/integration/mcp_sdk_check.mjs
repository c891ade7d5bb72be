// Drives a bsmd's MCP server at /mcp with the official MCP SDK's client
// over Streamable HTTP (tests/peers/node_modules) and prints one JSON line
// of what it saw, for tests/integration/mcp_server_test.cpp to judge. Every
// part runs even when an earlier one fails; a part that threw records
// `error` instead of its observations.
//   node mcp_sdk_check.mjs http://127.0.0.1:PORT/mcp
// BSM_PEERS_DIR overrides where the peers are (default ../peers).

import { pathToFileURL } from 'node:url';

const peers = process.env.BSM_PEERS_DIR
  ? pathToFileURL(process.env.BSM_PEERS_DIR.replace(/\/?$/, '/'))
  : new URL('../peers/', import.meta.url);
const sdk = (path) =>
  import(new URL(`node_modules/@modelcontextprotocol/sdk/dist/esm/${path}`, peers).href);
const { Client } = await sdk('client/index.js');
const { StreamableHTTPClientTransport } = await sdk('client/streamableHttp.js');

const url = process.argv[2];
if (!url) {
  console.error('usage: node mcp_sdk_check.mjs http://127.0.0.1:PORT/mcp');
  process.exit(2);
}

const results = {};
async function part(name, f) {
  try {
    results[name] = (await f()) ?? {};
  } catch (e) {
    results[name] = { error: `${e?.constructor?.name}: ${e?.message}`, code: e?.code };
  }
}

const client = new Client({ name: 'bsm-mcp-check', version: '1.0.0' });
const transport = new StreamableHTTPClientTransport(new URL(url));

await part('initialize', async () => {
  await client.connect(transport);
  return {
    server: client.getServerVersion(),
    capabilities: client.getServerCapabilities(),
    instructions: client.getInstructions(),
    session: transport.sessionId ?? null,
    protocol: transport.protocolVersion ?? null,
  };
});

await part('ping', async () => ({ result: await client.ping() }));

await part('logging', async () => ({ result: await client.setLoggingLevel('warning') }));

await part('tools', async () => {
  const list = await client.listTools();
  return {
    names: list.tools.map((t) => t.name),
    runner: list.tools.find((t) => t.name === 'ask_runner') ?? null,
  };
});

await part('call', async () => {
  const progress = [];
  const result = await client.callTool(
    { name: 'ask_runner', arguments: { message: 'remember owner is alice' } },
    undefined,
    { onprogress: (p) => progress.push(p) },
  );
  return { result, progress };
});

await part('session', async () => {
  const first = results.call?.result?.structuredContent?.session_id;
  const result = await client.callTool({
    name: 'ask_runner',
    arguments: { message: 'what is the owner', session_id: first },
  });
  return { first, result };
});

await part('resources', async () => {
  const list = await client.listResources();
  const templates = await client.listResourceTemplates();
  const uri = list.resources[0]?.uri;
  const read = uri ? await client.readResource({ uri }) : null;
  let missing;
  try {
    await client.readResource({ uri: 'bsm://agents/runner/sessions/s-none' });
    missing = { thrown: false };
  } catch (e) {
    missing = { thrown: true, code: e?.code };
  }
  return {
    uris: list.resources.map((r) => r.uri),
    template: templates.resourceTemplates[0]?.uriTemplate ?? null,
    read: read ? JSON.parse(read.contents[0].text) : null,
    missing,
  };
});

await part('unknown', async () => {
  try {
    const result = await client.callTool({ name: 'ask_nobody', arguments: { message: 'x' } });
    return { thrown: false, result };
  } catch (e) {
    return { thrown: true, code: e?.code, message: e?.message };
  }
});

await part('terminate', async () => {
  const session = transport.sessionId;
  await transport.terminateSession();
  // The ended session is gone: a request naming it is 404.
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'Mcp-Session-Id': session,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'ping' }),
  });
  await client.close();
  return { after: res.status };
});

console.log(JSON.stringify(results));
