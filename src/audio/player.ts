/**
 * Gapless PCM16 playback: every chunk becomes an AudioBuffer at its own rate (the context resamples)
 * and is scheduled as soon as it arrives, right after the previous one. `stop()` cuts everything at
 * once. Plain I/O for the voice statechart to drive: no timers, nothing touched at import time.
 */
import {
  AudioContext,
  type IAudioBufferSourceNode,
  type IAudioContext,
  type IAudioNode,
  type IGainNode,
} from 'standardized-audio-context';
import { AudioProcessorError, AudioProcessorErrorCode } from './errors.js';

/** The state of the player's context; `'none'` until a lazily created one exists. */
export type PlayerContextState = 'suspended' | 'running' | 'closed' | 'none';

/** Options of {@link createPlayer}. */
export interface PlayerOptions {
  /** The context to play in (not closed by `close()`). Without it one is created on first use. */
  context?: IAudioContext;
  /** @default 1 */
  volume?: number;
  /** Where the output goes. @default context.destination */
  destination?: IAudioNode<IAudioContext>;
  /** How far ahead of `currentTime` a chunk starts when nothing is playing (so its start is not late). @default 20 */
  leadMs?: number;
}

/** The figures of the seeds' `AudioOutputStatus`; `chunksReceived = chunksPlayed + chunksSkipped + queueLength`. */
export interface PlayerStatus {
  /** Chunks are scheduled and the context is running. */
  readonly isPlaying: boolean;
  /** Chunks given to `play()` (empty chunks are ignored and not counted). */
  readonly chunksReceived: number;
  /** Chunks that ended, or had started when `stop()` cut them. */
  readonly chunksPlayed: number;
  /** Chunks dropped before they started: by `stop()`, or because the context was closed. */
  readonly chunksSkipped: number;
  /** Chunks scheduled and not yet ended (the one sounding included). */
  readonly queueLength: number;
  readonly volume: number;
  /** Audio scheduled ahead of `currentTime`, in milliseconds. */
  readonly bufferedMs: number;
}

/** A PCM16 mono player. */
export interface Player {
  /** Schedules a chunk right after the previous one (or `leadMs` from now when nothing is scheduled). */
  play(pcm: Int16Array, sampleRate: number): void;
  /** Stops every scheduled or sounding chunk at once and resets the schedule. */
  stop(): void;
  /** Sets the volume, clamped to 0..1; throws a `RangeError` on NaN. */
  setVolume(volume: number): void;
  /** Resumes the context; call it from a user gesture. Resolves once it runs. */
  unlock(): Promise<void>;
  /** The audio context's state now (`suspended` until a user gesture unlocks it). */
  contextState(): PlayerContextState;
  /** Calls `listener` on every change of {@link Player.contextState}; returns the unsubscribe. */
  onContextState(listener: (state: PlayerContextState) => void): () => void;
  /** The playback figures now (what `output$` carries). */
  status(): PlayerStatus;
  /** Calls `listener` when the last scheduled chunk ended by itself (not after `stop()`); returns the unsubscribe. */
  onIdle(listener: () => void): () => void;
  /** Stops, disconnects, and closes the context if it was created here. Idempotent; `play()` does nothing afterwards. */
  close(): Promise<void>;
}

interface Scheduled {
  readonly source: IAudioBufferSourceNode<IAudioContext>;
  readonly startAt: number;
}

interface Graph {
  readonly context: IAudioContext;
  readonly gain: IGainNode<IAudioContext>;
}

/** The lowest and highest AudioBuffer rates browsers must accept. */
const MIN_RATE = 3000;
const MAX_RATE = 768_000;

function clampVolume(volume: number): number {
  if (Number.isNaN(volume)) throw new RangeError('volume must be a number from 0 to 1, not NaN');
  return Math.min(1, Math.max(0, volume));
}

/**
 * Creates a player. Nothing is created until first use unless a context is given.
 *
 * @example
 * const player = createPlayer({ volume: 0.8 });
 * button.onclick = () => player.unlock();
 * socket.onAudio = (pcm) => player.play(pcm, 24_000);
 */
