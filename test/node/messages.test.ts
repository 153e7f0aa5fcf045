import { describe, expect, it } from 'vitest';
import {
  getDisplayName,
  getMessageFormat,
  getVendorFromModelId,
  isAnthropicMessage,
  isOpenAIMessage,
  isTextBlock,
  isThinkingBlock,
  isToolResultBlock,
  isToolUseBlock,
  messageToUnifiedMessageParam,
  runtimeSessionToServerChatSession,
  serverChatSessionToRuntimeSession,
  toAnthropicMessage,
  toOpenAIMessage,
  toOpenAIMessages,
  unifiedMessageParamToMessage,
  type Message,
  type RuntimeChatSession,
} from '../../src/data/messages/index.js';
import { decodeServerFrame } from '../../src/schema/codec.js';
import type { AnthropicContentBlock, AnthropicMessage, VendorMessage } from '../../src/schema/messages.js';
import type { ChatSession } from '../../src/schema/session.js';
import { fixture } from '../helpers/fixtures.js';

/** Builds a message of any shape, as odd server input would be (the functions must not trust the types). */
const odd = (value: unknown) => value as VendorMessage;

function sessionOf(name: string): ChatSession {
  const frame = decodeServerFrame(fixture(name).text);
  if (frame.kind !== 'event' || frame.event.type !== 'chat_session_changed') throw new Error(`${name} did not decode`);
  return frame.event.chat_session;
}

const anthropicSession = sessionOf('chat_session_changed');
const openAISession = sessionOf('chat_session_changed--openai');

describe('getVendorFromModelId', () => {
  it.each([
    'claude-sonnet-4-20250514',
    'Claude-3-Opus',
    'bedrock/anthropic.claude-3-haiku',
    'anthropic.claude-v2',
    '  CLAUDE-x  ',
  ])('%s is anthropic', (id) => {
    expect(getVendorFromModelId(id)).toBe('anthropic');
  });

  it.each(['gpt-4.1', 'GPT-4o', 'o1-mini', 'o3', 'o4-mini', 'chatgpt-4o-latest', 'openai/gpt-5'])('%s is openai', (id) => {
    expect(getVendorFromModelId(id)).toBe('openai');
  });

  it.each(['gemini-1.5-pro', 'llama3', 'my-claude', 'o2', ''])('%s is none', (id) => {
    expect(getVendorFromModelId(id)).toBe('none');
  });

  it('is none without a model id, or for a non-string', () => {
    expect(getVendorFromModelId()).toBe('none');
    expect(getVendorFromModelId(null)).toBe('none');
    expect(getVendorFromModelId(42 as unknown as string)).toBe('none');
  });

  it('agrees with the vendor the server computed for both fixtures', () => {
    expect(getVendorFromModelId(anthropicSession.agent_config?.model_id)).toBe(anthropicSession.vendor);
    expect(getVendorFromModelId(openAISession.agent_config?.model_id)).toBe(openAISession.vendor);
  });
});

describe('getMessageFormat', () => {
  it.each([
    ['anthropic', 'anthropic'],
    ['Anthropic', 'anthropic'],
    ['openai', 'openai'],
    ['open_ai', 'openai'],
    ['OpenAI', 'openai'],
    ['none', 'unknown'],
    ['', 'unknown'],
    ['azure', 'unknown'],
  ] as const)('%s → %s', (vendor, format) => {
    expect(getMessageFormat(vendor)).toBe(format);
  });

  it('is unknown for a non-string', () => {
    expect(getMessageFormat(undefined as unknown as string)).toBe('unknown');
  });
});

