/**
 * Uploads in a real headless Chromium (PROTOCOL.md §2.5, §7.12): the client uses XMLHttpRequest there
 * (the only browser API with upload progress). A File with progress events and the server's answer
 * (then its two metadata pushes), an abort mid-upload, and a client-side limit that rejects before any
 * request.
 *
 * The `paced` simulator of global-setup.ts is used: the `main` one is restarted by client.test.ts
 * (which forgets every UI session, so an upload running at that moment would get a 404), and the
 * `faults` one has untargeted faults armed by client-faults.test.ts; the `paced` one only sees
 * targeted drops of other UI sessions (its pacing applies to streamed deltas, not to HTTP).
 */
import { expect, inject, it, onTestFinished } from 'vitest';
import { createClient, type ClientOptions, type RealtimeClient } from '../../src/index.js';
import { countingFetch, expectUploadProgress, rejection } from '../helpers/client.js';
import { Recorder, WAIT_MS, within } from './client-helpers.js';

const CREDENTIALS = { username: 'admin', password: 'changeme' } as const;

type Progress = { readonly loaded: number; readonly total: number; readonly percentage: number };
type FileEntry = { readonly processing_status?: string | null; readonly original_filename?: string | null; readonly size?: number | null };

/** Every `XMLHttpRequest.open` while the test runs (method and path), restored afterwards. */
function xhrSpy() {
  const opened: string[] = [];
  const original = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (this: XMLHttpRequest, ...args: unknown[]) {
    opened.push(`${String(args[0])} ${new URL(String(args[1]), location.href).pathname}`);
    return (original as (...a: unknown[]) => void).apply(this, args);
  } as typeof original;
  onTestFinished(() => {
    XMLHttpRequest.prototype.open = original;
  });
  return { opened, uploads: () => opened.filter((o) => o === 'POST /api/rt/upload_file').length };
}

/** A connected client on the `paced` simulator, disposed after the test. */
async function connected(options: Partial<ClientOptions> = {}): Promise<RealtimeClient> {
  const client = createClient({ url: inject('simPacedHttpUrl'), auth: { ...CREDENTIALS }, reconnection: { initialDelay: 50, maxDelay: 200 }, ...options });
  onTestFinished(() => client.dispose());
  await within(client.connect(), 'connect() to resolve');
  return client;
}

const fileEntry = (meta: Readonly<Record<string, unknown>> | null | undefined, id: string) =>
  ((meta?.uploaded_files ?? {}) as Record<string, FileEntry>)[id];

it('uploads a File through XMLHttpRequest: progress up to 100, the server answer, then pending and completed metadata', async () => {
  const xhr = xhrSpy();
  const counter = countingFetch();
  const client = await connected({ fetch: counter.fetch });
  const current = new Recorder(client.currentSession$, (s) => JSON.stringify(s?.metadata ?? null).slice(0, 160));
  const events = new Recorder(client.events$, (e) => e.type);
  onTestFinished(() => {
    current.unsubscribe();
    events.unsubscribe();
  });
  const file = new File([new Uint8Array(2 * 1024 * 1024)], 'a.bin', { type: 'application/octet-stream' });
  const progress: Progress[] = [];

  const answer = await within(client.uploadFile(file, { onProgress: (p) => progress.push(p) }), 'uploadFile() to resolve');

  expect(answer).toEqual({ id: expect.stringMatching(/^\d{14}_a\.bin$/), filename: 'a.bin', mime_type: 'application/octet-stream', size: file.size });
  // through XMLHttpRequest, not fetch (fetch only logged in)
  expect(xhr.uploads(), `XHR opened: ${xhr.opened.join(', ')}`).toBe(1);
  expect(counter.paths).not.toContain('/api/rt/upload_file');

  expectUploadProgress(progress, file.size);

  const id = answer.id;
  await current.next((s) => fileEntry(s?.metadata, id)?.processing_status === 'completed', 'the file completed on currentSession$');
  const statuses = events.values.flatMap((e) => (e.type === 'session_metadata_changed' && fileEntry(e.meta, id) ? [fileEntry(e.meta, id)!.processing_status] : []));
  expect(statuses).toEqual(['pending', 'completed']);
  expect(fileEntry(current.last?.metadata, id)).toMatchObject({ original_filename: 'a.bin', size: file.size });
});

it('an abort mid-upload rejects aborted "Upload cancelled"; the next upload works', async () => {
  const xhr = xhrSpy();
  const size = 48 * 1024 * 1024; // large, so the request is still under way at the first progress event
  const client = await connected({ maxUploadSize: 64 * 1024 * 1024 });
  const controller = new AbortController();
  const progress: Progress[] = [];
  const big = new File([new Uint8Array(size)], 'a.bin', { type: 'application/octet-stream' });

  const error = await rejection(
    client.uploadFile(big, {
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p);
        if (progress.length === 1) controller.abort();
      },
    }),
    15_000,
    'uploadFile aborted on its first progress event',
  );

  expect(error.reason).toBe('aborted');
  expect(error.message).toBe('Upload cancelled');
  expect(xhr.uploads()).toBe(1);
  expect(progress.length).toBeGreaterThanOrEqual(1);
  // mid-upload: the first progress event came while the body was still being sent
  expect(progress[0]!.loaded, JSON.stringify(progress[0])).toBeLessThan(progress[0]!.total);
  expect(progress.length, `progress after the abort: ${JSON.stringify(progress)}`).toBe(1);

  const small = new File([new Uint8Array(16)], 'after.bin', { type: 'application/octet-stream' });
  const after = await within(client.uploadFile(small), 'uploadFile() after the abort');
  expect(after).toMatchObject({ filename: 'after.bin', size: 16 });
});

it('a limit error rejects before any request: too large, a type not allowed, too many files', async () => {
  const xhr = xhrSpy();
  const counter = countingFetch();
  const client = await connected({ fetch: counter.fetch, maxUploadSize: 1024, allowedMimeTypes: ['application/octet-stream'], maxFilesPerMessage: 1 });
  const bin = (bytes: number, name = 'a.bin') => new File([new Uint8Array(bytes)], name, { type: 'application/octet-stream' });

  const tooLarge = await rejection(client.uploadFile(bin(4096)), WAIT_MS, 'uploadFile(4096 bytes)');
  expect(tooLarge.reason).toBe('upload_too_large');
  expect(tooLarge.message).toContain('exceeds maximum');

  const wrongType = await rejection(client.uploadFile(new File(['hello'], 'a.txt', { type: 'text/plain' })), WAIT_MS, 'uploadFile(text/plain)');
  expect(wrongType.reason).toBe('upload_type_not_allowed');
  expect(wrongType.message).toContain('not allowed');

  const tooMany = await rejection(client.uploadFiles([bin(8, 'a.bin'), bin(8, 'b.bin')]), WAIT_MS, 'uploadFiles(2 files)');
  expect(tooMany.reason).toBe('too_many_files');
  expect(tooMany.message).toContain('Cannot upload');

  expect(xhr.opened, 'XMLHttpRequest.open calls').toEqual([]);
  expect(counter.paths).not.toContain('/api/rt/upload_file');
});
