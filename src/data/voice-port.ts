/**
 * The voice port: what the audio entry (`agentc-realtime/audio`) reaches through a client, and the
 * slot it fills. It is keyed by a registered symbol, so the core never imports the audio code and a
 * text-only app never loads it; it is not part of the public API.
 *
 * Data plane only: PCM goes out through `sendAudio` and comes in on `audio$` without ever becoming a
 * machine event or context.
 */
import type { Observable } from 'rxjs';
import type { Clock } from '../actors/clock.js';
import { ClientError } from '../errors.js';

/** The key of a client's voice port. */
export const VOICE_PORT: unique symbol = Symbol.for('agentc-realtime.voice-port');

/** What a client offers its voice. */
export interface VoicePort {
  /** Binary frames from the server (PCM16 mono, little-endian on the wire), one `Int16Array` each. */
  readonly audio$: Observable<Int16Array>;
  /** A cancel (`client_wants_cancel`) went on the wire, whoever asked: playback stops at once. */
  readonly cancels$: Observable<void>;
  /**
   * Sends one binary frame (PCM16 LE) on the open socket, at once (binary frames never wait and never
   * pre-empt, docs/protocol.md §1.5). `false` when no socket is open: the frame is not sent, and not kept.
   */
  sendAudio(bytes: ArrayBuffer): boolean;
  /** The runtime's clock (the voice's machines run on it, as the client's do). */
  readonly clock: Clock | undefined;
  /** The inspector the client was created with, if any (the voice's actors report to it too). */
  readonly inspect: unknown;
  /**
   * Fills the client's voice slot: `dispose` runs when the client is disposed. One voice per client:
   * throws when the slot is taken. Returns the function that empties the slot.
   */
  attach(dispose: () => void): () => void;
}

/** A client that carries a voice port. */
export interface WithVoicePort {
  readonly [VOICE_PORT]: VoicePort;
}

/** What a client gives its voice port. */
export type VoicePortSources = Omit<VoicePort, 'attach'> & { readonly isDisposed: () => boolean };

/** The port of a client, and the disposal of the voice that fills it (run by `client.dispose()`). */
export function createVoicePort(sources: VoicePortSources): { readonly port: VoicePort; dispose(): void } {
  let voiceDispose: (() => void) | null = null;
  const { isDisposed, ...offered } = sources;
  const port: VoicePort = {
    ...offered,
    attach(dispose) {
      if (isDisposed()) throw new ClientError('closed', 'The client was disposed');
      if (voiceDispose) throw new ClientError('invalid_options', 'This client already has a voice; dispose it first');
      voiceDispose = dispose;
      return () => {
        if (voiceDispose === dispose) voiceDispose = null;
      };
    },
  };
  return {
    port,
    dispose(): void {
      const dispose = voiceDispose;
      voiceDispose = null;
      dispose?.();
    },
  };
}
