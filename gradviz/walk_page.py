"""A backprop walk-through as one self-contained web page: each step's picture and chain rule,
one step at a time, stepped by keyboard (→ or Space next, ← back, Home, End) or buttons — for
a course page, or a browser at the lectern; no app, no Qt, nothing fetched from elsewhere."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path

from gradviz.files import write_atomic
from gradviz.lang.errors import ProgramError
from gradviz.render.theme import Theme
from gradviz.step_pictures import StepPicture

_SCRIPT = """
const steps = Array.from(document.querySelectorAll("section.step"));
const where = document.getElementById("where");
let current = 0;
function show(k) {
  current = Math.max(0, Math.min(steps.length - 1, k));
  steps.forEach((s, i) => { s.hidden = i !== current; });
  where.textContent = "step " + current + " of " + (steps.length - 1);
  history.replaceState(null, "", "#" + current);
}
document.getElementById("back").onclick = () => show(current - 1);
document.getElementById("next").onclick = () => show(current + 1);
document.addEventListener("keydown", (e) => {
  const moves = {ArrowRight: 1, " ": 1, PageDown: 1, ArrowLeft: -1, Backspace: -1, PageUp: -1};
  if (e.key in moves) show(current + moves[e.key]);
  else if (e.key === "Home") show(0);
  else if (e.key === "End") show(steps.length - 1);
  else return;
  e.preventDefault();
});
show(parseInt(location.hash.slice(1), 10) || 0);
"""


def _style(theme: Theme) -> str:
    size = min(22.0, max(16.0, theme.font_size * 1.15))  # the picture keeps most of the room
    return f"""
body {{ margin: 0; padding: 1em 1.5em; background: {theme.background}; color: {theme.text};
  font-family: "{theme.font}", sans-serif; font-size: {size:g}px; }}
header {{ display: flex; align-items: center; gap: 1em; flex-wrap: wrap; }}
header h1 {{ font-size: 1.2em; margin: 0 auto 0 0; }}
button {{ font: inherit; padding: 0.2em 0.9em; }}
#where {{ color: {theme.muted}; min-width: 8em; text-align: center; }}
section.step {{ display: flex; gap: 1.5em; align-items: flex-start; margin-top: 0.8em; }}
section.step[hidden] {{ display: none; }}
.picture {{ flex: 3; min-width: 0; }}
.picture svg {{ width: 100%; height: calc(100vh - 7em); }}  /* scaled to fit, centred */
.rule {{ flex: 1; min-width: 16em; max-height: calc(100vh - 7em); overflow: auto; }}
.rule h2 {{ font-size: 1em; }}
.rule h3 {{ font-size: 1em; font-family: "{theme.mono}", monospace; }}
.rule p {{ font-family: "{theme.mono}", monospace; }}
kbd {{ border: 1px solid {theme.muted}; border-radius: 3px; padding: 0 0.3em; }}
.program {{ font-family: "{theme.mono}", monospace; font-size: 0.8em; overflow: auto;
  border-top: 1px solid {theme.muted}; padding-top: 0.5em; }}
.program mark {{ background: rgba(230, 97, 0, 0.3); color: inherit; }}
@media print {{ section.step[hidden] {{ display: flex; }} section.step {{ break-after: page; }}
  header button, #where {{ display: none; }} }}
"""


MAX_DRAWING = 8  # steps drawn at once, at most: each is a `dot` process


def _inline(svg: str) -> str:
    """The SVG element alone (no XML prolog or doctype, which an HTML page does not take)."""
    return re.sub(r"^.*?(?=<svg\b)", "", svg, flags=re.DOTALL)


def _svgs(pictures: list[StepPicture]) -> list[str]:
    """Each step's SVG, several drawn at once: while one step's `dot` lays it out (a process of
    its own), the next one's labels are made (a 63-step walk of a 20-layer MLP on 2 cores: 9.0
    to 12.9 s one step after another, 5.1 to 6.5 s so)."""
    workers = min(len(pictures), (os.cpu_count() or 1) + 1, MAX_DRAWING)
    if workers <= 1:
        return [picture.svg() for picture in pictures]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(StepPicture.svg, pictures))


def walkthrough_page(pictures: list[StepPicture], title: str, theme: Theme) -> str:
    """The page: every step as a section (all shown where scripts are off, and in print), the
    program under each step's chain rule where the pictures have one."""
    sections = []
    for picture, svg in zip(pictures, _svgs(pictures), strict=True):
        rule = f"<h2>{escape(picture.caption)}</h2>{picture.html}{picture.program}"
        sections.append(
            f'<section class="step" id="step-{picture.step.index}">'
            f'<div class="picture">{_inline(svg)}</div>'
            f'<div class="rule">{rule}</div></section>'
        )
    keys = "<kbd>→</kbd> <kbd>Space</kbd> next · <kbd>←</kbd> back · <kbd>Home</kbd> <kbd>End</kbd>"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_style(theme)}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>"
        '<button id="back" title="Back (←)">◀ Back</button><span id="where"></span>'
        f'<button id="next" title="Next (→)">Next ▶</button><span>{keys}</span></header>'
        + "".join(sections)
        + f"<script>{_SCRIPT}</script></body></html>\n"
    )


def write_walkthrough(
    path: str | Path, pictures: list[StepPicture], title: str, theme: Theme
) -> None:
    """Write the page to `path` (atomically; a ProgramError saying why it could not)."""
    try:
        write_atomic(path, walkthrough_page(pictures, title, theme).encode("utf-8"))
    except OSError as exc:
        raise ProgramError(f"cannot write {path}: {exc.strerror or exc}") from None
