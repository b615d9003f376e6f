#!/usr/bin/env python3
"""Keep the Varco configuration block of the demo pages in sync.

Each demo site keeps its configuration in one file, <site>/varco-config.json.
Every page of that site carries a copy of it, minified, in

    <script type="application/json" id="varco-config">...</script>

This script rewrites that block in every .html file under demo-site/milomb and
demo-site/calvatone (subfolders included) from the site's varco-config.json.

Usage:
    python3 demo-site/sync-config.py          # rewrite the pages
    python3 demo-site/sync-config.py --check  # only report stale pages (exit 1 if any)

Standard library only.
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SITES = ("milomb", "calvatone")
BLOCK = re.compile(
    r'(<script type="application/json" id="varco-config">)(.*?)(</script>)',
    re.DOTALL,
)


def load_config(site_dir):
    path = site_dir / "varco-config.json"
    with path.open(encoding="utf-8") as f:
        data = json.load(f)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # "</" inside a script element could close it early; "<\/" is the same JSON string.
    return text.replace("</", "<\\/")


def main(argv):
    check_only = "--check" in argv[1:]
    changed, stale, problems = [], [], []
    for site in SITES:
        site_dir = ROOT / site
        config = load_config(site_dir)
        for page in sorted(site_dir.rglob("*.html")):
            html = page.read_text(encoding="utf-8")
            found = len(BLOCK.findall(html))
            if found != 1:
                problems.append(f"{page.relative_to(ROOT)}: {found} config blocks (expected 1)")
                continue
            updated = BLOCK.sub(lambda m: m.group(1) + config + m.group(3), html, count=1)
            if updated == html:
                continue
            if check_only:
                stale.append(page)
            else:
                page.write_text(updated, encoding="utf-8")
                changed.append(page)

    for p in problems:
        print("warning:", p, file=sys.stderr)
    if check_only:
        for page in stale:
            print("stale:", page.relative_to(ROOT))
        print(f"{len(stale)} stale page(s)")
        return 1 if stale or problems else 0
    for page in changed:
        print("updated:", page.relative_to(ROOT))
    print(f"{len(changed)} page(s) updated")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