export function createPlayer(options: PlayerOptions = {}): Player {
  let volume = clampVolume(options.volume ?? 1);
  const leadMs = options.leadMs ?? 20;
  if (!Number.isFinite(leadMs) || leadMs < 0) throw new RangeError(`leadMs must be a finite number ≥ 0, not ${leadMs}`);
  const injected = options.context ?? options.destination?.context;
  if (options.context !== undefined && options.destination !== undefined && options.destination.context !== options.context) {
    throw new RangeError('destination belongs to another AudioContext than context');
  }

  let graph: Graph | undefined;
  let closing: Promise<void> | undefined;
  let nextStartTime = 0;
  const scheduled = new Set<Scheduled>();
  const counts = { received: 0, played: 0, skipped: 0 };
  const idleListeners = new Set<() => void>();
  const stateListeners = new Set<(state: PlayerContextState) => void>();
  let reportedState: PlayerContextState = 'none';

  const contextState = (): PlayerContextState => {
    const state = graph?.context.state;
    return state === undefined ? 'none' : state === 'running' || state === 'closed' ? state : 'suspended';
  };

  const reportState = (): void => {
    const state = contextState();
    if (state === reportedState) return;
    reportedState = state;
    for (const listener of [...stateListeners]) listener(state);
    if (state === 'closed') stop(); // nothing scheduled will ever end
  };

  function build(): Graph {
    if (graph !== undefined) return graph;
    let context: IAudioContext;
    try {
      context = injected ?? new AudioContext({ latencyHint: 'interactive' });
    } catch (error) {
      throw new AudioProcessorError('An AudioContext could not be created', AudioProcessorErrorCode.AUDIO_CONTEXT_ERROR, undefined, { cause: error });
    }
    const gain = context.createGain();
    gain.gain.value = volume;
    gain.connect(options.destination ?? context.destination);
    context.addEventListener('statechange', reportState);
    graph = { context, gain };
    reportState();
    return graph;
  }

  function ended(entry: Scheduled): void {
    scheduled.delete(entry);
    counts.played++;
    entry.source.disconnect();
    if (scheduled.size > 0) return;
    nextStartTime = 0;
    for (const listener of [...idleListeners]) listener();
  }

  function play(pcm: Int16Array, sampleRate: number): void {
    if (closing !== undefined) return;
    if (!(Number.isFinite(sampleRate) && sampleRate >= MIN_RATE && sampleRate <= MAX_RATE)) {
      throw new RangeError(`sampleRate must be from ${MIN_RATE} to ${MAX_RATE} Hz, not ${sampleRate}`);
    }
    if (pcm.length === 0) return;
    const { context, gain } = build();
    counts.received++;
    if (context.state === 'closed') {
      counts.skipped++;
      return;
    }
    const samples = new Float32Array(pcm.length);
    for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i]! / 32768;
    const buffer = context.createBuffer(1, pcm.length, sampleRate);
    buffer.copyToChannel(samples, 0);
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(gain);
    const now = context.currentTime;
    // Right after the previous chunk while it is still ahead; after an underrun (or at first), a little
    // ahead of now, so the first samples are not already late when the audio thread sees the start.
    const startAt = nextStartTime > now ? nextStartTime : now + leadMs / 1000;
    const entry: Scheduled = { source, startAt };
    source.onended = () => ended(entry);
    source.start(startAt);
    nextStartTime = startAt + buffer.duration;
    scheduled.add(entry);
  }

  function stop(): void {
    const now = graph?.context.currentTime ?? 0;
    for (const entry of scheduled) {
      entry.source.onended = null;
      try {
        entry.source.stop();
        entry.source.disconnect();
      } catch {
        // a closed context may refuse; the source is silent there anyway
      }
      if (entry.startAt <= now) counts.played++;
      else counts.skipped++;
    }
    scheduled.clear();
    nextStartTime = 0;
  }

  function setVolume(value: number): void {
    volume = clampVolume(value);
    if (graph === undefined || graph.context.state === 'closed') return;
    const param = graph.gain.gain;
    const now = graph.context.currentTime;
    // A short exponential approach rather than a step, which would click.
    param.cancelScheduledValues(now);
    param.setTargetAtTime(volume, now, 0.005);
  }

  async function unlock(): Promise<void> {
    if (closing !== undefined) throw new AudioProcessorError('The player is closed', AudioProcessorErrorCode.AUDIO_CONTEXT_ERROR);
    const { context } = build();
    if (context.state === 'running') return;
    if (context.state === 'closed') throw new AudioProcessorError('The AudioContext is closed', AudioProcessorErrorCode.AUDIO_CONTEXT_ERROR);
    try {
      await context.resume();
    } catch (error) {
      throw new AudioProcessorError('The AudioContext could not be resumed', AudioProcessorErrorCode.AUDIO_CONTEXT_ERROR, undefined, { cause: error });
    }
    reportState();
  }

  function status(): PlayerStatus {
    const now = graph?.context.currentTime ?? 0;
    return {
      isPlaying: scheduled.size > 0 && contextState() === 'running',
      chunksReceived: counts.received,
      chunksPlayed: counts.played,
      chunksSkipped: counts.skipped,
      queueLength: scheduled.size,
      volume,
      bufferedMs: scheduled.size > 0 ? Math.max(0, nextStartTime - now) * 1000 : 0,
    };
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      stop();
      idleListeners.clear();
      if (graph === undefined) return;
      const { context, gain } = graph;
      gain.disconnect();
      if (injected === undefined && context.state !== 'closed') await context.close().catch(() => undefined);
      context.removeEventListener('statechange', reportState);
      reportState();
      stateListeners.clear();
    })();
    return closing;
  }

  if (injected !== undefined) build();

  return {
    play,
    stop,
    setVolume,
    unlock,
    contextState,
    onContextState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    status,
    onIdle(listener) {
      idleListeners.add(listener);
      return () => idleListeners.delete(listener);
    },
    close,
  };
}
