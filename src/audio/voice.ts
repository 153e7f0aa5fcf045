/**
 * `createVoice(client, options)`: the voice of a client. It fills the client's voice slot with the
 * voice statechart (machines/voice.machine.ts: capture, playback and input mode) and its two I/O
 * actors, the microphone and the speaker, and projects them as observables.
 *
 * Data plane apart from control plane: microphone PCM flows worklet → resampler → PCM16 chunks →
 * socket inside the microphone actor, and the server's PCM flows socket → speaker inside the speaker
 * actor; the machines hear only edges (ready, lost, speech started, playing, idle).
 */
import { BehaviorSubject, distinctUntilChanged, EMPTY, filter, map, Observable, Subject, switchMap, tap } from 'rxjs';
import { createActor, fromCallback, fromPromise, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import type { RealtimeClient } from '../client.js';
import { VOICE_PORT, type VoicePort, type WithVoicePort } from '../data/voice-port.js';
import { ClientError } from '../errors.js';
import { captureMachine, type MicrophoneCommand, type MicrophoneEvent } from '../machines/capture.machine.js';
import { playbackMachine, type SpeakerCommand, type SpeakerContextState, type SpeakerEvent } from '../machines/playback.machine.js';
import { voiceMachine } from '../machines/voice.machine.js';
import { DEFAULT_CHUNK_SIZE, DEFAULT_OUTPUT_RATE, DEFAULT_WIRE_RATE, voiceOutput, type InputMode, type VoiceOutput } from '../machines/voice.logic.js';
import type { Voice as VoiceModel } from '../schema/catalog.js';
import type { IAudioContext, IAudioNode } from 'standardized-audio-context';
import { openCapture, type CaptureHandlers, type MediaDevicesLike } from './capture.js';
import { createChunker, createEnergyGate, createResampler, floatToPcm16, levelToMeter, pcm16ToLittleEndianBytes } from './dsp.js';
import { AudioProcessorError, AudioProcessorErrorCode } from './errors.js';
import { createPlayer, type Player } from './player.js';

/** The microphone's state, as `input$` reports it. */
export type VoiceInputState = 'idle' | 'requestingPermission' | 'ready' | 'recording' | 'permissionDenied' | 'failed';

/** Options of {@link createVoice}; every one is optional. */
export interface VoiceOptions {
  /** How speech is handed over. @default 'ptt' */
  readonly mode?: InputMode;
  /** The rate of microphone frames on the wire, in Hz. @default 24000 */
  readonly sampleRate?: 24_000 | 16_000;
  /** Samples per microphone frame on the wire. @default 4800 */
  readonly chunkSize?: number;
  /** Frames go out only while the user holds the turn; others are dropped and counted. @default true */
  readonly respectTurnState?: boolean;
  /** @default true */
  readonly echoCancellation?: boolean;
  /** @default true */
  readonly noiseSuppression?: boolean;
  /** @default true */
  readonly autoGainControl?: boolean;
  /** The microphone to use (`MediaDeviceInfo.deviceId`); the default one otherwise, and after it is unplugged. */
  readonly deviceId?: string;
  /**
   * Where the capture worklet comes from: `'inline'` (a Blob URL, nothing to serve; needs `blob:` in a
   * strict CSP's `script-src`/`worker-src`) or the URL of `agentc-realtime/audio/capture.worklet.js`
   * served by the app. @default 'inline'
   */
  readonly worklet?: 'inline' | string;
  /** The energy gate of voice activity (RMS of full scale, and times in ms). */
  readonly vad?: { readonly openThreshold?: number; readonly closeThreshold?: number; readonly attackMs?: number; readonly hangoverMs?: number };
  /** Speaking while the agent talks stops playback and cancels the answer. @default true */
  readonly bargeIn?: boolean;
  /** How long barge-in waits for the turn after its cancel, in ms. @default 5000 */
  readonly bargeInTimeoutMs?: number;
  /** Playback volume, 0..1. @default 1 */
  readonly volume?: number;
  /** The rate of the server's PCM16 speech, in Hz. @default 24000 */
  readonly outputSampleRate?: number;
  /**
   * Also tell the server the mode (`set_voice_input_mode`) and push-to-talk (`ptt_start`, `ptt_end`).
   * Only for servers that implement them (the simulator's `full` profile): the Agent C server answers
   * them with a warning, and they pre-empt a running answer. Told once the client is ready, and again
   * after every reconnect (a restarted server forgets them). @default false
   */
  readonly serverInputModes?: boolean;
  /** The audio context of playback (one the app owns; not closed by the voice). Capture makes its own. */
  readonly audioContext?: IAudioContext;
  /** Where playback goes (a node of `audioContext`). @default the context's destination */
  readonly destination?: IAudioNode<IAudioContext>;
  /** The media devices to ask. @default navigator.mediaDevices */
  readonly mediaDevices?: MediaDevicesLike;
  /**
   * Where the voice's input comes from instead of the microphone: any source of mono Float32 blocks
   * (a file, a WebRTC track, a PCM stream in Node). The microphone options above then do not apply.
   */
  readonly source?: AudioSource;
  /** What plays the agent's speech instead of the Web Audio player (e.g. a sink in Node). */
  readonly player?: Player;
}

/** A source of the voice's input, opened by `start()` and closed by `stop()`. */
export interface AudioSource {
  /**
   * Starts delivering mono blocks to `handlers.samples` (any size, any rate: they are resampled to
   * the wire rate); resolves once it runs. Rejects with an `AudioProcessorError` when it cannot.
   */
  open(handlers: CaptureHandlers): Promise<{
    readonly sampleRate: number;
    readonly deviceId: string | null;
    /** Releases the source (the microphone). */
    close(): Promise<void> | void;
  }>;
}

/** What `input$` emits. */
export interface VoiceInputView {
  readonly state: VoiceInputState;
  /** Why it is `permissionDenied` or `failed`: an `AudioProcessorErrorCode` and words. */
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly deviceId: string | null;
  /** The capture context's rate (the wire rate is `wireRate`). */
  readonly sampleRate: number | null;
  readonly wireRate: number;
  /** Frames sent to the server. */
  readonly chunksStreamed: number;
  /** Frames dropped because the gate was shut (not the user's turn, push-to-talk released, mode off) or no socket was open. */
  readonly chunksSuppressed: number;
}

/** What `output$` emits (the seeds' `AudioOutputStatus` figures, plus the context's state). */
export interface VoiceOutputView {
  readonly isPlaying: boolean;
  /** Speech is played here (not for the voices `none` and `avatar`, nor during an interrupt). */
  readonly isEnabled: boolean;
  readonly chunksReceived: number;
  readonly chunksPlayed: number;
  /** Frames not played: stopped by a cancel or barge-in, or received while playback was off. */
  readonly chunksSkipped: number;
  /** Frames scheduled and not yet finished. */
  readonly queueLength: number;
  readonly volume: number;
  /** The current voice, when the server said it. */
  readonly voiceModel: VoiceModel | null;
  /** The current voice does not speak here (`none`, `avatar`). */
  readonly skipPlayback: boolean;
  readonly contextState: SpeakerContextState;
}

/** What `state$` emits: one serialisable view of the voice. */
export interface VoiceStateView {
  readonly input: VoiceInputState;
  readonly mode: InputMode;
  /** Push-to-talk held, or speech heard. */
  readonly speaking: boolean;
  /** Frames go out now. */
  readonly streaming: boolean;
  readonly output: 'silent' | 'playing' | 'interrupted';
  /** The playback context: `suspended` until `unlock()` from a user gesture (autoplay). */
  readonly audioContext: SpeakerContextState;
  readonly bargingIn: boolean;
  readonly lastError: { readonly reason: string; readonly message: string } | null;
  readonly disposed: boolean;
}

/** The voice of a client. */
export interface Voice {
  readonly state$: Observable<VoiceStateView>;
  /** The microphone's level, 0..1 (a meter: -60 dBFS..0 dBFS), per captured block. */
  readonly level$: Observable<number>;
  readonly input$: Observable<VoiceInputView>;
  readonly output$: Observable<VoiceOutputView>;
  /** Opens the microphone; resolves once it is open, rejects with an `AudioProcessorError` (e.g. permission denied). */
  start(): Promise<void>;
  /** Closes the microphone (and its context); resolves once it is released. */
  stop(): Promise<void>;
  /** Changes the input mode: `vad` (hands-free), `ptt` (push-to-talk) or `off`. */
  setMode(mode: InputMode): void;
  /** Push-to-talk: `true` while the button is held. */
  pushToTalk(pressed: boolean): void;
  /** Resumes playback's audio context; call it from a user gesture (autoplay). */
  unlock(): Promise<void>;
  /** Sets the playback volume, from 0 to 1. */
  setVolume(volume: number): void;
  /** Releases the microphone and the speakers and completes every observable (also done by `client.dispose()`). */
  dispose(): void;
}

const MODES: readonly InputMode[] = ['ptt', 'vad', 'off'];

function invalid(message: string): ClientError {
  return new ClientError('invalid_options', `createVoice: ${message}`);
}

/** Checks the options, naming every bad one. */
function checkOptions(options: VoiceOptions): void {
  const problems: string[] = [];
  if (options.mode !== undefined && !MODES.includes(options.mode)) problems.push(`mode must be 'ptt', 'vad' or 'off' (got ${String(options.mode)})`);
  if (options.sampleRate !== undefined && options.sampleRate !== 24_000 && options.sampleRate !== 16_000) problems.push(`sampleRate must be 24000 or 16000 (got ${String(options.sampleRate)})`);
  if (options.chunkSize !== undefined && !(Number.isInteger(options.chunkSize) && options.chunkSize > 0)) problems.push(`chunkSize must be a positive integer (got ${String(options.chunkSize)})`);
  if (options.volume !== undefined && !(typeof options.volume === 'number' && options.volume >= 0 && options.volume <= 1)) problems.push(`volume must be in 0..1 (got ${String(options.volume)})`);
  if (options.bargeInTimeoutMs !== undefined && !(typeof options.bargeInTimeoutMs === 'number' && options.bargeInTimeoutMs > 0)) problems.push('bargeInTimeoutMs must be a positive number');
  if (options.outputSampleRate !== undefined && !(typeof options.outputSampleRate === 'number' && options.outputSampleRate >= 3_000 && options.outputSampleRate <= 384_000)) {
    problems.push('outputSampleRate must be a sample rate in Hz');
  }
  if (problems.length > 0) throw invalid(problems.join('; '));
}

/** The counters of the data plane (read by the views; never machine context). */
interface Counters {
  streamed: number;
  suppressed: number;
  received: number;
  gated: number;
}

/**
 * Creates the voice of `client`: microphone capture (`start()`), the server's speech played back,
 * push-to-talk or voice activity, and barge-in. One voice per client; `client.dispose()` disposes it.
 *
 * @example
 * const voice = createVoice(client, { mode: 'vad' });
 * button.onclick = async () => { await voice.unlock(); await voice.start(); };
 * voice.level$.subscribe((level) => (meter.value = level));
 */
export function createVoice(client: RealtimeClient, options: VoiceOptions = {}): Voice {
  const port: VoicePort | undefined = (client as Partial<WithVoicePort>)[VOICE_PORT];
  if (!port) throw invalid('the first argument must be a client made by createClient');
  checkOptions(options);
  const wireRate = options.sampleRate ?? DEFAULT_WIRE_RATE;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const outputRate = options.outputSampleRate ?? DEFAULT_OUTPUT_RATE;
  const counters: Counters = { streamed: 0, suppressed: 0, received: 0, gated: 0 };
  const level = new Subject<number>();
  /** A figure of the data plane changed (the views are recomputed, at most once per frame). */
  const tick = new Subject<void>();

  // ---------------------------------------------------------------- the microphone actor
  /** Settles when the last microphone the voice opened is closed (what `stop()` waits for). */
  let released: Promise<void> = Promise.resolve();
  const source: AudioSource = options.source ?? {
    open: (handlers) =>
      openCapture(
        {
          echoCancellation: options.echoCancellation ?? true,
          noiseSuppression: options.noiseSuppression ?? true,
          autoGainControl: options.autoGainControl ?? true,
          ...(options.deviceId !== undefined ? { deviceId: options.deviceId } : {}),
          ...(options.worklet !== undefined ? { worklet: options.worklet } : {}),
          ...(options.mediaDevices !== undefined ? { mediaDevices: options.mediaDevices } : {}),
        },
        handlers,
      ),
  };
  const microphone = fromCallback<MicrophoneCommand, void, MicrophoneEvent>(({ sendBack, receive }) => {
    let streaming = false;
    let closed = false;
    let resample: ((input: Float32Array) => Float32Array) | null = null;
    let resampleFrom = 0;
    const chunker = createChunker(chunkSize);
    const gate = createEnergyGate({ sampleRate: wireRate, ...options.vad });
    const sendChunk = (chunk: Int16Array): void => {
      if (streaming && port.sendAudio(pcm16ToLittleEndianBytes(chunk))) counters.streamed++;
      else counters.suppressed++;
    };
    /** The source once open (closed at once by the cleanup; one still opening is closed when it opens). */
    let session: { close(): Promise<void> | void } | null = null;
    const opening = source.open({
        samples(block, sampleRate) {
          if (closed) return;
          if (!resample || resampleFrom !== sampleRate) {
            resample = createResampler(sampleRate, wireRate);
            resampleFrom = sampleRate;
          }
          const wire = resample(block);
          const heard = gate.push(wire);
          level.next(levelToMeter(heard.level));
          if (heard.changed) sendBack({ type: 'mic.speech', speaking: heard.open });
          const chunks = chunker.push(floatToPcm16(wire));
          for (const chunk of chunks) sendChunk(chunk);
          if (chunks.length > 0) tick.next();
        },
        lost(error) {
          if (!closed) sendBack({ type: 'mic.lost', code: error.code, message: error.message });
        },
        deviceChanged(deviceId) {
          if (!closed) sendBack({ type: 'mic.deviceChanged', deviceId });
        },
    });
    opening.then(
      (opened) => {
        session = opened;
        if (closed) return; // the cleanup closes it
        sendBack({ type: 'mic.ready', sampleRate: opened.sampleRate, deviceId: opened.deviceId });
      },
      (error: unknown) => {
        if (closed) return;
        const failure = error instanceof AudioProcessorError ? error : new AudioProcessorError(String(error), 'PROCESSING_ERROR', undefined, { cause: error });
        const denied = (failure.details as { denied?: unknown } | undefined)?.denied === true;
        sendBack({ type: 'mic.failed', code: failure.code, message: failure.message, denied });
      },
    );
    receive((command) => {
      if (command.on === streaming) return;
      streaming = command.on;
      if (!streaming) {
        // the utterance's tail goes out now, not with the next utterance (no held-back tail)
        const rest = chunker.flush();
        if (rest) {
          streaming = true;
          sendChunk(rest);
          streaming = false;
          tick.next();
        }
      } else {
        chunker.reset(); // a frame never mixes audio from before the gate opened
      }
    });
    return () => {
      closed = true;
      // released once the source is closed (one still opening is closed as soon as it has opened)
      released = session
        ? Promise.resolve(session.close()).catch(() => undefined)
        : opening.then(
            async (opened) => {
              await opened.close();
            },
            () => undefined,
          );
    };
  });

  // ---------------------------------------------------------------- the speaker actor
  const player =
    options.player ??
    createPlayer({
      volume: options.volume ?? 1,
      ...(options.audioContext !== undefined ? { context: options.audioContext } : {}),
      ...(options.destination !== undefined ? { destination: options.destination } : {}),
    });
  const speaker = fromCallback<SpeakerCommand, void, SpeakerEvent>(({ sendBack, receive }) => {
    let open = true;
    let rate = outputRate;
    let playing = false;
    const idle = (): void => {
      if (!playing) return;
      playing = false;
      sendBack({ type: 'speaker.idle' });
    };
    const offState = player.onContextState((state) => sendBack({ type: 'speaker.context', state }));
    sendBack({ type: 'speaker.context', state: player.contextState() });
    const offIdle = player.onIdle(() => {
      idle();
      tick.next();
    });
    const frames = port.audio$.subscribe((pcm) => {
      counters.received++;
      if (!open) counters.gated++;
      else {
        player.play(pcm, rate);
        if (!playing) {
          playing = true;
          sendBack({ type: 'speaker.playing' });
        }
      }
      tick.next();
    });
    receive((command) => {
      switch (command.type) {
        case 'speaker.gate':
          open = command.open;
          rate = command.sampleRate;
          break;
        case 'speaker.flush':
          player.stop();
          idle();
          tick.next();
          break;
        case 'speaker.volume':
          player.setVolume(command.volume);
          tick.next();
          break;
        case 'speaker.unlock':
          player.unlock().catch(() => undefined); // the state change is what counts; unlock() reports failures to its caller
          break;
      }
    });
    return () => {
      frames.unsubscribe();
      offState();
      offIdle();
    };
  });

  // ---------------------------------------------------------------- the statechart
  const machine = voiceMachine.provide({
    actors: {
      capture: captureMachine.provide({ actors: { microphone } }),
      playback: playbackMachine.provide({ actors: { speaker } }),
      cancelAnswer: fromPromise(() => client.cancel()),
    },
  });
  const actor = createActor(machine, {
    id: 'voice',
    input: {
      mode: options.mode ?? 'ptt',
      respectTurnState: options.respectTurnState ?? true,
      bargeIn: options.bargeIn ?? true,
      bargeInTimeoutMs: options.bargeInTimeoutMs ?? 5_000,
      playback: { volume: options.volume ?? 1, outputRate },
    },
    ...(port.clock ? { clock: port.clock as never } : {}),
    ...(port.inspect ? { inspect: port.inspect as never } : {}),
  });
  actor.start();
  const capture = actor.system.get('capture') as ActorRefFrom<typeof captureMachine>;
  const playback = actor.system.get('playback') as ActorRefFrom<typeof playbackMachine>;

  // ---------------------------------------------------------------- views
  let disposed = false;
  let voiceModel: VoiceModel | null = null;
  const inputView = (snapshot: SnapshotFrom<typeof captureMachine>): VoiceInputView => ({
    state: captureState(snapshot),
    error: snapshot.context.problem,
    deviceId: snapshot.context.deviceId,
    sampleRate: snapshot.context.sampleRate,
    wireRate,
    chunksStreamed: counters.streamed,
    chunksSuppressed: counters.suppressed,
  });
  const outputView = (snapshot: SnapshotFrom<typeof playbackMachine>): VoiceOutputView => {
    const status = player.status();
    return {
      isPlaying: snapshot.hasTag('playing'),
      isEnabled: snapshot.context.output.kind !== 'silent' && !snapshot.context.interrupted,
      chunksReceived: counters.received,
      chunksPlayed: status.chunksPlayed,
      chunksSkipped: status.chunksSkipped + counters.gated,
      queueLength: status.queueLength,
      volume: snapshot.context.volume,
      voiceModel,
      skipPlayback: snapshot.context.output.kind === 'silent',
      contextState: snapshot.context.contextState,
    };
  };
  const stateView = (): VoiceStateView => {
    const root = actor.getSnapshot();
    const playing = playback.getSnapshot();
    return {
      input: captureState(capture.getSnapshot()),
      mode: root.context.mode,
      speaking: root.context.intent,
      streaming: capture.getSnapshot().hasTag('recording'),
      output: playing.hasTag('interrupted') ? 'interrupted' : playing.hasTag('playing') ? 'playing' : 'silent',
      audioContext: playing.context.contextState,
      bargingIn: root.hasTag('bargingIn'),
      lastError: root.context.lastError,
      disposed,
    };
  };
  const same = <T>(a: T, b: T): boolean => JSON.stringify(a) === JSON.stringify(b);
  const state$ = new BehaviorSubject<VoiceStateView>(stateView());
  const input$ = new BehaviorSubject<VoiceInputView>(inputView(capture.getSnapshot()));
  const output$ = new BehaviorSubject<VoiceOutputView>(outputView(playback.getSnapshot()));
  const refresh = (): void => {
    if (disposed) return;
    const state = stateView();
    if (!same(state, state$.value)) state$.next(state);
    const input = inputView(capture.getSnapshot());
    if (!same(input, input$.value)) input$.next(input);
    const output = outputView(playback.getSnapshot());
    if (!same(output, output$.value)) output$.next(output);
  };

  const subscriptions: { unsubscribe(): void }[] = [
    tick.subscribe(refresh),
    actor.subscribe(refresh),
    capture.subscribe(refresh),
    playback.subscribe(refresh),
    (actor.system.get('voiceInput') as ActorRefFrom<typeof voiceMachine>).subscribe(refresh),
    client.turn$.subscribe((turn) => actor.send({ type: 'turn.changed', turn })),
    client.interaction$
      .pipe(
        map((view) => view !== null),
        distinctUntilChanged(),
      )
      .subscribe((live) => actor.send({ type: 'interaction.changed', live })),
    // the client's view of the current voice (also one set before this voice was created)
    client.voices$
      .pipe(
        map((view) => view.current),
        distinctUntilChanged(),
        filter((current): current is VoiceModel => current !== null),
      )
      .subscribe((current) => {
        voiceModel = current;
        actor.send({ type: 'voice.changed', output: voiceOutput(current, outputRate) });
      }),
    port.cancels$.subscribe(() => actor.send({ type: 'cancel.sent' })),
  ];
  if (options.serverInputModes) {
    const tell = (event: Parameters<RealtimeClient['send']>[0]): void => void client.send(event).catch(() => undefined);
    // Told only while ready (a command sent earlier is refused `not_ready`), and told afresh in each
    // ready period: a restarted server forgot it. What was told is noted before it is sent (a send
    // makes connection$ emit its counts at once, re-entering).
    const ready$ = client.connection$.pipe(
      map((status) => status.state === 'ready'),
      distinctUntilChanged(),
    );
    subscriptions.push(
      ready$
        .pipe(
          switchMap((ready) => {
            if (!ready) return EMPTY;
            let told: InputMode | null = null;
            let pressed = false;
            return state$.pipe(
              tap((view) => {
                if (view.mode !== told) {
                  told = view.mode;
                  if (view.mode !== 'off') tell({ type: 'set_voice_input_mode', mode: view.mode });
                }
                const holding = view.mode === 'ptt' && view.speaking;
                if (holding !== pressed) {
                  pressed = holding;
                  tell({ type: holding ? 'ptt_start' : 'ptt_end' });
                }
              }),
            );
          }),
        )
        .subscribe(),
    );
  }

  // ---------------------------------------------------------------- commands
  const disposedError = () => new ClientError('closed', 'The voice was disposed');
  /** Settles at the first capture state among `wanted`, rejects at a failure, or when the capture goes back to idle (stopped). */
  const captureSettles = (wanted: readonly VoiceInputState[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let left = false; // the capture left idle (its current state when asked)
      const subscription = input$.subscribe({
        next(view) {
          if (view.state !== 'idle') left = true;
          if (wanted.includes(view.state)) resolve();
          else if (view.state === 'permissionDenied' || view.state === 'failed') {
            const code = (view.error?.code ?? AudioProcessorErrorCode.PROCESSING_ERROR) as AudioProcessorErrorCode;
            reject(new AudioProcessorError(view.error?.message ?? view.state, code, view.state === 'permissionDenied' ? { denied: true, name: 'NotAllowedError' } : undefined));
          } else if (view.state === 'idle' && left) reject(new ClientError('aborted', 'The voice was stopped before the microphone opened'));
          else return;
          queueMicrotask(() => subscription.unsubscribe());
        },
        complete: () => reject(disposedError()),
      });
    });

  const detach = port.attach(() => voice.dispose());
  const voice: Voice = {
    state$: state$.asObservable(),
    level$: level.asObservable(),
    input$: input$.asObservable(),
    output$: output$.asObservable(),
    start() {
      if (disposed) return Promise.reject(disposedError());
      const current = captureState(capture.getSnapshot());
      if (current === 'ready' || current === 'recording') return Promise.resolve();
      const settled = captureSettles(['ready', 'recording']);
      if (current !== 'requestingPermission') actor.send({ type: 'voice.start' });
      return settled;
    },
    stop() {
      if (disposed) return released;
      actor.send({ type: 'voice.stop' }); // leaving the capture's open state stops the microphone actor
      return released.catch(() => undefined);
    },
    setMode(mode) {
      if (!MODES.includes(mode)) throw invalid(`mode must be 'ptt', 'vad' or 'off' (got ${String(mode)})`);
      if (!disposed) actor.send({ type: 'mode.set', mode });
    },
    pushToTalk(pressed) {
      if (!disposed) actor.send({ type: 'ptt', pressed: Boolean(pressed) });
    },
    unlock() {
      if (disposed) return Promise.reject(disposedError());
      actor.send({ type: 'voice.unlock' });
      return player.unlock();
    },
    setVolume(volume) {
      if (!(typeof volume === 'number' && volume >= 0 && volume <= 1)) throw invalid(`volume must be in 0..1 (got ${String(volume)})`);
      if (!disposed) actor.send({ type: 'voice.volume', volume });
    },
    dispose() {
      if (disposed) return;
      actor.send({ type: 'voice.stop' });
      actor.stop(); // stops the microphone and speaker actors: the microphone and its context are released
      void player.close();
      disposed = true;
      detach();
      for (const subscription of subscriptions) subscription.unsubscribe();
      state$.next({ ...state$.value, disposed: true });
      for (const subject of [state$, input$, output$, level, tick] as { complete(): void }[]) subject.complete();
    },
  };
  return voice;
}

/** The capture's state from its tags. */
function captureState(snapshot: SnapshotFrom<typeof captureMachine>): VoiceInputState {
  for (const tag of ['requestingPermission', 'recording', 'ready', 'permissionDenied', 'failed'] as const) if (snapshot.hasTag(tag)) return tag;
  return 'idle';
}

export type { InputMode, VoiceOutput };
