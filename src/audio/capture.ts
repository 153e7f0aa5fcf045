/**
 * Microphone capture: getUserMedia into the `agentc-capture` AudioWorklet, which hands out mono
 * Float32 batches at the context's rate. Plain I/O for the voice statechart to drive: no timers, no
 * state machine, nothing touched at import time. A lost device is replaced in place (same worklet
 * node, same context); when none can be opened, `lost` is called and everything is released.
 */
import {
  AudioContext,
  AudioWorkletNode,
  type IAudioContext,
  type IAudioWorkletNode,
  type IGainNode,
  type IMediaStreamAudioSourceNode,
} from 'standardized-audio-context';
import { AudioProcessorError, AudioProcessorErrorCode, type AudioProcessorErrorDetails } from './errors.js';
import {
  CAPTURE_PROCESSOR_NAME,
  CAPTURE_PROCESSOR_SOURCE,
  DEFAULT_BATCH_FRAMES,
  type CaptureProcessorOptions,
  type CaptureStopMessage,
} from './worklet/capture-processor.js';

/** The part of `MediaDevices` capture uses; `navigator.mediaDevices` is one. */
export interface MediaDevicesLike {
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
  /** Used on `devicechange` to tell whether the current microphone is still there. */
  enumerateDevices?(): Promise<MediaDeviceInfo[]>;
  addEventListener?(type: 'devicechange', listener: () => void): void;
  removeEventListener?(type: 'devicechange', listener: () => void): void;
}

/** Options of {@link openCapture}. */
export interface CaptureOptions {
  /** @default true */
  echoCancellation?: boolean;
  /** @default true */
  noiseSuppression?: boolean;
  /** @default true */
  autoGainControl?: boolean;
  /** The microphone to open (required exactly); the default device when absent. */
  deviceId?: string;
  /**
   * `'inline'` loads the processor from a Blob URL; any other string is the URL of the module file
   * (`agentc-realtime/audio/capture.worklet.js`, i.e. `dist/audio/capture.worklet.js`: one file, no imports).
   * @default 'inline'
   */
  worklet?: string;
  /** A context to capture in. It is not closed by `close()`; without it one is created and closed. */
  context?: IAudioContext;
  /** Frames per `samples` block, at the context's rate. @default 2048 */
  batchFrames?: number;
  /** @default navigator.mediaDevices */
  mediaDevices?: MediaDevicesLike;
}

/** Where capture reports to. */
export interface CaptureHandlers {
  /** A mono block of `batchFrames` samples at `sampleRate` (the context's rate); the buffer is yours. */
  samples(block: Float32Array, sampleRate: number): void;
  /** The device is gone and no other could be opened, or the context or processor failed; all is released. */
  lost(error: AudioProcessorError): void;
  /** The microphone was replaced (the old one went away); the id of the new one, if the browser tells. */
  deviceChanged?(deviceId: string | null): void;
}

/** A running capture. */
export interface CaptureSession {
  /** The rate of every block (the context's rate). */
  readonly sampleRate: number;
  /** The id of the microphone in use, if the browser tells. */
  readonly deviceId: string | null;
  readonly context: IAudioContext;
  /** Stops every track, disconnects the nodes, stops the processor, closes the context if it was created here. Idempotent. */
  close(): Promise<void>;
}

const MAX_BATCH_FRAMES = 1 << 20;

/** Worklet modules already loaded (or loading) per context, by `'inline'` or URL. */
const loadedModules = new WeakMap<IAudioContext, Map<string, Promise<void>>>();

function fail(code: AudioProcessorErrorCode, message: string, details?: AudioProcessorErrorDetails, cause?: unknown): AudioProcessorError {
  return new AudioProcessorError(message, code, details, cause === undefined ? undefined : { cause });
}

function errorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

function detailsOf(error: unknown): AudioProcessorErrorDetails | undefined {
  const name = errorName(error);
  return name === undefined ? undefined : { name };
}

/** Turns a getUserMedia rejection into the error callers switch on. */
function microphoneError(error: unknown): AudioProcessorError {
  if (error instanceof AudioProcessorError) return error;
  const name = errorName(error);
  const code = AudioProcessorErrorCode.MICROPHONE_ACCESS_ERROR;
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return fail(code, 'Microphone access was denied', { denied: true, name: 'NotAllowedError' }, error);
    case 'NotFoundError':
    case 'OverconstrainedError':
      return fail(code, 'No microphone was found', { name: 'NotFoundError' }, error);
    default:
      return fail(code, `The microphone could not be opened${name ? ` (${name})` : ''}`, detailsOf(error), error);
  }
}

