// Independent interop client: the official MCP TypeScript SDK's Client lists ExaiFast's prompts (the slash commands
// clients show as /exaifast:<name>) and gets them — a tool's, and continue after a chat — over WebSocket, Streamable
// HTTP or stdio. The SDK validates each result against its schemas (listPrompts, getPrompt) and throws when one does
// not conform; an unknown prompt and a missing argument must come back as JSON-RPC errors.
// Usage: node mcp-prompts-client.mjs ws|http <daemon base url, http://127.0.0.1:PORT/>
//        node mcp-prompts-client.mjs stdio <path/to/exaifast.dll or the native exaifast> '<env as JSON>'
// Prints one JSON line with what it saw; exit 0 only when every call succeeded.
import WebSocket from 'ws';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';

globalThis.WebSocket ??= WebSocket;

const [kind, target, envJson] = process.argv.slice(2);
if (!['ws', 'http', 'stdio'].includes(kind) || !target) {
  console.error('usage: node mcp-prompts-client.mjs ws|http <http://127.0.0.1:PORT/> | stdio <exaifast.dll | exaifast> <env json>');
  process.exit(2);
}

const fail = (why) => { console.log(JSON.stringify({ ok: false, error: why })); process.exit(1); };
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

const client = new Client({ name: 'exaifast-prompts', version: '1.0.0' });
try {
  await client.connect(transport);
} catch (e) {
  fail(`connect: ${e.message}`);
}

const errorOf = async (request) => {
  try {
    await request();
    return null;
  } catch (e) {
    return { code: e.code ?? null, message: e.message };
  }
};

try {
  const capabilities = client.getServerCapabilities();
  const list = await client.listPrompts();
  const review = await client.getPrompt({ name: 'codereview', arguments: { step: 'Review the parser', relevant_files: '/src/a.cs,/src/b.cs' } });
  const chat = await client.callTool({ name: 'chat', arguments: { prompt: 'prompts through the sdk' } });
  const resumed = await client.getPrompt({ name: 'continue', arguments: { prompt: 'and then?' } });
  const unknown = await errorOf(() => client.getPrompt({ name: 'no-such-prompt' }));
  const missing = await errorOf(() => client.getPrompt({ name: 'chat', arguments: {} }));
  await client.close();
  console.log(JSON.stringify({
    ok: true,
    prompts: capabilities?.prompts ?? null,
    list: list.prompts,
    review: review.messages[0].content.text,
    thread: chat.structuredContent?.continuation_id ?? null,
    resumed: resumed.messages[0].content.text,
    unknown,
    missing,
  }));
} catch (e) {
  fail(`the SDK refused a result: ${e.message}`);
}
