// The TSX transform as a chunk of its own (runtime.ts loads it for code that is not precompiled).
export { transform } from "sucrase";
