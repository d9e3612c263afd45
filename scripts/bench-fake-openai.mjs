// A model server that answers at once, for measuring what a daemon or gateway adds on the way to a model
// (scripts/bench-model-path.sh): POST /v1/chat/completions gets a short answer, streamed (SSE: one content chunk, a
// finish chunk with usage, [DONE]) when the request asks for a stream, else one JSON body. It parses each body, as a
// model server must, and prints its port on stdout once listening.
// Usage: node scripts/bench-fake-openai.mjs [PORT]
import http from 'node:http';

const id = 'chatcmpl-bench';
const created = Math.floor(Date.now() / 1000);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `bad body: ${e.message}` } }));
      return;
    }
    const model = body.model ?? 'bench';
    const content = `received ${body.messages?.length ?? 0} messages`;
    const usage = { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 };
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { role: 'assistant', content } }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage })}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    const json = JSON.stringify({ id, object: 'chat.completion', created, model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => console.log(server.address().port));
