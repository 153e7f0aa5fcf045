/**
 * Event sequences of the protocol that several tests assert, written once from PROTOCOL.md.
 */

/** The initialization burst of a new UI session, in order (PROTOCOL.md §7.1 steps 2–10). */
export const INIT_BURST = [
  'ui_session_id_changed',
  'chat_user_data',
  'avatar_list',
  'voice_list',
  'agent_list',
  'tool_catalog',
  'chat_session_changed',
  'render_media',
  'user_turn_start',
] as const;
