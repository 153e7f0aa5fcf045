// A simulator in its own process, for benchmarks: prints its port on stdout, stops on SIGTERM.
// Usage: node bench/sim-server.mjs [firehoseDeltas] [realistic|compact]
// bench:sim uses realistic frames (the real server's per-turn sizes); bench:client uses compact
// ones, because its heap ratios compare the client's memory with the answer's text, and a
// realistic tool catalogue (~190 KB, kept by catalog$) would be a fixed cost unrelated to it.
import { createSimulator } from '../dist/sim/index.js';

const frames = process.argv[3] === 'compact' ? 'compact' : 'realistic';
const sim = await createSimulator({ record: false, deltaMs: 0, frames, firehoseDeltas: Number(process.argv[2] ?? 200_000) });
process.stdout.write(`${sim.port}\n`);
const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
