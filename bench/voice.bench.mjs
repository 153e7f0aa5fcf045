// `npm run bench:voice`: the voice's own latencies, in one process against an in-process simulator
// (`full` profile), with a scripted source for the microphone and a recording player:
// - mic block → socket: from handing a 2048-frame block of 48 kHz audio to the voice (what the
//   capture worklet posts) to the `WebSocket.send` of the PCM16 frame it completes (resample,
//   convert, chunk, gate, socket). Baseline in the same run: the DSP alone on the same blocks
//   (resample + convert), so the ratio is what the voice adds around it.
// - cancel → silence: from `client.cancel()` during a spoken answer to the player's `stop()` (the
//   playback is cut as the cancel goes out, before the server confirms). In a browser the output
//   is then silent within one render quantum (2.7 ms at 48 kHz; test/browser/audio/player.test.ts).
// Printed: p50 and p99 in microseconds.
//
// BENCH_FRAMES (default 300 frames of 200 ms), BENCH_CANCELS (default 30).
import { WebSocket } from 'ws';
import { createClient } from '../dist/index.js';
import { createVoice } from '../dist/audio/index.js';
import { createResampler, floatToPcm16 } from '../dist/audio/dsp.js';
import { createSimulator } from '../dist/sim/index.js';
import { createReport, log } from './report.mjs';

const FRAMES = Number(process.env.BENCH_FRAMES ?? 300);
const CANCELS = Number(process.env.BENCH_CANCELS ?? 30);
const RATE = 48_000;
const BLOCK = 2048;

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const us = (ms) => `${(ms * 1000).toFixed(0)} µs`;

function sine(n, offset) {
  const block = new Float32Array(n);
  for (let i = 0; i < n; i++) block[i] = 0.5 * Math.sin((2 * Math.PI * 440 * (offset + i)) / RATE);
  return block;
}

/** A WebSocket that notes when a binary frame is handed to it. */
let lastBinarySend = 0;
class TimedWebSocket extends WebSocket {
  send(data, ...rest) {
    if (typeof data !== 'string') lastBinarySend = performance.now();
    return super.send(data, ...rest);
  }
}

const until = async (condition, what, ms = 10_000) => {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const sim = await createSimulator({ profile: 'full', deltaMs: 20, record: false });
const client = createClient({ url: sim.httpUrl, auth: { username: 'admin', password: 'changeme' }, WebSocket: TimedWebSocket });
try {
  await client.connect();
  let handlers = null;
  const stops = [];
  const source = {
    async open(h) {
      handlers = h;
      return { sampleRate: RATE, deviceId: 'bench', close: () => (handlers = null) };
    },
  };
  let played = 0;
  const player = {
    play: () => played++,
    stop: () => stops.push(performance.now()),
    setVolume: () => undefined,
    unlock: () => Promise.resolve(),
    contextState: () => 'running',
    onContextState: () => () => undefined,
    status: () => ({ isPlaying: false, chunksReceived: played, chunksPlayed: played, chunksSkipped: 0, queueLength: 0, volume: 1, bufferedMs: 0 }),
    onIdle: () => () => undefined,
    close: () => Promise.resolve(),
  };
  const voice = createVoice(client, { mode: 'vad', source, player });
  await voice.start();
  let streaming = false;
  voice.state$.subscribe((view) => (streaming = view.streaming));
  await until(() => streaming, 'the user turn');

  // ---------------------------------------------------------------- mic block → socket
  const blocks = [];
  for (let offset = 0; blocks.length * BLOCK < (FRAMES * 4800 * RATE) / 24_000; offset += BLOCK) blocks.push(sine(BLOCK, offset));
  const latencies = [];
  for (const block of blocks) {
    const before = lastBinarySend;
    const t0 = performance.now();
    handlers.samples(block.slice(), RATE);
    if (lastBinarySend !== before) latencies.push(lastBinarySend - t0);
  }
  const dspTimes = [];
  const resample = createResampler(RATE, 24_000);
  for (const block of blocks) {
    const t0 = performance.now();
    floatToPcm16(resample(block.slice()));
    dspTimes.push(performance.now() - t0);
  }

  // ---------------------------------------------------------------- cancel → silence
  await client.send({ type: 'set_agent_voice', voice_id: 'alloy' });
  voice.setMode('off');
  const cancels = [];
  for (let i = 0; i < CANCELS; i++) {
    const answer = client.sendText('SLOW 100').catch(() => undefined);
    const playedBefore = played;
    await until(() => played > playedBefore, 'speech');
    const stopsBefore = stops.length;
    const t0 = performance.now();
    const cancelled = client.cancel();
    if (stops.length === stopsBefore) throw new Error('the cancel did not stop playback at once');
    cancels.push(stops[stopsBefore] - t0);
    await cancelled;
    await answer;
  }
  voice.dispose();

  const p50 = quantile(latencies, 0.5);
  const dsp50 = quantile(dspTimes, 0.5);
  log(`voice (${latencies.length} frames of 4800 samples, ${CANCELS} cancels)`);
  log(`  mic block → socket      p50 ${us(p50)}  p99 ${us(quantile(latencies, 0.99))}   (DSP alone per block p50 ${us(dsp50)}; ratio DSP/pipeline ${(dsp50 / p50).toFixed(2)})`);
  log(`  cancel → player stop    p50 ${us(quantile(cancels, 0.5))}  p99 ${us(quantile(cancels, 0.99))}   (+ at most one render quantum in a browser)`);
  const report = createReport('voice');
  for (const q of [0.5, 0.99]) {
    const name = q === 0.5 ? 'p50' : 'p99';
    const dsp = quantile(dspTimes, q) * 1000;
    const value = quantile(latencies, q) * 1000;
    report.figure({
      id: `voice.micToSocket.${name}`,
      label: `voice: microphone block → socket send, ${name}`,
      value,
      unit: 'µs',
      baseline: dsp,
      baselineLabel: `the DSP alone on the same block, ${name}`,
      ratio: value / dsp,
      ratioLabel: 'pipeline / DSP',
    });
  }
  for (const q of [0.5, 0.99]) {
    const name = q === 0.5 ? 'p50' : 'p99';
    report.figure({ id: `voice.cancelToStop.${name}`, label: `voice: cancel() → player stop, ${name}`, value: quantile(cancels, q) * 1000, unit: 'µs' });
  }
  report.emit();
} finally {
  client.dispose();
  await sim.close();
}
