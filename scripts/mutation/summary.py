"""Totals per module and operator, the survivors, waivers (equivalent mutants) and the text
the sign-off report shows beside coverage."""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WAIVERS = REPO / "docs" / "mutation-waivers.hjson"
KILLED = ("killed", "killed_timeout")
COLUMNS = ("killed", "killed_timeout", "survived", "equivalent", "not_activated", "invalid")


@dataclass(frozen=True)
class Waiver:
    key: str
    reason: str
    # Configurations the mutant is equivalent on (empty: every one).  E.g. `u + 1` -> `u - 1`
    # on a 1-bit index is the same function only where that index has one bit (V = 2).
    configs: tuple[str, ...] = ()

    def applies(self, config: str | None) -> bool:
        return not self.configs or config in self.configs


def load_waivers(path: Path = WAIVERS) -> dict[str, Waiver]:
    """Equivalent mutants: {key, reason} entries; a waiver without a written reason is an error."""
    if not path.exists():
        return {}
    import hjson

    data = hjson.loads(path.read_text())
    out = {}
    for entry in data.get("equivalent", []):
        if not isinstance(entry.get("key"), str):
            # hjson reads an unquoted key such as 261457196e33 as a number: quote the keys
            raise SystemExit(f"{path}: waiver key {entry.get('key')!r} is not a string; quote it")
        reason = str(entry.get("reason", "")).strip()
        if not reason:
            raise SystemExit(f"{path}: waiver {entry.get('key')} has no reason")
        if entry["key"] in out:
            # A second entry would silently replace the first one's reason and configurations.
            raise SystemExit(f"{path}: waiver {entry['key']} appears twice; merge the entries")
        out[str(entry["key"])] = Waiver(str(entry["key"]), reason,
                                        tuple(str(c) for c in entry.get("configs", ())))
    return out


def final_status(rec: dict, waivers: dict[str, Waiver]) -> str:
    # A waived mutant that no test reaches (not activated) is equivalent too: its waiver says
    # why the configuration cannot reach the line at all.
    waiver = waivers.get(rec["key"])
    if rec["status"] in ("survived", "not_activated", "waived") and waiver is not None and \
            waiver.applies(rec.get("config")):
        return "equivalent"
    return rec["status"]


# A failure no design behaviour can cause: the testbench itself is broken (e.g. a missing import
# in a code path the baseline run does not reach).  Such a "kill" says nothing about the mutant.
_TESTBENCH_BUG = re.compile(r"\b(NameError|ImportError|ModuleNotFoundError|SyntaxError|"
                            r"IndentationError|UnboundLocalError)\b")


def testbench_bug(rec: dict) -> str | None:
    """The failure signature if a kill came from a broken testbench, else None."""
    sig = rec.get("killed_by", {}).get("signature", "")
    return sig if rec.get("status", "").startswith("killed") and _TESTBENCH_BUG.search(sig) \
        else None


def still_valid(rec: dict, waivers: dict[str, Waiver]) -> bool:
    """False for a record that does not classify its mutant (the next run simulates it): one
    left unsimulated under a waiver that no longer applies, or a kill by a broken testbench."""
    if testbench_bug(rec):
        return False
    return rec["status"] != "waived" or final_status(rec, waivers) == "equivalent"


def kill_rate(counts: Counter) -> tuple[int, int]:
    """(killed, non-equivalent mutants that ran): not-activated ones count against the bench."""
    killed = sum(counts[s] for s in KILLED)
    return killed, killed + counts["survived"] + counts["not_activated"]


