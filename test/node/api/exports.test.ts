import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as main from '../../../src/index.js';
import * as protocol from '../../../src/protocol.js';
import * as sim from '../../../src/sim/index.js';
import * as audio from '../../../src/audio/index.js';
import * as inspect from '../../../src/inspect/index.js';
import * as testing from '../../../src/testing/index.js';
import * as messages from '../../../src/messages.js';

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

  it('agentc-realtime/audio exports exactly these names', () => {
    expect(Object.keys(audio).sort()).toEqual(['AudioProcessorError', 'AudioProcessorErrorCode', 'createResampler', 'createVoice', 'floatToPcm16', 'pcm16ToFloat']);
  });

  it('the core entry never loads the audio code (nor standardized-audio-context): its module graph, from the built files', () => {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (url: URL): void => {
      if (seen.has(url.href)) return;
      seen.add(url.href);
      const code = readFileSync(url, 'utf8');
      for (const match of code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        const specifier = (match[1] ?? match[2])!;
        if (specifier.startsWith('.')) visit(new URL(specifier, url));
        else bare.add(specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
      }
    };
    visit(new URL('dist/index.js', root));
    const files = [...seen].map((href) => href.slice(new URL('dist/', root).href.length));
    expect(files.length).toBeGreaterThan(20); // the walk follows the graph
    expect(files).toContain('data/voice-port.js'); // the port is core; what fills it is not
    expect(files.filter((file) => file.startsWith('audio/'))).toEqual([]);
    expect(files).toContain('data/tap-port.js'); // the recorder's port is core; the recorder is not
    expect(files.filter((file) => file.startsWith('testing/') || file.startsWith('sim/'))).toEqual([]);
    expect([...bare].sort()).toEqual(['partysocket', 'rxjs', 'valibot', 'xstate']);
  });

  it('the audio entry imports in plain Node without touching browser APIs, and its DSP works there', () => {
    const script = `
      const audio = await import('agentc-realtime/audio');
      const pcm = audio.floatToPcm16(audio.createResampler(48000, 24000)(new Float32Array(480).fill(0.5)));
      console.log(JSON.stringify({ length: pcm.length, names: Object.keys(audio).sort() }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('.', root), encoding: 'utf8' });
    const result = JSON.parse(out) as { length: number; names: string[] };
    expect(result.length).toBe(240);
    expect(result.names).toEqual(Object.keys(audio).sort());
  });

  it('the shipped capture worklet is one standalone file that registers the processor and batches its input', () => {
    const target = pkg.exports['./audio/capture.worklet.js'];
    expect(target).toStrictEqual({ types: './dist/audio/capture.worklet.d.ts', default: './dist/audio/capture.worklet.js' });
    const shipped = readFileSync(new URL((target as { default: string }).default, root), 'utf8');
    expect(shipped).not.toMatch(/^\s*(import|export)\b/m);
    // run it as a worklet scope would, with its two names given
    const registered = new Map<string, new (options: object) => { port: { postMessage(data: Float32Array): void; onmessage: unknown }; process(inputs: Float32Array[][]): boolean }>();
    class Base {
      readonly port = { posted: [] as Float32Array[], onmessage: null as unknown, postMessage(data: Float32Array) { this.posted.push(data.slice()); } };
    }
    new Function('AudioWorkletProcessor', 'registerProcessor', shipped)(Base, (name: string, processor: never) => registered.set(name, processor));
    const Processor = registered.get('agentc-capture')!;
    expect(Processor).toBeTypeOf('function');
    const node = new Processor({ processorOptions: { batchFrames: 3 } }) as unknown as Base & { process(inputs: Float32Array[][]): boolean };
    expect(node.process([[Float32Array.of(0.1, 0.2), Float32Array.of(0.3, 0.4)]])).toBe(true); // two channels: their mean
    expect(node.process([[Float32Array.of(0.5, 0.6)]])).toBe(true);
    expect(node.port.posted.map((batch) => [...batch].map((x) => Math.round(x * 100) / 100))).toEqual([[0.2, 0.3, 0.5]]);
  });

  it('agentc-realtime/inspect for browsers bundles without Node modules (the browser condition)', async () => {
    const { build } = await import('esbuild');
    const target = (pkg.exports['./inspect'] as { browser?: string }).browser;
    expect(target).toBe('./dist/inspect/browser.js');
    const result = await build({ entryPoints: [new URL(target!, root).pathname], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' });
    const code = result.outputFiles[0]!.text;
    expect(code).toContain('connectInspector');
    expect(code).not.toMatch(/(import|require)[^;\n]*["'](node:http|node:net|ws)["']/);
  });

  it('agentc-realtime/messages exports the message helpers, the very functions the core entry exports too', () => {
    const names = Object.keys(messages).sort();
    expect(names).toEqual(Object.keys(main).filter((name) => /Message|Session|Vendor|DisplayName|Block/.test(name)).sort());
    expect(names).toHaveLength(16);
    for (const name of names) expect(messages[name as keyof typeof messages]).toBe(main[name as keyof typeof main]);
    expect(messages.getVendorFromModelId('claude-sonnet-4-5')).toBe('anthropic');
  });

  it('agentc-realtime/messages loads no dependency and no client code (its module graph, from the built files)', () => {
    const seen = new Set<string>();
    const visit = (url: URL): void => {
      if (seen.has(url.href)) return;
      seen.add(url.href);
      for (const match of readFileSync(url, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
        expect(match[1]!.startsWith('.'), `${url.pathname} imports ${match[1]}`).toBe(true);
        visit(new URL(match[1]!, url));
      }
    };
    visit(new URL((pkg.exports['./messages'] as { default: string }).default, root));
    const files = [...seen].map((href) => href.slice(new URL('dist/', root).href.length)).sort();
    expect(files).toContain('data/messages/convert.js');
    expect(files.filter((file) => !file.startsWith('data/') && file !== 'messages.js')).toEqual([]);
  });

  it('agentc-realtime/sim exports exactly these names', () => {
    expect(Object.keys(sim).sort()).toEqual(['createSimulator']);
  });

  it('agentc-realtime/testing exports exactly these names', () => {
    expect(Object.keys(testing).sort()).toEqual(['RECORDING_FORMAT', 'RecordingError', 'conversationModel', 'createFaultProxy', 'createModelPaths', 'parseRecording', 'record', 'replay', 'startSimulator']);
  });

  it('agentc-realtime/inspect exports exactly these names', () => {
    expect(Object.keys(inspect).sort()).toEqual(['connectInspector', 'startViewer', 'stateTreeOf']);
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
      if (entry === './package.json') continue; // JSON, not a module to import
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
      const testing = await import('agentc-realtime/testing');
      for (const name of ['startSimulator', 'record', 'replay', 'createModelPaths']) if (typeof testing[name] !== 'function') throw new Error('no ' + name);
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