describe('isAnthropicMessage / isOpenAIMessage', () => {
  it('are both true for a plain text message, valid in both formats', () => {
    const message = odd({ role: 'user', content: 'Hello' });
    expect(isAnthropicMessage(message)).toBe(true);
    expect(isOpenAIMessage(message)).toBe(true);
    const parts = odd({ role: 'assistant', content: [{ type: 'text', text: 'Hi' }] });
    expect(isAnthropicMessage(parts)).toBe(true);
    expect(isOpenAIMessage(parts)).toBe(true);
  });

  it.each([
    ['thinking', { type: 'thinking', thinking: 'hmm', signature: 'sig' }],
    ['redacted_thinking', { type: 'redacted_thinking', data: 'xx' }],
    ['tool_use', { type: 'tool_use', id: 't1', name: 'ls', input: '{"a":1}' }],
    ['server_tool_use', { type: 'server_tool_use', id: 's1', name: 'web_search', input: {} }],
    ['tool_result', { type: 'tool_result', tool_use_id: 't1', content: 'ok' }],
    ['image', { type: 'image', source: { type: 'url', url: 'https://x/y.png' } }],
    ['document', { type: 'document', source: { type: 'text', data: 'doc' } }],
    ['web_search_tool_result', { type: 'web_search_tool_result', tool_use_id: 's1', content: [] }],
  ])('an Anthropic %s block makes a message Anthropic only', (_name, block) => {
    const message = odd({ role: 'assistant', content: [{ type: 'text', text: 'x' }, block] });
    expect(isAnthropicMessage(message)).toBe(true);
    expect(isOpenAIMessage(message)).toBe(false);
  });

  it.each([
    ['system', { role: 'system', content: 'Be brief.' }],
    ['developer', { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] }],
    ['tool', { role: 'tool', tool_call_id: 'c1', content: 'ok' }],
    ['function', { role: 'function', name: 'f', content: 'ok' }],
    ['tool_calls', { role: 'assistant', content: 'Looking', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }],
    ['null content', { role: 'assistant', content: null }],
    ['image_url', { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }],
    ['input_audio', { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } }] }],
    ['file', { role: 'user', content: [{ type: 'file', file: { file_id: 'f1' } }] }],
    ['refusal', { role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }] }],
    ['name', { role: 'user', content: 'hi', name: 'bob' }],
  ])('an OpenAI %s message is OpenAI only', (_name, message) => {
    expect(isOpenAIMessage(odd(message))).toBe(true);
    expect(isAnthropicMessage(odd(message))).toBe(false);
  });

  it.each([
    ['an unknown block type', { role: 'user', content: [{ type: 'mystery' }] }],
    ['an unknown role', { role: 'bot', content: 'hi' }],
    ['no role', { content: 'hi' }],
    ['numeric content', { role: 'user', content: 42 }],
    ['a block without type', { role: 'user', content: [{ text: 'hi' }] }],
    ['a null block', { role: 'user', content: [null] }],
    ['tool_calls that are not a list', { role: 'assistant', content: 'x', tool_calls: 'nope' }],
    ['null', null],
    ['a string', 'hello'],
  ])('neither guard accepts %s', (_name, message) => {
    expect(isAnthropicMessage(odd(message))).toBe(false);
    expect(isOpenAIMessage(odd(message))).toBe(false);
  });

  it('narrow the type', () => {
    const message = odd({ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'n', input: {} }] });
    if (!isAnthropicMessage(message)) throw new Error('expected Anthropic');
    const role: 'user' | 'assistant' = message.role;
    expect(role).toBe('assistant');
  });
});

describe('content block guards', () => {
  const text: AnthropicContentBlock = { type: 'text', text: 'hi' };
  const toolUse: AnthropicContentBlock = { type: 'tool_use', id: 't1', name: 'ls', input: '{}' };
  const toolResult: AnthropicContentBlock = { type: 'tool_result', tool_use_id: 't1', content: 'ok' };
  const thinking: AnthropicContentBlock = { type: 'thinking', thinking: 'hmm' };
  const others: AnthropicContentBlock[] = [
    { type: 'redacted_thinking', data: 'x' },
    { type: 'server_tool_use', id: 's1', name: 'web_search', input: {} },
    { type: 'image', source: { type: 'url', url: 'u' } },
    { type: 'mystery' },
  ];
  const all = [text, toolUse, toolResult, thinking, ...others];

  it.each([
    ['isTextBlock', isTextBlock, text],
    ['isToolUseBlock', isToolUseBlock, toolUse],
    ['isToolResultBlock', isToolResultBlock, toolResult],
    ['isThinkingBlock', isThinkingBlock, thinking],
  ] as const)('%s accepts only its own block type', (_name, guard, own) => {
    expect(all.filter((block) => guard(block))).toEqual([own]);
  });

  it('refuse blocks of the right type without their fields, and non-objects', () => {
    expect(isTextBlock(odd({ type: 'text' }) as unknown as AnthropicContentBlock)).toBe(false);
    expect(isToolUseBlock({ type: 'tool_use', name: 'x' } as unknown as AnthropicContentBlock)).toBe(false);
    expect(isToolResultBlock({ type: 'tool_result' } as unknown as AnthropicContentBlock)).toBe(false);
    expect(isThinkingBlock({ type: 'thinking', thinking: null } as unknown as AnthropicContentBlock)).toBe(false);
    expect(isTextBlock(null as unknown as AnthropicContentBlock)).toBe(false);
  });

  it('narrow the block type', () => {
    const blocks: AnthropicContentBlock[] = [text, toolUse, thinking];
    expect(blocks.filter(isTextBlock).map((block) => block.text)).toEqual(['hi']);
    expect(blocks.filter(isToolUseBlock).map((block) => block.name)).toEqual(['ls']);
    expect(blocks.filter(isThinkingBlock).map((block) => block.thinking)).toEqual(['hmm']);
  });
});

