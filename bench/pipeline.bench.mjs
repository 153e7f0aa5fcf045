// `npm run bench:pipeline`: the client's own CPU cost per text_delta, in one process, without a
// network or a simulator competing for the CPU: a scripted WebSocket (an EventEmitter like `ws`)
// delivers the frames as Buffers, 256 per macrotask as ws's receiver does with a socket read, to
// - raw: JSON.parse(buffer.toString()) and the same consumer as the loopback bench,
// - events$: createClient, the consumer on events$,
// - streaming$: createClient and sendText, the latest assistant message kept from streaming$.
// The frames are the simulator's own: a burst and an answer are recorded from an in-process
// simulator first, then the answer's text_delta frame is repeated N times with varied content.
//
// This is the figure to watch when changing the per-frame path (decode, sink, transcript,
// observables): the loopback bench (`bench:client`) measures what a user sees end to end, but its
// ratios swing with the simulator and the machine's load. Printed: nanoseconds per delta (the
// fastest of the repetitions: interference only ever adds time), and what the client adds to raw.
// No target: the loopback bench carries the targets.
//
// BENCH_N (default 200,000), BENCH_REPS (default 9).
import { EventEmitter } from 'node:events';
import { createClient } from '../dist/index.js';
import { recordSimulatorFrames } from './frames.mjs';
import { createReport, log } from './report.mjs';

const N = Number(process.env.BENCH_N ?? 200_000);
const REPS = Number(process.env.BENCH_REPS ?? 9);
const PER_READ = 256;

// ------------------------------------------------------------------ frames, recorded from the simulator
const recorded = await recordSimulatorFrames();
const firstDelta = recorded.answer.findIndex((text) => JSON.parse(text).type === 'text_delta');
const lastDelta = recorded.answer.findLastIndex((text) => JSON.parse(text).type === 'text_delta');
if (firstDelta < 0) throw new Error('pipeline: the simulator sent no text_delta');
const deltaFrame = recorded.answer[firstDelta];
const contentField = `"content": ${JSON.stringify(JSON.parse(deltaFrame).content)}`;
if (!deltaFrame.includes(contentField)) throw new Error(`pipeline: unexpected text_delta frame ${deltaFrame}`);
const WORDS = [' the', ' realtime', ' stream', ' keeps', ' flowing', ',', ' token', ' after', ' token', '.'];
const toBuffers = (texts) => texts.map((text) => Buffer.from(text));
const frames = {
  burst: toBuffers(recorded.burst),
  head: toBuffers(recorded.answer.slice(0, firstDelta)),
  // the simulator's frame, key order and spacing kept (Python's json.dumps style), content varied
  deltas: Array.from({ length: N }, (_, i) => Buffer.from(deltaFrame.replace(contentField, `"content": ${JSON.stringify(`${WORDS[i % WORDS.length]}${i % 10}`)}`))),
  tail: toBuffers(recorded.answer.slice(lastDelta + 1)),
};
const expectedText = frames.deltas.map((buffer) => JSON.parse(buffer.toString()).content).join('');

// ------------------------------------------------------------------ a scripted socket
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

/** Delivers the answer: head frames, then the deltas (timed, PER_READ per macrotask), then the tail. */
async function deliverAnswer(deliver) {
  for (const frame of frames.head) deliver(frame);
  await nextTick();
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i += PER_READ) {
    const end = Math.min(N, i + PER_READ);
    for (let j = i; j < end; j++) deliver(frames.deltas[j]);
    await nextTick();
  }
  const used = process.cpuUsage(cpu);
  for (const frame of frames.tail) deliver(frame);
  return (used.user + used.system) * 1000; // ns
}

/** Enough of `ws` for the client: EventTarget-style open/close, EventEmitter-style messages. */
class ScriptedSocket extends EventEmitter {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  CONNECTING = 0;
  OPEN = 1;
  CLOSING = 2;
  CLOSED = 3;
  static onTextInput = null;
  #listeners = new Map();

  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    this.binaryType = 'nodebuffer';
    setImmediate(() => {
      this.readyState = 1;
      this.#dispatch('open', { type: 'open' });
      for (const frame of frames.burst) this.emit('message', frame, false);
    });
  }

  addEventListener(type, listener) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(listener);
  }

  removeEventListener(type, listener) {
    this.#listeners.get(type)?.delete(listener);
  }

  #dispatch(type, event) {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) listener(event);
  }

  send(data) {
    if (JSON.parse(String(data)).type === 'text_input') ScriptedSocket.onTextInput?.(this);
  }

  close(code = 1000, reason = '') {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setImmediate(() => this.#dispatch('close', { type: 'close', code, reason, wasClean: true }));
  }
}

