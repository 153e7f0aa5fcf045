import { describe, expect, it } from 'vitest';
import { decodeServerFrame, DEFAULT_MAX_MESSAGE_SIZE, RAW_PREVIEW_LENGTH } from '../../../src/schema/codec.js';
import { fixture } from '../../helpers/fixtures.js';

/** A real-looking HS256 JWT (header and claims of an Agent C token). */
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZG1pbiIsImV4cCI6MTc2MzcwMDAwMCwiaWF0IjoxNzYzMDAwMDAwfQ.' +
  'q3Zp1c9C2y7mF0o4wqQm0H3yQ5m2sJt0o1b4cX6r8Zs';

function reason(data: Parameters<typeof decodeServerFrame>[0], options?: Parameters<typeof decodeServerFrame>[1]) {
  const frame = decodeServerFrame(data, options);
  return frame.kind === 'invalid' ? frame.reason : frame.kind;
}

describe('decodeServerFrame: text frames', () => {
  it('reports text that is not JSON as json', () => {
    expect(reason('{"type":"pong"')).toBe('json');
    expect(reason('')).toBe('json');
    expect(reason('pong')).toBe('json');
  });

  it('reports JSON that is not an object as not_object', () => {
    for (const text of ['[]', '[{"type":"pong"}]', '42', '"pong"', 'null', 'true']) expect(reason(text)).toBe('not_object');
  });

  it('reports an object without a string type as no_type', () => {
    for (const text of ['{}', '{"type":42}', '{"type":null}', '{"kind":"pong"}', '{"type":["pong"]}']) {
      expect(reason(text)).toBe('no_type');
    }
  });

  it('reports a type it does not know as unknown, with the parsed object', () => {
    const frame = decodeServerFrame('{"type":"brand_new_event","value":1}');
    expect(frame).toStrictEqual({ kind: 'unknown', type: 'brand_new_event', raw: { type: 'brand_new_event', value: 1 } });
  });

  it('reports a known type with wrong fields as schema, naming the field', () => {
    const frame = decodeServerFrame('{"type":"text_delta","session_id":"s","role":"assistant","content":7}');
    expect(frame.kind).toBe('invalid');
    if (frame.kind !== 'invalid') return;
    expect(frame.reason).toBe('schema');
    expect(frame.type).toBe('text_delta');
    expect(frame.issues.map((i) => i.path)).toContain('content');
  });

  it('reports nested schema problems with a dotted path', () => {
    const sent = JSON.parse(fixture('agent_list').text) as { agents: { key: unknown }[] };
    sent.agents[1]!.key = 5;
    const frame = decodeServerFrame(JSON.stringify(sent));
    if (frame.kind !== 'invalid') throw new Error('expected invalid');
    expect(frame.issues[0]!.path).toBe('agents.1.key');
  });

  it('does not let a __proto__ key change the decoded object prototype', () => {
    const frame = decodeServerFrame(
      '{"type":"text_delta","session_id":"s","role":"assistant","content":"x","__proto__":{"polluted":true}}',
    );
    if (frame.kind !== 'event') throw new Error('expected event');
    expect(Object.getPrototypeOf(frame.event)).toBe(Object.prototype);
    expect(Object.keys(frame.event)).not.toContain('__proto__');
    // Object.assign uses [[Set]], which would turn a kept "__proto__" key into a prototype.
    const copy = Object.assign({}, frame.event) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.polluted).toBeUndefined();
  });

  it('refuses a frame over maxMessageSize without parsing it', () => {
    const big = JSON.stringify({ type: 'text_delta', session_id: 's', role: 'assistant', content: 'x'.repeat(2000) });
    expect(reason(big, { maxMessageSize: 1000 })).toBe('too_large');
    expect(reason('{'.repeat(5000), { maxMessageSize: 1000 })).toBe('too_large'); // not even valid JSON
    expect(reason(big, { maxMessageSize: big.length })).toBe('event');
  });

  it('counts bytes, not characters, against maxMessageSize', () => {
    const content = 'é'.repeat(400); // 800 bytes in UTF-8, 400 characters
    const text = JSON.stringify({ type: 'text_delta', session_id: 's', role: 'a', content });
    const bytes = new TextEncoder().encode(text).length;
    expect(reason(text, { maxMessageSize: bytes })).toBe('event');
    expect(reason(text, { maxMessageSize: bytes - 1 })).toBe('too_large');
    const emoji = JSON.stringify({ type: 'text_delta', session_id: 's', role: 'a', content: '🚀'.repeat(300) });
    const emojiBytes = new TextEncoder().encode(emoji).length;
    expect(reason(emoji, { maxMessageSize: emojiBytes })).toBe('event');
    expect(reason(emoji, { maxMessageSize: emojiBytes - 1 })).toBe('too_large');
  });

  it('defaults maxMessageSize to 10 MB', () => {
    expect(DEFAULT_MAX_MESSAGE_SIZE).toBe(10 * 1024 * 1024);
    const content = 'x'.repeat(DEFAULT_MAX_MESSAGE_SIZE);
    expect(reason(JSON.stringify({ type: 'text_delta', session_id: 's', role: 'a', content }))).toBe('too_large');
  });

  it('keeps raw text of an invalid frame short', () => {
    const text = `{"type":"text_delta","content":${'1'.repeat(RAW_PREVIEW_LENGTH * 2)}}`;
    const frame = decodeServerFrame(text);
    if (frame.kind !== 'invalid') throw new Error('expected invalid');
    expect(frame.raw.length).toBeLessThanOrEqual(RAW_PREVIEW_LENGTH + 1);
  });
});