describe('toAnthropicMessage', () => {
  it('returns an Anthropic message unchanged', () => {
    const message = odd({ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'n', input: '{"a":1}' }] });
    expect(toAnthropicMessage(message)).toBe(message);
  });

  it.each([
    ['system', { role: 'system', content: 'Be brief.' }],
    ['developer', { role: 'developer', content: 'Be brief.' }],
    ['function', { role: 'function', name: 'f', content: 'ok' }],
    ['tool without tool_call_id', { role: 'tool', content: 'ok' }],
    ['audio only', { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } }] }],
    ['an unknown role', { role: 'bot', content: 'hi' }],
    ['null', null],
  ])('is null for %s', (_name, message) => {
    expect(toAnthropicMessage(odd(message))).toBeNull();
  });

  it('turns a tool message into a user tool_result', () => {
    expect(toAnthropicMessage(odd({ role: 'tool', tool_call_id: 'c1', name: 'ls', content: 'a\nb' }))).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'c1', content: 'a\nb' }],
    });
    expect(toAnthropicMessage(odd({ role: 'tool', tool_call_id: 'c1', content: null }))).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'c1', content: '' }],
    });
    expect(toAnthropicMessage(odd({ role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'x' }] }))).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'c1', content: [{ type: 'text', text: 'x' }] }],
    });
  });

  it('turns tool calls into tool_use blocks with parsed input, after the text', () => {
    const message = odd({
      role: 'assistant',
      content: 'Let me look.',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'ls', arguments: '{"path": "//project"}' } },
        { id: 'c2', type: 'function', function: { name: 'raw', arguments: 'not json' } },
        { id: 'c3', type: 'function', function: { name: 'empty', arguments: '' } },
        { id: 'c4', type: 'function', function: { name: 'list', arguments: '[1,2]' } },
        { id: 'c5', name: 'flat', arguments: '{"x":1}' },
        { type: 'function', function: { name: 'no_id', arguments: '{}' } },
        'garbage',
      ],
    });
    expect(toAnthropicMessage(message)).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', id: 'c1', name: 'ls', input: { path: '//project' } },
        { type: 'tool_use', id: 'c2', name: 'raw', input: 'not json' },
        { type: 'tool_use', id: 'c3', name: 'empty', input: {} },
        { type: 'tool_use', id: 'c4', name: 'list', input: '[1,2]' },
        { type: 'tool_use', id: 'c5', name: 'flat', input: { x: 1 } },
      ],
    });
  });

  it('leaves out an empty text next to tool calls', () => {
    const message = odd({ role: 'assistant', content: '', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] });
    expect(toAnthropicMessage(message)).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 'c', name: 'f', input: {} }] });
    const nullContent = odd({ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] });
    expect(toAnthropicMessage(nullContent)).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 'c', name: 'f', input: {} }] });
  });

  it('converts image_url parts (data URLs to base64 sources), refusals to text, and drops audio', () => {
    const message = odd({
      role: 'user',
      content: [
        { type: 'text', text: 'Look:' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K', detail: 'high' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        { type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } },
        { type: 'refusal', refusal: 'No.' },
      ],
    });
    expect(toAnthropicMessage(message)).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'Look:' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0K' } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        { type: 'text', text: 'No.' },
      ],
    });
  });

  it('uses the refusal, or an empty text, when content is null', () => {
    expect(toAnthropicMessage(odd({ role: 'assistant', content: null, refusal: 'I cannot.' }))).toEqual({ role: 'assistant', content: 'I cannot.' });
    expect(toAnthropicMessage(odd({ role: 'assistant', content: null }))).toEqual({ role: 'assistant', content: '' });
  });
});

describe('toOpenAIMessage / toOpenAIMessages', () => {
  it('keeps a plain text message', () => {
    expect(toOpenAIMessage(odd({ role: 'user', content: 'hi' }))).toEqual({ role: 'user', content: 'hi' });
  });

  it('returns an OpenAI message unchanged', () => {
    const message = odd({ role: 'tool', tool_call_id: 'c1', content: 'ok' });
    expect(toOpenAIMessage(message)).toBe(message);
    expect(toOpenAIMessages(message)).toEqual([message]);
  });

  it('turns tool_use blocks into tool calls: object input as JSON, string input as is, null input as {}', () => {
    const message = odd({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'plan', signature: 's' },
        { type: 'text', text: 'Reading.', citations: null },
        { type: 'tool_use', id: 't1', name: 'read', input: { path: '//p/README.md' } },
        { type: 'tool_use', id: 't2', name: 'ls', input: '{"path": "//p"}' },
        { type: 'tool_use', id: 't3', name: 'noop', input: null },
        { type: 'tool_use', name: 'no_id', input: {} },
        { type: 'server_tool_use', id: 's1', name: 'web_search', input: {} },
        { type: 'mystery', data: 1 },
      ],
    });
    expect(toOpenAIMessage(message)).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Reading.' }],
      tool_calls: [
        { id: 't1', type: 'function', function: { name: 'read', arguments: '{"path":"//p/README.md"}' } },
        { id: 't2', type: 'function', function: { name: 'ls', arguments: '{"path": "//p"}' } },
        { id: 't3', type: 'function', function: { name: 'noop', arguments: '{}' } },
      ],
    });
  });

  it('gives content null when an assistant message has only tool calls', () => {
    const message = odd({ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'n', input: {} }] });
    expect(toOpenAIMessage(message)).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 't', type: 'function', function: { name: 'n', arguments: '{}' } }],
    });
  });

  it('turns a tool_result into a tool message (is_error dropped, block content as parts, null as "")', () => {
    expect(toOpenAIMessage(odd({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'boom', is_error: true }] }))).toEqual({
      role: 'tool',
      tool_call_id: 't1',
      content: 'boom',
    });
    expect(
      toOpenAIMessage(odd({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'a' }, { type: 'mystery' }] }] })),
    ).toEqual({ role: 'tool', tool_call_id: 't1', content: [{ type: 'text', text: 'a' }] });
    expect(toOpenAIMessage(odd({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: null }] }))).toEqual({
      role: 'tool',
      tool_call_id: 't1',
      content: '',
    });
  });

  it('splits several tool results into tool messages before the rest; the single form is then null', () => {
    const message = odd({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'a', content: '1' },
        { type: 'tool_result', tool_use_id: 'b', content: '2' },
        { type: 'text', text: 'and now?' },
      ],
    });
    expect(toOpenAIMessages(message)).toEqual([
      { role: 'tool', tool_call_id: 'a', content: '1' },
      { role: 'tool', tool_call_id: 'b', content: '2' },
      { role: 'user', content: [{ type: 'text', text: 'and now?' }] },
    ]);
    expect(toOpenAIMessage(message)).toBeNull();
  });

  it('is null when nothing converts (thinking only, empty content, odd input)', () => {
    const thoughts = odd({ role: 'assistant', content: [{ type: 'thinking', thinking: 'x' }, { type: 'redacted_thinking', data: 'y' }] });
    expect(toOpenAIMessages(thoughts)).toEqual([]);
    expect(toOpenAIMessage(thoughts)).toBeNull();
    expect(toOpenAIMessage(odd({ role: 'user', content: [] }))).toBeNull();
    expect(toOpenAIMessage(odd(null))).toBeNull();
    expect(toOpenAIMessage(odd({ role: 'user', content: [{ type: 'tool_use', id: 't' }], tool_calls: [] }))).toBeNull();
  });

  it('turns user images into image_url parts and drops assistant images (OpenAI has none)', () => {
    const base64 = { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } };
    const url = { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } };
    const file = { type: 'image', source: { type: 'file', file_id: 'f1' } };
    expect(toOpenAIMessage(odd({ role: 'user', content: [base64, url, file] }))).toEqual({
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
      ],
    });
    expect(toOpenAIMessage(odd({ role: 'assistant', content: [{ type: 'text', text: 'see' }, base64] }))).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'see' }],
    });
  });
});

