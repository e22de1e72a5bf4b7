"""The dashboard: the page at ``/``, its script and style, and the drawing and chart libraries it uses —
served from the package itself, never from a CDN: the page works offline, and from an installed wheel.

The libraries come from npm (``package-lock.json``); ``make setup`` copies their browser builds from
``node_modules`` into ``api/static/vendor/`` (:func:`copy_vendor`), which the wheel ships as package data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.errors import ApiError

__all__ = ["CONTENT_SECURITY_POLICY", "STATIC", "VENDOR", "copy_vendor", "router"]

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).resolve().parents[1] / "static"
#: The browser builds of the libraries the page loads: the name the page asks for, and where npm puts it.
VENDOR = {
    "cytoscape.min.js": "cytoscape/dist/cytoscape.min.js",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "ethers.min.js": "ethers/dist/ethers.min.js",  # an ES module: the member desk imports it
}


def copy_vendor(node_modules: Path, target: Path = STATIC / "vendor") -> list[Path]:
    """Copy the libraries' browser builds from ``node_modules`` into ``target``; the files written.

    Raises
    ------
    FileNotFoundError
        If a library is not installed (run ``make setup``).
    """
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, source in VENDOR.items():
        written.append(Path(shutil.copyfile(node_modules / source, target / name)))
    return written


#: What the page may load and run: its own scripts, styles and API only — no inline script, no other
#: origin, no plug-in, no frame around it. (A browser wallet's requests go from the wallet, not the page.)
#: Inline styles are allowed: a drawing library injects its own style sheet (the browser test saw it
#: refused); a style runs no code.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)


@router.get("/")
def dashboard() -> FileResponse:
    """The dashboard page, under :data:`CONTENT_SECURITY_POLICY`."""
    return FileResponse(
        STATIC / "index.html",
        media_type="text/html",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


@router.get("/vendor/{name}")
def vendor(name: str) -> FileResponse:
    """A library's browser build, shipped in ``api/static/vendor/``."""
    if name not in VENDOR:
        raise ApiError(
            404, f"name: no library {name!r}; the dashboard uses {', '.join(sorted(VENDOR))}.", "name"
        )
    path = STATIC / "vendor" / name
    if not path.is_file():
        raise ApiError(
            404, f"{path} is missing: run `make setup` to copy the dashboard's libraries there.", "name"
        )
    return FileResponse(path, media_type="text/javascript")
