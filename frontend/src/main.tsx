// Entry of the portal page rendered by Django at / and /app/...
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "@/App";
import { setCsrfToken } from "@/lib/api";
import { readBoot } from "@/lib/boot";
import "@/index.css";

const root = document.getElementById("root");
if (root) {
  try {
    const boot = readBoot();
    setCsrfToken(boot.csrfToken);
    createRoot(root).render(
      <StrictMode>
        <App boot={boot} />
      </StrictMode>,
    );
  } catch (error) {
    root.textContent = `Vizorch could not start: ${(error as Error).message}`;
  }
}
