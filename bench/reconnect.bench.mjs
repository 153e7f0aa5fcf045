// `npm run bench:reconnect`: reconnect → ready after a drop, in one process against an in-process
// simulator: `sim.control.dropSocket()` kills the client's socket as a network loss would (no close
// frame), and the time runs from just before that call to `connection$` reporting `ready` again
// (after `reconnecting`: a new socket, the handshake, the initialization burst at the real server's
// size, ~200 KB, since the simulator sends its realistic frames). p50 and p99 over
// BENCH_DROPS drops of one client. The client's own figure, `metrics$`' `reconnectToReady`
// (`reconnecting` → `ready`, on the client's clock, whole milliseconds), is reported beside it.
//
// The reconnection policy dominates a real reconnect: by default the first attempt waits
// `reconnection.initialDelay` (1,000 ms) ± 30 % jitter. The bench sets `initialDelay: 0`, so the
// figure is the client's and the simulator's own work; add the delay for what a user waits with
// the defaults. No target (the old SDK also waits 1 s before its first attempt).
//
// BENCH_DROPS (default 50).
import { WebSocket } from 'ws';
import { createClient } from '../dist/index.js';
import { createSimulator } from '../dist/sim/index.js';
import { createReport, log, quantile } from './report.mjs';

const DROPS = Number(process.env.BENCH_DROPS ?? 50);
const INITIAL_DELAY = 0;

const sim = await createSimulator({ record: false });
const client = createClient({
  url: sim.httpUrl,
  auth: { username: 'admin', password: 'changeme' },
  WebSocket,
  reconnection: { initialDelay: INITIAL_DELAY },
});
const report = createReport('reconnect');
try {
  await client.connect();
  let state = null;
  let waiting = null;
  const connection = client.connection$.subscribe((view) => {
    state = view.state;
    if (waiting === null) return;
    if (state === 'reconnecting') waiting.reconnecting = true;
    if (state === 'ready' && waiting.reconnecting) {
      const { resolve } = waiting;
      waiting = null;
      resolve(performance.now());
    }
  });
  let metrics = null;
  const metricsSubscription = client.metrics$.subscribe((value) => (metrics = value));

  const times = [];
  const own = [];
  const dropOnce = async () => {
    const ready = new Promise((resolve, reject) => {
      waiting = { reconnecting: false, resolve };
      setTimeout(() => reject(new Error(`reconnect: not ready again within 10 s (state ${state})`)), 10_000).unref();
    });
    const countBefore = metrics.reconnectToReady.count;
    const t0 = performance.now();
    if (sim.control.dropSocket() !== 1) throw new Error('reconnect: the simulator had no socket to drop');
    const t1 = await ready;
    await new Promise((resolve) => setTimeout(resolve, 20)); // the last frames of the burst, between drops
    if (metrics.reconnectToReady.count !== countBefore + 1) throw new Error('reconnect: metrics$ did not count the reconnect');
    return { total: t1 - t0, own: metrics.reconnectToReady.last };
  };
  for (let i = 0; i < 3; i++) await dropOnce(); // warm-up
  for (let i = 0; i < DROPS; i++) {
    const { total, own: ms } = await dropOnce();
    times.push(total);
    own.push(ms);
  }
  connection.unsubscribe();
  metricsSubscription.unsubscribe();

  log(`reconnect: ${DROPS} drops (dropSocket → connection$ ready), one client, in-process simulator, reconnection.initialDelay ${INITIAL_DELAY} ms`);
  log(`  dropSocket → ready      p50 ${quantile(times, 0.5).toFixed(2)} ms  p99 ${quantile(times, 0.99).toFixed(2)} ms`);
  log(`  metrics$ reconnectToReady  p50 ${quantile(own, 0.5).toFixed(2)} ms  p99 ${quantile(own, 0.99).toFixed(2)} ms  (reconnecting → ready, the client's clock)`);
  log(`  with the default policy add reconnection.initialDelay: 1,000 ms ± 30 % before the first attempt`);
  const quantiles = [
    [0.5, 'p50'],
    [0.99, 'p99'],
  ];
  for (const [q, name] of quantiles) {
    report.figure({
      id: `reconnect.ready.${name}`,
      label: `reconnect: drop → ready, ${name} (initialDelay ${INITIAL_DELAY} ms)`,
      value: quantile(times, q),
      unit: 'ms',
      initialDelay: INITIAL_DELAY,
      drops: DROPS,
    });
  }
  for (const [q, name] of quantiles) {
    report.figure({
      id: `reconnect.metrics.${name}`,
      label: `reconnect: metrics$ reconnectToReady, ${name}`,
      value: quantile(own, q),
      unit: 'ms',
      baseline: quantile(times, q),
      baselineLabel: 'drop → ready measured outside',
      ratio: quantile(own, q) / quantile(times, q),
      ratioLabel: 'metrics$ / measured',
    });
  }
  report.note(`reconnect: measured with reconnection.initialDelay ${INITIAL_DELAY} ms; the default policy waits 1,000 ms ± 30 % before the first attempt`);
  report.emit();
} finally {
  client.dispose();
  await sim.close();
}
