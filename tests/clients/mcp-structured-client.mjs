// Independent interop client: the official MCP TypeScript SDK's Client reads ExaiFast's tool annotations, titles and
// output schemas (MCP 2025-06-18 on), and calls tools whose structuredContent the SDK itself validates against each
// tool's outputSchema (Client.callTool throws when it is missing or does not conform).
// Usage: node mcp-structured-client.mjs ws|http <daemon base url, http://127.0.0.1:PORT/>
// Prints one JSON line: the negotiated revision, every tool's title and hints, and each call's structuredContent;
// exit 0 only when every check held.
import WebSocket from 'ws';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

globalThis.WebSocket ??= WebSocket;

const [kind, base] = process.argv.slice(2);
if (!['ws', 'http'].includes(kind) || !base) {
  console.error('usage: node mcp-structured-client.mjs ws|http <http://127.0.0.1:PORT/>');
  process.exit(2);
}

const fail = (why) => { console.log(JSON.stringify({ ok: false, error: why })); process.exit(1); };
const check = (condition, why) => { if (!condition) fail(why); };
setTimeout(() => fail('timed out'), 60_000).unref();

const transport = kind === 'ws'
  ? new WebSocketClientTransport(new URL(base.replace(/^http/, 'ws')))
  : new StreamableHTTPClientTransport(new URL('/mcp', base));
const client = new Client({ name: 'exaifast-structured', version: '1.0.0' });
await client.connect(transport);

// listTools also primes the SDK's output validators: every callTool below is checked against its tool's outputSchema.
const { tools } = await client.listTools();
for (const t of tools) {
  check(typeof t.title === 'string' && t.title.length > 0, `${t.name}: no title`);
  check(typeof t.annotations?.readOnlyHint === 'boolean' && (t.annotations?.openWorldHint ?? false) === false, `${t.name}: annotations ${JSON.stringify(t.annotations)}`);
  check(t.outputSchema?.type === 'object', `${t.name}: outputSchema ${JSON.stringify(t.outputSchema)}`);
}

const call = async (name, args) => {
  let result;
  try {
    result = await client.callTool({ name, arguments: args });
  } catch (e) {
    fail(`${name}: the SDK refused the result: ${e.message}`);
  }

  check(result.isError === false, `${name}: ${JSON.stringify(result)}`);
  check(result.content?.[0]?.type === 'text' && result.content[0].text.length > 0, `${name}: no text content`);
  return result.structuredContent;
};

const chat = await call('chat', { prompt: 'structured hello' });
const step = await call('debug', { step: 'look', step_number: 1, total_steps: 2, next_step_required: true, findings: 'a clue' });
const listed = await call('listmodels', {});
const failed = await client.callTool({ name: 'chat', arguments: {} }); // a tool error: the SDK does not validate those
await client.close();
console.log(JSON.stringify({
  ok: true,
  transport: kind,
  tools: Object.fromEntries(tools.map((t) => [t.name, { title: t.title, ...t.annotations }])),
  chat,
  step,
  listed,
  failed: failed.structuredContent ?? null,
}));
