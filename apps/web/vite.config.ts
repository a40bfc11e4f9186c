import { vitePlugin as remix } from '@remix-run/dev';
import { defineConfig } from 'vite';

// The API and the system database are TypeScript source that tsx runs in the same process; the
// server bundle must import them, not carry a second copy (one tRPC instance, one ApiProblem class).
const inProcess = ['@studio/api', '@studio/db'];

export default defineConfig(({ isSsrBuild }) => ({
  plugins: [
    remix({
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        // Off on purpose: with lazy discovery a click that lands before the route is discovered
        // is matched to the root splat route (routes/$) and its data request fails. The whole
        // manifest (a couple of dozen routes) is small enough to send up front.
        v3_lazyRouteDiscovery: false,
      },
    }),
  ],
  ssr: { external: inProcess },
  build: {
    sourcemap: false,
    rollupOptions: isSsrBuild ? { external: (id: string) => inProcess.some((name) => id === name || id.startsWith(`${name}/`)) } : {},
  },
}));
