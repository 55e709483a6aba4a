"""Copy the NHS.UK frontend files the pages need into static/vendor/nhsuk-frontend/.

Run after `npm ci`:  python scripts/build_assets.py

Standard library only. Idempotent: the output folder is rebuilt from node_modules each time.

What it copies from node_modules/nhsuk-frontend/dist/nhsuk/ (nhsuk-frontend 10.6.1 layout):
- nhsuk-frontend.min.css   the compiled styles, rewritten (see below)
- nhsuk-frontend.min.js    the ES module; pages load it with <script type="module"> and initAll()
- nhsuk-frontend.min.js.map
- assets/                  images (icons, logos, favicons) and manifest.json

The CSS is rewritten so a patient's browser contacts nobody but this service:
- every @font-face rule loading fonts from https://assets.nhs.uk is removed, so pages fall back
  to Arial (the CSP says font-src 'self');
- url(/assets/...) becomes url(assets/...), relative to the stylesheet, because the assets are
  served from /static/vendor/nhsuk-frontend/assets/, not /assets/;
- the source map comment is dropped, because the map no longer matches the rewritten file.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = PROJECT_ROOT / "node_modules" / "nhsuk-frontend"
DIST = PACKAGE / "dist" / "nhsuk"
TARGET = PROJECT_ROOT / "static" / "vendor" / "nhsuk-frontend"

CSS_NAME = "nhsuk-frontend.min.css"
JS_FILES = ("nhsuk-frontend.min.js", "nhsuk-frontend.min.js.map")

# @font-face rules have no nested braces, so "up to the first }" is the whole rule.
FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
FONT_HOST = "assets.nhs.uk"
ABSOLUTE_ASSET_URL = re.compile(r"url\((['\"]?)/assets/")
SOURCE_MAP_COMMENT = re.compile(r"/\*#\s*sourceMappingURL=[^*]*\*/\s*")


def rewrite_css(css: str) -> tuple[str, int]:
    """The stylesheet without remote @font-face rules, with relative asset URLs; and how many removed."""
    removed = 0

    def drop_remote_font(match: re.Match[str]) -> str:
        nonlocal removed
        if FONT_HOST in match.group(0):
            removed += 1
            return ""
        return match.group(0)

    css = FONT_FACE.sub(drop_remote_font, css)
    css = ABSOLUTE_ASSET_URL.sub(r"url(\1assets/", css)
    css = SOURCE_MAP_COMMENT.sub("", css)
    if FONT_HOST in css:
        raise SystemExit(f"build_assets: {CSS_NAME} still refers to {FONT_HOST} after rewriting")
    return css, removed


def main() -> int:
    if not DIST.is_dir():
        print(f"build_assets: {DIST} not found: run `npm ci` first", file=sys.stderr)
        return 1
    version = json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))["version"]

    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir(parents=True)

    css, removed = rewrite_css((DIST / CSS_NAME).read_text(encoding="utf-8"))
    (TARGET / CSS_NAME).write_text(css, encoding="utf-8")
    for name in JS_FILES:
        shutil.copy2(DIST / name, TARGET / name)
    shutil.copytree(DIST / "assets", TARGET / "assets")

    files = sum(1 for path in TARGET.rglob("*") if path.is_file())
    print(
        f"build_assets: nhsuk-frontend {version}: copied {files} files to "
        f"{TARGET.relative_to(PROJECT_ROOT)}/, removed {removed} remote @font-face rules"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
