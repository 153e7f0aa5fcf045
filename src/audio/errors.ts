/**
 * The error of the browser audio I/O (capture and playback): an `AudioProcessorError` with a `code`
 * to switch on and, for microphone failures, `details` that say why.
 */

/** Every code an {@link AudioProcessorError} can carry (the names of the seeds' enum). */
export const AudioProcessorErrorCode = Object.freeze({
  /** An AudioContext could not be created, was closed, or could not be resumed. */
  AUDIO_CONTEXT_ERROR: 'AUDIO_CONTEXT_ERROR',
  /** The capture worklet module could not be loaded, or its node could not be created. */
  WORKLET_LOAD_ERROR: 'WORKLET_LOAD_ERROR',
  /** The microphone could not be opened, or was lost: see `details.denied` and `details.name`. */
  MICROPHONE_ACCESS_ERROR: 'MICROPHONE_ACCESS_ERROR',
  /** The capture processor failed on the audio thread. */
  PROCESSING_ERROR: 'PROCESSING_ERROR',
  /** An option or argument is out of range. */
  INVALID_CONFIG: 'INVALID_CONFIG',
  /** The browser lacks getUserMedia or AudioWorklet (or the page is not a secure context). */
  NOT_SUPPORTED: 'NOT_SUPPORTED',
} as const);

/** Why an {@link AudioProcessorError} happened. */
export type AudioProcessorErrorCode = (typeof AudioProcessorErrorCode)[keyof typeof AudioProcessorErrorCode];

/**
 * What is known about a failure. For `MICROPHONE_ACCESS_ERROR`:
 * - permission refused (`NotAllowedError`, `SecurityError`): `{ denied: true, name: 'NotAllowedError' }`;
 * - no such device (`NotFoundError`, `OverconstrainedError`): `{ name: 'NotFoundError' }`;
 * - anything else (`NotReadableError`: the device is busy, …): `{ name }` of the browser's error.
 */
export interface AudioProcessorErrorDetails {
  readonly denied?: boolean;
  readonly name?: string;
  readonly [key: string]: unknown;
}

/**
 * An error of the audio I/O. Switch on `code`; the browser's own error, if any, is the `cause`.
 *
 * @example
 * try { await openCapture({}, handlers); }
 * catch (e) { if (e instanceof AudioProcessorError && e.details?.denied) showPermissionHint(); }
 */
export class AudioProcessorError extends Error {
  override readonly name = 'AudioProcessorError';

  /** A message for people, the seeds' error `code`, and the details (e.g. `denied` for a refused permission). */
  constructor(
    message: string,
    readonly code: AudioProcessorErrorCode,
    readonly details?: AudioProcessorErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
