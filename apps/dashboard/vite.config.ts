import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const HUB = 'http://127.0.0.1:3000';
const root = new URL('.', import.meta.url).pathname;

export default defineConfig({
  root,
  plugins: [react()],
  build: { outDir: `${root}dist`, emptyOutDir: true },
  server: {
    // The hub serves the built dashboard itself; in dev, Vite forwards everything hub-owned to it.
    proxy: {
      '/api': HUB,
      '/health': HUB,
      '/ready': HUB,
      '/metrics': HUB,
      '/socket.io': { target: HUB, ws: true },
    },
  },
});
