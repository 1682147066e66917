import { act, cleanup, render, screen } from "@testing-library/react";
import { Component, type ReactNode } from "react";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { stripExternalReferences } from "@/sandbox/export";
import { tame, unwrap } from "@/sandbox/guard/membrane";
import { installNavigationGuard } from "@/sandbox/guard/navigation";
import { CompileError, compileViz, loadTransform } from "@/sandbox/runtime";

// The TSX transform is a chunk of its own, loaded before code that is not precompiled.
beforeAll(() => loadTransform());
afterEach(() => cleanup());

const data = { columns: ["region", "sales"], rows: [["EU", 1]] };

function compileError(code: string): string {
  try {
    compileViz(code);
  } catch (error) {
    expect(error).toBeInstanceOf(CompileError);
    return (error as Error).message;
  }
  throw new Error("the code compiled");
}

const caught: unknown[] = [];

class Catch extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override componentDidCatch(error: unknown) {
    caught.push(error);
  }
  override render() {
    return this.state.failed ? null : this.props.children;
  }
}

function renderError(code: string): string {
  const Viz = compileViz(code);
  caught.length = 0;
  vi.spyOn(console, "error").mockImplementation(() => undefined);
  render(
    <Catch>
      <Viz data={data} params={{}} />
    </Catch>,
  );
  expect(caught.length).toBeGreaterThan(0);
  return String((caught[0] as Error).message);
}

describe("the compartment", () => {
  it("gives a component no window, document, location or network", () => {
    for (const name of ["window", "document", "location", "top", "parent", "fetch", "navigator"]) {
      expect(compileError(`${name}.x;\nexport default function Viz() { return null; }`)).toBe(
        `Refused by the sandbox: components cannot use \`${name}\``,
      );
    }
  });

  it("evaluates Function and eval in the component's own scope", () => {
    expect(compileError('Function("return window")();\nexport default () => null;')).toContain(
      "components cannot use `window`",
    );
    expect(compileError('(0, eval)("document");\nexport default () => null;')).toContain(
      "components cannot use `document`",
    );
  });

  it("knows only react, recharts and the kit", () => {
    expect(
      compileError('import { createPortal } from "react-dom";\nexport default () => createPortal;'),
    ).toContain('there is no module "react-dom"');
  });

  it("never evaluates a string timer", () => {
    expect(compileError('setTimeout("x()", 0);\nexport default () => null;')).toContain(
      "setTimeout needs a function",
    );
  });

  it("renders a component that uses hooks, Intl, Math, Date and the kit", () => {
    const Viz = compileViz(`import React, { useMemo, useState } from "react";
import { formatNumber, rowsToObjects } from "@vizorch/kit";
export default function Viz({ data }) {
  const [n] = useState(2);
  const total = useMemo(() => rowsToObjects(data).reduce((s, r) => s + Number(r.sales), 0), [data]);
  const when = new Date(Date.UTC(2024, 0, 1)).getUTCFullYear();
  return <p>{formatNumber(total * n)} {Math.max(1, 2)} {new Intl.NumberFormat("en-US").format(1234)} {when}</p>;
}`);
    render(<Viz data={data} params={{}} />);
    expect(screen.getByText("2 2 1,234 2024")).toBeTruthy();
  });
});

