// Independent interop client: Node's `ws` package against ExaiFast's echo.
// Usage: node ws-echo.mjs ws://127.0.0.1:PORT/ [sizes...]
// Sends text and binary messages of each size, whole and fragmented, checks every echo byte for byte,
// pings, then closes with 1000 and checks the server's close code. Prints one JSON line; exit 0 only on success.
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';

const url = process.argv[2];
const sizes = process.argv.slice(3).map(Number);
if (!url || sizes.length === 0) {
  console.error('usage: node ws-echo.mjs <url> <size>...');
  process.exit(2);
}

// Random lowercase text, built in one pass over a buffer: the string replace with a callback per character it replaced
// blocked the event loop for tens of seconds at 16 MiB on a loaded machine, long enough to miss the server's keep-alive
// ping (30 s idle + 10 s to answer), which then dropped the connection (1006).
const letters = (size) => {
  const b = randomBytes(size);
  for (let i = 0; i < size; i++) b[i] = 97 + (b[i] % 26);
  return b;
};

const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024, perMessageDeflate: false });
const pending = [];
ws.on('message', (data, isBinary) => pending.shift()?.({ data, isBinary }));
const nextMessage = () => new Promise((resolve) => pending.push(resolve));
const fail = (why) => { console.log(JSON.stringify({ ok: false, error: why })); process.exit(1); };
setTimeout(() => fail('timed out'), 120_000).unref();

ws.on('error', (e) => fail(`socket error: ${e.message}`));
// A close before ours would otherwise end the process silently with exit 0 (nothing left to wait for): say so.
let closing = false;
ws.on('close', (code, reason) => { if (!closing) fail(`closed by the server before the test ended: ${code} ${reason}`); });
ws.on('open', async () => {
  let checked = 0;
  for (const size of sizes) {
    for (const binary of [false, true]) {
      const payload = binary ? randomBytes(size) : letters(size);
      for (const fragmented of [false, true]) {
        const echo = nextMessage();
        if (fragmented && size > 1) {
          const step = Math.max(1, Math.floor(size / 7));
          for (let off = 0; off < size; off += step) {
            const end = Math.min(size, off + step);
            ws.send(payload.subarray(off, end), { binary, fin: end === size });
          }
        } else {
          ws.send(payload, { binary });
        }
        const { data, isBinary } = await echo;
        if (isBinary !== binary) fail(`size ${size}: opcode changed`);
        if (Buffer.compare(Buffer.from(data), payload) !== 0) fail(`size ${size} binary=${binary} fragmented=${fragmented}: echo differs`);
        checked++;
      }
    }
  }
  const pong = new Promise((resolve) => ws.once('pong', resolve));
  ws.ping(Buffer.from('node-ping'));
  const pongData = await pong;
  if (pongData.toString() !== 'node-ping') fail('pong payload differs');
  closing = true;
  ws.once('close', (code) => {
    if (code !== 1000) fail(`close code ${code}`);
    console.log(JSON.stringify({ ok: true, checked }));
    process.exit(0);
  });
  ws.close(1000, 'done');
});
