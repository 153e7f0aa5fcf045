/**
 * The tap port: where the testing entry's recorder (`agentc-realtime/testing`, `record(client)`)
 * listens to a client's boundaries — each WebSocket the client constructs and each HTTP request it
 * makes. Keyed by a registered symbol, like the voice port, so the core never imports the recorder;
 * it is not part of the public API. Untapped, it costs a null check per socket and per request,
 * nothing per frame.
 */
import type { ResolvedClientOptions } from '../options.js';

/** The key of a client's tap port. */
export const TAP_PORT: unique symbol = Symbol.for('agentc-realtime.tap-port');

/** A WebSocket the client just constructed, handed to the tap before anything listens to it. */
export interface TappedSocket {
  /** The URL it was constructed with (token included: the tap must scrub it). */
  readonly url: string;
  /** The real socket (a `ws` or browser WebSocket): the tap may wrap its `send` and `close`. */
  readonly socket: object;
  /** Adds a listener on the real socket itself (not through the client's wrapper, which filters `message`). */
  listen(type: 'open' | 'message' | 'close' | 'error', listener: (event: unknown) => void): void;
}

/** What a recorder attaches to a tap slot. */
export interface Tap {
  /** Called once per WebSocket the client constructs, synchronously in its constructor. */
  socket(tapped: TappedSocket): void;
  /** Makes the client's HTTP request (login, refresh, uploads) through `base`, watching it. */
  fetch(base: typeof globalThis.fetch, input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit): Promise<Response>;
}

/** The slot a tap fills, and what happened before one did. */
export interface TapSlot {
  current: Tap | null;
  /** Sockets constructed so far. */
  sockets: number;
  /** HTTP requests made so far. */
  requests: number;
}

/** What a client offers its recorder. */
export interface TapPort {
  readonly slot: TapSlot;
  /** The reconnect jitter's seed (a replay uses the same). */
  readonly seed: number;
  /** The client's resolved options (a replay builds its client from their plain fields); a function, so that logging the client never shows the password. */
  options(): ResolvedClientOptions;
  /** The client's wall clock. */
  readonly now: () => number;
}

/** A client that carries a tap port. */
export interface WithTapPort {
  readonly [TAP_PORT]: TapPort;
}

/** A fetch that goes through the slot's tap when one is attached. */
export function tappedFetch(slot: TapSlot, base: typeof globalThis.fetch): typeof globalThis.fetch {
  return (input, init) => {
    slot.requests++;
    return slot.current ? slot.current.fetch(base, input, init) : base(input, init);
  };
}
