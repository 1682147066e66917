import type { Options } from "sucrase";

// The TSX transform of generated components, the one react-runner used: TypeScript and JSX
// (classic, React.createElement) removed, imports turned into require() calls, dynamic import()
// included. The same options compile the offline analyst's components at build time.
export const TRANSFORM_OPTIONS: Options = { transforms: ["jsx", "typescript", "imports"], production: true };
