"""Front-end bundle sizes: what a browser downloads for the portal and for the sandbox page, gzip
compressed, from the Vite manifest (frontend/dist/manifest.json)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from bench.report import Figure, Row
from bench.stats import size
from vizorch_site.testing import BASE_DIR

DIST = BASE_DIR / "frontend" / "dist"
PORTAL_ENTRY = "src/main.tsx"
SANDBOX_ENTRY = "src/sandbox/main.tsx"
PORTAL_LIMIT = 300_000
SANDBOX_LIMIT = 450_000


def entry_files(manifest: dict[str, dict[str, object]], entry: str) -> tuple[list[str], list[str]]:
    """(files loaded with the page: the entry, its static imports and their CSS; files loaded
    later through dynamic imports)."""
    eager: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in manifest:
            return
        seen.add(name)
        chunk = manifest[name]
        eager.append(str(chunk["file"]))
        eager.extend(str(css) for css in chunk.get("css", []) or [])  # type: ignore[attr-defined]
        for child in chunk.get("imports", []) or []:  # type: ignore[attr-defined]
            visit(str(child))

    visit(entry)
    lazy: list[str] = []
    for name in list(seen):
        for child in manifest[name].get("dynamicImports", []) or []:  # type: ignore[attr-defined]
            if child not in seen and child in manifest:
                lazy.append(str(manifest[child]["file"]))
    return sorted(set(eager)), sorted(set(lazy))


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def figures(dist: Path = DIST) -> list[Figure]:
    manifest = json.loads((dist / "manifest.json").read_text())
    figure = Figure(
        key="bundles",
        title="Portal and sandbox bundles (gzip)",
        method=(
            "From frontend/dist/manifest.json: an entry's JavaScript, every chunk it imports "
            "statically and their CSS (what the page loads before it can run), each compressed "
            "with gzip -9; chunks behind a dynamic `import()` are listed separately. Raw sizes "
            "in parentheses. The build is whatever `make setup` last produced."
        ),
    )
    for label, entry, limit in (
        ("portal", PORTAL_ENTRY, PORTAL_LIMIT),
        ("sandbox", SANDBOX_ENTRY, SANDBOX_LIMIT),
    ):
        eager, lazy = entry_files(manifest, entry)
        compressed = sum(gzip_size(dist / f) for f in eager)
        raw = sum((dist / f).stat().st_size for f in eager)
        figure.rows.append(
            Row(f"{label} bundle, loaded with the page", f"{size(compressed)} ({size(raw)} raw)",
                target=f"<= {size(limit)}", met=compressed <= limit)
        )  # fmt: skip
        if lazy:
            later = sum(gzip_size(dist / f) for f in lazy)
            figure.rows.append(Row(f"{label}, loaded on demand", size(later)))
        figure.notes.append(f"{label}: " + ", ".join(eager))
    return [figure]
