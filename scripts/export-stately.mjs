// `npm run stately`: writes stately/ from the built machines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { authMachine } from '../dist/machines/auth.machine.js';
import { clientMachine } from '../dist/machines/client.machine.js';
import { connectionMachine } from '../dist/machines/connection.machine.js';
import { conversationMachine } from '../dist/machines/conversation.machine.js';
import { interactionMachine } from '../dist/machines/interaction.machine.js';
import { outboxMachine } from '../dist/machines/outbox.machine.js';
import { turnMachine } from '../dist/machines/turn.machine.js';
import { captureMachine } from '../dist/machines/capture.machine.js';
import { playbackMachine } from '../dist/machines/playback.machine.js';
import { voiceInputMachine } from '../dist/machines/voice-input.machine.js';
import { voiceMachine } from '../dist/machines/voice.machine.js';
import { avatarMachine } from '../dist/machines/avatar.machine.js';
import { statelyFiles } from './stately.mjs';

const dir = new URL('../stately/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const [file, content] of Object.entries(statelyFiles([clientMachine, authMachine, connectionMachine, turnMachine, interactionMachine, conversationMachine, outboxMachine, voiceMachine, captureMachine, playbackMachine, voiceInputMachine, avatarMachine]))) {
  writeFileSync(new URL(file, dir), content);
  console.log(`stately/${file}`);
}
