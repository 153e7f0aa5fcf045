// A simulator in its own process, for benchmarks: prints its port on stdout, stops on SIGTERM.
// Usage: node bench/sim-server.mjs [firehoseDeltas]
import { createSimulator } from '../dist/sim/index.js';

const sim = await createSimulator({ record: false, deltaMs: 0, firehoseDeltas: Number(process.argv[2] ?? 200_000) });
process.stdout.write(`${sim.port}\n`);
const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
