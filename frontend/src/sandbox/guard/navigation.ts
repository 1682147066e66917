// The sandbox page's own defences against leaving through the DOM, installed before any component
// renders. Nothing in a sandboxed iframe can forbid navigating itself (there is no CSP
// `navigate-to` in any browser, and the Navigation API's `navigate` event is disabled for opaque
// origins), so the sandbox makes sure no navigation starts: every link activation is cancelled in
// the capture phase, forms never submit, and an element that should never be there (a <meta>
// refresh, <base>, <iframe>, ...) is removed the moment it appears. elements.ts stops all of these
// from being rendered in the first place; this is the net under it.

const LINK_SELECTOR = "a[href], area[href], a[*|href]";
// Elements that navigate or open a browsing context. (<link>, <script> and <style> are refused by
// elements.ts and limited by the CSP to the sandbox's own static files; the page's own code may
// add them, e.g. Vite's preloads.)
const FOREIGN_SELECTOR = "meta, base, iframe, frame, frameset, object, embed, portal, fencedframe, form";

function linkOf(event: Event): Element | null {
  for (const target of event.composedPath()) {
    if (target instanceof Element && target.matches(LINK_SELECTOR)) return target;
  }
  return null;
}

function shortUrl(link: Element): string {
  const url = link.getAttribute("href") ?? link.getAttributeNS("http://www.w3.org/1999/xlink", "href") ?? "";
  return url.length > 80 ? `${url.slice(0, 77)}...` : url;
}

/**
 * Installs the defences on `window`; `report` receives the reason whenever one of them acted.
 * Returns a function that removes them (for tests).
 */
export function installNavigationGuard(report: (reason: string) => void): () => void {
  const onActivate = (event: Event) => {
    const link = linkOf(event);
    if (!link) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    report(`the component's link (${shortUrl(link)}) was not followed: the sandbox never navigates`);
  };
  const onSubmit = (event: Event) => {
    event.preventDefault();
    event.stopImmediatePropagation();
    report("the component's form was not submitted: the sandbox never navigates");
  };
  const removeForeign = (root: Element) => {
    const found = [
      ...(root.matches(FOREIGN_SELECTOR) ? [root] : []),
      ...root.querySelectorAll(FOREIGN_SELECTOR),
    ];
    for (const element of found) {
      element.remove();
      report(`a <${element.localName}> element appeared in the page and was removed`);
    }
  };
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) if (node instanceof Element) removeForeign(node);
    }
  });
  // Only what is added from now on: the page's own <meta> elements came before.
  observer.observe(document.documentElement, { childList: true, subtree: true });
  for (const type of ["click", "auxclick"]) window.addEventListener(type, onActivate, true);
  window.addEventListener("submit", onSubmit, true);
  return () => {
    observer.disconnect();
    for (const type of ["click", "auxclick"]) window.removeEventListener(type, onActivate, true);
    window.removeEventListener("submit", onSubmit, true);
  };
}
