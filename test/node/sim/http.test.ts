/**
 * HTTP routes (PROTOCOL.md §2) and socket authentication (§1.3, §1.8).
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  connect,
  connectRefused,
  http,
  jwtParts,
  login,
  loginRaw,
  refreshToken,
} from '../../helpers/sim-client.js';
import { PROFILES, connectReady, slug, startSim, useSimulators } from './harness.js';

useSimulators();

const EIGHT_DAYS_S = 8 * 24 * 3600;

describe.each(PROFILES)('HTTP (profile %s)', (profile) => {
  describe('POST /api/rt/login (§2.2)', () => {
    it('returns agent_c_token, a heygen_token string and a ui_session_id "<user_id>-<word>-<word>"', async () => {
      const sim = await startSim({ profile });
      const result = await loginRaw(sim, 'admin', 'changeme');
      expect(result.status).toBe(200);
      expect(Object.keys(result.body).sort()).toStrictEqual(['agent_c_token', 'heygen_token', 'ui_session_id']);
      expect(result.body.agent_c_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(typeof result.body.heygen_token).toBe('string');
      expect(result.body.heygen_token).not.toBe('None');
      expect(result.body.ui_session_id).toMatch(/^admin-[A-Za-z]+-[A-Za-z]+$/);
    });

    it('issues an HS256 JWT signed with the secret, claims sub/user/exp/iat, 8 days, no user_id or permissions (§2.4)', async () => {
      const secret = 'a-test-secret-for-hs256';
      const sim = await startSim({ profile, jwtSecret: secret });
      const { agent_c_token: token } = await login(sim);
      const [h, p, s] = token.split('.') as [string, string, string];
      expect(createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url')).toBe(s);
      const { header, claims } = jwtParts(token);
      expect(header.alg).toBe('HS256');
      expect(claims.sub).toBe('admin');
      expect(claims).not.toHaveProperty('user_id');
      expect(claims).not.toHaveProperty('permissions');
      const user = claims.user as Record<string, unknown>;
      for (const key of ['user_id', 'user_name', 'email', 'first_name', 'last_name', 'is_active', 'roles', 'groups', 'created_at', 'last_login']) {
        expect(user, `user claim has ${key}`).toHaveProperty(key);
      }
      expect(user.user_id).toBe('admin');
      expect(user.user_name).toBe('admin');
      expect(Number.isInteger(claims.iat)).toBe(true);
      expect(Number.isInteger(claims.exp)).toBe(true);
      expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(60);
      expect((claims.exp as number) - (claims.iat as number)).toBe(EIGHT_DAYS_S);
    });

    it('answers 401 "Invalid credentials" for a wrong password, an unknown user and an inactive account', async () => {
      const sim = await startSim({ profile, users: [{ username: 'carol', password: 'carol-pw', isActive: false }] });
      for (const [username, password] of [
        ['admin', 'wrong-password'],
        ['nobody', 'changeme'],
        ['carol', 'carol-pw'],
      ] as const) {
        const result = await loginRaw(sim, username, password);
        expect(result.status, `${username}/${password}`).toBe(401);
        expect(result.body).toStrictEqual({ detail: 'Invalid credentials' });
      }
    });

    it('answers 422 with a FastAPI detail list for a 2-character username, a short password or a missing field', async () => {
      const sim = await startSim({ profile });
      for (const body of [
        { username: 'ab', password: 'changeme' },
        { username: 'admin', password: '12345' },
        { username: 'x'.repeat(51), password: 'changeme' },
        { username: 'admin' },
      ]) {
        const result = await http(sim, 'POST', '/api/rt/login', { json: body });
        expect(result.status, JSON.stringify(body)).toBe(422);
        expect(Array.isArray(result.body?.detail), JSON.stringify(result.body)).toBe(true);
      }
    });

    it('logs in extra accounts given in the options, with their user id as sub', async () => {
      const sim = await startSim({ profile, users: [{ username: 'bob', password: 'bob-secret', userId: 'u-bob' }] });
      const body = await login(sim, 'bob', 'bob-secret');
      expect(jwtParts(body.agent_c_token).claims.sub).toBe('u-bob');
      expect(body.ui_session_id).toMatch(/^u-bob-[A-Za-z]+-[A-Za-z]+$/);
    });

    it('returns heygen_token as the string "None" when HeyGen is not configured', async () => {
      const sim = await startSim({ profile, heygen: false });
      expect((await login(sim)).heygen_token).toBe('None');
    });
  });

  describe('GET /api/rt/refresh_token (§2.3)', () => {
    it('returns a new 8-day token and a heygen_token for a valid token, and the new token opens a socket', async () => {
      const sim = await startSim({ profile });
      const { agent_c_token: token } = await login(sim);
      const result = await refreshToken(sim, token);
      expect(result.status).toBe(200);
      expect(Object.keys(result.body).sort()).toStrictEqual(['agent_c_token', 'heygen_token']);
      expect(typeof result.body.heygen_token).toBe('string');
      const fresh = result.body.agent_c_token as string;
      const claims = jwtParts(fresh).claims;
      expect(claims.sub).toBe('admin');
      expect((claims.exp as number) - (claims.iat as number)).toBe(EIGHT_DAYS_S);
      expect(claims.exp as number).toBeGreaterThanOrEqual(jwtParts(token).claims.exp as number);
      const { burst } = await connectReady(sim, { token: fresh });
      expect(burst[0]?.type).toBe('ui_session_id_changed');
    });

    it('answers 401 "Missing authorization" without an Authorization header', async () => {
      const sim = await startSim({ profile });
      const result = await refreshToken(sim);
      expect(result.status).toBe(401);
      expect(result.body).toStrictEqual({ detail: 'Missing authorization' });
    });

    it('answers 401 "Invalid token" for an expired token (an expired token cannot be refreshed)', async () => {
      const sim = await startSim({ profile });
      const { agent_c_token: token } = await login(sim);
      sim.control.expireTokens();
      const result = await refreshToken(sim, token);
      expect(result.status).toBe(401);
      expect(result.body).toStrictEqual({ detail: 'Invalid token' });
    });

    it('answers 401 "Invalid token" for garbage and for a token signed with another secret', async () => {
      const sim = await startSim({ profile });
      const { agent_c_token: token } = await login(sim);
      const [h, p] = token.split('.') as [string, string];
      const forged = `${h}.${p}.${createHmac('sha256', 'not-the-secret').update(`${h}.${p}`).digest('base64url')}`;
      for (const bad of ['garbage', forged]) {
        const result = await refreshToken(sim, bad);
        expect(result.status).toBe(401);
        expect(result.body).toStrictEqual({ detail: 'Invalid token' });
      }
    });

    it('answers 401 "User not found or inactive" for a valid token of an inactive user', async () => {
      const sim = await startSim({ profile, users: [{ username: 'carol', password: 'carol-pw', isActive: false }] });
      const token = sim.control.issueToken('carol');
      const result = await refreshToken(sim, token);
      expect(result.status).toBe(401);
      expect(result.body).toStrictEqual({ detail: 'User not found or inactive' });
    });
  });

  describe('socket authentication (§1.3, §1.8)', () => {
    it('refuses the upgrade with HTTP 403 when the token query parameter is missing', async () => {
      const sim = await startSim({ profile });
      const refused = await connectRefused(sim, {});
      expect(refused.status).toBe(403);
    });

    it('reads only the token query parameter: an Authorization header alone is refused', async () => {
      const sim = await startSim({ profile });
      const token = sim.control.issueToken();
      const refused = await connectRefused(sim, { headers: { authorization: `Bearer ${token}` } });
      expect(refused.status).toBeGreaterThanOrEqual(400);
    });

    it('refuses an expired token at the handshake with an HTTP error status', async () => {
      const sim = await startSim({ profile });
      const { agent_c_token: token } = await login(sim);
      sim.control.expireTokens();
      const refused = await connectRefused(sim, { token });
      expect(refused.status).toBeGreaterThanOrEqual(400);
    });

    it('refuses a token signed with another secret and an unknown agent_key at the handshake', async () => {
      const sim = await startSim({ profile });
      const token = sim.control.issueToken();
      const [h, p] = token.split('.') as [string, string];
      const forged = `${h}.${p}.${createHmac('sha256', 'other').update(`${h}.${p}`).digest('base64url')}`;
      expect((await connectRefused(sim, { token: forged })).status).toBeGreaterThanOrEqual(400);
      expect((await connectRefused(sim, { token, agentKey: 'no_such_agent' })).status).toBeGreaterThanOrEqual(400);
    });

    it("refuses a ui_session_id that belongs to another user", async () => {
      const sim = await startSim({ profile, users: [{ username: 'bob', password: 'bob-secret' }] });
      const admin = await connectReady(sim);
      const refused = await connectRefused(sim, { token: sim.control.issueToken('bob'), uiSessionId: admin.uiSessionId });
      expect(refused.status).toBeGreaterThanOrEqual(400);
      // The owner's socket is unaffected.
      expect(await admin.client.sync()).toStrictEqual([]);
    });

    it("refuses a chat_session_id that belongs to another user", async () => {
      const sim = await startSim({ profile, users: [{ username: 'bob', password: 'bob-secret' }] });
      const admin = await connectReady(sim);
      admin.client.send({ type: 'text_input', text: 'persist me' });
      await admin.client.next('user_turn_start');
      const refused = await connectRefused(sim, { token: sim.control.issueToken('bob'), chatSessionId: admin.chatSessionId });
      expect(refused.status).toBeGreaterThanOrEqual(400);
    });

    it('does not check is_active on the socket: a valid token of an inactive user connects', async () => {
      const sim = await startSim({ profile, users: [{ username: 'carol', password: 'carol-pw', isActive: false }] });
      const client = await connect(sim, { token: sim.control.issueToken('carol') });
      const burst = await client.until('user_turn_start');
      expect(burst.find((e) => e.type === 'chat_user_data')?.user?.user_id).toBe('carol');
    });

    it('keeps an open socket working after its token expires (no in-band re-authentication)', async () => {
      const sim = await startSim({ profile });
      const { client } = await connectReady(sim);
      sim.control.expireTokens();
      expect(await client.sync()).toStrictEqual([]);
      expect(client.open).toBe(true);
    });

    it('generates a UI session id "UI-<user_id>-<word>-<word>" when none is given', async () => {
      const sim = await startSim({ profile });
      const { uiSessionId } = await connectReady(sim);
      expect(uiSessionId).toMatch(/^UI-admin-[A-Za-z]+-[A-Za-z]+$/);
      expect(uiSessionId.slice('UI-admin-'.length)).toMatch(slug(2));
    });
  });
});
