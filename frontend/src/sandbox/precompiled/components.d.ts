// The offline analyst's components, compiled at build time (vite.config.ts, precompiled/build.ts).
declare module "virtual:analyst-components" {
  import type { Precompiled } from "@/sandbox/precompiled/types";

  const components: readonly Precompiled[];
  export default components;
}
