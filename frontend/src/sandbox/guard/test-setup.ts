// Vitest's jsdom environment replaces some intrinsics (ArrayBuffer, ...) with its own, which
// lockdown refuses, so unit tests run the sandbox's policy (compartment scope, element checks,
// DOM views) without it; the frozen intrinsics are checked in real Chromium by the e2e tests
// (e2e/test_sandbox_hostile.py). `harden` exists only after lockdown: here it freezes shallowly.
import "ses";

globalThis.harden ??= (<T>(value: T): T => Object.freeze(value)) as typeof harden;
