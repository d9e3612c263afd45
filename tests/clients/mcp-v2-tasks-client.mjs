// Independent interop client for MCP tasks (the io.modelcontextprotocol/tasks extension of revision 2026-07-28): the
// official MCP TypeScript SDK v2 (@modelcontextprotocol/client) over its StreamableHTTPClientTransport.
// Usage: node mcp-v2-tasks-client.mjs <http://127.0.0.1:PORT/> <signal file>
//
// The SDK (2.4.0) has no task API: it declares the extension when told to (capabilities.extensions) and lets tasks/get
// and tasks/cancel through its request() with a result schema (the methods the extension reuses), but refuses a
// tools/call answered with resultType "task" (UNSUPPORTED_RESULT_TYPE) without handing over the task's id. So the
// handle is read off the SDK's own transport as the message arrives; everything else is the SDK's: negotiation,
// _meta, MCP headers (Mcp-Name: the task's id), errors.
//
// Steps: a chat held by the model server becomes a task; tasks/get says working; the signal file gets the task's id
// (the test then lets the model answer); tasks/get is polled until completed, with the call's result; a chat whose
// model never answers becomes a task that tasks/cancel cancels; an unknown task is -32602. Prints one JSON line; exit 0
// only when every check held.
import { Client, ProtocolError, SdkError, SdkErrorCode, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { writeFileSync, renameSync } from 'node:fs';

const [target, signalFile] = process.argv.slice(2);
if (!target || !signalFile) {
  console.error('usage: node mcp-v2-tasks-client.mjs <base url> <signal file>');
  process.exit(2);
}

const fail = (why) => { console.log(JSON.stringify({ ok: false, error: why })); process.exit(1); };
const check = (condition, why) => { if (!condition) fail(why); };
setTimeout(() => fail('timed out'), 100_000).unref();

const TASKS = 'io.modelcontextprotocol/tasks';
const posts = []; // each POST's MCP headers and JSON-RPC method
const recordingFetch = async (url, init) => {
  const headers = new Headers(init?.headers);
  const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
  const response = await fetch(url, init);
  if ((init?.method ?? 'GET') === 'POST') {
    posts.push({ version: headers.get('mcp-protocol-version'), method: headers.get('mcp-method'), name: headers.get('mcp-name'), body, status: response.status });
  }
  return response;
};
const transport = new StreamableHTTPClientTransport(new URL('/mcp', target), { fetch: recordingFetch });

const client = new Client({ name: 'exaifast-v2-tasks', version: '1.0.0' },
  { versionNegotiation: { mode: 'auto' }, capabilities: { extensions: { [TASKS]: {} } } });
await client.connect(transport);
check(client.getNegotiatedProtocolVersion() === '2026-07-28', `version: ${client.getNegotiatedProtocolVersion()}`);
check(client.getServerCapabilities()?.extensions?.[TASKS] !== undefined, `no tasks extension: ${JSON.stringify(client.getServerCapabilities())}`);

// The SDK's transport hands every message to the SDK here: the task handle is taken on its way in.
const handles = new Map();
const deliver = transport.onmessage;
transport.onmessage = (message, extra) => {
  if (message?.result?.resultType === 'task') handles.set(message.id, message.result);
  deliver(message, extra);
};

// Result schemas in the Standard Schema form request() takes (https://standardschema.dev): a task, and anything.
const schema = (accept) => ({
  '~standard': {
    version: 1, vendor: 'exaifast-tests',
    validate: (value) => (accept(value) ? { value } : { issues: [{ message: `unexpected result: ${JSON.stringify(value)}` }] }),
  },
});
const STATUSES = ['working', 'input_required', 'completed', 'failed', 'cancelled'];
const Task = schema((v) => typeof v?.taskId === 'string' && STATUSES.includes(v.status) && typeof v.createdAt === 'string'
  && typeof v.lastUpdatedAt === 'string' && typeof v.ttlMs === 'number');
const Empty = schema((v) => typeof v === 'object' && v !== null);

const getTask = (taskId) => client.request({ method: 'tasks/get', params: { taskId } }, Task);

// A tools/call answered with a task: the SDK refuses the answer; its id is the handle seen on the transport.
async function startTask(model) {
  const before = new Set(handles.keys());
  const error = await client.callTool({ name: 'chat', arguments: { prompt: 'Say hello.', model } }).then(
    (result) => fail(`the call was answered as a call: ${JSON.stringify(result)}`), (e) => e);
  check(error instanceof SdkError && error.code === SdkErrorCode.UnsupportedResultType && error.data?.resultType === 'task',
    `the SDK's refusal of the task: ${error}`);
  const fresh = [...handles.keys()].filter((id) => !before.has(id));
  check(fresh.length === 1, `task handles seen: ${fresh.length}`);
  const handle = handles.get(fresh[0]);
  check(handle.status === 'working' && /^[0-9a-f]{1,12}-[0-9a-f]{32}$/.test(handle.taskId), `handle: ${JSON.stringify(handle)}`);
  return handle;
}

async function waitFor(taskId, status) {
  for (;;) {
    const task = await getTask(taskId);
    check(task.taskId === taskId, `tasks/get answered another task: ${JSON.stringify(task)}`);
    if (task.status === status) return task;
    check(task.status === 'working', `status: ${JSON.stringify(task)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// 1. Created, working, then completed with the call's own result.
const held = await startTask('stream');
const working = await getTask(held.taskId);
check(working.status === 'working' && working.pollIntervalMs > 0 && working.result === undefined, `working: ${JSON.stringify(working)}`);
writeFileSync(signalFile + '.tmp', held.taskId);
renameSync(signalFile + '.tmp', signalFile); // whole or absent: the test reads it once it exists
const completed = await waitFor(held.taskId, 'completed');
check(completed.result?.isError === false && completed.result?.structuredContent?.provider === 'openai'
  && typeof completed.result?.content?.[0]?.text === 'string', `completed: ${JSON.stringify(completed)}`);

// 2. Cancelled while its model request hangs.
const hanging = await startTask('hang-headers');
const cancelled = await client.request({ method: 'tasks/cancel', params: { taskId: hanging.taskId } }, Empty);
check(cancelled !== undefined, 'tasks/cancel');
const ended = await waitFor(hanging.taskId, 'cancelled');
check(ended.result === undefined, `cancelled: ${JSON.stringify(ended)}`);

// 3. A task nobody made is -32602, as the SDK's ProtocolError.
const unknown = await getTask(Date.now().toString(16) + '-' + 'a'.repeat(32)).then(() => undefined, (e) => e);
check(unknown instanceof ProtocolError && unknown.code === -32602, `unknown task: ${unknown}`);

// The wire: every task request carried the revision, the extension, and its task's id in Mcp-Name.
const taskPosts = posts.filter((p) => p.body?.method?.startsWith('tasks/'));
check(taskPosts.length >= 4, `task requests: ${taskPosts.length}`);
check(taskPosts.every((p) => p.version === '2026-07-28' && p.method === p.body.method && p.name === p.body.params.taskId
  && p.body.params._meta?.['io.modelcontextprotocol/clientCapabilities']?.extensions?.[TASKS] !== undefined),
  `task request headers: ${JSON.stringify(taskPosts.find((p) => p.name !== p.body.params.taskId) ?? taskPosts[0])}`);

await client.close();
console.log(JSON.stringify({ ok: true, completed: held.taskId, cancelled: hanging.taskId, taskRequests: taskPosts.length }));
process.exit(0);
