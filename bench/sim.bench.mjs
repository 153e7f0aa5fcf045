// `npm run bench:sim`: how fast the simulator's firehose agent pushes text_delta frames to a raw
// `ws` client on loopback (the simulator runs in its own process). Target: >= 200,000 frames/s,
// so that client benchmarks measure the client, not the server.
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { startSimChild, login as loginAt } from './sim-child.mjs';
import { createReport, log } from './report.mjs';

const N = Number(process.env.BENCH_N ?? 200_000);
const REPS = Number(process.env.BENCH_REPS ?? 5);

const { child, port, base } = await startSimChild(N);
const login = await loginAt(base);

const socket = new WebSocket(`ws://127.0.0.1:${port}/api/rt/ws?token=${login.agent_c_token}&agent_key=firehose`);
let onEvent = () => {};
socket.on('message', (data) => onEvent(JSON.parse(data.toString())));
await new Promise((resolve) => {
  onEvent = (event) => event.type === 'user_turn_start' && resolve();
});

async function run() {
  let deltas = 0;
  let started = 0n;
  const done = new Promise((resolve) => {
    onEvent = (event) => {
      if (event.type === 'text_delta') {
        if (deltas++ === 0) started = process.hrtime.bigint();
      } else if (event.type === 'user_turn_start') resolve();
    };
  });
  socket.send(JSON.stringify({ type: 'text_input', text: `stream ${N}` }));
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (deltas !== N) throw new Error(`expected ${N} deltas, got ${deltas}`);
  return N / seconds;
}

await run(); // warm-up
const rates = [];
for (let i = 0; i < REPS; i++) rates.push(await run());
rates.sort((a, b) => a - b);
const median = rates[Math.floor(rates.length / 2)];
log(`sim: firehose of ${N} text_delta frames to a raw ws client (JSON.parse each), ${REPS} runs`);
log(`  median ${Math.round(median).toLocaleString('en')} frames/s (min ${Math.round(rates[0]).toLocaleString('en')}, max ${Math.round(rates[rates.length - 1]).toLocaleString('en')})`);
log(`  target >= 200,000 frames/s: ${median >= 200_000 ? 'met' : 'NOT met'}`);
const report = createReport('sim');
report.figure({
  id: 'sim.firehose',
  label: 'simulator firehose → raw ws client (JSON.parse each)',
  value: median,
  unit: 'frames/s',
  target: { on: 'value', op: '>=', value: 200_000, source: 'README (client benchmarks measure the client, not the server)' },
});
report.emit();
socket.close();
child.kill('SIGTERM');
