/**
 * Writes the WAV that Chromium plays as its fake microphone (`--use-file-for-fake-audio-capture`):
 * a mono PCM16 sine. Runs in Node when vitest.config.ts is loaded, before the browser starts, so no
 * binary fixture is committed and no sox is needed.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SineWav {
  /** @default 440 */
  readonly hz?: number;
  /** Peak amplitude, 0..1. @default 0.5 */
  readonly amplitude?: number;
  /** @default 3 */
  readonly seconds?: number;
  /** @default 48000 */
  readonly sampleRate?: number;
}

/** Writes the sine into `dir` (created if needed) and returns the file's path; `dir` must be absolute (Chromium needs that). */
export function writeSineWav(dir: string, { hz = 440, amplitude = 0.5, seconds = 3, sampleRate = 48_000 }: SineWav = {}): string {
  const frames = Math.round(seconds * sampleRate);
  const data = frames * 2;
  const wav = Buffer.alloc(44 + data);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + data, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // bytes per frame
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(data, 40);
  for (let i = 0; i < frames; i++) {
    wav.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / sampleRate)), 44 + 2 * i);
  }
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `fake-mic-${hz}hz-${sampleRate}.wav`);
  // Written aside and renamed: another run (another worktree) may be reading the same file.
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, wav);
  renameSync(partial, file);
  return file;
}
