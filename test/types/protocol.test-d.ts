/**
 * Type tests, checked by `npm run typecheck` (tsc includes test/): the decoded event is a
 * discriminated union narrowed by `type`, and an outbound event with a wrong field does not compile.
 */
import { expectTypeOf } from 'vitest';
import {
  decodeServerFrame,
  encodeClientEvent,
  type ClientEvent,
  type ClientEventOf,
  type DecodedFrame,
  type ServerEvent,
  type ServerEventOf,
  type ServerEventType,
} from '../../src/protocol.js';

/** The declared keys of a loose (index-signatured) object type. */
type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

declare const frame: DecodedFrame;
declare const event: ServerEvent;

expectTypeOf(decodeServerFrame).returns.toEqualTypeOf<DecodedFrame>();

if (frame.kind === 'event') expectTypeOf(frame.event).toEqualTypeOf<ServerEvent>();
if (frame.kind === 'audio') expectTypeOf(frame.pcm).toEqualTypeOf<Int16Array>();
if (frame.kind === 'invalid') {
  expectTypeOf(frame.reason).toEqualTypeOf<'json' | 'not_object' | 'no_type' | 'schema' | 'too_large' | 'bad_audio'>();
}

// Narrowing by `type`.
if (event.type === 'text_delta') {
  expectTypeOf(event.content).toEqualTypeOf<string>();
  expectTypeOf(event.format).toEqualTypeOf<string>(); // the default fills it
  expectTypeOf(event.session_id).toEqualTypeOf<string>();
  expectTypeOf(event.parent_session_id).toEqualTypeOf<string | null | undefined>();
  expectTypeOf<'started'>().not.toExtend<KnownKeys<typeof event>>();
  expectTypeOf<'content' | 'format' | 'role'>().toExtend<KnownKeys<typeof event>>();
}
if (event.type === 'interaction') expectTypeOf(event.started).toEqualTypeOf<boolean>();
if (event.type === 'system_message') expectTypeOf(event.severity).toEqualTypeOf<'info' | 'warning' | 'error'>();
if (event.type === 'completion') expectTypeOf(event.input_tokens).toEqualTypeOf<number>();
if (event.type === 'chat_user_data') {
  expectTypeOf(event.user.user_name).toEqualTypeOf<string>();
  // the password hash is removed during decode, and the type knows it
  expectTypeOf<'password_hash'>().not.toExtend<KnownKeys<typeof event.user>>();
  expectTypeOf<'user_id' | 'user_name' | 'roles'>().toExtend<KnownKeys<typeof event.user>>();
}
if (event.type === 'get_user_sessions_response') {
  expectTypeOf(event.sessions.total_sessions).toEqualTypeOf<number>();
}
expectTypeOf<ServerEventOf<'error'>>().toHaveProperty('message').toEqualTypeOf<string>();
expectTypeOf<'open_a_i_user_message'>().toExtend<ServerEventType>();
expectTypeOf<'chat_session_deleted'>().toExtend<ServerEventType>();
// @ts-expect-error not a server event type
expectTypeOf<'text_input'>().toExtend<ServerEventType>();

// Outbound events: defaults may be left out, wrong fields do not compile.
encodeClientEvent({ type: 'text_input', text: 'Hello' });
encodeClientEvent({ type: 'text_input', text: 'Hello', file_ids: ['f1'] });
encodeClientEvent({ type: 'get_user_sessions' });
encodeClientEvent({ type: 'set_avatar', avatar_id: 'Ann', quality: 'high' });
// @ts-expect-error misspelt field
encodeClientEvent({ type: 'text_input', text: 'Hello', fileIds: [] });
// @ts-expect-error wrong field type
encodeClientEvent({ type: 'text_input', text: 42 });
// @ts-expect-error missing required field
encodeClientEvent({ type: 'set_agent' });
// @ts-expect-error unknown type
encodeClientEvent({ type: 'text_output', text: 'Hello' });
// @ts-expect-error a server event is not a client event
encodeClientEvent({ type: 'user_turn_start' });
// @ts-expect-error mode must be ptt | vad | realtime
encodeClientEvent({ type: 'set_voice_input_mode', mode: 'push' });

expectTypeOf<ClientEventOf<'set_agent'>>().toEqualTypeOf<{ type: 'set_agent'; agent_key: string }>();
expectTypeOf<ClientEvent['type']>().toExtend<string>();
