// Independent interop client: the official MCP TypeScript SDK's Client over its WebSocketClientTransport
// (subprotocol "mcp") against a running ExaiFast daemon.
// Usage: node mcp-sdk-client.mjs ws://127.0.0.1:PORT/
// Initializes, lists tools, calls chat (with progress), cancels a slow call through an AbortSignal, and expects an
// unknown tool to be a JSON-RPC error. Prints one JSON line; exit 0 only when every check held.
import WebSocket from 'ws';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

// Node 20 has no global WebSocket (the transport uses the browser API); `ws` provides the same interface.
globalThis.WebSocket ??= WebSocket;

const url = process.argv[2];
if (!url) {
  console.error('usage: node mcp-sdk-client.mjs <url>');
  process.exit(2);
}

const fail = (why) => { console.log(JSON.stringify({ ok: false, error: why })); process.exit(1); };
const check = (condition, why) => { if (!condition) fail(why); };
setTimeout(() => fail('timed out'), 60_000).unref();

const client = new Client({ name: 'exaifast-interop', version: '1.0.0' });
await client.connect(new WebSocketClientTransport(new URL(url)));
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

const invalid = await client.callTool({ name: 'chat', arguments: {} });
check(invalid.isError === true && invalid.content[0].text.includes('prompt'), `invalid: ${JSON.stringify(invalid)}`);

let unknownCode = null;
try {
  await client.callTool({ name: 'no-such-tool', arguments: {} });
} catch (e) {
  unknownCode = e instanceof McpError ? e.code : String(e);
}
check(unknownCode === -32602, `unknown tool: ${unknownCode}`);

const abort = new AbortController();
const slow = client.callTool({ name: 'chat', arguments: { prompt: 'slow', local_latency_ms: 60000 } }, undefined, { signal: abort.signal });
setTimeout(() => abort.abort('enough'), 300);
let cancelled = false;
try {
  await slow;
} catch {
  cancelled = true;
}
check(cancelled, 'the aborted call did not reject');

await client.ping();
await client.close();
console.log(JSON.stringify({ ok: true, tools: names.length, progressEvents }));
