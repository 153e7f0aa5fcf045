/**
 * The local viewer: an HTTP server on loopback that serves one self-contained page (no framework, no
 * CDN, works offline) and a WebSocket endpoint. Apps send their records to `/ws`
 * ({@link connectInspector}); the page subscribes at `/ws?role=page` and receives every record, those
 * that came before it opened too (each actor's first record and the last {@link ViewerOptions.history}
 * records). Several apps may send to one viewer: each inspector says who it is, and the actor ids of
 * every app but the first are prefixed (`<name>/client`, or `app2/client`).
 *
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { VIEWER_PAGE } from './page.js';

/** Options of {@link startViewer}. */
export interface ViewerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' (loopback: the records show what the app does) */
  readonly host?: string;
  /** Records kept for a page that opens later. @default 10_000 */
  readonly history?: number;
}

/** A running viewer (from {@link startViewer}): its page, the socket apps send to, and `close()`. */
export interface Viewer {
  /** The page, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  /** Where `connectInspector({ url })` sends records, e.g. `ws://127.0.0.1:41234/ws`. */
  readonly wsUrl: string;
  /** Closes every socket and the server. */
  close(): Promise<void>;
}

/** Starts the viewer; resolves once it listens. */
export async function startViewer(options: ViewerOptions = {}): Promise<Viewer> {
  const host = options.host ?? '127.0.0.1';
  const limit = Math.max(1, options.history ?? 10_000);
  /** The first record of each actor (its `actor` record holds the state tree), by id. */
  const actors = new Map<string, string>();
  let history: string[] = [];
  let dropped = 0;
  const pages = new Set<WebSocket>();
  /** Each app's prefix by its inspector's id: none for the first, `name/` or `app<N>/` for the others. */
  const apps = new Map<string, string>();
  const prefixOf = (id: string | null, name: string | null): string => {
    const key = id ?? `connection-${apps.size}`;
    let prefix = apps.get(key);
    if (prefix === undefined) {
      prefix = apps.size === 0 && !name ? '' : `${name ?? `app${apps.size + 1}`}/`;
      apps.set(key, prefix);
    }
    return prefix;
  };

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://viewer').pathname;
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return res.end(VIEWER_PAGE);
    }
    if (path === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 64 * 1024 * 1024 });

  wss.on('connection', (socket, request) => {
    socket.on('error', () => undefined);
    const params = new URL(request.url ?? '/ws', 'http://viewer').searchParams;
    const role = params.get('role');
    if (role === 'page') {
      pages.add(socket);
      socket.on('close', () => pages.delete(socket));
      socket.send(`{"dropped":${dropped},"records":[${[...actors.values(), ...history].join(',')}]}`);
      return;
    }
    let droppedBySender = 0;
    const prefix = prefixOf(params.get('app'), params.get('name'));
    socket.on('message', (data) => {
      const message = parse(String(data));
      if (!message) return;
      if (prefix) {
        for (const record of message.records) {
          record.actorId = prefix + record.actorId;
          if (typeof record.sourceId === 'string') record.sourceId = prefix + record.sourceId;
        }
      }
      dropped += Math.max(0, message.dropped - droppedBySender);
      droppedBySender = Math.max(droppedBySender, message.dropped);
      const texts = message.records.map((record) => JSON.stringify(record));
      message.records.forEach((record, i) => {
        if (record.kind === 'actor' && !actors.has(record.actorId)) actors.set(record.actorId, texts[i]!);
      });
      history.push(...texts);
      if (history.length > limit) history = history.slice(history.length - limit);
      const out = `{"dropped":${dropped},"records":[${texts.join(',')}]}`;
      for (const page of pages) page.send(out);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: `http://${origin}/`,
    wsUrl: `ws://${origin}/ws`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** A message from an app: `{ dropped, records }` with records that have a kind and an actor id; anything else is ignored. */
function parse(text: string): { dropped: number; records: { kind: string; actorId: string; sourceId?: unknown }[] } | undefined {
  try {
    const value = JSON.parse(text) as { dropped?: unknown; records?: unknown };
    if (!value || typeof value !== 'object' || !Array.isArray(value.records)) return undefined;
    const records = value.records.filter(
      (record): record is { kind: string; actorId: string; sourceId?: unknown } =>
        !!record && typeof record === 'object' && typeof (record as { kind?: unknown }).kind === 'string' && typeof (record as { actorId?: unknown }).actorId === 'string',
    );
    return { dropped: typeof value.dropped === 'number' && value.dropped >= 0 ? value.dropped : 0, records };
  } catch {
    return undefined;
  }
}
