import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { authMachine } from '../../../src/machines/auth.machine.js';
import { clientMachine } from '../../../src/machines/client.machine.js';
import { connectionMachine } from '../../../src/machines/connection.machine.js';
import { conversationMachine } from '../../../src/machines/conversation.machine.js';
import { interactionMachine } from '../../../src/machines/interaction.machine.js';
import { outboxMachine } from '../../../src/machines/outbox.machine.js';
import { turnMachine } from '../../../src/machines/turn.machine.js';
import { captureMachine } from '../../../src/machines/capture.machine.js';
import { playbackMachine } from '../../../src/machines/playback.machine.js';
import { voiceInputMachine } from '../../../src/machines/voice-input.machine.js';
import { voiceMachine } from '../../../src/machines/voice.machine.js';
import { avatarMachine } from '../../../src/machines/avatar.machine.js';
import { statelyFiles } from '../../../scripts/stately.mjs';

const dir = new URL('../../../stately/', import.meta.url);

describe('stately/', () => {
  const expected = statelyFiles([clientMachine, authMachine, connectionMachine, turnMachine, interactionMachine, conversationMachine, outboxMachine, voiceMachine, captureMachine, playbackMachine, voiceInputMachine, avatarMachine]);

  it('holds exactly the generated files (plus README.md)', () => {
    const present = readdirSync(dir).filter((file) => file !== 'README.md').sort();
    expect(present).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.keys(expected))('%s matches the machines (run `npm run stately` after changing one)', (file) => {
    expect(readFileSync(new URL(file, dir), 'utf8')).toBe(expected[file]);
  });

  it('names every state and the named delays of the connection machine in its diagram', () => {
    const diagram = expected['connection.mmd']!;
    for (const text of ['connection_attempt_phase_ready', 'after connectionTimeout', 'after pongTimeout', 'after reconnectDelay', 'connection_retrying --> connection_failed : always']) {
      expect(diagram).toContain(text);
    }
  });
});
