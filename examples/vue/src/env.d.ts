/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_AGENTC_URL?: string;
  readonly VITE_AGENTC_USERNAME?: string;
  readonly VITE_AGENTC_PASSWORD?: string;
}