describe('Anthropic → OpenAI → Anthropic round trip', () => {
  const cases: Array<[string, AnthropicMessage]> = [
    ['string text', { role: 'user', content: 'Hello there' }],
    ['assistant string text', { role: 'assistant', content: 'Hi!' }],
    ['text blocks', { role: 'assistant', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] }],
    [
      'text and tool calls',
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_1', name: 'workspace_read', input: { path: '//project/README.md', nested: { a: [1, 2] } } },
          { type: 'tool_use', id: 'toolu_2', name: 'workspace_ls', input: {} },
        ],
      },
    ],
    ['a tool result', { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '# Title' }] }],
    ['a tool result with blocks', { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'x' }] }] }],
    [
      'images',
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
    ],
  ];

  it.each(cases)('%s survives', (_name, message) => {
    const openAI = toOpenAIMessage(message);
    expect(openAI).not.toBeNull();
    expect(isOpenAIMessage(openAI!)).toBe(true);
    expect(toAnthropicMessage(openAI!)).toEqual(message);
  });

  it('a tool_use whose input is JSON text comes back with the input parsed', () => {
    const message = odd({ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'ls', input: '{"path": "//x"}' }] });
    expect(toAnthropicMessage(toOpenAIMessage(message)!)).toEqual({
      role: 'assistant',
      content: [{ type: 'tool_use', id: 't', name: 'ls', input: { path: '//x' } }],
    });
  });

  it('a tool_use whose input is not JSON keeps the raw text both ways', () => {
    const message = odd({ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'ls', input: '{"path": "//x' }] });
    const openAI = toOpenAIMessage(message)!;
    expect(openAI.tool_calls?.[0]?.function.arguments).toBe('{"path": "//x');
    expect(toAnthropicMessage(openAI)).toEqual(message);
  });
});

