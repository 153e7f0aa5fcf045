import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as main from '../../../src/index.js';
import * as protocol from '../../../src/protocol.js';
import * as sim from '../../../src/sim/index.js';

const root = new URL('../../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  version: string;
  exports: Record<string, { types?: string; default?: string } | string>;
};

describe('public API', () => {
  it('agentc-realtime/protocol exports exactly these names', () => {
    expect(Object.keys(protocol).sort()).toEqual([
      'ProtocolError',
      'clientEventTypes',
      'decodeServerFrame',
      'encodeClientEvent',
      'serverEventTypes',
    ]);
  });

  it('agentc-realtime/sim exports exactly these names', () => {
    expect(Object.keys(sim).sort()).toEqual(['createSimulator']);
  });

  it('agentc-realtime exports exactly these names', () => {
    expect(Object.keys(main).sort()).toEqual([
      'ClientError',
      'VERSION',
      'clientErrorReasons',
      'createClient',
      'getDisplayName',
      'getMessageFormat',
      'getVendorFromModelId',
      'isAnthropicMessage',
      'isOpenAIMessage',
      'isTextBlock',
      'isThinkingBlock',
      'isToolResultBlock',
      'isToolUseBlock',
      'localStorageTokenStorage',
      'memoryTokenStorage',
      'messageToUnifiedMessageParam',
      'runtimeSessionToServerChatSession',
      'serverChatSessionToRuntimeSession',
      'toAnthropicMessage',
      'toOpenAIMessage',
      'toOpenAIMessages',
      'unifiedMessageParamToMessage',
    ]);
  });

  it('VERSION is the package version', () => {
    expect(main.VERSION).toBe(pkg.version);
  });

  it('every entry of the exports map names its types', () => {
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (entry === './package.json') continue;
      expect(typeof target === 'object' && target.types).toMatch(/\.d\.ts$/);
    }
  });

  it('the built package resolves through its exports map in plain Node (no bundler)', () => {
    // `npm test` builds dist first; this imports the package by its own name, as a user would.
    const script = `
      const protocol = await import('agentc-realtime/protocol');
      const main = await import('agentc-realtime');
      const sim = await import('agentc-realtime/sim');
      if (typeof sim.createSimulator !== 'function') throw new Error('no createSimulator');
      const frame = protocol.decodeServerFrame('{"type":"pong"}');
      console.log(JSON.stringify({ names: Object.keys(protocol).sort(), version: main.VERSION, frame }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('.', root),
      encoding: 'utf8',
    });
    const result = JSON.parse(out) as { names: string[]; version: string; frame: unknown };
    expect(result.names).toEqual(Object.keys(protocol).sort());
    expect(result.version).toBe(pkg.version);
    expect(result.frame).toEqual({ kind: 'event', event: { type: 'pong' } });
  });

  it('importing the package has no side effects on the console', () => {
    const script = `
      const calls = [];
      for (const m of ['log', 'info', 'warn', 'error', 'debug']) console[m] = (...a) => calls.push(m);
      await import('agentc-realtime/protocol');
      await import('agentc-realtime');
      process.stdout.write(String(calls.length));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('.', root),
      encoding: 'utf8',
    });
    expect(out).toBe('0');
  });
});
