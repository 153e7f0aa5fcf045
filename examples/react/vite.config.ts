import { defineConfig } from 'vite';

// Vite compiles JSX by itself (Oxc, React's automatic runtime). In an app of your own you would
// usually add @vitejs/plugin-react for Fast Refresh; this example needs nothing but Vite.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
});