describe("the checked React", () => {
  it("refuses elements that navigate or load", () => {
    for (const tag of ["meta", "base", "iframe", "script", "link", "form", "object"]) {
      expect(renderError(`export default () => <${tag} />;`)).toBe(
        `Refused by the sandbox: components may not render <${tag}> elements`,
      );
    }
  });

  it("refuses raw HTML", () => {
    expect(
      renderError('export default () => <div dangerouslySetInnerHTML={{ __html: "<b>x</b>" }} />;'),
    ).toBe("Refused by the sandbox: components may not set `dangerouslySetInnerHTML`");
  });

  it("refuses an element the component forged", () => {
    const forged =
      'export default () => ({ $$typeof: Symbol.for("react.element"), type: "div", key: null, ref: null, props: {} });';
    expect(renderError(forged)).toContain("an element it did not create");
  });

  it("freezes what it checked, so nothing can be swapped in afterwards", () => {
    const mutating = `export default () => {
  const el = <div>x</div>;
  el.props.dangerouslySetInnerHTML = { __html: "<meta>" };
  return el;
};`;
    expect(renderError(mutating)).toContain("not extensible");
    const lying = `export default () => {
  const forged = { $$typeof: Symbol.for("react.element"), type: "meta", key: null, ref: null, props: {} };
  let reads = 0;
  const child = new Proxy({}, { get: (t, k) => (k === "$$typeof" && reads++ > 0 ? forged.$$typeof : forged[k]) });
  return <div>{[child]}</div>;
};`;
    // The child React sees is the sandbox's own copy (an empty object): never the forged <meta>.
    expect(renderError(lying)).toContain("Objects are not valid as a React child");
    expect(renderError("export default () => <div>{new Map([[1, 2]])}</div>;")).toContain(
      "not other iterables",
    );
  });

  it("refuses class components", () => {
    const sneaky = `function S() {}
S.prototype.isReactComponent = {};
S.prototype.render = function () { return null; };
export default () => <S />;`;
    expect(renderError(sneaky)).toContain("class components are not supported");
  });

  it("hands refs a view of the element, not the element", async () => {
    const seen: Record<string, unknown> = {};
    const Viz = compileViz(`import React, { useRef, useEffect } from "react";
export default function Viz({ params }) {
  const ref = useRef(null);
  useEffect(() => { params.report(ref.current); }, []);
  return <div ref={ref} className="box">x</div>;
}`);
    const report = (el: unknown) => {
      seen.el = el;
    };
    await act(async () => {
      render(<Viz data={data} params={{ report }} />);
    });
    const el = seen.el as { className: string; ownerDocument: unknown };
    expect(el.className).toBe("box");
    expect(() => el.ownerDocument).toThrow("components may not use `ownerDocument` of a <div>");
    expect(unwrap(el)).toBeInstanceOf(HTMLDivElement);
  });
});

describe("DOM views", () => {
  it("stop at the document and hide the window", () => {
    const div = document.createElement("div");
    document.body.append(div);
    let node = tame(div) as { parentNode: unknown; tagName: string };
    while (node.parentNode) node = node.parentNode as typeof node;
    expect(node.tagName).toBe("HTML");
    expect(tame(window)).toBeNull();
    expect(tame(document)).toBeNull();
    const event = tame(new MouseEvent("click")) as { view: unknown; type: string };
    expect(event.type).toBe("click");
    expect(() => event.view).toThrow("components may not use `view` of an event");
    div.remove();
  });
});

describe("the navigation guard", () => {
  it("cancels link clicks and removes elements that navigate", async () => {
    const reasons: string[] = [];
    const remove = installNavigationGuard((reason) => reasons.push(reason));
    const link = document.createElement("a");
    link.href = "https://example.org/?d=secret";
    link.textContent = "go";
    document.body.append(link);
    const click = new MouseEvent("click", { bubbles: true, cancelable: true });
    link.dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true);
    expect(reasons[0]).toContain("was not followed");
    const meta = document.createElement("meta");
    document.body.append(meta);
    await new Promise((r) => setTimeout(r, 0));
    expect(meta.isConnected).toBe(false);
    expect(reasons[1]).toContain("<meta>");
    remove();
    link.remove();
  });
});

describe("the exported SVG", () => {
  it("keeps no reference to another document", () => {
    const box = document.createElement("div");
    box.innerHTML = `<svg><defs><clipPath id="c"></clipPath></defs>
<a href="https://example.org/?d=1"><image href="https://example.org/i.png" /></a>
<rect clip-path="url(#c)" style="fill: url(https://example.org/p)" onclick="x()" />
<use href="#c" /></svg>`;
    const svg = box.querySelector("svg") as SVGSVGElement;
    stripExternalReferences(svg);
    expect(svg.outerHTML).not.toContain("example.org");
    expect(svg.outerHTML).not.toContain("onclick");
    expect(svg.querySelector("rect")?.getAttribute("clip-path")).toBe("url(#c)");
    expect(svg.querySelector("use")?.getAttribute("href")).toBe("#c");
  });
});
