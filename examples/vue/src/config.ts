/**
 * Where the example connects and who it logs in as: `?url=…&username=…&password=…` in the page's
 * address, else `VITE_AGENTC_URL`, `VITE_AGENTC_USERNAME`, `VITE_AGENTC_PASSWORD`, else the local
 * simulator (`npx agentc-sim`) and its development login. A password in a URL is for demos only:
 * a real app gets a token from its backend (`auth: { getToken }`).
 */
const params = new URLSearchParams(location.search);

export const config = {
  url: params.get('url') ?? import.meta.env.VITE_AGENTC_URL ?? 'http://127.0.0.1:8000',
  username: params.get('username') ?? import.meta.env.VITE_AGENTC_USERNAME ?? 'admin',
  password: params.get('password') ?? import.meta.env.VITE_AGENTC_PASSWORD ?? 'changeme',
};
