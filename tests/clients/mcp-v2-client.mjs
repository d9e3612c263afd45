// Independent interop client: the official MCP TypeScript SDK v2 (@modelcontextprotocol/client), which speaks revision
// 2026-07-28, over its StreamableHTTPClientTransport, its StdioClientTransport (spawning `exaifast stdio`), or MCP over
// WebSocket (subprotocol "mcp"), which v2 ships no transport for: WebSocketTransport below is the custom transport the
// SDK's Transport interface is there for (spec basic/transports/index.mdx#custom-transports).
// Usage: node mcp-v2-client.mjs http <http://127.0.0.1:PORT/> [token]
//        node mcp-v2-client.mjs ws <ws://127.0.0.1:PORT/> [token]
//        node mcp-v2-client.mjs stdio <path/to/exaifast.dll or the native exaifast> '<env as JSON>' [stdio args...]
// Connects with versionNegotiation 'auto' (server/discover first, initialize only as a fallback) and must stay on
// 2026-07-28; lists tools, calls chat, sees an unknown tool refused, aborts a slow call once it reports progress. Beside the SDK's
// own view it records the wire: no initialize, the revision on every request (and, over HTTP, in its headers), no
// session. Prints one JSON line; exit 0 only when every check held.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import WebSocket from 'ws';

// One JSON-RPC message per text frame on one socket. It only moves frames: negotiation, ids, progress and cancellation
// (notifications/cancelled, as on every shared channel: no hasPerRequestStream) are the SDK's.
class WebSocketTransport {
  constructor(url) { this.url = url; }

  start() {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, 'mcp');
      socket.once('error', reject);
      socket.once('open', () => {
        socket.off('error', reject);
        if (socket.protocol !== 'mcp') {
          socket.terminate();
          reject(new Error(`the server chose subprotocol "${socket.protocol}", not "mcp"`));
          return;
        }
        this.socket = socket;
        socket.on('error', (error) => this.onerror?.(error));
        socket.on('close', () => this.onclose?.());
        socket.on('message', (data, isBinary) => {
          if (isBinary) {
            this.onerror?.(new Error('a binary frame: MCP over WebSocket sends text'));
            return;
          }
          let message;
          try {
            message = JSON.parse(data.toString('utf8'));
          } catch (error) {
            this.onerror?.(error);
            return;
          }
          this.onmessage?.(message);
        });
        resolve();
      });
    });
  }

  send(message) {
    return new Promise((resolve, reject) => this.socket.send(JSON.stringify(message), (error) => (error ? reject(error) : resolve())));
  }

  close() {
    if (!this.socket || this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => { this.socket.once('close', resolve); this.socket.close(1000); });
  }
}

const [kind, target, ...rest] = process.argv.slice(2);
if (!['http', 'ws', 'stdio'].includes(kind) || !target) {
  console.error("usage: node mcp-v2-client.mjs http <base url> [token] | ws <ws url> [token] | stdio <exaifast.dll | exaifast> '<env json>' [stdio args...]");
  process.exit(2);
}

const fail = (why) => { console.log(JSON.stringify({ ok: false, error: why })); process.exit(1); };
const check = (condition, why) => { if (!condition) fail(why); };
setTimeout(() => fail('timed out'), 90_000).unref();

const sent = []; // every JSON-RPC message the SDK sent on the connection it kept
const posts = []; // over HTTP: each POST's MCP headers, and the response's session header
let transport;
if (kind === 'http') {
  const [token] = rest;
  const recordingFetch = async (url, init) => {
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const response = await fetch(url, init);
    if ((init?.method ?? 'GET') === 'POST') {
      posts.push({
        version: headers.get('mcp-protocol-version'), method: headers.get('mcp-method'), name: headers.get('mcp-name'),
        body, status: response.status, session: response.headers.get('mcp-session-id'),
      });
    }
    return response;
  };
  transport = new StreamableHTTPClientTransport(new URL('/mcp', target), {
    fetch: recordingFetch,
    ...(token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {}),
  });
} else if (kind === 'ws') {
  // The daemon takes a WebSocket client's token as ?token= too (browsers cannot set headers on a WebSocket).
  const [token] = rest;
  const url = new URL(target);
  if (token) url.searchParams.set('token', token);
  transport = new WebSocketTransport(url);
} else {
  const [envJson, ...stdioArgs] = rest;
  const env = { ...getDefaultEnvironment(), ...JSON.parse(envJson ?? '{}') };
  for (const key of ['DOTNET_ROOT', 'DOTNET_CLI_HOME', 'NUGET_PACKAGES']) {
    if (process.env[key] && !env[key]) env[key] = process.env[key];
  }
  const [command, args] = target.endsWith('.dll') ? ['dotnet', ['exec', target]] : [target, []];
  transport = new StdioClientTransport({ command, args: [...args, 'stdio', ...stdioArgs], env, stderr: 'pipe' });
}

