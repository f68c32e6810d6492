"""axe-core (vendored, so no page fetches it from a CDN) run on the page as it stands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
# WCAG 2.1 A and AA, plus axe's best practices (landmarks, headings, page title).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
  }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """What axe finds on the page (its rule id, impact and first few nodes), after adding
    axe to the page unless an earlier check on this document did. The page needs a
    context made with bypass_csp=True: the gateway's CSP rightly refuses this script."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE, TAGS)
    return found
