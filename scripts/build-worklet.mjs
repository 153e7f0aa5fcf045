// Part of `npm run build`: writes the shippable capture worklet, dist/audio/capture.worklet.js, from
// the one source of the processor (src/audio/worklet/capture-processor.ts): the same text the inline
// (Blob URL) worklet runs, as a file with no imports, so an app can serve or bundle it on its own.
// Its declaration file says the module exports nothing (it only registers its processor in the
// worklet's global scope), so every entry of the exports map has types (attw's check).
import { writeFileSync } from 'node:fs';
import { CAPTURE_PROCESSOR_SOURCE } from '../dist/audio/worklet/capture-processor.js';

export const WORKLET_FILE = new URL('../dist/audio/capture.worklet.js', import.meta.url);
writeFileSync(WORKLET_FILE, `${CAPTURE_PROCESSOR_SOURCE}\n`);
writeFileSync(
  new URL('../dist/audio/capture.worklet.d.ts', import.meta.url),
  '// The capture worklet module: it registers its AudioWorkletProcessor and exports nothing.\nexport {};\n',
);
