"""The dashboard: the page at ``/``, its script and style, and the drawing and chart libraries it uses —
served from the project's ``node_modules`` (installed by ``make setup`` from the npm lock file), never from a
CDN: the page works offline."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.errors import ApiError

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).resolve().parents[1] / "static"
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
#: The browser builds of the libraries the page loads, by the name the page asks for.
VENDOR = {
    "cytoscape.min.js": "cytoscape/dist/cytoscape.min.js",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
}


@router.get("/")
def dashboard() -> FileResponse:
    """The dashboard page."""
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/vendor/{name}")
def vendor(name: str) -> FileResponse:
    """A library's browser build from ``node_modules``."""
    if name not in VENDOR:
        raise ApiError(
            404, f"name: no library {name!r}; the dashboard uses {', '.join(sorted(VENDOR))}.", "name"
        )
    path = NODE_MODULES / VENDOR[name]
    if not path.is_file():
        raise ApiError(
            404, f"{path} is missing: run `make setup` to install the dashboard's libraries.", "name"
        )
    return FileResponse(path, media_type="text/javascript")
