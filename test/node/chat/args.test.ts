/** The pure argument parsers of `agentc-chat` and `agentc-model-paths`: options, environment, one-line errors. */
import { describe, expect, it } from 'vitest';
import { parseChatArgs } from '../../../src/chat/cli.js';
import { parseModelPathsArgs } from '../../../src/testing/cli.js';

describe('parseChatArgs', () => {
  it('defaults to an embedded simulator and the development account', () => {
    expect(parseChatArgs([])).toEqual({ ok: true, help: false, options: { url: undefined, auth: { username: 'admin', password: 'changeme' }, agent: undefined, say: undefined } });
  });

  it('takes the URL, credentials and token from the flags, else from the environment', () => {
    const env = { AGENTC_URL: 'http://env:1', AGENTC_USERNAME: 'eve', AGENTC_PASSWORD: 'pw', AGENTC_TOKEN: undefined };
    expect(parseChatArgs(['--say', 'hi', '--agent', 'thinker'], env)).toMatchObject({ ok: true, options: { url: 'http://env:1', auth: { username: 'eve', password: 'pw' }, agent: 'thinker', say: 'hi' } });
    expect(parseChatArgs(['--url', 'http://flag:2', '--username', 'bob'], env)).toMatchObject({ options: { url: 'http://flag:2', auth: { username: 'bob', password: 'pw' } } });
    expect(parseChatArgs([], { AGENTC_TOKEN: 'jwt' })).toMatchObject({ options: { auth: { token: 'jwt' } } });
    // credentials on the command line win over a token in the environment
    expect(parseChatArgs(['--username', 'bob', '--password', 'x'], { AGENTC_TOKEN: 'jwt' })).toMatchObject({ options: { auth: { username: 'bob', password: 'x' } } });
  });

  it('refuses what it cannot use, in one line', () => {
    expect(parseChatArgs(['--token', 't', '--username', 'u'])).toEqual({ ok: false, error: 'Give either --token or --username/--password, not both.' });
    expect(parseChatArgs(['--url', 'ftp://x'])).toMatchObject({ ok: false, error: expect.stringMatching(/^--url must be an http\(s\) or ws\(s\) URL/) });
    expect(parseChatArgs(['--say', '  '])).toEqual({ ok: false, error: '--say must not be empty.' });
    const unknown = parseChatArgs(['--bogus']);
    expect(unknown.ok).toBe(false);
    expect((unknown as { error: string }).error).not.toContain('\n');
  });
});

describe('parseModelPathsArgs', () => {
  it('maps the flags to createModelPaths options', () => {
    const parsed = parseModelPathsArgs(['--url', 'http://h:8000', '--agent', 'long', '--text', 'go on', '--failing-agent', 'bad', '--failing-text', 'boom', '--answer-timeout', '30000', '--only', 'CANCEL']);
    expect(parsed).toEqual({
      ok: true,
      help: false,
      options: {
        url: 'http://h:8000',
        auth: { username: 'admin', password: 'changeme' },
        only: 'CANCEL',
        paths: { answeringAgent: 'long', longText: 'go on', failingAgent: 'bad', failingText: 'boom', answerTimeout: 30000 },
      },
    });
    expect(parseModelPathsArgs([], { AGENTC_TOKEN: 'jwt' })).toMatchObject({ options: { url: undefined, auth: { token: 'jwt' }, paths: {} } });
  });

  it('refuses what it cannot use, in one line', () => {
    expect(parseModelPathsArgs(['--answer-timeout', 'soon'])).toEqual({ ok: false, error: "--answer-timeout must be a positive number of milliseconds, got 'soon'." });
    expect(parseModelPathsArgs(['--agent', ''])).toEqual({ ok: false, error: '--agent must not be empty.' });
    expect(parseModelPathsArgs(['--token', 't', '--password', 'p'])).toEqual({ ok: false, error: 'Give either --token or --username/--password, not both.' });
  });
});
