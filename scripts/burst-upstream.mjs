// A stand-in OpenAI-compatible model server for scripts/burst.sh (BURST_UPSTREAM=1): reads each POST
// /v1/chat/completions body whole, checks it is JSON whose last message is as long as the burst's prompt, and answers
// with a short SSE stream. It prints its port on stdout once listening.
// Usage: node scripts/burst-upstream.mjs
import http from 'node:http';

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let answer;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const last = body.messages[body.messages.length - 1].content;
      answer = `received ${last.length} characters`;
    } catch (e) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `bad body: ${e.message}` } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: answer } }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1 } })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
