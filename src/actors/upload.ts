/**
 * File uploads (`POST /api/rt/upload_file`, multipart with `ui_session_id` and `file`), with
 * progress and abort, and the client-side limits users know from the seeds. In browsers it uses
 * XMLHttpRequest (the only API with upload progress); elsewhere a streamed `fetch` body, whose
 * progress counts the bytes handed to the network.
 */
import * as v from 'valibot';
import { ClientError } from '../errors.js';
import { apiUrl } from '../schema/urls.js';
import { uploadResponseSchema, type UploadResponse } from '../schema/http.js';

/** Upload progress, as the seeds' `UploadProgress`. */
export interface UploadProgress {
  /** Bytes sent so far. */
  readonly loaded: number;
  /** Bytes to send in all. */
  readonly total: number;
  /** 0–100. */
  readonly percentage: number;
}

/** Options of `uploadFile` / `uploadFiles`. */
export interface UploadOptions {
  /** Called as the bytes go out, with `{ loaded, total, percentage }` (over all files for `uploadFiles`). */
  readonly onProgress?: (progress: UploadProgress) => void;
  /** Aborts the upload; the promise rejects with `ClientError('aborted', 'Upload cancelled')`. */
  readonly signal?: AbortSignal;
}

/** What can be uploaded: a `File`, or a `Blob` with a `filename`. */
export type UploadInput = Blob & { readonly name?: string };

export interface UploadLimits {
  readonly maxUploadSize: number;
  readonly allowedMimeTypes: readonly string[] | undefined;
  readonly maxFilesPerMessage: number;
}

export interface UploadDependencies extends UploadLimits {
  readonly apiBase: string;
  readonly fetch: typeof globalThis.fetch | undefined;
  /** A valid token, or throws `auth_required`. */
  getToken(): Promise<string>;
  /** The UI session the file is attached to (its current chat session), or null when never connected. */
  uiSessionId(): string | null;
}

function nameOf(file: UploadInput, filename?: string): string {
  return filename ?? (typeof file.name === 'string' && file.name ? file.name : 'upload');
}

/** Checks the client-side limits (they are the client's, not the server's: the server has none). */
export function checkUpload(files: readonly UploadInput[], limits: UploadLimits): void {
  if (files.length > limits.maxFilesPerMessage) {
    throw new ClientError('too_many_files', `Cannot upload ${files.length} files: at most ${limits.maxFilesPerMessage} per message`);
  }
  for (const file of files) {
    if (file.size > limits.maxUploadSize) {
      throw new ClientError('upload_too_large', `File ${nameOf(file)} (${file.size} bytes) exceeds maximum upload size of ${limits.maxUploadSize} bytes`);
    }
    if (limits.allowedMimeTypes && !limits.allowedMimeTypes.includes(file.type)) {
      throw new ClientError('upload_type_not_allowed', `File type ${file.type || 'unknown'} of ${nameOf(file)} is not allowed (allowed: ${limits.allowedMimeTypes.join(', ') || 'none'})`);
    }
  }
}

const cancelled = () => new ClientError('aborted', 'Upload cancelled');

function parse(status: number, text: string): UploadResponse {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (status === 401) throw new ClientError('auth_required', `Authentication required: ${detail(body) ?? 'the token was refused'}`);
  if (status === 404) throw new ClientError('not_ready', `UI session ID required: the server does not know this UI session (${detail(body) ?? 'not found'})`);
  if (status < 200 || status >= 300) throw new ClientError(status >= 500 ? 'network' : 'server_error', `Upload failed: HTTP ${status} ${detail(body) ?? ''}`.trim());
  const parsed = v.safeParse(uploadResponseSchema, body);
  if (!parsed.success) throw new ClientError('protocol', 'Upload answered with an unexpected body');
  return parsed.output;
}

function detail(body: unknown): string | undefined {
  const value = (body as { detail?: unknown } | undefined)?.detail;
  return typeof value === 'string' ? value : value === undefined ? undefined : JSON.stringify(value);
}