describe('unifiedMessageParamToMessage', () => {
  it('keeps string content and role', () => {
    expect(unifiedMessageParamToMessage(odd({ role: 'user', content: 'hi' }))).toStrictEqual({ role: 'user', content: 'hi' });
    expect(unifiedMessageParamToMessage(odd({ role: 'assistant', content: '' }))).toStrictEqual({ role: 'assistant', content: '' });
  });

  it('drops thinking next to other content, and makes a thinking-only message a thought', () => {
    expect(
      unifiedMessageParamToMessage(odd({ role: 'assistant', content: [{ type: 'thinking', thinking: 'plan', signature: 's' }, { type: 'text', text: 'Done.', citations: null }] })),
    ).toStrictEqual({ role: 'assistant', content: [{ type: 'text', text: 'Done.' }] });
    expect(
      unifiedMessageParamToMessage(odd({ role: 'assistant', content: [{ type: 'thinking', thinking: 'a' }, { type: 'redacted_thinking', data: 'x' }, { type: 'thinking', thinking: 'b' }] })),
    ).toStrictEqual({ role: 'assistant (thought)', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] });
  });

  it('turns tool_use blocks into parts, parsing JSON-text input and keeping other text', () => {
    const message = odd({
      role: 'assistant',
      content: [
        { type: 'tool_use', id: 't1', name: 'ls', input: '{"path": "//p"}' },
        { type: 'tool_use', id: 't2', name: 'raw', input: 'oops{' },
        { type: 'tool_use', id: 't3', name: 'think', input: { thought: 'x' } },
        { type: 'tool_use', id: 't4', name: 'nothing', input: null },
        { type: 'server_tool_use', id: 's1', name: 'web_search', input: { query: 'q' } },
      ],
    });
    expect(unifiedMessageParamToMessage(message)).toStrictEqual({
      role: 'assistant',
      content: [
        { type: 'tool_use', id: 't1', name: 'ls', input: { path: '//p' } },
        { type: 'tool_use', id: 't2', name: 'raw', input: 'oops{' },
        { type: 'tool_use', id: 't3', name: 'think', input: { thought: 'x' } },
        { type: 'tool_use', id: 't4', name: 'nothing', input: {} },
        { type: 'tool_use', id: 's1', name: 'web_search', input: { query: 'q' } },
      ],
    });
  });

  it('turns tool results into parts, keeping is_error and usable blocks', () => {
    const message = odd({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 't1', content: 'boom', is_error: true },
        { type: 'tool_result', tool_use_id: 't2', content: [{ type: 'text', text: 'a' }, { type: 'mystery' }, null] },
        { type: 'tool_result', tool_use_id: 't3', content: null, is_error: null },
        { type: 'tool_result', content: 'no id' },
      ],
    });
    expect(unifiedMessageParamToMessage(message)).toStrictEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 't1', content: 'boom', is_error: true },
        { type: 'tool_result', tool_use_id: 't2', content: [{ type: 'text', text: 'a' }] },
        { type: 'tool_result', tool_use_id: 't3', content: '' },
      ],
    });
  });

  it('keeps base64 and URL images, drops other sources, documents and unknown blocks', () => {
    const message = odd({
      role: 'user',
      content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
        { type: 'image', source: { type: 'url', url: 'https://x/y.png' } },
        { type: 'image', source: { type: 'file', file_id: 'f' } },
        { type: 'document', source: { type: 'text', data: 'doc' } },
        { type: 'mystery', foo: 1 },
        'not a block',
        null,
        { type: 'text', text: 'end' },
      ],
    });
    expect(unifiedMessageParamToMessage(message)).toStrictEqual({
      role: 'user',
      content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
        { type: 'image', source: { type: 'url', url: 'https://x/y.png' } },
        { type: 'text', text: 'end' },
      ],
    });
  });

  it('collects text-block citations', () => {
    const raw = { type: 'web_search_result_location', cited_text: 'Paris is the capital', url: 'https://en.wikipedia.org/wiki/Paris', title: 'Paris' };
    const message = odd({ role: 'assistant', content: [{ type: 'text', text: 'Paris.', citations: [raw, 'junk'] }] });
    expect(unifiedMessageParamToMessage(message)).toStrictEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Paris.' }],
      citations: [{ quote: 'Paris is the capital', source: 'https://en.wikipedia.org/wiki/Paris', metadata: raw }],
    });
  });

  it('reads OpenAI messages: system/developer, tool results, tool calls, images, names', () => {
    expect(unifiedMessageParamToMessage(odd({ role: 'system', content: 'Be brief.' }))).toStrictEqual({ role: 'system', content: 'Be brief.' });
    expect(unifiedMessageParamToMessage(odd({ role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] }))).toStrictEqual({
      role: 'system',
      content: [{ type: 'text', text: 'Be brief.' }],
    });
    expect(unifiedMessageParamToMessage(odd({ role: 'tool', tool_call_id: 'c1', name: 'ls', content: 'a' }))).toStrictEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'c1', content: 'a' }],
      name: 'ls',
    });
    expect(
      unifiedMessageParamToMessage(
        odd({ role: 'assistant', content: 'Sure.', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'ls', arguments: '{"p":1}' } }] }),
      ),
    ).toStrictEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Sure.' }, { type: 'tool_use', id: 'c1', name: 'ls', input: { p: 1 } }],
    });
    expect(unifiedMessageParamToMessage(odd({ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/gif;base64,R0lG' } }] }))).toStrictEqual({
      role: 'user',
      content: [{ type: 'image', source: { type: 'base64', media_type: 'image/gif', data: 'R0lG' } }],
    });
    expect(unifiedMessageParamToMessage(odd({ role: 'user', content: 'hi', name: 'bob' }))).toStrictEqual({ role: 'user', content: 'hi', name: 'bob' });
  });

  it('degrades messages with no runtime form to content null or their text', () => {
    expect(unifiedMessageParamToMessage(odd({ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'A', format: 'wav' } }] }))).toStrictEqual({
      role: 'user',
      content: null,
    });
    expect(unifiedMessageParamToMessage(odd({ role: 'function', name: 'f', content: 'result' }))).toStrictEqual({ role: 'user', content: 'result', name: 'f' });
    expect(unifiedMessageParamToMessage(odd({ role: 'tool', content: 'no id' }))).toStrictEqual({ role: 'user', content: 'no id' });
    expect(unifiedMessageParamToMessage(odd({ role: 'assistant', content: null }))).toStrictEqual({ role: 'assistant', content: '' });
    expect(unifiedMessageParamToMessage(odd({ role: 'system', content: 7 }))).toStrictEqual({ role: 'system', content: null });
    expect(unifiedMessageParamToMessage(odd(null))).toStrictEqual({ role: 'user', content: null });
    expect(unifiedMessageParamToMessage(odd('text'))).toStrictEqual({ role: 'user', content: null });
    expect(unifiedMessageParamToMessage(odd({ role: 'bot', content: { a: 1 } }))).toStrictEqual({ role: 'user', content: null });
  });
});

