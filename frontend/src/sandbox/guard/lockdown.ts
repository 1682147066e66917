// Hardened JavaScript for the sandbox frame: must be the first module the sandbox page evaluates
// after `ses` itself. It freezes every shared intrinsic (Object.prototype, Array.prototype,
// Function.prototype, ...), so a component cannot poison what React, Recharts and the kit call,
// and it replaces `Function.prototype.constructor` and its async/generator siblings with inert
// functions, so `anyFunction.constructor("return this")` evaluates nothing. Generated code then
// runs in a Compartment (see runtime.ts) whose globals are only what it is given.
import "ses";

// Its cost is part of the sandbox's cold start (bench/fig_sandbox.py reads this measure).
performance.mark("vz:lockdown:start");
lockdown({
  // The kit formats dates and numbers with the locale methods (`toLocaleString("en-US", ...)`);
  // the safe taming would replace them with locale-less versions and change every label.
  localeTaming: "unsafe",
  // The sandbox reports errors and rejections to the portal itself (SandboxApp); SES's own traps
  // would print and swallow them first.
  errorTrapping: "none",
  unhandledRejectionTrapping: "none",
  // Keep the real console: the sandbox only ever logs its own messages.
  consoleTaming: "unsafe",
  // Its notes about removed non-standard intrinsics are not for the portal's users.
  reporting: "none",
  // Libraries in the sandbox assign `constructor` on objects that inherit the frozen
  // Object.prototype's (d3-color's `define`, decimal.js in Recharts' dependencies): under the
  // default ("moderate") taming that assignment throws in strict mode (the override mistake).
  // "severe" makes every inherited intrinsic property overridable by assignment.
  overrideTaming: "severe",
});

// `Intl` is not one of the intrinsics SES knows, so lockdown leaves it mutable. Components get
// it (formatting is their job), so freeze it like the rest before any of them runs.
harden(Intl);
performance.measure("vz:lockdown", "vz:lockdown:start");

// A frame's first formatter loads the browser's locale data (some 25 ms); made here, that overlaps
// with the download of the rest of the page instead of delaying the first chart's axis labels.
new Intl.NumberFormat("en-US", { notation: "compact" }).format(1);
new Intl.DateTimeFormat("en-US", { month: "short" }).format(0);
