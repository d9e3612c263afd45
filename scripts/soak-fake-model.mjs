// An OpenAI-compatible model server that misbehaves on purpose, for scripts/soak.sh: POST /v1/chat/completions is
// answered, by ratio, with HTTP 500, HTTP 429 with Retry-After, a stall before the response head, a stall after the
// first streamed chunk, a reset before the head, a reset after the first chunk, or a streamed answer after a random
// think time. Every upstream request gets a serial number that goes into its answer, so a client that sees two
// different answers for one call knows the call reached a model twice.
// Every response closes its connection: the daemon keeps no idle pooled sockets to us, so its descriptor count at
// rest is the same before and after a run.
// Usage: node scripts/soak-fake-model.mjs [PORT]; prints its port, then serves until killed.
// SOAK_FAULTS overrides the ratios, e.g. "500=0.04,429=0.03,stall=0.01,midstall=0.01,reset=0.02,midreset=0.01";
// SOAK_THINK_MS="20-400" the think time range.
import http from 'node:http';

const faults = { 500: 0.04, 429: 0.03, stall: 0.01, midstall: 0.01, reset: 0.02, midreset: 0.01 };
for (const kv of (process.env.SOAK_FAULTS ?? '').split(',').filter(Boolean)) {
  const [k, v] = kv.split('=');
  if (!(k in faults) || Number.isNaN(Number(v))) throw new Error(`SOAK_FAULTS: bad entry '${kv}'`);
  faults[k] = Number(v);
}
const [thinkMin, thinkMax] = (process.env.SOAK_THINK_MS ?? '20-400').split('-').map(Number);

const counts = {};
let serial = 0;
const created = Math.floor(Date.now() / 1000);

function pick() {
  let r = Math.random();
  for (const [k, p] of Object.entries(faults)) {
    if (r < p) return k;
    r -= p;
  }
  return 'ok';
}

function chunk(model, delta, finish) {
  return `data: ${JSON.stringify({ id: 'chatcmpl-soak', object: 'chat.completion.chunk', created, model,
    choices: [{ index: 0, delta, finish_reason: finish ?? null }] })}\n\n`;
}

const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('error', () => {});
  res.on('error', () => {});
  req.on('end', () => {
    const n = ++serial;
    let body;
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch (e) {
      res.writeHead(400, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ error: { message: `bad body: ${e.message}` } }));
      return;
    }
    const model = body.model ?? 'soak';
    const what = pick();
    counts[what] = (counts[what] ?? 0) + 1;
    const think = thinkMin + Math.random() * (thinkMax - thinkMin);
    switch (what) {
      case '500':
        res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
        res.end('{"error":{"message":"injected 500"}}');
        return;
      case '429':
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close' });
        res.end('{"error":{"message":"injected 429"}}');
        return;
      case 'stall':
        return; // no head, ever: the daemon's headers deadline or the call's cancel ends it
      case 'reset':
        req.socket.resetAndDestroy();
        return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'close' });
    res.write(chunk(model, { role: 'assistant', content: `answer #${n} ` }));
    if (what === 'midstall') return;
    if (what === 'midreset') {
      setTimeout(() => req.socket.resetAndDestroy(), 5);
      return;
    }
    const t = setTimeout(() => {
      res.write(chunk(model, { content: `to ${body.messages?.length ?? 0} messages` }));
      res.write(chunk(model, {}, 'stop'));
      res.end('data: [DONE]\n\n');
    }, think);
    res.on('close', () => clearTimeout(t));
  });
});
server.keepAliveTimeout = 1000;
server.requestTimeout = 0;
server.headersTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => {
  console.error(`soak-fake-model: ${serial} requests ${JSON.stringify(counts)}`);
  process.exit(0);
});
