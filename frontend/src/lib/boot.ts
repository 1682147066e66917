// The portal's boot data, rendered by Django into <script id="vizorch-boot" type="application/json">.
import { z } from "zod";

export const BootSchema = z.object({
  user: z.object({ username: z.string(), roles: z.array(z.string()) }),
  csrfToken: z.string(),
  sandboxUrl: z.string().default("/sandbox/"),
});
export type Boot = z.infer<typeof BootSchema>;

export function readBoot(doc: Document = document): Boot {
  const node = doc.getElementById("vizorch-boot");
  if (!node?.textContent) throw new Error("The page has no boot data (#vizorch-boot).");
  return BootSchema.parse(JSON.parse(node.textContent));
}

export type Role = "Analyst" | "Curator" | "Viewer";

export function hasRole(boot: Boot, role: Role): boolean {
  return boot.user.roles.some((r) => r.toLowerCase() === role.toLowerCase());
}

/** Analysts and curators ask questions; viewers only open templates shared with them. */
export function canChat(boot: Boot): boolean {
  return hasRole(boot, "Analyst") || hasRole(boot, "Curator");
}