const answerStarted = () => new Promise((resolve) => (ScriptedSocket.onTextInput = resolve));
const newClient = () => createClient({ url: 'http://127.0.0.1:9', auth: { token: recorded.token }, WebSocket: ScriptedSocket });

// ------------------------------------------------------------------ the modes
async function raw() {
  const socket = new EventEmitter();
  let text = '';
  socket.on('message', (data) => {
    const event = JSON.parse(data.toString());
    if (event.type === 'text_delta') text += event.content;
  });
  const ns = await deliverAnswer((frame) => socket.emit('message', frame, false));
  if (text !== expectedText) throw new Error('raw: wrong text');
  return ns;
}

async function events() {
  const client = newClient();
  await client.connect();
  let text = '';
  const subscription = client.events$.subscribe((event) => {
    if (event.type === 'text_delta') text += event.content;
  });
  const started = answerStarted();
  await client.send({ type: 'text_input', text: 'stream' });
  const socket = await started;
  const ns = await deliverAnswer((frame) => socket.emit('message', frame, false));
  subscription.unsubscribe();
  client.dispose();
  if (text !== expectedText) throw new Error('events$: wrong text');
  return ns;
}

async function streaming() {
  const client = newClient();
  await client.connect();
  let latest = null;
  let count = 0;
  const subscription = client.streaming$.subscribe((message) => {
    if (message?.kind !== 'assistant') return;
    latest = message;
    count++;
  });
  const started = answerStarted();
  const answer = client.sendText('stream');
  const socket = await started;
  const ns = await deliverAnswer((frame) => socket.emit('message', frame, false));
  const output = await answer;
  subscription.unsubscribe();
  client.dispose();
  if (output.outcome !== 'done' || count !== N || latest.text !== expectedText) throw new Error(`streaming$: ${output.outcome}, ${count} emissions`);
  return ns;
}

// ------------------------------------------------------------------ the runs
const modes = { raw, events, streaming };
const best = { raw: Infinity, events: Infinity, streaming: Infinity };
for (const mode of Object.keys(modes)) await modes[mode](); // warm-up
for (let r = 0; r < REPS; r++) for (const mode of Object.keys(modes)) best[mode] = Math.min(best[mode], await modes[mode]());

const perDelta = (mode) => best[mode] / N;
const line = (label, mode) => {
  const ns = perDelta(mode);
  const extra = mode === 'raw' ? '' : `  (+${(ns - perDelta('raw')).toFixed(0)} ns over raw, ratio raw/client ${(perDelta('raw') / ns).toFixed(2)})`;
  log(`  ${label.padEnd(22)}${ns.toFixed(0).padStart(6)} ns CPU per delta${extra}`);
};
log(`pipeline: ${N.toLocaleString('en')} text_delta frames of the simulator through a scripted socket, in process, fastest of ${REPS} reps`);
line('raw JSON.parse', 'raw');
line('createClient events$', 'events');
line('sendText + streaming$', 'streaming');

// Targets from reference-sdk.md §8 (numbers to beat): the client's per-delta cost at most ~1.3× a
// bare JSON.parse and switch (raw/client >= 1/1.3), and more than the old SDK's 178,417 deltas/s
// in process with its console silenced (here per CPU-second, the stricter measure).
const report = createReport('pipeline');
const COST_TARGET = { on: 'ratio', op: '>=', value: 1 / 1.3, source: 'reference-sdk.md §8 (at most ~1.3× the cost of JSON.parse + switch)' };
for (const [mode, label] of [
  ['events', 'events$'],
  ['streaming', 'sendText + streaming$'],
]) {
  report.figure({
    id: `pipeline.${mode}`,
    label: `pipeline: ${label}, CPU per delta (scripted socket)`,
    value: perDelta(mode),
    unit: 'ns',
    baseline: perDelta('raw'),
    baselineLabel: 'JSON.parse of the same Buffers',
    ratio: perDelta('raw') / perDelta(mode),
    ratioLabel: 'raw / client',
    target: COST_TARGET,
  });
}
report.figure({
  id: 'pipeline.eventsRate',
  label: 'pipeline: events$ deltas per CPU-second, in process',
  value: 1e9 / perDelta('events'),
  unit: 'deltas/s',
  baseline: 1e9 / perDelta('raw'),
  baselineLabel: 'JSON.parse of the same Buffers',
  ratio: perDelta('raw') / perDelta('events'),
  ratioLabel: 'client / raw',
  target: { on: 'value', op: '>=', value: 178_417, source: 'reference-sdk.md §6 (old SDK in process, console silenced: 178,417 ev/s)' },
});
report.emit();
