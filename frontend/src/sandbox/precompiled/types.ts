/** One of the offline analyst's components, compiled at build time around its SPEC literal. */
export interface Precompiled {
  name: string;
  /** The SPEC line's type (`const SPEC: <specType> = ...`); null for a component without SPEC. */
  specType: string | null;
  /** The TSX before and after the SPEC line (the whole file when there is none). */
  before: string;
  after: string;
  /** The compiled JavaScript up to `const SPEC = ` and from the `;` after its value. */
  compiledBefore: string;
  compiledAfter: string;
}
