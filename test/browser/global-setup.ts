/**
 * Runs in Node before the browser tests: a real `ws` server on 127.0.0.1 that streams every
 * server fixture to whoever connects to /fixtures, then a binary PCM16 frame, then closes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { WebSocketServer } from 'ws';

declare module 'vitest' {
  export interface ProvidedContext {
    wsPort: number;
    fixtureTypes: string[];
  }
}

/** PCM16 samples sent as the binary frame (the test expects exactly these). */
const PCM_SAMPLES = [0, 1, -1, 32767, -32768, 1234];

export default async function setup(project: TestProject) {
  const frames: { type: string; text: string }[] = [];
  for (const group of ['server', 'server-legacy']) {
    const dir = fileURLToPath(new URL(`../fixtures/${group}/`, import.meta.url));
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      frames.push({ type: file.slice(0, -5).split('--')[0]!, text: readFileSync(dir + file, 'utf8') });
    }
  }
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (socket, request) => {
    if (request.url !== '/fixtures') return socket.close(1008, 'unknown path');
    for (const frame of frames) socket.send(frame.text);
    socket.send(Buffer.from(new Int16Array(PCM_SAMPLES).buffer), { binary: true });
    socket.send('{"type":"text_delta","content":');
    socket.close(1000, 'done');
  });
  project.provide('wsPort', (wss.address() as AddressInfo).port);
  project.provide('fixtureTypes', frames.map((f) => f.type));
  return async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