/** Uploads one file. */
export async function uploadFile(deps: UploadDependencies, file: UploadInput, options: UploadOptions = {}, filename?: string): Promise<UploadResponse> {
  checkUpload([file], deps);
  if (options.signal?.aborted) throw cancelled();
  const uiSessionId = deps.uiSessionId();
  if (!uiSessionId) throw new ClientError('not_ready', 'UI session ID required: connect before uploading');
  const token = await deps.getToken();
  const url = apiUrl(deps.apiBase, 'upload_file');
  const name = nameOf(file, filename);
  if (typeof XMLHttpRequest !== 'undefined') return viaXhr(url, token, uiSessionId, file, name, options);
  return viaFetch(deps, url, token, uiSessionId, file, name, options);
}

function viaXhr(url: string, token: string, uiSessionId: string, file: UploadInput, name: string, options: UploadOptions): Promise<UploadResponse> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const form = new FormData();
    form.append('ui_session_id', uiSessionId);
    form.append('file', file, name);
    xhr.open('POST', url);
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) options.onProgress?.({ loaded: event.loaded, total: event.total, percentage: Math.round((event.loaded / event.total) * 100) });
    };
    xhr.onload = () => {
      try {
        resolve(parse(xhr.status, xhr.responseText));
      } catch (error) {
        reject(error);
      }
    };
    xhr.onerror = () => reject(new ClientError('network', 'Network error during upload'));
    xhr.onabort = () => reject(cancelled());
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

const CHUNK = 64 * 1024;

async function viaFetch(deps: UploadDependencies, url: string, token: string, uiSessionId: string, file: UploadInput, name: string, options: UploadOptions): Promise<UploadResponse> {
  if (!deps.fetch) throw new ClientError('invalid_options', 'fetch: no fetch available for uploads; pass options.fetch');
  const boundary = `----agentc${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  const encoder = new TextEncoder();
  const safeName = name.replace(/["\r\n]/g, '_');
  const head = encoder.encode(
    `--${boundary}\r\ncontent-disposition: form-data; name="ui_session_id"\r\n\r\n${uiSessionId}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${safeName}"\r\ncontent-type: ${file.type || 'application/octet-stream'}\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const total = head.length + bytes.length + tail.length;
  let loaded = 0;
  let offset = 0;
  const report = (n: number) => {
    loaded += n;
    options.onProgress?.({ loaded, total, percentage: Math.round((loaded / total) * 100) });
  };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (options.signal?.aborted) {
        controller.error(cancelled());
        return;
      }
      if (offset === 0 && loaded === 0) {
        controller.enqueue(head);
        report(head.length);
        return;
      }
      if (offset < bytes.length) {
        const chunk = bytes.subarray(offset, offset + CHUNK);
        offset += chunk.length;
        controller.enqueue(chunk);
        report(chunk.length);
        return;
      }
      controller.enqueue(tail);
      report(tail.length);
      controller.close();
    },
  });
  let response: Response;
  try {
    response = await deps.fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(total) },
      body,
      signal: options.signal ?? null,
      duplex: 'half',
    } as RequestInit);
  } catch (error) {
    if (options.signal?.aborted) throw cancelled();
    throw new ClientError('network', `Network error during upload: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parse(response.status, await response.text());
}

/** Uploads several files one after the other; progress is over all of them. */
export async function uploadFiles(deps: UploadDependencies, files: readonly UploadInput[], options: UploadOptions = {}): Promise<UploadResponse[]> {
  checkUpload(files, deps);
  const total = files.reduce((sum, file) => sum + file.size, 0) || 1;
  let done = 0;
  const results: UploadResponse[] = [];
  for (const file of files) {
    results.push(
      await uploadFile(deps, file, {
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (progress) => {
          const loaded = done + (progress.loaded / progress.total) * file.size;
          options.onProgress?.({ loaded: Math.round(loaded), total, percentage: Math.round((loaded / total) * 100) });
        },
      }),
    );
    done += file.size;
  }
  return results;
}
