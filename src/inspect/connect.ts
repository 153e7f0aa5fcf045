/**
 * `connectInspector`: an xstate inspector that sends the client's inspection records to the local
 * viewer (`agentc-inspect`, {@link startViewer}) over a WebSocket. Each record is the one
 * `client.inspection$` gives (built by the same redacting helper, so no token, password or secret
 * leaves the app), and an actor's record carries its state tree so that the viewer can draw it.
 *
 * Works in browsers (the global `WebSocket`) and on Node (pass `WebSocket` from `ws`).
 *
 * @module
 */
import type { AnyActorLogic, InspectionEvent } from 'xstate';
import { toInspectionRecord, type InspectionRecord } from '../actors/inspection.js';
import { descriptions } from '../machines/descriptions.js';
import type { WebSocketConstructor } from '../options.js';

/** One state node of a machine, as the viewer draws it (serialisable). */
export interface StateTree {
  readonly key: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** The key of the initial child (compound states). */
  readonly initial?: string;
  readonly description?: string;
  /** The event types this state itself handles. */
  readonly events?: readonly string[];
  readonly states?: readonly StateTree[];
}

/** What the viewer receives: an inspection record, and for an `actor` record of a machine its state tree. */
export type ViewerRecord = InspectionRecord & { readonly definition?: StateTree };

/**
 * One message on the wire: the records since the last message, oldest first, and how many records
 * the sender dropped so far (its buffer was full while the viewer was away).
 */
export interface ViewerMessage {
  readonly records: readonly ViewerRecord[];
  readonly dropped: number;
}

/** Options of {@link connectInspector}. */
export interface ConnectInspectorOptions {
  /** The viewer's WebSocket URL (`startViewer().wsUrl`, printed by `agentc-inspect`). */
  readonly url: string;
  /** A WebSocket implementation: `WebSocket` from `ws` on Node 20. @default globalThis.WebSocket */
  readonly WebSocket?: WebSocketConstructor;
  /** Records kept while the viewer is not connected; the oldest go first. @default 10_000 */
  readonly bufferSize?: number;
  /** Pause before connecting again after the viewer went away (or was not there yet), in ms. @default 1_000 */
  readonly retryMs?: number;
  /**
   * The app's name in the viewer. Several apps (or clients) may send to one viewer: each is told apart
   * by its inspector, and the actor ids of every app but the first are shown prefixed (`name/client`,
   * or `app2/client` without a name). @default none: the first app unprefixed, the next `app2`, …
   */
  readonly name?: string;
}

/** An inspect callback for `createClient({ inspect })`, with a `close()`. */
export interface ViewerInspector {
  (event: InspectionEvent): void;
  /** Records dropped so far because the buffer was full. */
  readonly dropped: number;
  /** Stops sending and closes the socket (records still buffered are lost). */
  close(): void;
}

/** The socket as this module uses it (the browser's and `ws`'s both have these). */
interface Socket {
  readonly readyState: number;
  onopen: (() => void) | null;
  onclose: (() => void) | null;
  onerror: (() => void) | null;
  send(data: string): void;
  close(): void;
}

const OPEN = 1;

/** The state tree of a machine's logic, or `undefined` for other logic (promises, callbacks, observables). */
export function stateTreeOf(logic: AnyActorLogic | undefined): StateTree | undefined {
  const root = (logic as { root?: unknown } | undefined)?.root;
  if (!root || typeof root !== 'object' || !('key' in root) || !('states' in root)) return undefined;
  const machineId = (root as StateNodeLike).key;
  return treeOf(root as StateNodeLike, (node) => node.description ?? descriptions[[machineId, ...(node.path ?? [])].join('.')]);
}

interface StateNodeLike {
  readonly key: string;
  readonly type: StateTree['type'];
  readonly description?: string;
  readonly path?: readonly string[];
  readonly states: Record<string, StateNodeLike>;
  readonly config: { readonly initial?: unknown; readonly on?: Record<string, unknown> };
}