describe('messageToUnifiedMessageParam', () => {
  const assistantWithTool: Message = {
    role: 'assistant',
    content: [
      { type: 'text', text: 'Reading.' },
      { type: 'tool_use', id: 't1', name: 'read', input: { path: '//p' } },
    ],
  };

  it('writes text in either format', () => {
    expect(messageToUnifiedMessageParam({ role: 'user', content: 'Hello' }, 'anthropic')).toStrictEqual({ role: 'user', content: 'Hello' });
    expect(messageToUnifiedMessageParam({ role: 'user', content: 'Hello' }, 'openai')).toStrictEqual({ role: 'user', content: 'Hello' });
    expect(messageToUnifiedMessageParam({ role: 'assistant', content: null }, 'anthropic')).toStrictEqual({ role: 'assistant', content: '' });
  });

  it('writes tool calls as tool_use blocks or tool_calls', () => {
    expect(messageToUnifiedMessageParam(assistantWithTool, 'anthropic')).toStrictEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'Reading.' },
        { type: 'tool_use', id: 't1', name: 'read', input: { path: '//p' } },
      ],
    });
    expect(messageToUnifiedMessageParam(assistantWithTool, 'open_ai')).toStrictEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Reading.' }],
      tool_calls: [{ id: 't1', type: 'function', function: { name: 'read', arguments: '{"path":"//p"}' } }],
    });
  });

  it('writes tool results as tool_result blocks or a tool message (keeping the name)', () => {
    const result: Message = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', content: 'ok', is_error: false }], name: 'ls' };
    expect(messageToUnifiedMessageParam(result, 'anthropic')).toStrictEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'c1', content: 'ok', is_error: false }],
    });
    expect(messageToUnifiedMessageParam(result, 'openai')).toStrictEqual({ role: 'tool', tool_call_id: 'c1', content: 'ok', name: 'ls' });
  });

  it('gives only the first of several tool results for OpenAI', () => {
    const results: Message = {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'a', content: '1' },
        { type: 'tool_result', tool_use_id: 'b', content: '2' },
      ],
    };
    expect(messageToUnifiedMessageParam(results, 'openai')).toStrictEqual({ role: 'tool', tool_call_id: 'a', content: '1' });
  });

  it('writes thoughts as thinking blocks (Anthropic) or assistant text (OpenAI)', () => {
    const thought: Message = { role: 'assistant (thought)', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] };
    expect(messageToUnifiedMessageParam(thought, 'anthropic')).toStrictEqual({
      role: 'assistant',
      content: [{ type: 'thinking', thinking: 'a' }, { type: 'thinking', thinking: 'b' }],
    });
    expect(messageToUnifiedMessageParam(thought, 'openai')).toStrictEqual({ role: 'assistant', content: 'a\n\nb' });
    expect(messageToUnifiedMessageParam({ role: 'assistant (thought)', content: 'hmm' }, 'anthropic')).toStrictEqual({
      role: 'assistant',
      content: [{ type: 'thinking', thinking: 'hmm' }],
    });
  });

  it('keeps a system message as {role: "system"} in both formats', () => {
    expect(messageToUnifiedMessageParam({ role: 'system', content: 'Be brief.' }, 'anthropic')).toStrictEqual({ role: 'system', content: 'Be brief.' });
    expect(messageToUnifiedMessageParam({ role: 'system', content: null, name: 'ops' }, 'openai')).toStrictEqual({ role: 'system', content: '', name: 'ops' });
    expect(
      messageToUnifiedMessageParam({ role: 'system', content: [{ type: 'text', text: 'a' }, { type: 'tool_use', id: 't', name: 'n', input: {} }] }, 'openai'),
    ).toStrictEqual({ role: 'system', content: [{ type: 'text', text: 'a' }] });
  });

  it('uses the Anthropic format for an unknown vendor, and skips malformed parts', () => {
    const message = { role: 'user', content: [{ type: 'text' }, { type: 'text', text: 'ok' }, null, { type: 'video' }] } as unknown as Message;
    expect(messageToUnifiedMessageParam(message, 'none')).toStrictEqual({ role: 'user', content: [{ type: 'text', text: 'ok' }] });
    expect(messageToUnifiedMessageParam({ role: 'user', content: [] }, 'openai')).toStrictEqual({ role: 'user', content: '' });
    expect(messageToUnifiedMessageParam(null as unknown as Message, 'openai')).toStrictEqual({ role: 'user', content: '' });
  });

  it.each<[string, Message]>([
    ['text', { role: 'user', content: 'hi' }],
    ['assistant parts', assistantWithTool],
    ['a tool result', { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c', content: 'ok' }] }],
    ['an image', { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } }] }],
    ['a system message', { role: 'system', content: 'rules' }],
  ])('%s round-trips through both formats', (_name, message) => {
    for (const vendor of ['anthropic', 'openai']) {
      expect(unifiedMessageParamToMessage(messageToUnifiedMessageParam(message, vendor))).toStrictEqual(message);
    }
  });

  it('a thought round-trips through the Anthropic format', () => {
    const thought: Message = { role: 'assistant (thought)', content: [{ type: 'text', text: 'plan' }] };
    expect(unifiedMessageParamToMessage(messageToUnifiedMessageParam(thought, 'anthropic'))).toStrictEqual(thought);
  });
});

