// `npm run bench:latency`: how long a `text_delta` takes from the server's socket write to the
// `streaming$` emission that contains it, p50 and p99, against a raw `ws` client doing JSON.parse
// on the same frames as the baseline (same server, same run, interleaved repetitions).
//
// The server is a scripted `ws` server in this process, on 127.0.0.1, that replays the simulator's
// own frames (recorded first from an in-process simulator): the initialization burst on connect,
// then, on `text_input`, the answer's first frames, then the deltas one at a time — each sent only
// after the previous one reached its consumer, so every delta is timed alone, from just before
// `ws.send` on the server side to the consumer's callback: `streaming$` emitting the assistant
// message whose text includes the delta (the client), or the `message` handler having parsed it
// and appended its content (raw). Then the answer's last frames end the interaction.
//
// One process, one event loop: the figures include loopback TCP and the event-loop turns on both
// sides, which a real server in another process would overlap. No target: a figure to watch.
//
// BENCH_DELTAS (default 2,000 per repetition), BENCH_REPS (default 5).
import { WebSocket, WebSocketServer } from 'ws';
import { createClient } from '../dist/index.js';
import { recordSimulatorFrames } from './frames.mjs';
import { createReport, log, quantile } from './report.mjs';

const DELTAS = Number(process.env.BENCH_DELTAS ?? 2_000);
const REPS = Number(process.env.BENCH_REPS ?? 5);

const recorded = await recordSimulatorFrames();
const firstDelta = recorded.answer.findIndex((text) => JSON.parse(text).type === 'text_delta');
const lastDelta = recorded.answer.findLastIndex((text) => JSON.parse(text).type === 'text_delta');
const deltaFrame = recorded.answer[firstDelta];
const contentField = `"content": ${JSON.stringify(JSON.parse(deltaFrame).content)}`;
if (!deltaFrame.includes(contentField)) throw new Error(`latency: unexpected text_delta frame ${deltaFrame}`);
const head = recorded.answer.slice(0, firstDelta);
const tail = recorded.answer.slice(lastDelta + 1);
const WORDS = [' the', ' realtime', ' stream', ' keeps', ' flowing', ',', ' token', ' after', ' token', '.'];
const contents = Array.from({ length: DELTAS }, (_, i) => `${WORDS[i % WORDS.length]}${i % 10}`);
const deltas = contents.map((content) => deltaFrame.replace(contentField, `"content": ${JSON.stringify(content)}`));

// ------------------------------------------------------------------ the scripted server
const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise((resolve) => server.once('listening', resolve));
const port = server.address().port;
let onTextInput = null;
server.on('connection', (socket) => {
  for (const frame of recorded.burst) socket.send(frame);
  socket.on('message', (data, binary) => {
    if (binary) return;
    if (JSON.parse(String(data)).type === 'text_input') onTextInput?.(socket);
  });
});
const textInput = () => new Promise((resolve) => (onTextInput = resolve));

/**
 * Sends the answer on `socket`: its head, then each delta once the previous one reached the
 * consumer (a tracker of the text it holds), then its tail. Returns each delta's latency in ms.
 */
async function answer(socket, consumer) {
  for (const frame of head) socket.send(frame);
  const latencies = [];
  let expected = consumer.length();
  for (let i = 0; i < DELTAS; i++) {
    expected += contents[i].length;
    const reached = consumer.until(expected);
    const t0 = performance.now();
    socket.send(deltas[i]);
    latencies.push((await reached) - t0);
  }
  for (const frame of tail) socket.send(frame);
  return latencies;
}

/** Tracks a growing text; `until(n)` resolves with the time it first held n characters. */
function tracker() {
  let length = 0;
  let waiting = null;
  return {
    length: () => length,
    until: (n) => new Promise((resolve) => (waiting = { n, resolve })),
    seen(n) {
      length = n;
      if (waiting !== null && n >= waiting.n) {
        const { resolve } = waiting;
        waiting = null;
        resolve(performance.now());
      }
    },
  };
}

// ------------------------------------------------------------------ the modes
async function raw() {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/rt/ws?token=${recorded.token}`);
  const text = tracker();
  let content = '';
  let ready;
  const isReady = new Promise((resolve) => (ready = resolve));
  let ended;
  const isEnded = new Promise((resolve) => (ended = resolve));
  let answering = false;
  socket.on('message', (data) => {
    const event = JSON.parse(data.toString());
    if (event.type === 'text_delta') {
      content += event.content;
      text.seen(content.length);
    } else if (event.type === 'user_turn_start') (answering ? ended : ready)();
  });
  await isReady;
  const started = textInput();
  answering = true;
  socket.send(JSON.stringify({ type: 'text_input', text: 'stream' }));
  const latencies = await answer(await started, text);
  await isEnded;
  socket.close();
  if (content !== contents.join('')) throw new Error('latency: raw got the wrong text');
  return latencies;
}

async function streaming() {
  const client = createClient({ url: `http://127.0.0.1:${port}`, auth: { token: recorded.token }, WebSocket });
  try {
    await client.connect();
    const text = tracker();
    let latest = '';
    const subscription = client.streaming$.subscribe((message) => {
      if (message?.kind !== 'assistant') return;
      latest = message.text;
      text.seen(latest.length);
    });
    const started = textInput();
    const output = client.sendText('stream');
    const latencies = await answer(await started, text);
    const result = await output;
    subscription.unsubscribe();
    if (result.outcome !== 'done' || latest !== contents.join('')) throw new Error(`latency: streaming$ ended ${result.outcome} with the wrong text`);
    return latencies;
  } finally {
    client.dispose();
  }
}

// ------------------------------------------------------------------ the runs
const modes = { raw, streaming };
const all = { raw: [], streaming: [] };
for (const mode of Object.keys(modes)) await modes[mode](); // warm-up
for (let r = 0; r < REPS; r++) {
  const order = r % 2 === 0 ? ['raw', 'streaming'] : ['streaming', 'raw'];
  for (const mode of order) all[mode].push(...(await modes[mode]()));
}
await new Promise((resolve) => server.close(resolve));

const us = (ms) => ms * 1000;
const report = createReport('latency');
log(`latency: server ws.send → consumer, ${DELTAS.toLocaleString('en')} deltas × ${REPS} reps after a warm-up, one at a time, one process`);
for (const [q, name] of [
  [0.5, 'p50'],
  [0.99, 'p99'],
]) {
  const client = us(quantile(all.streaming, q));
  const base = us(quantile(all.raw, q));
  log(`  ${name}: raw ws + JSON.parse ${base.toFixed(0)} µs, streaming$ ${client.toFixed(0)} µs (client / raw ${(client / base).toFixed(2)})`);
  report.figure({
    id: `latency.streaming.${name}`,
    label: `frame → streaming$ latency, ${name}`,
    value: client,
    unit: 'µs',
    baseline: base,
    baselineLabel: `raw ws + JSON.parse, ${name}`,
    ratio: client / base,
    ratioLabel: 'client / raw',
  });
}
report.emit();
