"""Exclusions: every one with a category and a written reason, matched with pyucis' waivers and,
for code points, narrowed by `ifdef region, instance path and an anchor on the source line."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from signoff.runs import load_hjson

CATEGORIES = {
    "UNR": "unreachable: the design can never reach it (by construction or by parameters)",
    "NON_RTL": "not design logic: simulation-only or verification code (assertions, $display)",
    "UNSUPPORTED": "a feature or mode the design does not support, so never exercised",
    "LOW_RISK": "reachable, reviewed, and judged not worth a test (state the argument)",
}


class SourcePoint(Protocol):
    """What a code exclusion looks at beyond scope and bin (code_coverage.CodePoint has it);
    a protocol so that this module need not import the code-coverage one."""
    file: str
    line: int
    hier: str


@dataclass
class Exclusion:
    id: str
    kind: str          # functional | code
    scope: str
    bin: str
    category: str
    reason: str
    region: str = ""   # code only: e.g. "ifndef SYNTHESIS" = points inside `ifndef SYNTHESIS blocks
    instance: str = ""  # code only: glob on the instance path ("*" = anything; brackets literal)
    anchor: str = ""    # code only: regex the point's source line must match (survives line shifts)
    hits: int = 0

    def __post_init__(self):
        from ucis.ncdb.waivers import Waiver
        self._waiver = Waiver(id=self.id, scope_pattern=self.scope, bin_pattern=self.bin,
                              rationale=f"[{self.category}] {self.reason}")

    def matches(self, scope: str, bin_name: str, point: SourcePoint | None = None) -> bool:
        if not self._waiver.matches(scope, bin_name):
            return False
        if self.region and (point is None or point.line not in region_lines(point.file, self.region)):
            return False
        if self.instance and (point is None or not _instance_re(self.instance).fullmatch(point.hier)):
            return False
        if self.anchor and (point is None or not re.search(self.anchor, source_line(point.file, point.line))):
            return False
        return True


@functools.lru_cache(maxsize=None)
def _instance_re(glob: str) -> re.Pattern:
    # Instance paths hold generate indices ("g_h[0]"), so only "*" is special here.
    return re.compile(".*".join(re.escape(part) for part in glob.split("*")))


@functools.lru_cache(maxsize=None)
def source_lines(path: str) -> tuple[str, ...]:
    """A source file's lines (empty if unreadable), read once per report."""
    try:
        return tuple(Path(path).read_text(errors="replace").splitlines())
    except OSError:
        return ()


def source_line(path: str, line: int) -> str:
    text = source_lines(path)
    return text[line - 1] if 0 < line <= len(text) else ""


@functools.lru_cache(maxsize=None)
def region_lines(path: str, region: str) -> frozenset[int]:
    """Lines of a source file inside `ifndef/`ifdef MACRO blocks ("ifndef SYNTHESIS"), nesting
    aware; an `else of that block ends the region.  Robust to line shifts, unlike line patterns."""
    kind, _, macro = region.partition(" ")
    lines: set[int] = set()
    stack: list[bool] = []          # per open `if*: is it (still) our region?
    for no, raw in enumerate(source_lines(path), 1):
        tok = raw.strip().split()
        head = tok[0] if tok else ""
        if head in ("`ifdef", "`ifndef"):
            stack.append(head == f"`{kind}" and len(tok) > 1 and tok[1] == macro)
        elif head in ("`else", "`elsif") and stack:
            stack[-1] = False
        elif head == "`endif" and stack:
            stack.pop()
        elif any(stack):
            lines.add(no)
    return frozenset(lines)


def exclusion_filters(e: Exclusion) -> str:
    parts = [f"`{e.region}" if e.region else "", f"instance {e.instance}" if e.instance else "",
             f"line matches /{e.anchor}/" if e.anchor else ""]
    return "; ".join(p for p in parts if p)


def load_exclusions(path: Path | None) -> list[Exclusion]:
    if path is None or not Path(path).exists():
        return []
    data = load_hjson(path)
    out, errors = [], []
    for i, e in enumerate(data.get("exclusions", [])):
        ident = e.get("id", f"#{i + 1}")
        cat = str(e.get("category", "")).strip()
        reason = str(e.get("reason", "")).strip()
        kind = str(e.get("kind", "")).strip()
        if cat not in CATEGORIES:
            errors.append(f"{ident}: category {cat!r} is not one of {', '.join(CATEGORIES)}")
        if len(reason) < 10:
            errors.append(f"{ident}: every exclusion needs a written reason")
        if kind not in ("functional", "code"):
            errors.append(f"{ident}: kind must be 'functional' or 'code'")
        if not e.get("scope"):
            errors.append(f"{ident}: no scope pattern")
        region = str(e.get("region", "")).strip()
        if region and (kind != "code" or not re.fullmatch(r"(ifdef|ifndef) \w+", region)):
            errors.append(f"{ident}: region must be 'ifdef MACRO' or 'ifndef MACRO' on a code exclusion")
        instance, anchor = str(e.get("instance", "")).strip(), str(e.get("anchor", "")).strip()
        if (instance or anchor) and kind != "code":
            errors.append(f"{ident}: instance and anchor apply to code exclusions only")
        try:
            re.compile(anchor)
        except re.error as err:
            errors.append(f"{ident}: anchor is not a regular expression ({err})")
        out.append(Exclusion(ident, kind, str(e.get("scope", "")), str(e.get("bin", "*")), cat,
                             reason, region, instance, anchor))
    if errors:
        raise SystemExit(f"report: invalid exclusions in {path}:\n  " + "\n  ".join(errors))
    return out


def excluded_by(excl: list[Exclusion], kind: str, scope: str, bin_name: str,
                point: SourcePoint | None = None) -> Exclusion | None:
    for e in excl:
        if e.kind == kind and e.matches(scope, bin_name, point):
            return e
    return None
