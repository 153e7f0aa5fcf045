/**
 * File upload (PROTOCOL.md §2.5, §6.11, §7.12) and file ids in text_input (§4.2, §7.3 error endings).
 */
import { describe, expect, it } from 'vitest';
import { uploadFile, type Ev } from '../../helpers/sim-client.js';
import { PROFILES, connectReady, interact, kinds, startSim, useSimulators } from './harness.js';

useSimulators();

const FILE_METADATA_KEYS = [
  'id',
  'filename',
  'original_filename',
  'mime_type',
  'size',
  'upload_time',
  'session_id',
  'extracted_text',
  'processed',
  'processing_error',
  'processing_status',
];

function localStamp(date: Date): number {
  const pad = (n: number) => String(n).padStart(2, '0');
  return Number(
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`,
  );
}

describe.each(PROFILES)('upload (profile %s)', (profile) => {
  it('answers 200 {id:"YYYYMMDDHHMMSS_<name>", filename, mime_type, size}', async () => {
    const sim = await startSim({ profile });
    const { token, uiSessionId } = await connectReady(sim);
    const before = localStamp(new Date(Date.now() - 2000));
    const result = await uploadFile(sim, { token, uiSessionId, filename: 'report.pdf', content: 'hello world', contentType: 'application/pdf' });
    const after = localStamp(new Date(Date.now() + 2000));
    expect(result.status).toBe(200);
    expect(Object.keys(result.body).sort()).toStrictEqual(['filename', 'id', 'mime_type', 'size']);
    expect(result.body).toMatchObject({ filename: 'report.pdf', mime_type: 'application/pdf', size: 11 });
    expect(result.body.id).toMatch(/^\d{14}_report\.pdf$/);
    const stamp = Number((result.body.id as string).slice(0, 14));
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(after);
  });

  it('guesses mime_type from the file name extension, not from the part Content-Type', async () => {
    const sim = await startSim({ profile });
    const { token, uiSessionId } = await connectReady(sim);
    for (const [filename, expected] of [
      ['notes.txt', 'text/plain'],
      ['picture.png', 'image/png'],
      ['mystery.zzqx', 'application/octet-stream'],
    ] as const) {
      const result = await uploadFile(sim, { token, uiSessionId, filename, contentType: 'application/pdf' });
      expect(result.status).toBe(200);
      expect(result.body.mime_type, filename).toBe(expected);
    }
  });

  it('pushes session_metadata_changed twice: pending (before the HTTP reply), then completed', async () => {
    const sim = await startSim({ profile });
    const { client, token, uiSessionId, chatSessionId } = await connectReady(sim);
    const result = await uploadFile(sim, { token, uiSessionId, filename: 'notes.txt', content: 'some text' });
    expect(result.status).toBe(200);
    const sentBeforeReply = sim.control.frames.filter((f) => f.direction === 'out' && f.text?.includes('"session_metadata_changed"'));
    expect(sentBeforeReply.length, 'the pending event was sent before the HTTP reply').toBeGreaterThanOrEqual(1);

    const id = result.body.id as string;
    const first = await client.next('session_metadata_changed');
    const second = await client.next('session_metadata_changed');
    const pending = first.meta.uploaded_files[id] as Ev;
    const completed = second.meta.uploaded_files[id] as Ev;
    expect(Object.keys(pending).sort()).toStrictEqual([...FILE_METADATA_KEYS].sort());
    expect(pending).toMatchObject({ id, original_filename: 'notes.txt', mime_type: 'text/plain', size: 9, session_id: chatSessionId, processing_status: 'pending', processed: false });
    expect(completed).toMatchObject({ id, processing_status: 'completed', processed: true });
    expect(await client.sync()).toStrictEqual([]);
  });

  it('answers 404 {"detail":"Session not found"} for an unknown ui_session_id', async () => {
    const sim = await startSim({ profile });
    const { token } = await connectReady(sim);
    const result = await uploadFile(sim, { token, uiSessionId: 'no-such-ui-session', filename: 'a.txt' });
    expect(result.status).toBe(404);
    expect(result.body).toStrictEqual({ detail: 'Session not found' });
  });

  it('answers 401 without auth ("Missing authorization") and with a bad token ("Invalid token")', async () => {
    const sim = await startSim({ profile });
    const { uiSessionId } = await connectReady(sim);
    const anonymous = await uploadFile(sim, { uiSessionId, filename: 'a.txt' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toStrictEqual({ detail: 'Missing authorization' });
    const bad = await uploadFile(sim, { token: 'garbage', uiSessionId, filename: 'a.txt' });
    expect(bad.status).toBe(401);
    expect(bad.body).toStrictEqual({ detail: 'Invalid token' });
  });

  it('answers 422 when the file or the ui_session_id field is missing', async () => {
    const sim = await startSim({ profile });
    const { token, uiSessionId } = await connectReady(sim);
    expect((await uploadFile(sim, { token, uiSessionId })).status).toBe(422);
    expect((await uploadFile(sim, { token, filename: 'a.txt' })).status).toBe(422);
  });

  it("does not check that the ui_session_id belongs to the caller", async () => {
    const sim = await startSim({ profile, users: [{ username: 'bob', password: 'bob-secret' }] });
    const { uiSessionId } = await connectReady(sim);
    const result = await uploadFile(sim, { token: sim.control.issueToken('bob'), uiSessionId, filename: 'a.txt' });
    expect(result.status).toBe(200);
  });

  it('a text_input with an uploaded file id runs an interaction whose anthropic_user_message carries a content-block list', async () => {
    const sim = await startSim({ profile });
    const { client, token, uiSessionId } = await connectReady(sim);
    const result = await uploadFile(sim, { token, uiSessionId, filename: 'notes.txt', content: 'some text' });
    await client.next('session_metadata_changed');
    await client.next('session_metadata_changed');
    const events = await interact(client, 'Summarise the file', 5000, { file_ids: [result.body.id] });
    expect(kinds(events).slice(-3)).toStrictEqual(['interaction:end', 'chat_session_added', 'user_turn_start']);
    const message = events.find((e) => e.type === 'anthropic_user_message')!.message;
    expect(message.role).toBe('user');
    expect(Array.isArray(message.content)).toBe(true);
  });

  it('a text_input with an unknown file id: user_turn_end, chat_session_added, error "Error preparing chat parameters: …", user_turn_start', async () => {
    const sim = await startSim({ profile });
    const { client } = await connectReady(sim);
    const events = await interact(client, 'Use this', 3000, { file_ids: ['20250101000000_nothing.txt'] });
    expect(events.map((e) => e.type)).toStrictEqual(['user_turn_end', 'chat_session_added', 'error', 'user_turn_start']);
    expect(events[2]?.message).toMatch(/^Error preparing chat parameters: AttributeError: /);
    expect(events[2]?.message).toContain('Traceback (most recent call last)');
    expect(events[2]?.source).toBeNull();
  });

  it('a file id is bound to the chat session it was uploaded into: after new_chat_session it fails like an unknown id', async () => {
    const sim = await startSim({ profile });
    const { client, token, uiSessionId } = await connectReady(sim);
    const result = await uploadFile(sim, { token, uiSessionId, filename: 'notes.txt' });
    await client.next('session_metadata_changed');
    await client.next('session_metadata_changed');
    client.send({ type: 'new_chat_session' });
    await client.until('chat_session_changed');
    await client.sync();
    const events = await interact(client, 'Use this', 3000, { file_ids: [result.body.id] });
    expect(events.map((e) => e.type)).toStrictEqual(['user_turn_end', 'chat_session_added', 'error', 'user_turn_start']);
    expect(events[2]?.message).toMatch(/^Error preparing chat parameters: /);
  });
});
