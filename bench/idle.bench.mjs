// `npm run bench:idle`: the heap an idle connected client holds, with 1,000 clients in this
// process connected to one simulator (in a child process, so its own memory is not counted), as a
// ratio to 1,000 raw `ws` clients (each parsing the same initialization burst and keeping nothing)
// in the same run: `(heapUsed after − heapUsed before) / 1000`, both after a double gc(). A second
// baseline keeps the burst's parsed events (the agents, tools, sessions an app shows), so the gap
// to it is the client's own machinery rather than the data it holds.
// A client is idle once `connect()` resolved (ready: the initialization burst arrived); a raw client
// once it read the burst's `user_turn_start`. Both connect with the same token (one login), 25 at a
// time. The simulator sends its compact frames: a realistic tool catalogue (~176 KB, kept by
// `catalog$`) would dominate a per-client figure and be the app's data rather than the client's.
// No target of our own; the old SDK's figure is not known (reference-sdk.md measured its heap per
// event only).
//
// Needs --expose-gc. BENCH_CLIENTS (default 1,000).
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { createClient } from '../dist/index.js';
import { startSimChild, login as loginAt } from './sim-child.mjs';
import { createReport, log } from './report.mjs';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1_000);
const BATCH = 25;

if (typeof globalThis.gc !== 'function') {
  console.error('idle.bench: run with node --expose-gc (npm run bench:idle)');
  process.exit(1);
}

const { child, port, base, kill: killChild } = await startSimChild(10, 'compact');
const login = await loginAt(base);
const token = login.agent_c_token;

function heapUsed() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/** Opens `CLIENTS` of `open()`, BATCH at a time; returns them. */
async function openAll(open) {
  const all = [];
  for (let i = 0; i < CLIENTS; i += BATCH) {
    all.push(...(await Promise.all(Array.from({ length: Math.min(BATCH, CLIENTS - i) }, open))));
    if (process.env.BENCH_DEBUG && all.length % 100 === 0) console.error(`  ${all.length} open (${(performance.now() / 1000).toFixed(1)} s)`);
  }
  return all;
}

/** A raw `ws` client; `keep`: it holds the burst's parsed events (the data an app shows). */
async function openRaw(keep = false) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/rt/ws?token=${token}`);
  const kept = [];
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.on('message', (data) => {
      const event = JSON.parse(data.toString());
      if (keep) kept.push(event);
      if (event.type === 'user_turn_start') resolve();
    });
  });
  if (keep) socket.kept = kept;
  return socket;
}
const openRawKeeping = () => openRaw(true);

async function openClient() {
  const client = createClient({ url: base, auth: { token }, WebSocket });
  await client.connect();
  return client;
}

async function measure(open, close) {
  const before = heapUsed();
  const rssBefore = process.memoryUsage().rss;
  let all = await openAll(open);
  await sleep(200); // let the sockets settle (the last frames of the bursts, acks)
  const after = heapUsed();
  const rss = process.memoryUsage().rss - rssBefore;
  await Promise.all(all.map(close));
  all = null;
  await sleep(200);
  return { perClient: (after - before) / CLIENTS, rssPerClient: rss / CLIENTS, released: (heapUsed() - before) / CLIENTS };
}

const closeRaw = async (socket) => {
  const closed = once(socket, 'close');
  socket.close(1000);
  await closed;
};
const closeClient = async (client) => client.dispose();

// warm-up: a few of each, so the code is loaded and compiled before the first "before"
for (const client of await Promise.all(Array.from({ length: 5 }, openClient))) client.dispose();
for (const socket of await Promise.all(Array.from({ length: 5 }, () => openRaw()))) await closeRaw(socket);
await sleep(200);

const raw = await measure(() => openRaw(), closeRaw);
const rawKeeping = await measure(openRawKeeping, closeRaw);
const client = await measure(openClient, closeClient);
const KB = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
log(`idle: ${CLIENTS.toLocaleString('en')} connected idle clients in one process, one simulator (child process), heapUsed after gc`);
log(`  raw ws (burst parsed)  ${KB(raw.perClient)} per client  (RSS ${KB(raw.rssPerClient)}; after close ${KB(raw.released)})`);
log(`  raw ws, burst kept    ${KB(rawKeeping.perClient)} per client  (RSS ${KB(rawKeeping.rssPerClient)}; after close ${KB(rawKeeping.released)})`);
log(`  createClient (ready)   ${KB(client.perClient)} per client  (RSS ${KB(client.rssPerClient)}; after dispose ${KB(client.released)})`);
log(`  ratio client/raw       ${(client.perClient / raw.perClient).toFixed(2)}  (to the raw client keeping the burst: ${(client.perClient / rawKeeping.perClient).toFixed(2)})`);

const report = createReport('idle');
report.figure({
  id: 'idle.heapPerClient',
  label: `memory per idle client (${CLIENTS.toLocaleString('en')} in one process)`,
  value: client.perClient / 1024,
  unit: 'KB',
  baseline: raw.perClient / 1024,
  baselineLabel: 'raw ws client, burst parsed',
  ratio: client.perClient / raw.perClient,
  ratioLabel: 'client / raw',
  clients: CLIENTS,
  releasedPerClient: client.released / 1024,
});
report.figure({
  id: 'idle.heapPerClientVsData',
  label: 'memory per idle client vs a raw client keeping the burst',
  value: client.perClient / 1024,
  unit: 'KB',
  baseline: rawKeeping.perClient / 1024,
  baselineLabel: 'raw ws client keeping the parsed burst',
  ratio: client.perClient / rawKeeping.perClient,
  ratioLabel: 'client / raw',
  clients: CLIENTS,
});
report.emit();
const exited = once(child, 'exit');
killChild();
// the simulator closes its sockets on SIGTERM; if that takes too long, it is killed outright
const stuck = setTimeout(() => child.kill('SIGKILL'), 5_000);
await exited;
clearTimeout(stuck);