function stopTracks(stream: MediaStream | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

function audioTrack(stream: MediaStream): MediaStreamTrack | undefined {
  return stream.getAudioTracks()[0];
}

interface Config {
  readonly audio: MediaTrackConstraints;
  readonly deviceId: string | undefined;
  readonly worklet: string;
  readonly batchFrames: number;
}

function resolveConfig(options: CaptureOptions): Config {
  const batchFrames = options.batchFrames ?? DEFAULT_BATCH_FRAMES;
  if (!Number.isInteger(batchFrames) || batchFrames < 1 || batchFrames > MAX_BATCH_FRAMES) {
    throw fail(AudioProcessorErrorCode.INVALID_CONFIG, `batchFrames must be an integer from 1 to ${MAX_BATCH_FRAMES}, not ${batchFrames}`);
  }
  const worklet = options.worklet ?? 'inline';
  if (typeof worklet !== 'string' || worklet === '') {
    throw fail(AudioProcessorErrorCode.INVALID_CONFIG, "worklet must be 'inline' or the URL of the worklet module");
  }
  if (options.deviceId !== undefined && (typeof options.deviceId !== 'string' || options.deviceId === '')) {
    throw fail(AudioProcessorErrorCode.INVALID_CONFIG, 'deviceId must be a non-empty string');
  }
  return {
    audio: {
      echoCancellation: options.echoCancellation ?? true,
      noiseSuppression: options.noiseSuppression ?? true,
      autoGainControl: options.autoGainControl ?? true,
    },
    deviceId: options.deviceId,
    worklet,
    batchFrames,
  };
}

function constraints(config: Config, deviceId: string | undefined): MediaStreamConstraints {
  return { audio: deviceId === undefined ? { ...config.audio } : { ...config.audio, deviceId: { exact: deviceId } }, video: false };
}

async function acquire(devices: MediaDevicesLike, request: MediaStreamConstraints): Promise<MediaStream> {
  let stream: MediaStream;
  try {
    stream = await devices.getUserMedia(request);
  } catch (error) {
    throw microphoneError(error);
  }
  const track = audioTrack(stream);
  if (track === undefined || track.readyState !== 'live') {
    stopTracks(stream);
    throw fail(AudioProcessorErrorCode.MICROPHONE_ACCESS_ERROR, 'The microphone gave no live audio track', { name: 'NotReadableError' });
  }
  return stream;
}

function loadWorklet(context: IAudioContext, worklet: string): Promise<void> {
  const audioWorklet = context.audioWorklet;
  if (audioWorklet === undefined) {
    return Promise.reject(fail(AudioProcessorErrorCode.NOT_SUPPORTED, 'This AudioContext has no audioWorklet'));
  }
  let modules = loadedModules.get(context);
  if (modules === undefined) loadedModules.set(context, (modules = new Map()));
  const known = modules.get(worklet);
  if (known !== undefined) return known;
  const load = async (): Promise<void> => {
    if (worklet !== 'inline') return audioWorklet.addModule(worklet);
    const url = URL.createObjectURL(new Blob([CAPTURE_PROCESSOR_SOURCE], { type: 'application/javascript' }));
    try {
      await audioWorklet.addModule(url);
    } finally {
      URL.revokeObjectURL(url);
    }
  };
  const loading = load().catch((error: unknown) => {
    modules.delete(worklet);
    throw fail(AudioProcessorErrorCode.WORKLET_LOAD_ERROR, `The capture worklet could not be loaded from ${worklet === 'inline' ? 'its inline source' : worklet}`, undefined, error);
  });
  modules.set(worklet, loading);
  return loading;
}

function sourceOf(context: IAudioContext, stream: MediaStream): IMediaStreamAudioSourceNode<IAudioContext> {
  try {
    return context.createMediaStreamSource(stream);
  } catch (error) {
    throw fail(AudioProcessorErrorCode.AUDIO_CONTEXT_ERROR, 'The microphone could not be connected to the AudioContext', detailsOf(error), error);
  }
}

/** Everything one capture holds; `release()` lets it all go, once. */
class Capture implements CaptureSession {
  private device: string | null;
  private closed = false;
  private replacing = false;
  private released: Promise<void> | undefined;

  constructor(
    readonly context: IAudioContext,
    private readonly ownContext: boolean,
    private readonly node: IAudioWorkletNode<IAudioContext>,
    private readonly mute: IGainNode<IAudioContext>,
    private stream: MediaStream,
    private source: IMediaStreamAudioSourceNode<IAudioContext>,
    private readonly config: Config,
    private readonly devices: MediaDevicesLike,
    private readonly handlers: CaptureHandlers,
  ) {
    this.device = audioTrack(stream)?.getSettings().deviceId ?? null;
    node.port.onmessage = (event: MessageEvent<Float32Array>) => {
      if (!this.closed) handlers.samples(event.data, context.sampleRate);
    };
    node.onprocessorerror = () => this.lose(fail(AudioProcessorErrorCode.PROCESSING_ERROR, 'The capture processor failed'));
    this.source.connect(node);
    node.connect(mute);
    mute.connect(context.destination);
    audioTrack(stream)?.addEventListener('ended', this.onEnded);
    devices.addEventListener?.('devicechange', this.onDeviceChange);
    context.addEventListener('statechange', this.onStateChange);
  }

  get sampleRate(): number {
    return this.context.sampleRate;
  }

  get deviceId(): string | null {
    return this.device;
  }

  close(): Promise<void> {
    return this.release();
  }

  private readonly onEnded = (): void => {
    void this.replaceDevice();
  };

  private readonly onDeviceChange = (): void => {
    void this.checkDevice();
  };

  private readonly onStateChange = (): void => {
    if (this.context.state === 'closed') this.lose(fail(AudioProcessorErrorCode.AUDIO_CONTEXT_ERROR, 'The AudioContext was closed'));
  };

  /** On `devicechange`: replace the microphone only if it is no longer listed. */
  private async checkDevice(): Promise<void> {
    const track = audioTrack(this.stream);
    if (this.closed || this.replacing || track === undefined) return;
    if (track.readyState === 'ended') return this.replaceDevice();
    const id = track.getSettings().deviceId;
    if (id === undefined || this.devices.enumerateDevices === undefined) return;
    let listed: MediaDeviceInfo[];
    try {
      listed = await this.devices.enumerateDevices();
    } catch {
      return; // cannot tell; the track's own `ended` still catches a real loss
    }
    if (audioTrack(this.stream) !== track) return;
    if (!listed.some((device) => device.kind === 'audioinput' && device.deviceId === id)) await this.replaceDevice();
  }

  /** Opens another microphone (the chosen one if it is still there, else the default) and wires it into the same node. */
  private async replaceDevice(): Promise<void> {
    if (this.closed || this.replacing) return;
    this.replacing = true;
    try {
      const attempts = this.config.deviceId === undefined ? [undefined] : [this.config.deviceId, undefined];
      let stream: MediaStream | undefined;
      let lastError: unknown;
      for (const deviceId of attempts) {
        try {
          stream = await acquire(this.devices, constraints(this.config, deviceId));
          break;
        } catch (error) {
          lastError = error;
          if (this.closed) return;
        }
      }
      if (this.closed) return stopTracks(stream);
      if (stream === undefined) {
        const cause = microphoneError(lastError);
        return this.lose(fail(cause.code, `The microphone was lost and no other could be opened: ${cause.message}`, cause.details, lastError));
      }
      let source: IMediaStreamAudioSourceNode<IAudioContext>;
      try {
        source = sourceOf(this.context, stream);
      } catch (error) {
        stopTracks(stream);
        return this.lose(error as AudioProcessorError);
      }
      source.connect(this.node);
      this.detachSource();
      this.stream = stream;
      this.source = source;
      this.device = audioTrack(stream)?.getSettings().deviceId ?? null;
      audioTrack(stream)?.addEventListener('ended', this.onEnded);
      this.handlers.deviceChanged?.(this.device);
    } finally {
      this.replacing = false;
    }
  }

  private detachSource(): void {
    audioTrack(this.stream)?.removeEventListener('ended', this.onEnded);
    try {
      this.source.disconnect();
    } catch {
      // already disconnected
    }
    stopTracks(this.stream);
  }

  /** Releases everything, then tells the handler (unless `close()` came first). */
  private lose(error: AudioProcessorError): void {
    if (this.closed) return;
    void this.release().then(() => this.handlers.lost(error));
  }

  private release(): Promise<void> {
    this.released ??= (async () => {
      this.closed = true;
      this.devices.removeEventListener?.('devicechange', this.onDeviceChange);
      this.context.removeEventListener('statechange', this.onStateChange);
      this.node.port.onmessage = null;
      this.node.onprocessorerror = null;
      this.detachSource();
      try {
        this.node.port.postMessage({ type: 'stop' } satisfies CaptureStopMessage);
        this.node.disconnect();
        this.mute.disconnect();
      } catch {
        // a closed context may refuse; nothing is left to release there
      }
      if (this.ownContext && this.context.state !== 'closed') await this.context.close().catch(() => undefined);
    })();
    return this.released;
  }
}

/**
 * Opens the microphone and starts capturing mono Float32 blocks at the context's rate.
 *
 * Rejects with an {@link AudioProcessorError} (`NOT_SUPPORTED`, `INVALID_CONFIG`,
 * `MICROPHONE_ACCESS_ERROR`, `AUDIO_CONTEXT_ERROR`, `WORKLET_LOAD_ERROR`) after releasing whatever it
 * had acquired. A context created here is resumed but not awaited: without a user gesture it may stay
 * suspended (no blocks) until something resumes it.
 *
 * @example
 * const mic = await openCapture({ batchFrames: 4800 }, { samples: (b, rate) => send(b, rate), lost: onLost });
 * await mic.close();
 */
export async function openCapture(options: CaptureOptions, handlers: CaptureHandlers): Promise<CaptureSession> {
  const config = resolveConfig(options);
  const devices = options.mediaDevices ?? (typeof navigator === 'undefined' ? undefined : navigator.mediaDevices);
  if (devices === undefined || typeof devices.getUserMedia !== 'function') {
    throw fail(AudioProcessorErrorCode.NOT_SUPPORTED, 'getUserMedia is not available (an old browser, or not a secure context)');
  }
  if (AudioWorkletNode === undefined) throw fail(AudioProcessorErrorCode.NOT_SUPPORTED, 'AudioWorklet is not available');
  const Node = AudioWorkletNode;

  let stream: MediaStream | undefined;
  let context: IAudioContext | undefined = options.context;
  const ownContext = context === undefined;
  const nodes: { disconnect(): void }[] = [];
  try {
    stream = await acquire(devices, constraints(config, config.deviceId));
    if (context === undefined) {
      try {
        context = new AudioContext({ latencyHint: 'interactive' });
      } catch (error) {
        throw fail(AudioProcessorErrorCode.AUDIO_CONTEXT_ERROR, 'An AudioContext could not be created', detailsOf(error), error);
      }
    }
    if (context.state === 'closed') throw fail(AudioProcessorErrorCode.AUDIO_CONTEXT_ERROR, 'The AudioContext is closed');
    await loadWorklet(context, config.worklet);
    let node: IAudioWorkletNode<IAudioContext>;
    try {
      node = new Node(context, CAPTURE_PROCESSOR_NAME, {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        // Two channels in, always: a mono source is up-mixed, anything wider down-mixed; the processor averages them.
        channelCount: 2,
        channelCountMode: 'explicit',
        channelInterpretation: 'speakers',
        processorOptions: { batchFrames: config.batchFrames } satisfies CaptureProcessorOptions,
      });
    } catch (error) {
      throw fail(AudioProcessorErrorCode.WORKLET_LOAD_ERROR, 'The capture worklet node could not be created', undefined, error);
    }
    nodes.push(node);
    // Keeps the node pulled by the graph without sending the microphone to the speakers.
    const mute = context.createGain();
    mute.gain.value = 0;
    nodes.push(mute);
    const source = sourceOf(context, stream);
    nodes.push(source);
    const capture = new Capture(context, ownContext, node, mute, stream, source, config, devices, handlers);
    if (context.state === 'suspended') context.resume().catch(() => undefined);
    return capture;
  } catch (error) {
    for (const node of nodes) {
      try {
        node.disconnect();
      } catch {
        // a closed context may refuse; the node is dead there anyway
      }
    }
    stopTracks(stream);
    if (ownContext && context !== undefined && context.state !== 'closed') await context.close().catch(() => undefined);
    throw error instanceof AudioProcessorError ? error : fail(AudioProcessorErrorCode.AUDIO_CONTEXT_ERROR, 'Capture could not start', undefined, error);
  }
}
