/**
 * One accepted WebSocket, with everything the simulator does at the socket level: recording,
 * latency, half-open, and scheduled drops.
 */
import type { WebSocket } from 'ws';
import type { RecordedFrame, SocketTarget } from './types.js';

/** Armed drop rules and other socket faults shared by all sockets. */
export class SocketFaults {
  latencyMs = 0;
  jitterMs = 0;
  dropAfter: { remaining: number; target: SocketTarget }[] = [];
  dropAt: { type: string; target: SocketTarget }[] = [];

  clear(): void {
    this.latencyMs = 0;
    this.jitterMs = 0;
    this.dropAfter = [];
    this.dropAt = [];
  }
}

/** Where frames are recorded. */
export interface Recorder {
  enabled: boolean;
  readonly frames: RecordedFrame[];
  readonly startedAt: number;
}

export function matches(target: SocketTarget | undefined, uiSessionId: string | null): boolean {
  return target?.uiSessionId === undefined || target.uiSessionId === uiSessionId;
}

/**
 * Bytes buffered above which a fast producer waits for the socket to drain. Small on purpose: a
 * long queue of tiny frames makes every `writev` resubmit thousands of buffers.
 */
const HIGH_WATER = 64 * 1024;
/** Frames held on a dead path above which a producer waits for it to heal. */
const HELD_LIMIT = 1024;

export class SimSocket {
  uiSessionId: string | null = null;
  /** Where received frames go (the bridge of the UI session), set once the socket is accepted. */
  onFrame: (data: Buffer, binary: boolean) => void = () => undefined;
  private path: 'up' | 'dead' = 'up';
  /** What was written while the path was dead: delivered in order once it heals (TCP retransmits). */
  private readonly held: ({ readonly data: string | Uint8Array; readonly binary: boolean } | { readonly close: number; readonly reason: string })[] = [];
  /** Frames the socket had already read when the path died: processed once it heals. */
  private readonly unread: { readonly data: Buffer; readonly binary: boolean }[] = [];
  private readonly delayed: { at: number; data: string | Uint8Array; binary: boolean }[] = [];
  private dead = false;
  private corked = false;

  constructor(
    readonly ws: WebSocket,
    readonly connection: number,
    private readonly faults: SocketFaults,
    private readonly recorder: Recorder,
    private readonly random: () => number,
  ) {
    ws.on('close', () => {
      this.dead = true;
    });
  }

  get isOpen(): boolean {
    return !this.dead && this.ws.readyState === this.ws.OPEN;
  }

  /**
   * Half-open: the TCP path is dead, as when a network goes away without a word. Nothing is read
   * (the socket is paused, so a close frame from the client is never seen either), nothing is
   * sent (frames and a close wait, like unacknowledged TCP data), and no close handshake
   * completes, until the path heals (`false`: everything held goes out, what the client sent
   * meanwhile is read) or the socket is killed (`drop`).
   */
  get halfOpen(): boolean {
    return this.path === 'dead';
  }

  set halfOpen(on: boolean) {
    if (on === this.halfOpen || this.dead) return;
    if (on) {
      this.path = 'dead';
      this.ws.pause();
      return;
    }
    this.path = 'up';
    for (const item of this.held.splice(0)) {
      if ('close' in item) this.close(item.close, item.reason);
      else if (this.isOpen) this.write(item.data, item.binary);
    }
    this.ws.resume();
    for (const frame of this.unread.splice(0)) this.onFrame(frame.data, frame.binary);
  }

  /** A frame arrived from the client (held while the path is dead). */
  receive(data: Buffer, binary: boolean): void {
    if (this.halfOpen) this.unread.push({ data, binary });
    else this.onFrame(data, binary);
  }

  /** Sends a text frame holding an event of type `type` (for drop-at-event rules). */
  sendText(text: string, type: string): void {
    if (!this.isOpen) return;
    const atRule = this.faults.dropAt.findIndex((rule) => rule.type === type && matches(rule.target, this.uiSessionId));
    if (atRule >= 0) {
      this.faults.dropAt.splice(atRule, 1);
      this.drop();
      return;
    }
    if (this.countDownDrop()) return;
    this.deliver(text, false);
  }

  /** Sends a binary frame. */
  sendBinary(data: Uint8Array): void {
    if (!this.isOpen) return;
    if (this.countDownDrop()) return;
    this.deliver(data, true);
  }

  /** Sends anything, bypassing drop rules (malformed-frame fault). */
  sendRaw(data: string | Uint8Array): void {
    if (!this.isOpen) return;
    this.deliver(data, typeof data !== 'string');
  }

