/**
 * The one source of the capture AudioWorkletProcessor. `defineCaptureProcessor` runs on the audio
 * thread; its text is also shipped as {@link CAPTURE_PROCESSOR_SOURCE} for the inline (Blob URL)
 * worklet, so it must stay self-contained: no imports, nothing from this module's scope, no helpers a
 * compiler could hoist out of it.
 */

/** The name the processor is registered under. */
export const CAPTURE_PROCESSOR_NAME = 'agentc-capture';

/** The batch size (frames at the context rate) when `processorOptions.batchFrames` is not given. */
export const DEFAULT_BATCH_FRAMES = 2048;

/** The message that stops the processor (it then returns false and lets the node be collected). */
export interface CaptureStopMessage {
  readonly type: 'stop';
}

/** What the processor receives as `processorOptions`. */
export interface CaptureProcessorOptions {
  readonly batchFrames?: number;
}

/** The part of AudioWorkletProcessor this file uses (declared here so the DOM types stay clean). */
export interface WorkletProcessor {
  readonly port: MessagePort;
}

/** The part of an AudioWorkletGlobalScope this file uses. */
export interface WorkletScope {
  readonly AudioWorkletProcessor: new () => WorkletProcessor;
  registerProcessor(
    name: string,
    processor: new (options: { processorOptions?: CaptureProcessorOptions }) => WorkletProcessor,
  ): void;
}

// Module-local ambient names: they compile to free identifiers, which resolve in whatever scope the
// function's text ends up in (the AudioWorkletGlobalScope, or standardized-audio-context's wrapper,
// which passes its own AudioWorkletProcessor and registerProcessor as parameters).
declare const AudioWorkletProcessor: WorkletScope['AudioWorkletProcessor'];
declare const registerProcessor: WorkletScope['registerProcessor'];

/**
 * Registers the `agentc-capture` processor. Call it inside an AudioWorkletGlobalScope.
 *
 * The processor copies input 0 (the mean of channels 0 and 1 when there are two) into batches of
 * `processorOptions.batchFrames` frames and posts each batch on its port as a transferred
 * `Float32Array`. With no input it posts nothing and keeps running; its output is silence. A port
 * message `{ type: 'stop' }` ends it.
 *
 * @param scope - Where `AudioWorkletProcessor` and `registerProcessor` come from; by default the
 *   names in scope where the function's text runs.
 */
export function defineCaptureProcessor(scope?: WorkletScope): void {
  const { AudioWorkletProcessor: Base, registerProcessor: register } = scope ?? { AudioWorkletProcessor, registerProcessor };

  class CaptureProcessor extends Base {
    private readonly size: number;
    private batch: Float32Array;
    private filled = 0;
    private running = true;

    constructor(options: { processorOptions?: CaptureProcessorOptions }) {
      super();
      const requested = options.processorOptions?.batchFrames;
      this.size = typeof requested === 'number' && Number.isInteger(requested) && requested > 0 ? requested : 2048;
      this.batch = new Float32Array(this.size);
      this.port.onmessage = (event: MessageEvent<unknown>) => {
        const data = event.data as { type?: unknown } | null;
        if (data !== null && typeof data === 'object' && data.type === 'stop') {
          this.running = false;
          this.port.onmessage = null;
        }
      };
    }

    process(inputs: Float32Array[][]): boolean {
      if (!this.running) return false;
      // No input connected: Chrome hands channels of length 0, the spec an empty list (Chrome bug #170
      // in standardized-audio-context's words). Either way there is nothing to copy.
      const channels = inputs[0] ?? [];
      const left = channels[0];
      if (left === undefined || left.length === 0) return true;
      const right = channels.length >= 2 && channels[1]!.length === left.length ? channels[1] : undefined;
      for (let i = 0; i < left.length; i++) {
        this.batch[this.filled++] = right === undefined ? left[i]! : (left[i]! + right[i]!) * 0.5;
        if (this.filled === this.size) {
          this.port.postMessage(this.batch, [this.batch.buffer]);
          this.batch = new Float32Array(this.size);
          this.filled = 0;
        }
      }
      return true;
    }
  }

  try {
    register('agentc-capture', CaptureProcessor);
  } catch (error) {
    // The only expected failure: the module was evaluated twice in one scope (NotSupportedError).
    if ((error as { name?: unknown } | null)?.name !== 'NotSupportedError') throw error;
  }
}

/** The processor as a classic script: the text an inline (Blob URL) worklet module loads. */
export const CAPTURE_PROCESSOR_SOURCE = `(${defineCaptureProcessor.toString()})();`;
