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

export class SimSocket {
  uiSessionId: string | null = null;
  /** Half-open: nothing is read or sent any more, the connection stays up. */
  halfOpen = false;
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

  /** Sends a text frame holding an event of type `type` (for drop-at-event rules). */
  sendText(text: string, type: string): void {
    if (!this.isOpen || this.halfOpen) return;
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
    if (!this.isOpen || this.halfOpen) return;
    if (this.countDownDrop()) return;
    this.deliver(data, true);
  }

  /** Sends anything, bypassing drop rules (malformed-frame fault). */
  sendRaw(data: string | Uint8Array): void {
    if (!this.isOpen || this.halfOpen) return;
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
        if (this.isOpen && !this.halfOpen) this.write(data, binary);
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

  /** Writes out what `cork` held back (before a drop too: frames sent before it must arrive). */
  private flush(): void {
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

  /** Resolves once the socket's send buffer is low again (or it closed). */
  async drained(): Promise<void> {
    while (this.isOpen && this.ws.bufferedAmount > HIGH_WATER) await new Promise((resolve) => setImmediate(resolve));
  }

  /** Kills the connection without a close frame, as a network loss would (the peer sees 1006). */
  drop(): void {
    this.flush();
    this.dead = true;
    this.ws.terminate();
  }

  close(code: number, reason = ''): void {
    this.flush();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }
}