describe('decodeServerFrame: binary frames', () => {
  it('decodes an ArrayBuffer as little-endian PCM16 samples', () => {
    const bytes = new Uint8Array([0x01, 0x00, 0xff, 0x7f, 0x00, 0x80, 0xff, 0xff]);
    const frame = decodeServerFrame(bytes.buffer);
    if (frame.kind !== 'audio') throw new Error('expected audio');
    expect([...frame.pcm]).toEqual([1, 32767, -32768, -1]);
  });

  it('decodes a byte view at an odd offset inside a larger buffer (Node Buffer pools)', () => {
    const backing = new Uint8Array(9);
    backing.set([0x02, 0x00, 0x03, 0x00], 1);
    const frame = decodeServerFrame(new Uint8Array(backing.buffer, 1, 4));
    if (frame.kind !== 'audio') throw new Error('expected audio');
    expect([...frame.pcm]).toEqual([2, 3]);
    backing[1] = 9; // the decoded samples are a copy, not a view of the caller's buffer
    expect(frame.pcm[0]).toBe(2);
  });

  it('decodes a Node Buffer', () => {
    const frame = decodeServerFrame(Buffer.from([0x10, 0x00, 0x20, 0x00]));
    if (frame.kind !== 'audio') throw new Error('expected audio');
    expect([...frame.pcm]).toEqual([16, 32]);
  });

  it('reports an odd byte count as bad_audio', () => {
    expect(reason(new Uint8Array(3).buffer)).toBe('bad_audio');
    expect(reason(new Uint8Array(3))).toBe('bad_audio');
  });

  it('accepts an empty binary frame as zero samples', () => {
    const frame = decodeServerFrame(new ArrayBuffer(0));
    if (frame.kind !== 'audio') throw new Error('expected audio');
    expect(frame.pcm.length).toBe(0);
  });

  it('refuses a binary frame over maxMessageSize', () => {
    expect(reason(new ArrayBuffer(2048), { maxMessageSize: 1024 })).toBe('too_large');
  });
});

describe('decodeServerFrame never throws', () => {
  it('returns invalid for values that are neither text nor bytes', () => {
    for (const value of [undefined, null, 42, {}, [], new Blob(['x']), Symbol('x')]) {
      const frame = decodeServerFrame(value as never);
      expect(frame.kind).toBe('invalid');
    }
  });
});

describe('secrets never leave the edge', () => {
  it('redacts a JWT from the raw text of an invalid frame', () => {
    const frame = decodeServerFrame(`{"type":"text_delta","session_id":"s","role":"a","content":5,"token":"${JWT}"}`);
    if (frame.kind !== 'invalid') throw new Error('expected invalid');
    expect(frame.raw).not.toContain(JWT);
    expect(frame.raw).toContain('[redacted-jwt]');
  });

  it('redacts a JWT from the raw text of unparsable JSON and from the parser message', () => {
    const frame = decodeServerFrame(`{"url": "wss://h/api/rt/ws?token=${JWT}" ${JWT}`);
    if (frame.kind !== 'invalid') throw new Error('expected invalid');
    expect(JSON.stringify(frame)).not.toContain(JWT.slice(0, 40));
    expect(JSON.stringify(frame)).not.toMatch(/eyJhbGci/);
  });

  it('redacts token= query values', () => {
    const frame = decodeServerFrame('{"type":"mystery","url":"wss://host/api/rt/ws?ui_session_id=u&token=abc.def-123&x=1"}');
    if (frame.kind !== 'unknown') throw new Error('expected unknown');
    expect(frame.raw.url).toBe('wss://host/api/rt/ws?ui_session_id=u&token=[redacted]&x=1');
  });

  it('redacts JWTs anywhere inside an unknown event, keys included', () => {
    const frame = decodeServerFrame(JSON.stringify({ type: 'mystery', nested: [{ deep: `Bearer ${JWT}` }], [JWT]: 1 }));
    if (frame.kind !== 'unknown') throw new Error('expected unknown');
    expect(JSON.stringify(frame)).not.toContain(JWT);
    expect(frame.raw.nested).toEqual([{ deep: 'Bearer [redacted-jwt]' }]);
  });

  it('redacts a JWT that a schema issue message would quote', () => {
    const frame = decodeServerFrame(JSON.stringify({ type: 'system_message', session_id: 's', role: 'system', content: 'x', severity: JWT }));
    if (frame.kind !== 'invalid') throw new Error('expected invalid');
    expect(frame.issues.length).toBeGreaterThan(0);
    expect(JSON.stringify(frame)).not.toContain(JWT);
  });
});
