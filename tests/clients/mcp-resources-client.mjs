// Independent interop client: the official MCP TypeScript SDK's Client reads ExaiFast's conversation threads as MCP
// resources — resources/list page by page, resources/read, resources/templates/list — and a tool answer cut to
// MAX_MCP_OUTPUT_TOKENS, whose resource_link it follows. The SDK validates every result against its schemas
// (listResources, readResource, callTool with the tool's outputSchema) and throws when one does not conform.
// Usage: node mcp-resources-client.mjs ws|http <daemon base url, http://127.0.0.1:PORT/>
//        node mcp-resources-client.mjs stdio <path/to/exaifast.dll or the native exaifast> '<env as JSON>'
// Prints one JSON line with what it saw; exit 0 only when every call succeeded.
import WebSocket from 'ws';
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';

globalThis.WebSocket ??= WebSocket;

const [kind, target, envJson] = process.argv.slice(2);
if (!['ws', 'http', 'stdio'].includes(kind) || !target) {
  console.error('usage: node mcp-resources-client.mjs ws|http <http://127.0.0.1:PORT/> | stdio <exaifast.dll | exaifast> <env json>');
  process.exit(2);
}

const fail = (why) => { console.log(JSON.stringify({ ok: false, error: why })); process.exit(1); };
const check = (condition, why) => { if (!condition) fail(why); };
setTimeout(() => fail('timed out'), 90_000).unref();

let transport;
if (kind === 'stdio') {
  const env = { ...getDefaultEnvironment(), ...JSON.parse(envJson ?? '{}') };
  for (const key of ['DOTNET_ROOT', 'DOTNET_CLI_HOME', 'NUGET_PACKAGES']) {
    if (process.env[key] && !env[key]) env[key] = process.env[key];
  }

  const [command, args] = target.endsWith('.dll') ? ['dotnet', ['exec', target]] : [target, []];
  transport = new StdioClientTransport({ command, args: [...args, 'stdio'], env, stderr: 'pipe' });
} else {
  transport = kind === 'ws'
    ? new WebSocketClientTransport(new URL(target.replace(/^http/, 'ws')))
    : new StreamableHTTPClientTransport(new URL('/mcp', target));
}

const client = new Client({ name: 'exaifast-resources', version: '1.0.0' });
await client.connect(transport);
const capabilities = client.getServerCapabilities();
await client.listTools(); // primes the SDK's output validators for callTool

const chat = async (args) => {
  try {
    const result = await client.callTool({ name: 'chat', arguments: args });
    check(result.isError === false, `chat: ${JSON.stringify(result).slice(0, 500)}`);
    return result;
  } catch (e) {
    fail(`chat: the SDK refused the result: ${e.message}`);
  }
};

const first = await chat({ prompt: 'threads through the sdk' });
const thread = first.structuredContent.continuation_id;
for (let i = 0; i < 26; i++) {
  await chat({ prompt: `filler thread ${i}` });
}

const uris = [];
const pageSizes = [];
let cursor;
do {
  const page = await client.listResources(cursor ? { cursor } : {});
  pageSizes.push(page.resources.length);
  uris.push(...page.resources.map((r) => r.uri));
  cursor = page.nextCursor;
} while (cursor && pageSizes.length < 10);

const read = await client.readResource({ uri: `exaifast://threads/${thread}` });
const templates = await client.listResourceTemplates();
let notFound = null;
try {
  await client.readResource({ uri: `exaifast://threads/${randomUUID()}` });
} catch (e) {
  notFound = e.code ?? 'no code';
}

const long = await chat({ prompt: 'go on at length', model: 'long' });
const link = long.content.find((c) => c.type === 'resource_link');
check(link, `no resource_link: ${JSON.stringify(long.content.map((c) => c.type))}`);
const whole = await client.readResource({ uri: link.uri });
await client.close();

console.log(JSON.stringify({
  ok: true,
  resources: capabilities?.resources ?? null,
  thread,
  pageSizes,
  uris,
  readText: read.contents[0].text,
  templates: templates.resourceTemplates.map((t) => t.uriTemplate),
  notFound,
  cut: long.content[0].text,
  structured: long.structuredContent,
  link,
  whole: whole.contents[0].text,
}));