  /** True (and the socket killed) when a drop-after-N rule fires on this frame. */
  private countDownDrop(): boolean {
    for (let i = 0; i < this.faults.dropAfter.length; i++) {
      const rule = this.faults.dropAfter[i]!;
      if (!matches(rule.target, this.uiSessionId)) continue;
      if (rule.remaining <= 0) {
        this.faults.dropAfter.splice(i, 1);
        this.drop();
        return true;
      }
      rule.remaining--;
    }
    return false;
  }

  private deliver(data: string | Uint8Array, binary: boolean): void {
    if (this.halfOpen) {
      this.held.push({ data, binary });
      return;
    }
    const { latencyMs, jitterMs } = this.faults;
    if (latencyMs <= 0 && jitterMs <= 0 && this.delayed.length === 0) {
      this.write(data, binary);
      return;
    }
    const delay = Math.max(0, latencyMs + (this.random() * 2 - 1) * jitterMs);
    // never earlier than the frame before: jitter delays, it does not reorder
    const at = Math.max(this.delayed[this.delayed.length - 1]?.at ?? 0, Date.now() + delay);
    this.delayed.push({ at, data, binary });
    if (this.delayed.length === 1) this.scheduleDelayed();
  }

  /** One timer for the head of the delayed queue, so frames leave in the order they were sent. */
  private scheduleDelayed(): void {
    const head = this.delayed[0];
    if (!head) return;
    setTimeout(() => {
      const now = Date.now();
      while (this.delayed.length > 0 && this.delayed[0]!.at <= now) {
        const { data, binary } = this.delayed.shift()!;
        if (!this.isOpen) continue;
        if (this.halfOpen) this.held.push({ data, binary });
        else this.write(data, binary);
      }
      this.scheduleDelayed();
    }, Math.max(0, head.at - Date.now()));
  }

  private write(data: string | Uint8Array, binary: boolean): void {
    this.record('out', data);
    this.cork();
    this.ws.send(data, { binary });
  }

  /**
   * Batches the frames written in one turn of the event loop into one `writev`: one syscall per
   * frame is what limits a firehose on loopback. `ws` has no public cork, so this reaches for its
   * long-standing `_socket` and does nothing if it is missing.
   */
  private cork(): void {
    if (this.corked) return;
    const raw = this.rawSocket();
    if (!raw) return;
    raw.cork();
    this.corked = true;
    setImmediate(() => this.flush());
  }

  /** Writes out what `cork` held back now (before a drop too: frames sent before it must arrive). */
  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.rawSocket()?.uncork();
  }

  private rawSocket(): { cork(): void; uncork(): void } | undefined {
    const raw = (this.ws as unknown as { _socket?: { cork?: unknown; uncork?: unknown } })._socket;
    return raw && typeof raw.cork === 'function' && typeof raw.uncork === 'function' ? (raw as { cork(): void; uncork(): void }) : undefined;
  }

  /** Records a frame (both directions go through here). */
  record(direction: 'in' | 'out', data: string | Uint8Array): void {
    if (!this.recorder.enabled) return;
    this.recorder.frames.push(
      typeof data === 'string'
        ? { at: Date.now() - this.recorder.startedAt, direction, uiSessionId: this.uiSessionId, connection: this.connection, kind: 'text', text: data }
        : { at: Date.now() - this.recorder.startedAt, direction, uiSessionId: this.uiSessionId, connection: this.connection, kind: 'binary', bytes: data.byteLength },
    );
  }

  /** Whether a producer should wait for {@link drained} before it sends more. */
  mustWait(): boolean {
    return this.isOpen && (this.ws.bufferedAmount > HIGH_WATER || (this.halfOpen && this.held.length > HELD_LIMIT));
  }

  /** Resolves once the socket's send buffer is low again (or it closed); frames held on a dead path count too. */
  async drained(): Promise<void> {
    while (this.isOpen && this.ws.bufferedAmount > HIGH_WATER) await new Promise((resolve) => setImmediate(resolve));
    // a dead path takes nothing: a fast producer waits (polling slowly) instead of piling frames up
    while (this.isOpen && this.halfOpen && this.held.length > HELD_LIMIT) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Kills the connection without a close frame, as a network loss would (the peer sees 1006). */
  drop(): void {
    if (!this.halfOpen) this.flush();
    this.dead = true;
    this.held.length = 0;
    this.unread.length = 0;
    this.ws.terminate();
  }

  close(code: number, reason = ''): void {
    if (this.halfOpen) {
      this.held.push({ close: code, reason }); // the close frame waits for the path like any frame
      return;
    }
    this.flush();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }
}
