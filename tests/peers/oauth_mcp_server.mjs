// A protected MCP server and its authorization server in one process on
// 127.0.0.1:0, for the MCP client's OAuth tests (mcp_oauth_test.cpp). No
// dependencies beyond Node.js. It prints "listening PORT" once it serves.
//
//   GET  /.well-known/oauth-protected-resource/mcp  RFC 9728 metadata
//   GET  /.well-known/oauth-authorization-server/as RFC 8414 metadata
//   POST /as/token                                  client credentials grant
//   POST /mcp                                       MCP (JSON answers), Bearer
//   GET  /stats                                     what it saw (JSON)
//
// Options:
//   --secret S          the client "bsm-test" authenticates with secret S
//                       (client_secret_basic or client_secret_post)
//   --key-out FILE      instead: private_key_jwt; writes a new EC P-256
//                       private key (PEM) to FILE and checks ES256 assertions
//   --expires-in N      token lifetime in seconds (default 3600)
//   --no-metadata       404 for the protected resource metadata
//   --write-scope       tools/call needs scope "tools:write" (403
//                       insufficient_scope otherwise)
import { createServer } from 'node:http';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const has = (name) => args.includes(name);
const clientId = 'bsm-test';
const secret = opt('--secret');
const expiresIn = Number(opt('--expires-in') ?? 3600);
let publicKey;
if (opt('--key-out')) {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(opt('--key-out'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  publicKey = pair.publicKey;
}

let base = '';
const tokens = new Map(); // token -> { expires, scope }
const stats = { token_requests: [], mcp_posts: 0, refused: 0, tool_calls: 0 };

const json = (res, status, body, headers = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

const b64url = (s) => Buffer.from(s, 'base64url');

function checkAssertion(assertion) {
  const [h, p, s] = (assertion ?? '').split('.');
  if (!s) return 'assertion is not a JWT';
  const header = JSON.parse(b64url(h).toString());
  const claims = JSON.parse(b64url(p).toString());
  if (header.alg !== 'ES256') return 'alg is not ES256';
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, b64url(s));
  if (!ok) return 'bad signature';
  if (claims.iss !== clientId || claims.sub !== clientId) return 'iss/sub is not the client';
  if (claims.aud !== `${base}/as`) return `aud is ${claims.aud}`;
  if (!(claims.exp > Date.now() / 1000)) return 'expired';
  return null;
}

function authenticate(req, form) {
  if (publicKey) {
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      return 'no jwt-bearer assertion';
    return checkAssertion(form.get('client_assertion'));
  }
  const basic = req.headers.authorization;
  let id, pass;
  if (basic?.startsWith('Basic ')) {
    [id, pass] = Buffer.from(basic.slice(6), 'base64').toString().split(':').map(decodeURIComponent);
  } else {
    id = form.get('client_id');
    pass = form.get('client_secret');
  }
  return id === clientId && pass === secret ? null : 'Invalid client credentials';
}

function token(req, res, body) {
  const form = new URLSearchParams(body);
  const seen = {
    grant_type: form.get('grant_type'), scope: form.get('scope'),
    resource: form.get('resource'),
    method: publicKey ? 'private_key_jwt' : req.headers.authorization ? 'client_secret_basic' : 'client_secret_post',
  };
  stats.token_requests.push(seen);
  if (seen.grant_type !== 'client_credentials')
    return json(res, 400, { error: 'unsupported_grant_type' });
  const problem = authenticate(req, form);
  if (problem) return json(res, 401, { error: 'invalid_client', error_description: problem });
  if (seen.resource !== `${base}/mcp`)
    return json(res, 400, { error: 'invalid_target', error_description: `resource ${seen.resource}` });
  const value = `tok-${stats.token_requests.length}`;
  tokens.set(value, { expires: Date.now() + expiresIn * 1000, scope: seen.scope ?? '' });
  json(res, 200, { access_token: value, token_type: 'Bearer', expires_in: expiresIn, scope: seen.scope ?? undefined });
}

function mcp(req, res, body) {
  stats.mcp_posts++;
  const challenge = (extra) =>
    `Bearer ${extra}resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`;
  const bearer = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : '';
  const grant = tokens.get(bearer);
  if (!grant || grant.expires < Date.now()) {
    stats.refused++;
    return json(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': challenge(bearer ? 'error="invalid_token", ' : '') });
  }
  const msg = JSON.parse(body);
  if (msg.id === undefined) { res.writeHead(202); return res.end(); }
  const answer = (result) => json(res, 200, { jsonrpc: '2.0', id: msg.id, result });
  if (msg.method === 'initialize')
    return answer({ protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'oauth-fake', version: '1' } });
  if (msg.method === 'tools/list')
    return answer({ tools: [{ name: 'whoami', inputSchema: { type: 'object' } }] });
  if (msg.method === 'tools/call') {
    if (has('--write-scope') && !grant.scope.split(' ').includes('tools:write')) {
      stats.refused++;
      return json(res, 403, { error: 'insufficient_scope' },
                  { 'WWW-Authenticate': challenge('error="insufficient_scope", scope="tools:read tools:write", ') });
    }
    stats.tool_calls++;
    return answer({ content: [{ type: 'text', text: `token ${bearer} scope '${grant.scope}'` }] });
  }
  json(res, 200, { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
}

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; if (body.length > 1 << 20) req.destroy(); });
  req.on('end', () => {
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && path === '/.well-known/oauth-protected-resource/mcp' && !has('--no-metadata'))
      return json(res, 200, { resource: `${base}/mcp`, authorization_servers: [`${base}/as`], scopes_supported: ['tools:read'] });
    if (req.method === 'GET' && path === '/.well-known/oauth-authorization-server/as')
      return json(res, 200, {
        issuer: `${base}/as`, token_endpoint: `${base}/as/token`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: publicKey ? ['private_key_jwt'] : ['client_secret_basic', 'client_secret_post'],
        ...(publicKey && { token_endpoint_auth_signing_alg_values_supported: ['ES256'] }),
      });
    if (req.method === 'POST' && path === '/as/token') return token(req, res, body);
    if (req.method === 'POST' && path === '/mcp') return mcp(req, res, body);
    if (req.method === 'GET' && path === '/stats') return json(res, 200, stats);
    if (path === '/mcp') { res.writeHead(405); return res.end(); }
    json(res, 404, { error: 'not_found' });
  });
});
server.listen(0, '127.0.0.1', () => {
  base = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`listening ${server.address().port}\n`);
});
