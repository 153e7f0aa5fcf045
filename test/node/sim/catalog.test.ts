/**
 * Catalogues and settings: agents (PROTOCOL.md §4.4, §4.5, §6.4, §6.5, §7.7), tools (§4.11, §4.12,
 * §6.10), voices (§4.9, §4.10, §6.8, §7.9) and avatars (§4.6–§4.8, §6.9, §7.8).
 */
import { describe, expect, it } from 'vitest';
import type { Ev } from '../../helpers/sim-client.js';
import { PROFILES, connectReady, interact, startSim, useSimulators } from './harness.js';

useSimulators();

const SCRIPTED_AGENTS: Record<string, string> = {
  default: 'Domo',
  thinker: 'Deep Thinker',
  tool_user: 'Workspace Helper',
  delegator: 'Team Lead',
  showcase: 'Showcase',
  failing: 'Flaky',
  crashing: 'Crashy',
  firehose: 'Firehose',
  gpt: 'GPT Helper',
};

const OPENAI_VOICES = ['alloy', 'ash', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer'];
const VOICES = [
  { voice_id: 'none', vendor: 'system', description: 'No Voice (text only)', output_format: 'none' },
  { voice_id: 'avatar', vendor: 'heygen', description: 'HeyGen Avatar Voice Model', output_format: 'special' },
  ...OPENAI_VOICES.map((voice_id) => ({ voice_id, vendor: 'openai', description: '', output_format: 'pcm16' })),
];
const AVATAR_VOICE = VOICES[1];

const AGENT_CONFIG_KEYS = [
  'version',
  'name',
  'agent_description',
  'tools',
  'blocked_tool_patterns',
  'allowed_tool_patterns',
  'short_name',
  'key',
  'model_id',
  'agent_params',
  'prompt_metadata',
  'persona',
  'uid',
  'category',
];

function expectAgentConfig(config: Record<string, unknown>, key: string): void {
  for (const field of AGENT_CONFIG_KEYS) expect(config, field).toHaveProperty(field);
  expect(config.version).toBe(2);
  expect(config.key).toBe(key);
  expect(config.name).toBe(SCRIPTED_AGENTS[key]);
  expect(config.short_name).toBe((config.name as string).split(',')[0]);
  expect(Array.isArray(config.tools)).toBe(true);
}

function isWorkspaceNotice(e: Ev): boolean {
  return e.type === 'system_message' && e.severity === 'info' && typeof e.content === 'string' && e.content.startsWith('Active workspace set to ');
}

describe.each(PROFILES)('catalogues (profile %s)', (profile) => {
  describe('agents', () => {
    it('agent_list holds every scripted agent as {name,key,agent_description,category,toolsets}, all in category "domo", sorted by name case-insensitively', async () => {
      const sim = await startSim({ profile });
      const { burst } = await connectReady(sim);
      const agents = burst.find((e) => e.type === 'agent_list')!.agents as Ev[];
      for (const [key, name] of Object.entries(SCRIPTED_AGENTS)) {
        expect(agents.find((a) => a.key === key)?.name, key).toBe(name);
      }
      for (const agent of agents) {
        expect(Object.keys(agent).sort()).toStrictEqual(['agent_description', 'category', 'key', 'name', 'toolsets']);
        expect(agent.category).toContain('domo');
        expect(Array.isArray(agent.toolsets)).toBe(true);
      }
      const names = agents.map((a) => a.name as string);
      const sorted = [...names].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
      expect(names).toStrictEqual(sorted);
    });

    it('get_agents answers agent_list then agent_configuration_changed for the current agent', async () => {
      const sim = await startSim({ profile });
      const { client, burst } = await connectReady(sim, { agentKey: 'thinker' });
      client.send({ type: 'get_agents' });
      const events = await client.sync();
      expect(events.map((e) => e.type)).toStrictEqual(['agent_list', 'agent_configuration_changed']);
      expect(events[0]?.agents).toStrictEqual(burst.find((e) => e.type === 'agent_list')?.agents);
      expectAgentConfig(events[1]?.agent_config, 'thinker');
    });

    it('get_agents re-copies the agent config from the catalogue, so its tools lack BridgeTools (§4.4)', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim, { agentKey: 'tool_user' });
      client.send({ type: 'get_agents' });
      const events = await client.sync();
      const entry = (events[0]?.agents as Ev[]).find((a) => a.key === 'tool_user')!;
      expect(events[1]?.agent_config.tools).toStrictEqual(entry.toolsets);
      expect(events[1]?.agent_config.tools).not.toContain('BridgeTools');
    });

    it('set_agent to another agent: agent_configuration_changed with the AgentConfigurationV2 shape and BridgeTools appended', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      client.send({ type: 'set_agent', agent_key: 'thinker' });
      const events = (await client.sync()).filter((e) => !isWorkspaceNotice(e));
      expect(events.map((e) => e.type)).toStrictEqual(['agent_configuration_changed']);
      expectAgentConfig(events[0]?.agent_config, 'thinker');
      expect(events[0]?.agent_config.tools).toContain('BridgeTools');
    });

    it('set_agent changes the agent of the current chat session: the next interaction uses it', async () => {
      const sim = await startSim({ profile });
      const { client, chatSessionId } = await connectReady(sim);
      client.send({ type: 'set_agent', agent_key: 'thinker' });
      await client.next('agent_configuration_changed');
      const events = await interact(client, 'Think');
      expect(events.some((e) => e.type === 'thought_delta')).toBe(true);
      client.send({ type: 'resume_chat_session', session_id: chatSessionId });
      expect((await client.next('chat_session_changed')).chat_session.agent_config.key).toBe('thinker');
    });

    it('set_agent to the current agent: no reply at all', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      client.send({ type: 'set_agent', agent_key: 'default' });
      expect(await client.sync()).toStrictEqual([]);
    });

    it('set_agent to an unknown agent: error "Error processing event: Agent <key> not found."', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      client.send({ type: 'set_agent', agent_key: 'no_such_agent' });
      expect(await client.sync()).toStrictEqual([{ type: 'error', message: 'Error processing event: Agent no_such_agent not found.', source: null }]);
    });
  });

  describe('tools', () => {
    it('tool_catalog lists toolsets as {name, description, schemas[]} with OpenAI-style function schemas; get_tool_catalog repeats it', async () => {
      const sim = await startSim({ profile });
      const { client, burst } = await connectReady(sim);
      const tools = burst.find((e) => e.type === 'tool_catalog')!.tools as Ev[];
      expect(tools.length).toBeGreaterThan(0);
      for (const tool of tools) {
        expect(Object.keys(tool).sort()).toStrictEqual(['description', 'name', 'schemas']);
        expect(Array.isArray(tool.schemas)).toBe(true);
        for (const schema of tool.schemas) {
          expect(schema.type).toBe('function');
          expect(typeof schema.function.name).toBe('string');
          expect(schema.function).toHaveProperty('description');
          expect(schema.function).toHaveProperty('parameters');
        }
      }
      client.send({ type: 'get_tool_catalog' });
      const events = await client.sync();
      expect(events).toStrictEqual([{ type: 'tool_catalog', tools }]);
    });

    it('set_agent_tools: agent_configuration_changed with the new toolsets, then "Agent tools updated"', async () => {
      const sim = await startSim({ profile });
      const { client, burst } = await connectReady(sim);
      const toolset = (burst.find((e) => e.type === 'tool_catalog')!.tools as Ev[])[0]!.name as string;
      client.send({ type: 'set_agent_tools', tools: [toolset] });
      const events = await client.sync();
      expect(events.map((e) => e.type)).toStrictEqual(['agent_configuration_changed', 'system_message']);
      expect(events[0]?.agent_config.tools).toContain(toolset);
      expect(events[1]).toMatchObject({ severity: 'info', content: 'Agent tools updated' });
    });

    it('set_agent_tools with an unavailable toolset: the partial-failure error first, then the two success events; the unavailable toolset is not in the list (§4.12)', async () => {
      const sim = await startSim({ profile });
      const { client, burst } = await connectReady(sim);
      const toolset = (burst.find((e) => e.type === 'tool_catalog')!.tools as Ev[])[0]!.name as string;
      client.send({ type: 'set_agent_tools', tools: [toolset, 'NoSuchTools'] });
      const events = await client.sync();
      expect(events.map((e) => e.type)).toStrictEqual(['system_message', 'agent_configuration_changed', 'system_message']);
      expect(events[0]).toMatchObject({ severity: 'error', content: 'Some tools failed to equip, see server logs for details' });
      expect(events[1]?.agent_config.tools).not.toContain('NoSuchTools');
      expect(events[2]).toMatchObject({ severity: 'info', content: 'Agent tools updated' });
    });
  });

  describe('voices', () => {
    it('voice_list holds the 11 voices of §6.8 in order, in the burst and from get_voices', async () => {
      const sim = await startSim({ profile });
      const { client, burst } = await connectReady(sim);
      expect(burst.find((e) => e.type === 'voice_list')).toStrictEqual({ type: 'voice_list', voices: VOICES });
      client.send({ type: 'get_voices' });
      expect(await client.sync()).toStrictEqual([{ type: 'voice_list', voices: VOICES }]);
    });

    it.each([
      ['alloy', "Voice 'voice_id='alloy' vendor='openai' description='' output_format='pcm16'' not found"],
      ['none', "Voice 'voice_id='none' vendor='system' description='No Voice (text only)' output_format='none'' not found"],
    ])('set_agent_voice %s: the spurious error system_message, then agent_voice_changed', async (voiceId, spurious) => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      client.send({ type: 'set_agent_voice', voice_id: voiceId });
      const events = await client.sync();
      expect(events.map((e) => e.type)).toStrictEqual(['system_message', 'agent_voice_changed']);
      expect(events[0]).toMatchObject({ severity: 'error', content: spurious });
      expect(events[1]).toStrictEqual({ type: 'agent_voice_changed', voice: VOICES.find((v) => v.voice_id === voiceId) });
    });

    it.each(['avatar', 'bogus'])('set_agent_voice %s: only the error system_message "Voice \'<id>\' not found"', async (voiceId) => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      client.send({ type: 'set_agent_voice', voice_id: voiceId });
      const events = await client.sync();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'system_message', severity: 'error', content: `Voice '${voiceId}' not found` });
    });
  });

  describe('avatars', () => {
    it('avatar_list has at least one avatar with the §6.9 fields; get_avatars repeats it', async () => {
      const sim = await startSim({ profile });
      const { client, burst } = await connectReady(sim);
      const avatars = burst.find((e) => e.type === 'avatar_list')!.avatars as Ev[];
      expect(avatars.length).toBeGreaterThan(0);
      for (const avatar of avatars) {
        expect(Object.keys(avatar).sort()).toStrictEqual(['avatar_id', 'created_at', 'default_voice', 'is_public', 'normal_preview', 'pose_name', 'status']);
        expect(Number.isInteger(avatar.created_at)).toBe(true);
      }
      client.send({ type: 'get_avatars' });
      expect(await client.sync()).toStrictEqual([{ type: 'avatar_list', avatars }]);
    });

    it('set_avatar: only avatar_connection_changed {avatar_session_request, avatar_session} in the §6.9 shape (defaults medium/H264)', async () => {
      const sim = await startSim({ profile });
      const { client, burst } = await connectReady(sim);
      const avatarId = (burst.find((e) => e.type === 'avatar_list')!.avatars as Ev[])[0]!.avatar_id as string;
      client.send({ type: 'set_avatar', avatar_id: avatarId });
      const events = await client.sync();
      expect(events.map((e) => e.type)).toStrictEqual(['avatar_connection_changed']);
      const { avatar_session_request: request, avatar_session: session } = events[0]!;
      expect(request).toMatchObject({
        avatar_id: avatarId,
        quality: 'medium',
        voice: { rate: 1.5, emotion: 'excited', elevenlabs_settings: { model_id: 'eleven_flash_v2_5' } },
        language: 'en',
        version: 'v2',
        video_encoding: 'H264',
        source: 'sdk',
        stt_settings: { provider: 'deepgram' },
        ia_is_livekit_transport: false,
      });
      for (const key of ['knowledge_base', 'knowledge_base_id', 'disable_idle_timeout', 'activity_idle_timeout']) expect(request, key).toHaveProperty(key);
      expect(Object.keys(session).sort()).toStrictEqual(
        ['access_token', 'ice_servers', 'ice_servers2', 'is_paid', 'realtime_endpoint', 'sdp', 'session_duration_limit', 'session_id', 'url'].sort(),
      );
      expect(typeof session.session_id).toBe('string');
      expect(typeof session.access_token).toBe('string');
      expect(Number.isInteger(session.session_duration_limit)).toBe(true);
    });

    it('set_avatar passes quality and video_encoding through unvalidated', async () => {
      const sim = await startSim({ profile });
      const { client, burst } = await connectReady(sim);
      const avatarId = (burst.find((e) => e.type === 'avatar_list')!.avatars as Ev[])[0]!.avatar_id as string;
      client.send({ type: 'set_avatar', avatar_id: avatarId, quality: 'high', video_encoding: 'VP8' });
      const reply = await client.next('avatar_connection_changed');
      expect(reply.avatar_session_request).toMatchObject({ quality: 'high', video_encoding: 'VP8' });
    });

    it("a second set_avatar on the same UI session fails with the 'NoneType' … 'create_new_session' error, and get_avatars is then empty", async () => {
      const sim = await startSim({ profile });
      const { client, burst } = await connectReady(sim);
      const avatarId = (burst.find((e) => e.type === 'avatar_list')!.avatars as Ev[])[0]!.avatar_id as string;
      client.send({ type: 'set_avatar', avatar_id: avatarId });
      await client.next('avatar_connection_changed');
      client.send({ type: 'set_avatar', avatar_id: avatarId });
      expect(await client.sync()).toStrictEqual([
        { type: 'error', message: "Error processing event: 'NoneType' object has no attribute 'create_new_session'", source: null },
      ]);
      client.send({ type: 'get_avatars' });
      expect(await client.sync()).toStrictEqual([{ type: 'avatar_list', avatars: [] }]);
    });

    it('without HeyGen: empty avatar_list, and set_avatar fails with the NoneType error', async () => {
      const sim = await startSim({ profile, heygen: false });
      const { client, burst } = await connectReady(sim);
      expect(burst.find((e) => e.type === 'avatar_list')).toStrictEqual({ type: 'avatar_list', avatars: [] });
      client.send({ type: 'get_avatars' });
      client.send({ type: 'set_avatar', avatar_id: 'anyone' });
      expect(await client.sync()).toStrictEqual([
        { type: 'avatar_list', avatars: [] },
        { type: 'error', message: "Error processing event: 'NoneType' object has no attribute 'create_new_session'", source: null },
      ]);
    });

    it('set_avatar_session: agent_voice_changed (avatar voice), [error], then the system text_delta "Avtar bridge connected to avatar session"', async () => {
      const sim = await startSim({ profile });
      const { client, chatSessionId } = await connectReady(sim);
      client.send({ type: 'set_avatar_session', access_token: 'tok', avatar_session_id: 'sess-1' });
      const events = await client.sync();
      expect(events[0]).toStrictEqual({ type: 'agent_voice_changed', voice: AVATAR_VOICE });
      const last = events[events.length - 1];
      expect(last).toStrictEqual({
        type: 'text_delta',
        session_id: chatSessionId,
        role: 'system',
        content: 'Avtar bridge connected to avatar session',
        format: 'markdown',
        parent_session_id: null,
        user_session_id: null,
      });
      const middle = events.slice(1, -1);
      expect(middle.length).toBeLessThanOrEqual(1);
      for (const e of middle) {
        expect(e.type).toBe('error');
        expect(e.message).toMatch(/^Failed to send message to avatar: /);
      }
    });
  });
});