const send = transport.send.bind(transport);
transport.send = (message, options) => { sent.push(message); return send(message, options); };

const client = new Client({ name: 'exaifast-v2-interop', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
await client.connect(transport);
check(client.getProtocolEra() === 'modern', `era: ${client.getProtocolEra()}`);
check(client.getNegotiatedProtocolVersion() === '2026-07-28', `version: ${client.getNegotiatedProtocolVersion()}`);
check(client.getServerVersion()?.name === 'exaifast', `serverInfo: ${JSON.stringify(client.getServerVersion())}`);

const { tools } = await client.listTools();
check(tools.some((t) => t.name === 'chat'), `tools: ${JSON.stringify(tools.map((t) => t.name))}`);

const chat = await client.callTool({ name: 'chat', arguments: { prompt: 'hello from v2', local_latency_ms: 50 } });
check(chat.isError === false && chat.content?.[0]?.text?.includes('hello from v2'), `chat: ${JSON.stringify(chat)}`);

let unknownCode;
try {
  await client.callTool({ name: 'no-such-tool', arguments: {} });
} catch (error) {
  unknownCode = error.code;
}
check(unknownCode === -32602, `unknown tool: ${unknownCode}`);

// Aborted once it runs, which its first progress notification proves (waited for, however slow a loaded machine makes
// the heartbeats; a short call may end before its first one): the test checks that the daemon stopped the work.
const abort = new AbortController();
let slowProgress = 0;
const slow = client.callTool({ name: 'chat', arguments: { prompt: 'slow', local_latency_ms: 60000 } },
  { signal: abort.signal, onprogress: () => { slowProgress++; } });
for (let tries = 0; slowProgress === 0; tries++) {
  check(tries < 400, 'the slow call never reported progress');
  await new Promise((resolve) => setTimeout(resolve, 25));
}
abort.abort('enough');
await slow.then(() => fail('the aborted call resolved'), () => {});

const requests = sent.filter((m) => m.id !== undefined && m.method !== undefined);
check(!sent.some((m) => m.method === 'initialize'), 'the SDK sent initialize');
check(requests.every((m) => m.params?._meta?.['io.modelcontextprotocol/protocolVersion'] === '2026-07-28'),
  `a request without the revision in _meta: ${JSON.stringify(requests.find((m) => m.params?._meta?.['io.modelcontextprotocol/protocolVersion'] !== '2026-07-28'))}`);
if (kind === 'ws') {
  // A shared channel cancels with a notification (an HTTP client closes the call's own stream instead).
  check(sent[0]?.method === 'server/discover', `first message: ${JSON.stringify(sent[0])}`);
  check(sent.some((m) => m.method === 'notifications/cancelled'), 'the abort sent no notifications/cancelled');
}
if (kind === 'http') {
  check(posts.length > 0 && posts[0].body?.method === 'server/discover', `first POST: ${JSON.stringify(posts[0])}`);
  check(posts.every((p) => p.version === '2026-07-28' && p.method === p.body?.method), `headers: ${JSON.stringify(posts)}`);
  check(posts.every((p) => p.session === null), 'the server issued a session');
  check(posts.filter((p) => p.body?.method === 'tools/call').every((p) => p.name === p.body.params.name), 'Mcp-Name');
}

await client.close();
console.log(JSON.stringify({ ok: true, era: 'modern', version: '2026-07-28', requests: requests.length, progressEvents: slowProgress }));
process.exit(0);
