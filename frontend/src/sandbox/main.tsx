// Entry of the sandbox iframe page (/sandbox/): generated components run here, never in the portal.
// Lockdown first: nothing may run in this frame with unfrozen intrinsics once components can.
import "@/sandbox/guard/lockdown";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { SandboxApp } from "@/sandbox/SandboxApp";
import "@/sandbox/sandbox.css";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <SandboxApp />
    </StrictMode>,
  );
}
