// `npm run bench:client`: end-to-end throughput and retained heap of the client against a raw `ws`
// client, both reading the simulator's firehose agent (a simulator in its own process) over
// loopback, in one run: one unrecorded warm-up per mode, then interleaved repetitions, medians.
//
// Each run opens a fresh connection (login, socket, initial `user_turn_start`), sends
// `stream N`, counts the N `text_delta` events and appends their `content` to a string until the
// interaction's `user_turn_start`. Throughput is N / (time of the N-th delta - time of the first),
// both taken in the user's callback. Heap: `heapUsed` after a double gc() before the connection is
// opened and after the run with the text still held and the connection still open ("retained");
// then the connection is closed / the client disposed and the heap is taken again, to check that
// only the text stays behind. Targets (reference-sdk.md §6 and §8): client/raw throughput >= 0.85,
// retained heap client/raw <= 1.5.
//
// Two more modes of the client, in the same run and the same interleaving, start the answer with
// `client.sendText` (as an app would) instead of a raw `text_input`:
// - `streaming$`: deltas per second from the socket to `client.streaming$`: the emissions whose
//   message is the answer (kind 'assistant') are counted and the latest message is kept; timed like
//   the others, from the first to the N-th emission. Target (ratio to the raw client): >= 0.8.
// - answer heap: the answer built through the client with only the final transcript kept (the last
//   `messages$` value, as an app would keep it), heap after a double gc() before the client is created
//   and after the interaction ended (client still open), then again after dispose() with only the
//   transcript held. Compared with the size of the answer text itself (its length in bytes: 1 byte
//   per char, as the text is Latin-1). Target: retained / text <= 1.5.
//
// The ratios are paired: in each repetition the client's rate is divided by that repetition's raw
// rate, and the median of those ratios is the verdict (the ratio of the two medians is printed too).
// On a shared machine the load drifts between repetitions; a ratio of medians then compares a
// quiet raw run with a busy client run, a paired ratio compares runs a few seconds apart.
//
// Wall-clock rates are bounded by the simulator (one core): a consumer faster than the simulator
// waits for frames, so the wall ratio understates the client's cost. Deltas per CPU-second of this
// process over the same window are printed too, and are the fairer comparison of the two clients.
//
// Needs --expose-gc (the npm script passes it). BENCH_N (default 200,000), BENCH_REPS (default 9).
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { createClient } from '../dist/index.js';
import { startSimChild, login as loginAt } from './sim-child.mjs';
import { createReport, log } from './report.mjs';

const N = Number(process.env.BENCH_N ?? 200_000);
const REPS = Number(process.env.BENCH_REPS ?? 9);
const THROUGHPUT_TARGET = 0.85;
const HEAP_TARGET = 1.5;
const STREAMING_TARGET = 0.8;
const ANSWER_HEAP_TARGET = 1.5;
const AUTH = { username: 'admin', password: 'changeme' };
const AGENT = 'firehose';

if (typeof globalThis.gc !== 'function') {
  console.error('client.bench: run with node --expose-gc (npm run bench:client)');
  process.exit(1);
}

// ------------------------------------------------------------------ the simulator (one child process)
const { child, port, base, kill: killChild } = await startSimChild(N, 'compact'); // never left behind, even when a run throws

// ------------------------------------------------------------------ helpers
function fullGc() {
  globalThis.gc();
  globalThis.gc();
}

