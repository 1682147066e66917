// The one error the sandbox's defences throw: the portal shows its message, so it says what the
// component tried and that the sandbox does not allow it.

export const REFUSED = "Refused by the sandbox";

export class SandboxRefusal extends Error {
  constructor(what: string) {
    super(`${REFUSED}: ${what}`);
    this.name = "SandboxRefusal";
  }
}

export function refuse(what: string): never {
  throw new SandboxRefusal(what);
}
