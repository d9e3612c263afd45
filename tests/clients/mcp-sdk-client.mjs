// Independent interop client: the official MCP TypeScript SDK's Client against a running ExaiFast daemon, over its
// WebSocketClientTransport (subprotocol "mcp") or its StreamableHTTPClientTransport (POST /mcp).
// Usage: node mcp-sdk-client.mjs ws|http <daemon base url, http://127.0.0.1:PORT/> [token]
// Initializes, lists tools, calls chat (with progress), runs 10 calls in parallel, expects an unknown tool to be a
// JSON-RPC error, cancels a slow call through an AbortSignal (checked on the daemon's /metrics while still connected:
// no response and no progress follow), and calls again after the cancel. With a token: WebSocket passes it as
// ?token= (the SDK's WebSocket transport cannot set headers), HTTP as Authorization: Bearer. Prints one JSON line;
// exit 0 only when every check held.
import WebSocket from 'ws';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

// Node 20 has no global WebSocket (the transport uses the browser API); `ws` provides the same interface.
globalThis.WebSocket ??= WebSocket;

const [kind, base, token] = process.argv.slice(2);
if (!['ws', 'http'].includes(kind) || !base) {
  console.error('usage: node mcp-sdk-client.mjs ws|http <http://127.0.0.1:PORT/> [token]');
  process.exit(2);
}

const url = base;
const makeTransport = () => {
  if (kind === 'ws') {
    const ws = new URL(base.replace(/^http/, 'ws'));
    if (token) ws.searchParams.set('token', token);
    return new WebSocketClientTransport(ws);
  }

  return new StreamableHTTPClientTransport(new URL('/mcp', base),
    token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : undefined);
};

const fail = (why) => { console.log(JSON.stringify({ ok: false, error: why })); process.exit(1); };
const check = (condition, why) => { if (!condition) fail(why); };
setTimeout(() => fail('timed out'), 60_000).unref();

const client = new Client({ name: 'exaifast-interop', version: '1.0.0' });
const transport = makeTransport();
await client.connect(transport);
// A record of the wire, beside the SDK's own handling: what was sent, and every message that came back.
const sent = [];
const received = [];
const send = transport.send.bind(transport);
transport.send = (message, options) => { sent.push(message); return send(message, options); };
const onmessage = transport.onmessage;
transport.onmessage = (message, extra) => { received.push(message); onmessage(message, extra); };
const server = client.getServerVersion();
check(server?.name === 'exaifast', `serverInfo: ${JSON.stringify(server)}`);

const { tools } = await client.listTools();
const names = tools.map((t) => t.name);
check(names.includes('chat') && tools.every((t) => t.inputSchema?.type === 'object'), `tools: ${JSON.stringify(names)}`);

let progressEvents = 0;
const chat = await client.callTool(
  { name: 'chat', arguments: { prompt: 'hello from the sdk', local_latency_ms: 400 } },
  undefined,
  { onprogress: () => { progressEvents++; } });
check(chat.isError === false && chat.content?.[0]?.text?.includes('hello from the sdk'), `chat: ${JSON.stringify(chat)}`);
check(progressEvents > 0, 'no progress notifications');

// Ten calls at once, each answered under its own id with its own text.
const parallel = await Promise.all([...Array(10).keys()].map((i) =>
  client.callTool({ name: 'chat', arguments: { prompt: `parallel ${i}`, local_latency_ms: 50 } })));
check(parallel.every((r, i) => r.isError === false && r.content[0].text.includes(`parallel ${i}`)), `parallel: ${JSON.stringify(parallel)}`);

const invalid = await client.callTool({ name: 'chat', arguments: {} });
check(invalid.isError === true && invalid.content[0].text.includes('prompt'), `invalid: ${JSON.stringify(invalid)}`);

let unknownCode = null;
try {
  await client.callTool({ name: 'no-such-tool', arguments: {} });
} catch (e) {
  unknownCode = e instanceof McpError ? e.code : String(e);
}
check(unknownCode === -32602, `unknown tool: ${unknownCode}`);

// Cancel: the SDK rejects the call locally as soon as it is aborted, so its rejection proves nothing. The proof is on
// the daemon, read while this client is still connected (so closing cannot be what cancelled it): the call ended as
// cancelled, through the notifications/cancelled the SDK sent, and no response for its id ever arrived.
const cancelledOnDaemon = async () => {
  const metrics = await (await fetch(new URL('/metrics', url.replace(/^ws/, 'http')))).text();
  const line = metrics.split('\n').find((l) => l.startsWith('exaifast_calls_total{') && l.includes('tool="chat"') && l.includes('outcome="cancelled"'));
  return line ? Number(line.split(' ').pop()) : 0;
};
check(await cancelledOnDaemon() === 0, 'a call was cancelled before the test cancelled one');
const abort = new AbortController();
const slow = client.callTool({ name: 'chat', arguments: { prompt: 'slow', local_latency_ms: 60000 } }, undefined,
  { signal: abort.signal, onprogress: () => {} });
const slowRequest = sent.find((m) => m.method === 'tools/call' && m.params?.arguments?.prompt === 'slow');
check(slowRequest !== undefined, 'the slow call was not sent');
setTimeout(() => abort.abort('enough'), 300);
await slow.then(() => fail('the aborted call resolved'), () => {});
const notice = sent.find((m) => m.method === 'notifications/cancelled');
check(notice?.params?.requestId === slowRequest.id, `notifications/cancelled: ${JSON.stringify(notice)}`);
for (let tries = 0; await cancelledOnDaemon() !== 1; tries++) {
  check(tries < 200, 'the daemon never counted the call as cancelled');
  await new Promise((resolve) => setTimeout(resolve, 50));
}

await client.ping(); // a round trip after the cancel: a response to the cancelled call would have come before it
const afterPing = received.length;
await new Promise((resolve) => setTimeout(resolve, 300)); // heartbeats come every 50 ms: a live call would show some
const slowToken = slowRequest.params._meta?.progressToken;
check(slowToken !== undefined, 'the slow call asked for no progress');
check(!received.some((m) => m.id === slowRequest.id && m.method === undefined), 'a response followed the cancelled call');
check(!received.slice(afterPing).some((m) => m.method === 'notifications/progress' && m.params?.progressToken === slowToken),
  'progress of the cancelled call went on after the cancel');

// The session goes on after a cancel.
const after = await client.callTool({ name: 'chat', arguments: { prompt: 'after the cancel' } });
check(after.isError === false && after.content[0].text.includes('after the cancel'), `after: ${JSON.stringify(after)}`);
await client.close();
console.log(JSON.stringify({ ok: true, transport: kind, tools: names.length, progressEvents, parallel: parallel.length, cancelledOnDaemon: true }));
