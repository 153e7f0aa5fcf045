/**
 * The local viewer: a real client, against the simulator, sends its records through
 * `connectInspector` to `startViewer`'s endpoint; a raw WebSocket subscribed as the page does
 * (`/ws?role=page`) receives every actor's records, machines with their state trees, and no secret.
 * The page itself is served as one self-contained document; a page that opens late gets what came
 * before; the inspector's buffer is bounded and says how much it dropped.
 */
import { afterEach, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { WebSocket } from 'ws';
import { createClient, type RealtimeClient } from '../../../src/index.js';
import { connectInspector, startViewer, type StateTree, type Viewer, type ViewerInspector, type ViewerMessage, type ViewerRecord } from '../../../src/inspect/index.js';
import { createSimulator } from '../../../src/sim/index.js';
import type { Simulator } from '../../../src/sim/types.js';

const ADMIN = { username: 'admin', password: 'changeme' };
const JWT = /ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\./;

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A raw subscriber, as the page subscribes: every message received, raw and parsed. */
async function subscribe(viewer: Viewer): Promise<{ raw: string[]; records: ViewerRecord[]; dropped: () => number }> {
  const socket = new WebSocket(`${viewer.wsUrl}?role=page`);
  closers.push(() => socket.terminate());
  const raw: string[] = [];
  const records: ViewerRecord[] = [];
  let dropped = 0;
  socket.on('message', (data) => {
    const text = String(data);
    raw.push(text);
    const message = JSON.parse(text) as ViewerMessage;
    records.push(...message.records);
    dropped = message.dropped;
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { raw, records, dropped: () => dropped };
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function keys(tree: StateTree): string[] {
  return [tree.key, ...(tree.states ?? []).flatMap(keys)];
}

it("receives every actor's records, machines with their state trees, and no secret", async () => {
  const viewer = await startViewer();
  closers.push(() => viewer.close());
  const sim: Simulator = await createSimulator({ deltaMs: 20 });
  closers.push(() => sim.close());
  const page = await subscribe(viewer);

  const inspect: ViewerInspector = connectInspector({ url: viewer.wsUrl, WebSocket });
  closers.push(() => inspect.close());
  const client: RealtimeClient = createClient({ url: sim.httpUrl, auth: { ...ADMIN }, WebSocket, inspect });
  closers.push(() => client.dispose());
  await client.connect();
  await client.sendText('hello there');

  const ids = () => new Set(page.records.map((record) => record.actorId));
  await until(() => ['client', 'connection', 'conversation', 'outbox'].every((id) => ids().has(id)) && [...ids()].some((id) => id.startsWith('interaction:')), 'the actors');
  for (const id of ['client', 'connection', 'conversation', 'outbox']) {
    const created = page.records.find((record) => record.actorId === id && record.kind === 'actor');
    expect(created?.definition, id).toBeDefined();
    expect(page.records.some((record) => record.actorId === id && record.kind === 'snapshot'), id).toBe(true);
  }
  const interaction = page.records.find((record) => record.actorId.startsWith('interaction:') && record.kind === 'actor');
  expect(keys(interaction!.definition!)).toEqual(expect.arrayContaining(['requested', 'streaming', 'text', 'done']));
  expect(page.records.some((record) => record.kind === 'event' && record.actorId === 'outbox')).toBe(true);
  expect(page.dropped()).toBe(0);

  // a page that opens now sees what came before
  const late = await subscribe(viewer);
  await until(() => late.records.length > 0, 'the replay');
  expect(late.records.find((record) => record.actorId === 'client')?.definition).toBeDefined();
  expect(new Set(late.records.map((record) => record.actorId))).toEqual(ids());

  const everything = page.raw.join('\n') + late.raw.join('\n');
  expect(everything).not.toMatch(JWT);
  expect(everything.includes(ADMIN.password)).toBe(false);
});

it('serves one self-contained page', async () => {
  const viewer = await startViewer();
  closers.push(() => viewer.close());
  const response = await fetch(viewer.url);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await response.text();
  expect(html).toContain('/ws?role=page');
  expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=/); // nothing loaded from elsewhere
  expect((await fetch(new URL('/nothing', viewer.url))).status).toBe(404);
});

it('buffers until the socket is open, at most bufferSize records, and counts what it dropped', async () => {
  const viewer = await startViewer();
  closers.push(() => viewer.close());
  const page = await subscribe(viewer);
  const inspect = connectInspector({ url: viewer.wsUrl, WebSocket, bufferSize: 3 });
  closers.push(() => inspect.close());
  for (let i = 1; i <= 5; i++) inspect({ type: '@xstate.event', rootId: 'x', actorRef: { id: 'x' }, event: { type: `e${i}` }, sourceRef: undefined } as unknown as InspectionEvent);
  expect(inspect.dropped).toBe(2);
  await until(() => page.records.length === 3, 'the buffered records');
  expect(page.records.map((record) => (record.event as { type: string }).type)).toEqual(['e3', 'e4', 'e5']);
  expect(page.dropped()).toBe(2);
});

it("redacts what the app's events and contexts hold before it leaves", async () => {
  const viewer = await startViewer();
  closers.push(() => viewer.close());
  const page = await subscribe(viewer);
  const inspect = connectInspector({ url: viewer.wsUrl, WebSocket });
  closers.push(() => inspect.close());
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl';
  const frame = JSON.stringify({ type: 'set_avatar_session', access_token: 'heygen-access-secret' });
  inspect({
    type: '@xstate.snapshot',
    rootId: 'x',
    actorRef: { id: 'auth' },
    event: { type: 'outbound', data: frame, token: jwt },
    snapshot: { value: 'valid', status: 'active', context: { password: ADMIN.password, note: `Bearer ${jwt}` } },
  } as unknown as InspectionEvent);
  await until(() => page.records.length === 1, 'the record');
  const text = page.raw.join('\n');
  for (const secret of [jwt, ADMIN.password, 'heygen-access-secret']) expect(text.includes(secret), secret).toBe(false);
  expect(text).not.toMatch(JWT);
  expect(page.records[0]).toMatchObject({ kind: 'snapshot', actorId: 'auth', value: 'valid', status: 'active' });
});

it('keeps the actors of several apps on one viewer apart: the first as they are, the others prefixed', async () => {
  const viewer = await startViewer();
  closers.push(() => viewer.close());
  const page = await subscribe(viewer);
  const apps: [ViewerInspector, RealtimeClient][] = [];
  for (const name of [undefined, undefined, 'tab-b']) {
    const inspect = connectInspector({ url: viewer.wsUrl, WebSocket, ...(name ? { name } : {}) });
    // created, not connected: the root actor and its children start at once, so they report
    const client = createClient({ url: 'http://127.0.0.1:9', auth: { ...ADMIN }, WebSocket, inspect });
    apps.push([inspect, client]);
    closers.push(() => {
      client.dispose();
      inspect.close();
    });
    // one after the other, so "the first" and "the second" are well defined
    const expected = name ? `${name}/client` : apps.length === 1 ? 'client' : `app${apps.length}/client`;
    await until(() => page.records.some((record) => record.actorId === expected && record.kind === 'actor'), expected);
  }
  const roots = new Set(page.records.map((record) => record.actorId).filter((id) => id.endsWith('client')));
  expect([...roots].sort()).toEqual(['app2/client', 'client', 'tab-b/client']);
  // each app's children carry its prefix too
  for (const prefix of ['', 'app2/', 'tab-b/']) expect(page.records.some((record) => record.actorId === `${prefix}connection`)).toBe(true);
  // …and an event sent by an actor of the second app names its sender with the prefix
  expect(page.records.filter((record) => record.sourceId !== undefined && record.actorId.startsWith('app2/')).every((record) => record.sourceId!.startsWith('app2/'))).toBe(true);
});