function heapUsed() {
  fullGc();
  return process.memoryUsage().heapUsed;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const MB = (bytes, digits = 1) => (bytes / 1024 / 1024).toFixed(digits);
const rate = (x) => Math.round(x).toLocaleString('en');

/**
 * What both modes do with each event (the same code for both): count and append the deltas, time
 * the first and the N-th, and finish at the interaction's `user_turn_start`.
 */
function consumer() {
  const state = { deltas: 0, text: '', started: 0n, ended: 0n, cpuStart: null, cpu: null, done: null };
  let resolve;
  state.done = new Promise((r) => (resolve = r));
  state.onEvent = (event) => {
    switch (event.type) {
      case 'text_delta':
        if (state.deltas === 0) {
          state.cpuStart = process.cpuUsage();
          state.started = process.hrtime.bigint();
        }
        state.text += event.content;
        if (++state.deltas === N) {
          state.ended = process.hrtime.bigint();
          state.cpu = process.cpuUsage(state.cpuStart);
        }
        break;
      case 'user_turn_start':
        if (state.deltas > 0) resolve();
        break;
      default:
        break;
    }
  };
  return state;
}

function result(state, before, live, released, collected) {
  if (state.deltas !== N) throw new Error(`expected ${N} deltas, got ${state.deltas}`);
  const seconds = Number(state.ended - state.started) / 1e9;
  const cpuSeconds = (state.cpu.user + state.cpu.system) / 1e6;
  return {
    rate: N / seconds,
    cpuRate: N / cpuSeconds,
    retained: live - before,
    released: released - before,
    collected,
    textLength: state.text.length,
  };
}

/** Waits (gc'ing) until a WeakRef's target is gone; true if it went within ~2 s. */
async function collectedWithin(ref) {
  for (let i = 0; i < 40; i++) {
    fullGc();
    if (ref.deref() === undefined) return true;
    await sleep(50);
  }
  return false;
}

/**
 * Disposes the client `take` hands over (the caller drops its own reference in `take`), waits until
 * it is collected (true if it was), then for the closing handshake of its socket.
 */
async function disposeAndCollect(take) {
  let client = take();
  client.dispose();
  const ref = new WeakRef(client);
  client = null;
  const collected = await collectedWithin(ref);
  await sleep(50); // the closing handshake of the disposed socket
  return collected;
}

// ------------------------------------------------------------------ mode 1: raw ws + JSON.parse
async function rawRun() {
  const before = heapUsed();
  const login = await loginAt(base, AUTH);
  let socket = new WebSocket(`ws://127.0.0.1:${port}/api/rt/ws?token=${login.agent_c_token}&agent_key=${AGENT}`);
  let onEvent = () => {};
  socket.on('message', (data) => onEvent(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => {
    onEvent = (event) => event.type === 'user_turn_start' && resolve();
    socket.once('error', reject);
  });

  const state = consumer();
  onEvent = state.onEvent;
  socket.send(JSON.stringify({ type: 'text_input', text: `stream ${N}` }));
  await state.done;
  const live = heapUsed();

  onEvent = () => {};
  const closed = once(socket, 'close');
  socket.close(1000);
  await closed;
  const ref = new WeakRef(socket);
  socket = null;
  const collected = await collectedWithin(ref);
  const released = heapUsed();
  return result(state, before, live, released, collected);
}

// ------------------------------------------------------------------ mode 2: the client
async function clientRun() {
  const before = heapUsed();
  let client = createClient({ url: base, auth: AUTH, agentKey: AGENT, WebSocket });
  await client.connect();

  const state = consumer();
  let subscription = client.events$.subscribe(state.onEvent);
  await client.send({ type: 'text_input', text: `stream ${N}` });
  await state.done;
  const live = heapUsed();

  subscription.unsubscribe();
  subscription = null;
  const collected = await disposeAndCollect(() => {
    const handed = client;
    client = null; // the caller's reference goes too
    return handed;
  });
  const released = heapUsed();
  return result(state, before, live, released, collected);
}

// ------------------------------------------------------------------ mode 3: the client's streaming$
/** Resolves once it is the user's turn again (the interaction's `user_turn_start`). */
function userTurn(client) {
  return new Promise((resolve) => {
    let subscription = null;
    let done = false;
    subscription = client.turn$.subscribe((turn) => {
      if (turn !== 'user' || done) return;
      done = true;
      subscription?.unsubscribe();
      resolve();
    });
    if (done) subscription.unsubscribe();
  });
}

async function streamingRun() {
  let client = createClient({ url: base, auth: AUTH, agentKey: AGENT, WebSocket });
  await client.connect();

  const state = { deltas: 0, latest: null, started: 0n, ended: 0n, cpuStart: null, cpu: null };
  let subscription = client.streaming$.subscribe((message) => {
    if (message === null || message.kind !== 'assistant') return;
    if (state.deltas === 0) {
      state.cpuStart = process.cpuUsage();
      state.started = process.hrtime.bigint();
    }
    state.latest = message;
    if (++state.deltas === N) {
      state.ended = process.hrtime.bigint();
      state.cpu = process.cpuUsage(state.cpuStart);
    }
  });
  const output = await client.sendText(`stream ${N}`);
  await userTurn(client);
  if (output.outcome !== 'done') throw new Error(`streaming$: the interaction ended ${output.outcome}`);
  if (state.deltas !== N) throw new Error(`streaming$: expected ${N} assistant emissions, got ${state.deltas}`);
  const textLength = state.latest.text.length;

  subscription.unsubscribe();
  subscription = null;
  state.latest = null;
  const collected = await disposeAndCollect(() => {
    const handed = client;
    client = null; // the caller's reference goes too
    return handed;
  });
  const seconds = Number(state.ended - state.started) / 1e9;
  const cpuSeconds = (state.cpu.user + state.cpu.system) / 1e6;
  return { rate: N / seconds, cpuRate: N / cpuSeconds, textLength, collected };
}

// ------------------------------------------------------------------ mode 4: the heap of an answer built through the client
async function answerRun() {
  const before = heapUsed();
  let client = createClient({ url: base, auth: AUTH, agentKey: AGENT, WebSocket });
  await client.connect();

  let transcript = null; // all the app keeps: the last messages$ value
  let subscription = client.messages$.subscribe((messages) => (transcript = messages));
  const output = await client.sendText(`stream ${N}`);
  await userTurn(client);
  if (output.outcome !== 'done') throw new Error(`answer: the interaction ended ${output.outcome}`);
  const live = heapUsed();

  const answers = transcript.filter((message) => message.kind === 'assistant');
  if (answers.length !== 1 || !answers[0].complete) throw new Error(`answer: expected one complete assistant message, got ${answers.length}`);
  const text = answers[0].text;
  // eslint-disable-next-line no-control-regex
  const latin1 = /^[\u0000-\u00ff]*$/.test(text);
  const textBytes = text.length * (latin1 ? 1 : 2);
  const textLength = text.length;

  subscription.unsubscribe();
  subscription = null;
  const collected = await disposeAndCollect(() => {
    const handed = client;
    client = null; // the caller's reference goes too
    return handed;
  });
  const released = heapUsed(); // only the transcript is held now
  if (transcript.length < 2) throw new Error('answer: the transcript went away');
  transcript = null;
  return { retained: live - before, released: released - before, textBytes, textLength, latin1, collected };
}

// ------------------------------------------------------------------ the runs
const modes = { raw: rawRun, client: clientRun, streaming: streamingRun, answer: answerRun };
const names = Object.keys(modes);
const runs = Object.fromEntries(names.map((mode) => [mode, []]));
const started = Date.now();

// warm-up, not recorded
for (const mode of names) await modes[mode]();

for (let r = 0; r < REPS; r++) {
  // rotate which mode goes first, so no mode always runs right after the same one
  const order = names.map((_, i) => names[(i + r) % names.length]);
  for (const mode of order) runs[mode].push(await modes[mode]());
}

const pick = (mode, key) => runs[mode].map((run) => run[key]);
const rawRate = median(pick('raw', 'rate'));
const clientRate = median(pick('client', 'rate'));
const ratio = clientRate / rawRate;
const pairedRatio = median(runs.client.map((run, i) => run.rate / runs.raw[i].rate));
const cpuRatio = median(runs.client.map((run, i) => run.cpuRate / runs.raw[i].cpuRate));
const rawRetained = median(pick('raw', 'retained'));
const clientRetained = median(pick('client', 'retained'));
const heapRatio = clientRetained / rawRetained;
const textLength = runs.raw[0].textLength;
for (const mode of ['client', 'streaming', 'answer']) {
  if (runs[mode].some((run) => run.textLength !== textLength)) throw new Error(`the ${mode} mode disagrees with raw on the text`);
}
const streamingRate = median(pick('streaming', 'rate'));
const streamingRatio = streamingRate / rawRate;
const streamingPaired = median(runs.streaming.map((run, i) => run.rate / runs.raw[i].rate));
const streamingCpuRatio = median(runs.streaming.map((run, i) => run.cpuRate / runs.raw[i].cpuRate));
const answerRetained = median(pick('answer', 'retained'));
const answerReleased = median(pick('answer', 'released'));
const answerBytes = runs.answer[0].textBytes;
const answerRatio = answerRetained / answerBytes;
const answerReleasedRatio = answerReleased / answerBytes;
const verdict = (ok) => (ok ? 'met' : 'NOT met');

const range = (mode) => `min ${rate(Math.min(...pick(mode, 'rate')))}, max ${rate(Math.max(...pick(mode, 'rate')))}`;
const leaks = (mode) => (runs[mode].every((run) => run.collected) ? 'collected' : `NOT collected in ${runs[mode].filter((run) => !run.collected).length} of ${REPS} runs`);
const heapRange = (mode, key) => `min ${MB(Math.min(...pick(mode, key)), 2)}, max ${MB(Math.max(...pick(mode, key)), 2)}`;

log(`client: firehose of ${N.toLocaleString('en')} text_delta frames over loopback (simulator in a child process), ${REPS} interleaved reps after a warm-up, medians`);
log(`  raw ws + JSON.parse   ${rate(rawRate)} deltas/s  (${range('raw')}; ${rate(median(pick('raw', 'cpuRate')))} per CPU-second)`);
log(`  createClient events$  ${rate(clientRate)} deltas/s  (${range('client')}; ${rate(median(pick('client', 'cpuRate')))} per CPU-second)`);
log(`  ratio client/raw      ${pairedRatio.toFixed(2)}  (median of the per-rep ratios; ratio of the medians ${ratio.toFixed(2)})  target >= ${THROUGHPUT_TARGET}: ${verdict(pairedRatio >= THROUGHPUT_TARGET)}`);
log(`  per CPU-second        ${cpuRatio.toFixed(2)}  (client CPU per delta vs raw, per rep)  target >= ${THROUGHPUT_TARGET}: ${verdict(cpuRatio >= THROUGHPUT_TARGET)}`);
const rawIdle = 1 - median(pick('raw', 'rate')) / median(pick('raw', 'cpuRate'));
if (rawIdle > 0.15) log(`  note: the raw client was idle ~${Math.round(rawIdle * 100)} % of its window (waiting for the simulator); the CPU-second ratio is the fairer one`);
log(`  retained heap, text (${textLength.toLocaleString('en')} chars) held, connection open:`);
log(`    raw ${MB(rawRetained)} MB, client ${MB(clientRetained)} MB, ratio client/raw ${heapRatio.toFixed(2)}  target <= ${HEAP_TARGET}: ${heapRatio <= HEAP_TARGET ? 'met' : 'NOT met'}`);
log(`  after close/dispose, text still held: raw ${MB(median(pick('raw', 'released')))} MB (socket ${leaks('raw')}), client ${MB(median(pick('client', 'released')))} MB (client ${leaks('client')})`);
log(`  sendText + streaming$ (assistant emissions counted, latest message kept):`);
log(`    createClient streaming$  ${rate(streamingRate)} deltas/s  (${range('streaming')}; ${rate(median(pick('streaming', 'cpuRate')))} per CPU-second; client ${leaks('streaming')})`);
log(`    ratio streaming$/raw     ${streamingPaired.toFixed(2)}  (median of the per-rep ratios; ratio of the medians ${streamingRatio.toFixed(2)})  target >= ${STREAMING_TARGET}: ${verdict(streamingPaired >= STREAMING_TARGET)}`);
log(`    per CPU-second           ${streamingCpuRatio.toFixed(2)}  (streaming$ CPU per delta vs raw, per rep)  target >= ${STREAMING_TARGET}: ${verdict(streamingCpuRatio >= STREAMING_TARGET)}`);
log(`  answer of ${N.toLocaleString('en')} deltas built through the client, only the final transcript kept (last messages$ value):`);
log(`    answer text ${runs.answer[0].textLength.toLocaleString('en')} chars = ${MB(answerBytes, 2)} MB (${runs.answer[0].latin1 ? 'Latin-1, 1 byte per char' : 'two-byte, 2 bytes per char'})`);
log(`    retained, client open     ${MB(answerRetained, 2)} MB  (${heapRange('answer', 'retained')})  ratio retained/text ${answerRatio.toFixed(2)}  target <= ${ANSWER_HEAP_TARGET}: ${verdict(answerRatio <= ANSWER_HEAP_TARGET)}`);
log(`    after dispose, transcript only  ${MB(answerReleased, 2)} MB  (${heapRange('answer', 'released')})  ratio ${answerReleasedRatio.toFixed(2)}  (client ${leaks('answer')})`);

// Nothing of ours should be left: no timers, no sockets (only the simulator's pipe and process).
const left = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout' || kind === 'TCPSocketWrap' || kind === 'TCPWrap');
if (left.length > 0) log(`  warning: still active after the runs: ${left.join(', ')}`);
log(`  (${((Date.now() - started) / 1000).toFixed(0)} s)`);

const report = createReport('client');
const THROUGHPUT = { on: 'ratio', op: '>=', value: THROUGHPUT_TARGET, source: 'README (events$ over loopback)' };
const STREAMING = { on: 'ratio', op: '>=', value: STREAMING_TARGET, source: 'README (streaming$ over loopback)' };
const rawLabel = 'raw ws + JSON.parse, same run';
report.figure({ id: 'client.events', label: 'loopback: events$ deltas/s (paired ratio)', value: clientRate, unit: 'deltas/s', baseline: rawRate, baselineLabel: rawLabel, ratio: pairedRatio, ratioLabel: 'client / raw, median of per-rep ratios', target: THROUGHPUT });
report.figure({ id: 'client.eventsCpu', label: 'loopback: events$ deltas per CPU-second', value: median(pick('client', 'cpuRate')), unit: 'deltas/s', baseline: median(pick('raw', 'cpuRate')), baselineLabel: rawLabel, ratio: cpuRatio, ratioLabel: 'client / raw, median of per-rep ratios', target: THROUGHPUT });
report.figure({ id: 'client.eventsVsReference', label: 'loopback: events$ deltas/s vs the old SDK', value: clientRate, unit: 'deltas/s', target: { on: 'value', op: '>=', value: 108_739, source: 'reference-sdk.md §6 (old SDK over loopback, console silenced: 108,739 ev/s)' } });
report.figure({ id: 'client.streaming', label: 'loopback: sendText + streaming$ deltas/s (paired ratio)', value: streamingRate, unit: 'deltas/s', baseline: rawRate, baselineLabel: rawLabel, ratio: streamingPaired, ratioLabel: 'client / raw, median of per-rep ratios', target: STREAMING });
report.figure({ id: 'client.streamingCpu', label: 'loopback: streaming$ deltas per CPU-second', value: median(pick('streaming', 'cpuRate')), unit: 'deltas/s', baseline: median(pick('raw', 'cpuRate')), baselineLabel: rawLabel, ratio: streamingCpuRatio, ratioLabel: 'client / raw, median of per-rep ratios', target: STREAMING });
report.figure({ id: 'client.heap', label: `loopback: retained heap after ${N.toLocaleString('en')} deltas`, value: clientRetained / 1024 / 1024, unit: 'MB', baseline: rawRetained / 1024 / 1024, baselineLabel: rawLabel, ratio: heapRatio, ratioLabel: 'client / raw', target: { on: 'ratio', op: '<=', value: HEAP_TARGET, source: 'README' } });
report.figure({ id: 'client.heapPerDelta', label: 'loopback: retained heap per delta vs the old SDK', value: clientRetained / N, unit: 'B', baseline: rawRetained / N, baselineLabel: rawLabel, ratio: heapRatio, ratioLabel: 'client / raw', target: { on: 'value', op: '<=', value: 476, source: 'reference-sdk.md §6 (old SDK held ~476 B per event)' } });
report.figure({ id: 'client.answerHeap', label: `transcript heap of a ${N.toLocaleString('en')}-delta answer / its text`, value: answerRetained / 1024 / 1024, unit: 'MB', baseline: answerBytes / 1024 / 1024, baselineLabel: 'the answer text itself', ratio: answerRatio, ratioLabel: 'heap / text', target: { on: 'ratio', op: '<=', value: ANSWER_HEAP_TARGET, source: 'README' } });
if (rawIdle > 0.15) report.note(`loopback: the raw client was idle ~${Math.round(rawIdle * 100)} % of its window (waiting for the simulator); the per-CPU-second ratios are the fairer ones`);
for (const mode of ['raw', 'client', 'streaming', 'answer']) {
  if (!runs[mode].every((run) => run.collected)) report.note(`loopback: ${mode} mode ${leaks(mode)}`);
}
report.emit();

killChild();
await once(child, 'exit');