def tables(records: list[dict], waivers: dict[str, Waiver]) -> dict:
    by_module: dict[str, Counter] = defaultdict(Counter)
    by_operator: dict[str, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    for rec in records:
        status = final_status(rec, waivers)
        by_module[rec["module"]][status] += 1
        by_operator[rec["operator"]][status] += 1
        total[status] += 1
    return {"module": dict(by_module), "operator": dict(by_operator), "total": total}


def _row(name: str, counts: Counter) -> str:
    killed, denom = kill_rate(counts)
    rate = f"{100.0 * killed / denom:.1f}" if denom else "-"
    return f"| {name} | " + " | ".join(str(counts.get(c, 0)) for c in COLUMNS) + f" | {rate} |"


def markdown(per_config: dict[str, list[dict]], waivers: dict[str, Waiver],
             generated: dict[str, int]) -> str:
    """The mutation section: per configuration totals, per module / operator, survivors."""
    out = ["# Mutation analysis (make mutate)", ""]
    head = "| | " + " | ".join(COLUMNS) + " | kill rate % |"
    sep = "|---" * (len(COLUMNS) + 2) + "|"
    for config, records in sorted(per_config.items()):
        t = tables(records, waivers)
        killed, denom = kill_rate(t["total"])
        out += [f"## {config}: {len(records)} of {generated.get(config, len(records))} mutants "
                f"classified, kill rate {killed}/{denom}"
                + (f" = {100.0 * killed / denom:.1f} %" if denom else ""), ""]
        unsimulated = sum(r["status"] == "waived" for r in records)
        if unsimulated:
            out += [f"{unsimulated} of the equivalent mutants were recorded under their waiver "
                    f"without simulation (`--skip-waived`).", ""]
        for what in ("module", "operator"):
            out += [f"### per {what}", "", head.replace("| |", f"| {what} |", 1), sep]
            out += [_row(name, counts) for name, counts in sorted(t[what].items())]
            out.append("")
        survivors = [r for r in records if final_status(r, waivers) == "survived"]
        out += [f"### survivors ({len(survivors)})", ""]
        for r in sorted(survivors, key=lambda r: (r["file"], r["line"])):
            out += [f"- `{r['key']}` {r['file']}:{r['line']} {r['operator']} ({r['change']}): "
                    f"`{r['original']}` -> `{r['mutated']}`  ",
                    f"  rerun: `{r['rerun']}`"]
        out.append("")
    return "\n".join(out)


def section_rows(per_config: dict[str, list[dict]], waivers: dict[str, Waiver]) -> list[dict]:
    """One row per configuration for the sign-off report's table."""
    rows = []
    for config, records in sorted(per_config.items()):
        t = tables(records, waivers)["total"]
        killed, denom = kill_rate(t)
        rows.append({"config": config, **{c: t.get(c, 0) for c in COLUMNS},
                     "kill_rate": (100.0 * killed / denom) if denom else None,
                     "survivors": [r for r in records if final_status(r, waivers) == "survived"]})
    return rows


SNAPSHOT_FIELDS = ("key", "file", "line", "module", "operator", "change", "original", "mutated",
                   "rerun")


def snapshot(per_config: dict[str, list[dict]], waivers: dict[str, Waiver]) -> list[dict]:
    """The rows the sign-off report shows (written by mutate.py at the end of each run, so a
    report never reads a store that a running mutate is still appending to)."""
    rows = section_rows(per_config, waivers)
    for row in rows:
        row["survivors"] = [{k: r.get(k) for k in SNAPSHOT_FIELDS} for r in row["survivors"]]
    return rows


def load_snapshot(path: Path) -> list[dict] | None:
    """The rows of the last mutate run, if it was for the current RTL."""
    from mutation.model import rtl_digest

    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return data["rows"] if data.get("rtl") == rtl_digest() else None


def html_section(rows: list[dict] | None, waivers: dict[str, Waiver]) -> str:
    """The sign-off report's mutation section (beside code coverage)."""
    from html import escape as esc

    h = ["<section id='mutation'><h2>Mutation analysis (testbench qualification)</h2>",
         "<p class='small'>make mutate (docs/mutation.md): mutants of rtl/ in one selector model; "
         "kill rate = killed / (killed + survived + not activated); equivalent mutants are "
         f"waived in docs/mutation-waivers.hjson ({len(waivers)} waivers).</p>"]
    if not rows:
        h.append("<p class='warn'>No mutation results for this RTL: run make mutate.</p></section>")
        return "\n".join(h)
    h.append("<table><tr><th>config</th>" + "".join(f"<th>{c}</th>" for c in COLUMNS)
             + "<th>kill rate</th></tr>")
    for row in rows:
        rate = "-" if row["kill_rate"] is None else f"{row['kill_rate']:.1f}%"
        h.append(f"<tr><td>{esc(row['config'])}</td>"
                 + "".join(f"<td class='num'>{row[c]}</td>" for c in COLUMNS)
                 + f"<td class='num'>{rate}</td></tr>")
    h.append("</table>")
    for row in rows:
        for r in row["survivors"]:
            h.append(f"<p class='small warn'>survivor {esc(row['config'])} <code>{esc(r['key'])}"
                     f"</code> {esc(r['file'])}:{r['line']} {esc(r['operator'])}: "
                     f"<code>{esc(r['original'])}</code> &rarr; <code>{esc(r['mutated'])}</code>"
                     f"<br>rerun: <code>{esc(r['rerun'])}</code></p>")
    h.append("</section>")
    return "\n".join(h)
