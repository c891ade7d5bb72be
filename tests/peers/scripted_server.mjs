// An MCP stdio server for the tests, built on the official SDK, with the
// behaviours the reference servers do not show: unknown tools as JSON-RPC
// error -32602, a server that exits mid-call, requests from the server to
// the client, a paginated tool list, a tool list that changes, tool names a
// model may not use, a flood of stderr, and a call that stays busy until
// the test lets it go (it says when it is inside the call).
//
//   node scripted_server.mjs              the SDK server described above
//   node scripted_server.mjs version V    answers initialize with protocol
//                                         version V (raw JSON-RPC, no SDK)
//   node scripted_server.mjs silent       reads stdin, never answers
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const mode = process.argv[2] ?? 'sdk';

function raw(answer) {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const msg = JSON.parse(line);
    const result = answer(msg);
    if (result !== undefined && msg.id !== undefined)
      process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }) + '\n');
  });
}

if (mode === 'version') {
  raw((msg) => msg.method === 'initialize'
    ? { protocolVersion: process.argv[3], capabilities: { tools: {} },
        serverInfo: { name: 'scripted-version', version: '1' } }
    : undefined);
} else if (mode === 'silent') {
  raw(() => undefined);
} else {
  await runSdkServer();
}

async function runSdkServer() {
  const object = (properties = {}) => ({ type: 'object', properties });
  const tools = [
    { name: 'echo', description: 'Echoes the message',
      inputSchema: object({ message: { type: 'string' } }) },
    { name: 'exit_now', description: 'Exits with the code without answering',
      inputSchema: object({ code: { type: 'number' } }) },
    { name: 'ping_first', description: 'Pings the client, then answers',
      inputSchema: object() },
    { name: 'roots_first', description: 'Asks the client for its roots, then answers',
      inputSchema: object() },
    { name: 'fail_internal', description: 'Fails with JSON-RPC error -32603',
      inputSchema: object() },
    { name: 'add_tool', description: 'Adds a tool and announces the change',
      inputSchema: object({ name: { type: 'string' } }) },
    { name: 'stderr_flood', description: 'Writes bytes to stderr, then answers',
      inputSchema: object({ bytes: { type: 'number' } }) },
    { name: 'hold', description: 'Creates the file `inside`, answers once the file `release` exists',
      inputSchema: object({ inside: { type: 'string' }, release: { type: 'string' } }) },
    { name: 'bad name!', description: 'A name a model may not use',
      inputSchema: object() },
    { name: 'x'.repeat(70), description: 'Too long once prefixed',
      inputSchema: object() },
  ];
  const server = new Server({ name: 'scripted', version: '1.0.0' },
                            { capabilities: { tools: { listChanged: true } } });
  const pageSize = 2;
  server.setRequestHandler(ListToolsRequestSchema, async (req) => {
    const start = Number(req.params?.cursor ?? 0);
    const end = start + pageSize;
    return end < tools.length
      ? { tools: tools.slice(start, end), nextCursor: String(end) }
      : { tools: tools.slice(start) };
  });
  const text = (t) => ({ content: [{ type: 'text', text: t }] });
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const args = req.params.arguments ?? {};
    switch (req.params.name) {
      case 'echo':
      case 'bad name!':
        return text(`echo: ${args.message ?? ''}`);
      case 'exit_now':
        process.exit(args.code ?? 3);
        break;
      case 'ping_first':
        await server.ping();
        return text('pinged');
      case 'roots_first':
        try {
          await server.listRoots();
          return text('roots listed');
        } catch (err) {
          return text(`roots refused: ${err.code}`);
        }
      case 'fail_internal':
        throw new McpError(ErrorCode.InternalError, 'deliberate failure');
      case 'add_tool':
        tools.push({ name: args.name, description: 'Added at run time',
                     inputSchema: object() });
        await server.sendToolListChanged();
        return text('added');
      case 'stderr_flood':
        process.stderr.write('e'.repeat(args.bytes ?? 0) + '\nflood done\n');
        return text('flooded');
      case 'hold':
        writeFileSync(args.inside, `${process.pid}\n`);
        while (!existsSync(args.release))
          await new Promise((resolve) => setTimeout(resolve, 20));
        return text('released');
      default:
        if (tools.some((t) => t.name === req.params.name))
          return text(`ran ${req.params.name}`);
        throw new McpError(ErrorCode.InvalidParams,
                           `Unknown tool: ${req.params.name}`);
    }
  });
  await server.connect(new StdioServerTransport());
  process.stderr.write('scripted server ready\n');
}
