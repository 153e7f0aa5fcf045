// Part of `npm run build`: writes the shippable capture worklet, dist/audio/capture.worklet.js, from
// the one source of the processor (src/audio/worklet/capture-processor.ts): the same text the inline
// (Blob URL) worklet runs, as a file with no imports, so an app can serve or bundle it on its own.
import { writeFileSync } from 'node:fs';
import { CAPTURE_PROCESSOR_SOURCE } from '../dist/audio/worklet/capture-processor.js';

export const WORKLET_FILE = new URL('../dist/audio/capture.worklet.js', import.meta.url);
writeFileSync(WORKLET_FILE, `${CAPTURE_PROCESSOR_SOURCE}\n`);
