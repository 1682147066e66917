// Two entries served by Django through django-vite: the portal and the sandbox iframe page.
import { fileURLToPath, URL } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";
import { precompileComponents } from "./src/sandbox/precompiled/build";

const ANALYST_CHARTS = fileURLToPath(new URL("../analyst/charts", import.meta.url));

// `virtual:analyst-components`: the offline analyst's chart components, compiled for the sandbox
// at build time (src/sandbox/precompiled/).
function analystComponents(): Plugin {
  const id = "virtual:analyst-components";
  return {
    name: "vizorch-analyst-components",
    resolveId: (source) => (source === id ? `\0${id}` : null),
    load(loaded) {
      if (loaded !== `\0${id}`) return null;
      const components = precompileComponents(ANALYST_CHARTS);
      for (const c of components) this.addWatchFile(`${ANALYST_CHARTS}/${c.name}`);
      return `export default ${JSON.stringify(components)};`;
    },
  };
}

export default defineConfig({
  base: "/static/",
  plugins: [react(), tailwindcss(), analystComponents()],
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  server: {
    port: 5173,
    strictPort: true,
    // The sandbox iframe has an opaque origin and loads module scripts cross-origin.
    cors: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    manifest: "manifest.json",
    sourcemap: false,
    rollupOptions: {
      input: {
        portal: "src/main.tsx",
        sandbox: "src/sandbox/main.tsx",
      },
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/sandbox/guard/test-setup.ts"],
    restoreMocks: true,
  },
});