/** A node's tree; `describe` finds its description (on the node in the source, in the descriptions module once built). */
function treeOf(node: StateNodeLike, describe: (node: StateNodeLike) => string | undefined): StateTree {
  const children = Object.values(node.states ?? {}).map((child) => treeOf(child, describe));
  const description = describe(node);
  const events = Object.keys(node.config?.on ?? {});
  const initial = node.config?.initial;
  return {
    key: node.key,
    type: node.type,
    ...(typeof initial === 'string' ? { initial } : {}),
    ...(typeof description === 'string' ? { description } : {}),
    ...(events.length > 0 ? { events } : {}),
    ...(children.length > 0 ? { states: children } : {}),
  };
}

/** The serialised record of an inspection event, or `undefined` (other kinds, or not serialisable). */
function serialise(event: InspectionEvent, now: () => number): string | undefined {
  const record = toInspectionRecord(event, now);
  if (!record) return undefined;
  const definition = record.kind === 'actor' ? stateTreeOf((event.actorRef as { logic?: AnyActorLogic }).logic) : undefined;
  try {
    return JSON.stringify(definition ? { ...record, definition } : record);
  } catch {
    return JSON.stringify({ ...record, context: '[not serialisable]', event: '[not serialisable]' });
  }
}

/**
 * An inspector that sends every record to the viewer at `url`, for `createClient({ inspect })`.
 * Records wait in a bounded buffer until the socket is open; if the viewer goes away, it connects
 * again every `retryMs`. Call `close()` when done (on Node the open socket keeps the process alive).
 */
export function connectInspector(options: ConnectInspectorOptions): ViewerInspector {
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Ctor) throw new TypeError('connectInspector: no WebSocket: pass `WebSocket` from the ws package on Node');
  const bufferSize = Math.max(1, options.bufferSize ?? 10_000);
  const retryMs = options.retryMs ?? 1_000;
  const now = () => Date.now();
  // who this inspector is, the same across its reconnections, so the viewer keeps its actors apart
  const app = `${options.name ? `name=${encodeURIComponent(options.name)}&` : ''}app=${Math.random().toString(36).slice(2, 10)}`;
  const url = `${options.url}${options.url.includes('?') ? '&' : '?'}${app}`;
  let buffer: string[] = [];
  let dropped = 0;
  let socket: Socket | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let flushing = false;
  let closed = false;

  const flush = (): void => {
    flushing = false;
    if (!socket || socket.readyState !== OPEN || buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    socket.send(`{"dropped":${dropped},"records":[${batch.join(',')}]}`);
  };

  const open = (): void => {
    retry = undefined;
    if (closed) return;
    let next: Socket;
    try {
      next = new Ctor(url) as unknown as Socket;
    } catch {
      return later();
    }
    socket = next;
    next.onopen = flush;
    next.onerror = () => undefined; // onclose follows
    next.onclose = () => {
      if (socket === next) socket = undefined;
      later();
    };
  };

  const later = (): void => {
    if (closed || retry !== undefined) return;
    retry = setTimeout(open, retryMs);
    (retry as { unref?: () => void }).unref?.();
  };

  const inspect = (event: InspectionEvent): void => {
    if (closed) return;
    const text = serialise(event, now);
    if (text === undefined) return;
    buffer.push(text);
    if (buffer.length > bufferSize) {
      dropped += buffer.length - bufferSize;
      buffer.splice(0, buffer.length - bufferSize);
    }
    if (!flushing && socket?.readyState === OPEN) {
      flushing = true;
      queueMicrotask(flush);
    }
  };

  open();
  return Object.defineProperties(inspect, {
    dropped: { get: () => dropped, enumerable: true },
    close: {
      value: (): void => {
        if (closed) return;
        closed = true;
        if (retry !== undefined) clearTimeout(retry);
        const last = socket;
        if (last) {
          last.onclose = null;
          try {
            flush(); // what is buffered still goes, if the socket is open
            last.close();
          } catch {
            // already closing
          }
        }
        socket = undefined;
        buffer = [];
      },
    },
  }) as ViewerInspector;
}
