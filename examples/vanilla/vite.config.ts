import { defineConfig } from 'vite';

// Nothing to configure: Vite bundles TypeScript as it is, and `agentc-realtime` resolves like any
// installed package (in this repository, through the package's own `exports`: run `npm run build` first).
export default defineConfig({});
