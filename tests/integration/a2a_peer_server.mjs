// A small A2A agent built on the @a2a-js/sdk 1.3.0 server (express), for
// tests/integration/a2a_client_test.cpp: it answers every message with a
// completed task whose artifact says what it heard and in which context,
// and refuses requests (the card too) without the bearer token it was
// given. Listens on 127.0.0.1, port 0, and prints {"port": N} once ready.
//   node a2a_peer_server.mjs TOKEN
// BSM_PEERS_DIR overrides where the peers are (default ../peers).

import { pathToFileURL } from 'node:url';

const peers = process.env.BSM_PEERS_DIR
  ? pathToFileURL(process.env.BSM_PEERS_DIR.replace(/\/?$/, '/'))
  : new URL('../peers/', import.meta.url);
const load = (path) => import(new URL(`node_modules/${path}`, peers).href);
const { default: express } = await load('express/index.js');
const { AgentEvent, DefaultRequestHandler, InMemoryTaskStore } = await load(
  '@a2a-js/sdk/dist/server/index.js',
);
const { UserBuilder, agentCardHandler, jsonRpcHandler } = await load(
  '@a2a-js/sdk/dist/server/express/index.js',
);

const token = process.argv[2];
if (!token) {
  console.error('usage: node a2a_peer_server.mjs TOKEN');
  process.exit(2);
}

const TASK_STATE_COMPLETED = 3;

const executor = {
  async execute(ctx, bus) {
    const heard = ctx.userMessage.parts
      .map((p) => (p.content?.$case === 'text' ? p.content.value : ''))
      .join(' ');
    bus.publish(
      AgentEvent.task({
        id: ctx.taskId,
        contextId: ctx.contextId,
        status: { state: TASK_STATE_COMPLETED },
        artifacts: [
          {
            artifactId: 'reply',
            name: 'reply',
            description: '',
            parts: [
              {
                content: { $case: 'text', value: `peer heard: ${heard} (context ${ctx.contextId})` },
                filename: '',
                mediaType: 'text/plain',
              },
            ],
            extensions: [],
          },
        ],
        history: [],
      }),
    );
    bus.finished();
  },
  async cancelTask() {},
};

const app = express();
app.use((req, res, next) => {
  if (req.header('authorization') !== `Bearer ${token}`) {
    res.status(401).json({ error: 'bad or missing token' });
    return;
  }
  next();
});

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const card = {
    name: 'Peer',
    description: 'A test peer that repeats what it heard',
    supportedInterfaces: [
      { url: `http://127.0.0.1:${port}/a2a`, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' },
    ],
    version: '1.0.0',
    capabilities: { streaming: false, pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [
      { id: 'echo', name: 'echo', description: 'Repeats', tags: ['echo'], examples: [], inputModes: [], outputModes: [], securityRequirements: [] },
    ],
    signatures: [],
  };
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
  app.use('/.well-known/agent-card.json', agentCardHandler({ agentCardProvider: handler }));
  app.use('/a2a', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  console.log(JSON.stringify({ port }));
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