describe('getDisplayName', () => {
  it('prefers the session name, then the agent, then the server display name', () => {
    expect(getDisplayName({ session_name: 'README summary', agent_config: { name: 'Domo' } })).toBe('README summary');
    expect(getDisplayName({ session_name: null, agent_config: { name: 'Domo' }, display_name: 'stale' })).toBe('New chat with Domo');
    expect(getDisplayName({ session_name: '', agent_config: null, display_name: 'From server' })).toBe('From server');
    expect(getDisplayName({})).toBe('New chat');
    expect(getDisplayName({ agent_config: { name: '' } })).toBe('New chat');
    expect(getDisplayName(null as unknown as {})).toBe('New chat');
  });

  it('matches what the server computed for both fixtures', () => {
    expect(getDisplayName(anthropicSession)).toBe(anthropicSession.display_name);
    expect(getDisplayName({ ...openAISession, display_name: null })).toBe('New chat with GPT Helper');
    expect(getDisplayName(openAISession)).toBe(openAISession.display_name);
  });
});

describe('real sessions (fixtures)', () => {
  const sessions = [
    ['anthropic', anthropicSession],
    ['openai', openAISession],
  ] as const;

  it.each(sessions)('the %s fixture decodes with its vendor and messages', (vendor, session) => {
    expect(session.vendor).toBe(vendor);
    expect(session.messages.length).toBeGreaterThan(3);
  });

  it.each(sessions)('every %s message converts without throwing, in every direction', (_vendor, session) => {
    for (const message of session.messages) {
      const runtime = unifiedMessageParamToMessage(message);
      expect(['user', 'assistant']).toContain(runtime.role);
      expect(toAnthropicMessage(message)).not.toBeNull();
      expect(toOpenAIMessages(message).length).toBeGreaterThan(0);
      for (const target of ['anthropic', 'openai']) {
        // converted back, the message keeps its role and is not emptied (the fallback is an empty user message)
        const back = messageToUnifiedMessageParam(runtime, target) as { role: string; content: unknown };
        if (target === 'anthropic') expect(back.role).toBe(runtime.role);
        else expect(runtime.role === 'assistant' ? ['assistant'] : ['user', 'tool']).toContain(back.role);
        expect(back.content === '' || (Array.isArray(back.content) && back.content.length === 0), JSON.stringify(message)).toBe(false);
      }
    }
  });

  it.each(sessions)('the guards classify every %s message as its session vendor says', (vendor, session) => {
    const own = vendor === 'anthropic' ? isAnthropicMessage : isOpenAIMessage;
    const other = vendor === 'anthropic' ? isOpenAIMessage : isAnthropicMessage;
    for (const message of session.messages) {
      expect(own(message)).toBe(true);
      // Text only (a string, or text blocks) is valid in both formats; anything else belongs to one vendor.
      const { content } = message;
      const textOnly =
        message.tool_calls == null &&
        message.tool_call_id == null &&
        (typeof content === 'string' || (Array.isArray(content) && content.every((block) => block.type === 'text')));
      expect(other(message)).toBe(textOnly);
    }
  });

  it('the Anthropic session reads as the expected runtime messages', () => {
    const runtime = serverChatSessionToRuntimeSession(anthropicSession);
    expect(runtime.messages).toStrictEqual([
      { role: 'user', content: 'Can you summarize the README in the project workspace?' },
      { role: 'assistant', content: [{ type: 'text', text: "Sure - I'll read the README first." }] },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_01HvQ7mXcY3kP9sLw2RnB8Ta', name: 'workspace_read', input: { path: '//project/README.md' } }],
      },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'toolu_01HvQ7mXcY3kP9sLw2RnB8Ta', content: expect.stringMatching(/^# Agent C/) }],
      },
      { role: 'assistant', content: [{ type: 'text', text: expect.stringMatching(/^The README describes/) }] },
    ]);
  });

  it('the OpenAI session reads as the expected runtime messages', () => {
    const runtime = serverChatSessionToRuntimeSession(openAISession);
    expect(runtime.messages).toStrictEqual([
      { role: 'user', content: 'What files are in the project workspace?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_Xy7bQ2mN4pL8sR1tV6wZ3kJd', name: 'workspace_ls', input: { path: '//project' } }] },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'call_Xy7bQ2mN4pL8sR1tV6wZ3kJd', content: 'README.md\npackage.json\nsrc/\ntest/' }],
        name: 'workspace_ls',
      },
      { role: 'assistant', content: expect.stringMatching(/^The project workspace contains/) },
    ]);
  });

  it.each(sessions)('the %s session keeps every other field in its runtime form', (_vendor, session) => {
    const runtime = serverChatSessionToRuntimeSession(session);
    const { messages: _server, ...rest } = session;
    const { messages: _runtime, ...runtimeRest } = runtime;
    expect(runtimeRest).toStrictEqual(rest);
    expect(runtime.messages).toHaveLength(session.messages.length);
  });

  it.each(sessions)('the %s runtime session round-trips through the server shape', (vendor, session) => {
    const runtime = serverChatSessionToRuntimeSession(session);
    const server = runtimeSessionToServerChatSession(runtime);
    expect(server.vendor).toBe(vendor);
    expect(server.messages).toHaveLength(session.messages.length);
    const own = vendor === 'anthropic' ? isAnthropicMessage : isOpenAIMessage;
    for (const message of server.messages) expect(own(message)).toBe(true);
    expect(serverChatSessionToRuntimeSession(server)).toStrictEqual(runtime);
    // What we write back is still a valid chat session for the decoder.
    const frame = decodeServerFrame(JSON.stringify({ type: 'chat_session_changed', chat_session: server }));
    expect(frame.kind).toBe('event');
  });

  it('server → runtime → server keeps the OpenAI messages the server wrote (tool arguments equal as JSON)', () => {
    const server = runtimeSessionToServerChatSession(serverChatSessionToRuntimeSession(openAISession));
    const [user, call, result, answer] = server.messages;
    expect(user).toStrictEqual(openAISession.messages[0]);
    expect(result).toStrictEqual(openAISession.messages[2]);
    expect(answer).toStrictEqual(openAISession.messages[3]);
    const sent = openAISession.messages[1]!;
    if (!isOpenAIMessage(sent) || !isOpenAIMessage(call!)) throw new Error('expected OpenAI messages');
    const original = sent.tool_calls?.[0];
    const written = call.tool_calls?.[0];
    expect(written?.id).toBe(original?.id);
    expect(written?.function.name).toBe(original?.function.name);
    expect(JSON.parse(written!.function.arguments)).toEqual(JSON.parse(original!.function.arguments));
  });

  it('server → runtime → server keeps the Anthropic messages without thinking', () => {
    const server = runtimeSessionToServerChatSession(serverChatSessionToRuntimeSession(anthropicSession));
    expect(server.messages[0]).toStrictEqual(anthropicSession.messages[0]);
    expect(server.messages[2]).toStrictEqual(anthropicSession.messages[2]);
    expect(server.messages[3]).toStrictEqual(anthropicSession.messages[3]);
    expect(server.messages[1]).toStrictEqual({ role: 'assistant', content: [{ type: 'text', text: "Sure - I'll read the README first." }] });
  });

  it('a session converts to the other vendor when its vendor is changed', () => {
    const asOpenAI = runtimeSessionToServerChatSession({ ...serverChatSessionToRuntimeSession(anthropicSession), vendor: 'openai' });
    expect(asOpenAI.messages.every((message) => isOpenAIMessage(message))).toBe(true);
    expect(asOpenAI.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'assistant', 'tool', 'assistant']);
    const asAnthropic = runtimeSessionToServerChatSession({ ...serverChatSessionToRuntimeSession(openAISession), vendor: 'anthropic' });
    expect(asAnthropic.messages.every((message) => isAnthropicMessage(message))).toBe(true);
  });

  it('fills an empty vendor from the model id and an empty display name', () => {
    const runtime = serverChatSessionToRuntimeSession({ ...openAISession, vendor: '', display_name: null });
    expect(runtime.vendor).toBe('openai');
    expect(runtime.display_name).toBe('New chat with GPT Helper');
    const kept = serverChatSessionToRuntimeSession({ ...openAISession, vendor: 'none' });
    expect(kept.vendor).toBe('none');
  });

  it('writes messages by the agent model when the vendor is unknown, else as Anthropic', () => {
    const runtime: RuntimeChatSession = {
      ...serverChatSessionToRuntimeSession(openAISession),
      vendor: 'none',
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c', content: 'x' }] }],
    };
    expect(runtimeSessionToServerChatSession(runtime).messages).toStrictEqual([{ role: 'tool', tool_call_id: 'c', content: 'x' }]);
    expect(runtimeSessionToServerChatSession({ ...runtime, agent_config: null }).messages).toStrictEqual([
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c', content: 'x' }] },
    ]);
  });

  it('drops system messages for Anthropic and splits several tool results for OpenAI', () => {
    const messages: Message[] = [
      { role: 'system', content: 'notice' },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: '1' }, { type: 'tool_result', tool_use_id: 'b', content: '2' }] },
    ];
    const anthropic = runtimeSessionToServerChatSession({ ...serverChatSessionToRuntimeSession(anthropicSession), messages });
    expect(anthropic.messages).toStrictEqual([messages[1]]);
    const openAI = runtimeSessionToServerChatSession({ ...serverChatSessionToRuntimeSession(openAISession), messages });
    expect(openAI.messages).toStrictEqual([
      { role: 'system', content: 'notice' },
      { role: 'tool', tool_call_id: 'a', content: '1' },
      { role: 'tool', tool_call_id: 'b', content: '2' },
    ]);
  });

  it('tolerates a session without a message list', () => {
    const odd = { ...anthropicSession, messages: null } as unknown as ChatSession;
    expect(serverChatSessionToRuntimeSession(odd).messages).toEqual([]);
    expect(runtimeSessionToServerChatSession({ ...serverChatSessionToRuntimeSession(anthropicSession), messages: null } as unknown as RuntimeChatSession).messages).toEqual([]);
  });
});
