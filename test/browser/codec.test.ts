/**
 * The codec in a real headless Chromium, fed by a real WebSocket: every fixture the server streams
 * decodes to its event, the binary frame to PCM16, and a garbage frame to `invalid`.
 */
import { expect, inject, it } from 'vitest';
import { decodeServerFrame, encodeClientEvent, ProtocolError, type DecodedFrame } from '../../src/protocol.js';

function receiveAll(url: string, binaryType: BinaryType): Promise<MessageEvent['data'][]> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.binaryType = binaryType;
    const received: MessageEvent['data'][] = [];
    socket.onmessage = (message) => received.push(message.data);
    socket.onerror = () => reject(new Error('socket error'));
    socket.onclose = () => resolve(received);
  });
}

it('decodes every fixture, a PCM frame and a broken frame received over a browser WebSocket', async () => {
  const types = inject('fixtureTypes');
  const data = await receiveAll(`ws://127.0.0.1:${inject('wsPort')}/fixtures`, 'arraybuffer');
  expect(data).toHaveLength(types.length + 2);
  const frames: DecodedFrame[] = data.map((item) => decodeServerFrame(item as string | ArrayBuffer));
  types.forEach((type, i) => {
    const frame = frames[i]!;
    expect(frame.kind, `${type}: ${JSON.stringify(frame).slice(0, 300)}`).toBe('event');
    if (frame.kind === 'event') expect(frame.event.type).toBe(type);
  });
  const audio = frames[types.length]!;
  expect(audio.kind).toBe('audio');
  if (audio.kind === 'audio') expect([...audio.pcm]).toEqual([0, 1, -1, 32767, -32768, 1234]);
  expect(frames[types.length + 1]).toMatchObject({ kind: 'invalid', reason: 'json' });
});

it('removes the password hash in the browser too', async () => {
  const data = await receiveAll(`ws://127.0.0.1:${inject('wsPort')}/fixtures`, 'arraybuffer');
  const user = data
    .map((item) => decodeServerFrame(item as string | ArrayBuffer))
    .find((frame) => frame.kind === 'event' && frame.event.type === 'chat_user_data');
  expect(user).toBeDefined();
  expect(JSON.stringify(user)).not.toContain('password_hash');
});

it('encodes client events and reports a bad one with ProtocolError', () => {
  expect(JSON.parse(encodeClientEvent({ type: 'text_input', text: 'héllo 🚀' }))).toEqual({
    type: 'text_input',
    text: 'héllo 🚀',
    file_ids: [],
  });
  expect(() => encodeClientEvent({ type: 'set_agent' } as never)).toThrow(ProtocolError);
});
