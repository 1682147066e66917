// Colour schemes shared by the portal's picker and the sandbox kit (`colorSchemes`, `getColors`).
export const colorSchemes = {
  default: ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#db2777"],
  blues: ["#1e3a8a", "#1d4ed8", "#3b82f6", "#60a5fa", "#93c5fd", "#bfdbfe", "#1e40af", "#2563eb"],
  greens: ["#14532d", "#15803d", "#22c55e", "#4ade80", "#86efac", "#bbf7d0", "#166534", "#16a34a"],
  warm: ["#b91c1c", "#ea580c", "#f59e0b", "#eab308", "#dc2626", "#f97316", "#fbbf24", "#facc15"],
  cool: ["#0e7490", "#0891b2", "#6366f1", "#8b5cf6", "#06b6d4", "#14b8a6", "#4f46e5", "#7c3aed"],
  mono: ["#0f172a", "#334155", "#475569", "#64748b", "#94a3b8", "#cbd5e1", "#1e293b", "#e2e8f0"],
  vivid: ["#ef4444", "#3b82f6", "#22c55e", "#eab308", "#a855f7", "#ec4899", "#14b8a6", "#f97316"],
} as const satisfies Record<string, readonly string[]>;

export type ColorSchemeName = keyof typeof colorSchemes;
export const colorSchemeNames = Object.keys(colorSchemes) as ColorSchemeName[];

export function isColorSchemeName(name: string): name is ColorSchemeName {
  return Object.hasOwn(colorSchemes, name);
}

/** The colours of a scheme; an unknown name gets the default scheme. */
export function getColors(name: string): string[] {
  return [...(isColorSchemeName(name) ? colorSchemes[name] : colorSchemes.default)];
}
