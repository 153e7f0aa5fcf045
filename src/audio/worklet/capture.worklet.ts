import { defineCaptureProcessor, type WorkletScope } from './capture-processor.js';

// The shippable worklet module (dist/audio/worklet/capture.worklet.js), for `openCapture({ worklet: url })`.
// The import must stay the first statement, with no comment above it: standardized-audio-context
// fetches this text, lifts the leading import statements out and wraps the rest in a function that
// receives its own AudioWorkletProcessor and registerProcessor, which are passed on here.

declare const AudioWorkletProcessor: WorkletScope['AudioWorkletProcessor'];
declare const registerProcessor: WorkletScope['registerProcessor'];

defineCaptureProcessor({ AudioWorkletProcessor, registerProcessor });
