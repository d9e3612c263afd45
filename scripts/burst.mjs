// Big-message burst against a running daemon: N concurrent exai-ws call_tool chat calls, each with a
// SIZE-MiB prompt, repeated ROUNDS times; after each round and after an idle period it prints the daemon's RSS
// (VmRSS and its peak VmHWM from /proc/<pid>/status) and the managed heap from /metrics.
// Usage: node scripts/burst.mjs <port> <pid> [conns=8] [sizeMiB=30] [rounds=4] [idleSecs=30]
// BURST_TOOL=version sends the same prompt to a tool that ignores it: the receive and dispatch side alone.
// BURST_MODEL=name asks that model (burst.sh sets it with BURST_UPSTREAM=1).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const require = createRequire(new URL('../tests/clients/', import.meta.url));
const WebSocket = require('ws');

const [port, pid, conns = '8', sizeMiB = '30', rounds = '4', idleSecs = '30'] = process.argv.slice(2);
const base = `127.0.0.1:${port}`;
const tool = process.env.BURST_TOOL || 'chat';
const model = process.env.BURST_MODEL;

function status() {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))[1]);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

async function metrics() {
  const text = await (await fetch(`http://${base}/metrics`)).text();
  const pick = (name) => {
    const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm'));
    return m ? Number(m[1]) : NaN;
  };
  return {
    heapMiB: pick('dotnet_total_memory_bytes') / 1048576,
    inflightMiB: pick('exaifast_inbound_bytes_in_flight') / 1048576,
    budgetWaits: pick('exaifast_inbound_budget_waits_total'),
    compactions: pick('exaifast_memory_compactions_total'),
  };
}

async function report(label) {
  const s = status();
  const m = await metrics();
  const f = (x) => (Number.isNaN(x) ? '-' : x.toFixed(0));
  console.log(`${label.padEnd(22)} rss ${f(s.rssMiB)} MiB  peak-rss ${f(s.hwmMiB)} MiB  heap ${f(m.heapMiB)} MiB  ` +
    `inbound-in-flight ${f(m.inflightMiB)} MiB  budget-waits ${f(m.budgetWaits)}  compactions ${f(m.compactions)}`);
}

// A prompt of words and newlines (newlines are escaped in JSON, as in real prompts): SIZE MiB of JSON string.
function prompt(bytes, seed) {
  const line = `line ${seed} of a big prompt: the quick brown fox jumps over the lazy dog, "quoted" text\n`;
  return line.repeat(Math.ceil(bytes / (line.length + 2))).slice(0, Math.floor(bytes * 0.98));
}

function call(i, text) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${base}/`, { maxPayload: 64 << 20 });
    ws.on('error', reject);
    ws.on('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
    ws.on('open', () => ws.send(JSON.stringify({ op: 'hello', session_id: `burst-${i}` })));
    ws.on('message', (data) => {
      const m = JSON.parse(data);
      if (m.op === 'hello_ack') {
        ws.send(JSON.stringify({ op: 'call_tool', request_id: `r${i}`, name: tool, arguments: model ? { prompt: text, model } : { prompt: text } }));
      } else if (m.op === 'call_tool_res') {
        ws.removeAllListeners('close');
        ws.close();
        m.ok ? resolve() : reject(new Error(JSON.stringify(m.error)));
      }
    });
  });
}

const n = Number(conns);
const size = Number(sizeMiB) * 1048576;
const prompts = Array.from({ length: n }, (_, i) => prompt(size, i));
console.log(`burst: ${n} concurrent call_tool ${tool}, ${sizeMiB} MiB prompts, ${rounds} rounds, idle ${idleSecs} s`);
await report('before');
for (let r = 1; r <= Number(rounds); r++) {
  const started = Date.now();
  const results = await Promise.allSettled(prompts.map((p, i) => call(i, p)));
  const failed = results.filter((x) => x.status === 'rejected');
  await report(`round ${r} (${((Date.now() - started) / 1000).toFixed(1)} s, ${n - failed.length}/${n} ok)`);
  for (const f of failed.slice(0, 3)) console.log('  failed:', f.reason.message);
}
// Idle: a reading every 10 s (a scrape allocates a few KiB; the daemon still counts as quiet).
for (let t = 10; t <= Number(idleSecs); t += 10) {
  await new Promise((r) => setTimeout(r, 10_000));
  await report(`idle ${t} s`);
}
