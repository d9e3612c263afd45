// Independent interop client: the official MCP TypeScript SDK's Client over its StdioClientTransport, which spawns
// `exaifast stdio` as MCP clients (Claude Code, Claude Desktop, VS Code, Cursor) do.
// Usage: node mcp-stdio-client.mjs <path/to/exaifast.dll or the native exaifast> '<env as JSON>' [stdio args...]
// Initializes, lists tools, calls chat with progress, runs 10 calls in parallel, cancels a slow call through an
// AbortSignal (the work stops: the status tool counts nothing in flight but itself; no response or progress follows),
// then calls again. Prints one JSON line; exit 0 only when every check held.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';

const [exe, envJson, ...stdioArgs] = process.argv.slice(2);
if (!exe) {
  console.error("usage: node mcp-stdio-client.mjs <exaifast.dll | exaifast> '<env json>' [stdio args...]");
  process.exit(2);
}

const fail = (why) => { console.log(JSON.stringify({ ok: false, error: why })); process.exit(1); };
const check = (condition, why) => { if (!condition) fail(why); };
setTimeout(() => fail('timed out'), 90_000).unref();

// What the SDK passes on by default (PATH, HOME, ...) plus what .NET needs to find itself, plus the test's settings.
const env = { ...getDefaultEnvironment(), ...JSON.parse(envJson ?? '{}') };
for (const key of ['DOTNET_ROOT', 'DOTNET_CLI_HOME', 'NUGET_PACKAGES']) {
  if (process.env[key] && !env[key]) env[key] = process.env[key];
}

// A .dll is the JIT build, run by dotnet; anything else is the native binary, spawned as a client spawns it.
const [command, args] = exe.endsWith('.dll') ? ['dotnet', ['exec', exe]] : [exe, []];
const transport = new StdioClientTransport({ command, args: [...args, 'stdio', ...stdioArgs], env, stderr: 'pipe' });
let stderr = '';
transport.stderr?.on('data', (chunk) => { stderr += chunk; });
const client = new Client({ name: 'exaifast-stdio-interop', version: '1.0.0' });
await client.connect(transport);
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
  { name: 'chat', arguments: { prompt: 'hello over stdio', local_latency_ms: 400 } },
  undefined,
  { onprogress: () => { progressEvents++; } });
check(chat.isError === false && chat.content?.[0]?.text?.includes('hello over stdio'), `chat: ${JSON.stringify(chat)}`);
check(progressEvents > 0, 'no progress notifications');

const parallel = await Promise.all(Array.from({ length: 10 }, (_, i) =>
  client.callTool({ name: 'chat', arguments: { prompt: `parallel ${i}`, local_latency_ms: 200 } })));
parallel.forEach((r, i) => check(r.isError === false && r.content[0].text.includes(`parallel ${i}`), `parallel ${i}: ${JSON.stringify(r)}`));

// Cancel through an AbortSignal: the SDK rejects the call locally at once, so the proof is elsewhere — the work stopped
// (the status tool counts only itself in flight), and no response or progress for the call arrived after a later ping.
const abort = new AbortController();
let slowProgress = 0;
const slow = client.callTool({ name: 'chat', arguments: { prompt: 'slow', local_latency_ms: 60000 } }, undefined,
  { signal: abort.signal, onprogress: () => { slowProgress++; } });
const slowRequest = sent.find((m) => m.method === 'tools/call' && m.params?.arguments?.prompt === 'slow');
check(slowRequest !== undefined, 'the slow call was not sent');
for (let tries = 0; slowProgress === 0; tries++) {
  check(tries < 400, 'the slow call never reported progress');
  await new Promise((resolve) => setTimeout(resolve, 25));
}
abort.abort('enough');
await slow.then(() => fail('the aborted call resolved'), () => {});
const notice = sent.find((m) => m.method === 'notifications/cancelled');
check(notice?.params?.requestId === slowRequest.id, `notifications/cancelled: ${JSON.stringify(notice)}`);
await client.ping();
const afterPing = received.length;

let status = '';
for (let tries = 0; !status.includes('calls in flight 1 '); tries++) {
  check(tries < 100, `the cancelled call still runs: ${status}`);
  if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  status = (await client.callTool({ name: 'status', arguments: {} })).content[0].text;
}

const after = await client.callTool({ name: 'chat', arguments: { prompt: 'after the cancel' } });
check(after.isError === false && after.content[0].text.includes('after the cancel'), `after: ${JSON.stringify(after)}`);
check(!received.some((m) => m.id === slowRequest.id && m.method === undefined), 'a response followed the cancelled call');
const token = slowRequest.params?._meta?.progressToken;
check(!received.slice(afterPing).some((m) => m.method === 'notifications/progress' && m.params?.progressToken === token),
  'progress of the cancelled call arrived after the cancel');

await client.close();
console.log(JSON.stringify({ ok: true, tools: names.length, progressEvents, parallel: parallel.length, cancelled: true }));
