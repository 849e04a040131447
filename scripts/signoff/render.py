"""The sign-off page: one self-contained HTML file (CSS and plots inline) from build's context.

Not named html.py: inside the package that name would read as the stdlib module it imports."""
from __future__ import annotations

import html

from signoff.exclusions import CATEGORIES, exclusion_filters

CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;opacity:.85;font-size:13px}
nav{background:#2c4f7c;padding:6px 28px} nav a{color:#dfe8f5;margin-right:14px;font-size:13px;text-decoration:none}
main{padding:10px 28px 40px} section{background:#fff;border-radius:6px;padding:12px 18px;margin:14px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:18px;margin:4px 0 10px;border-bottom:2px solid #1f3a5f;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;margin:6px 0} th,td{border:1px solid #d8dde5;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef2f7} td.num{text-align:right;font-variant-numeric:tabular-nums}
.PASS,.CLOSED,.ok{background:#dff3e3} .FAIL,.FAILING,.TIMEOUT,.CRASH,.bad{background:#fbe0e0}
.PARTIAL,.COVERAGE_OPEN,.NOT_RUN,.UNIMPLEMENTED,.warn{background:#fff3cd} .NA{background:#eee}
.kpis{display:flex;gap:14px;flex-wrap:wrap} .kpi{background:#eef2f7;border-radius:6px;padding:8px 14px;min-width:140px}
.kpi b{display:block;font-size:22px} code{font-size:12px;background:#f1f1f1;padding:1px 4px;border-radius:3px}
details{margin:3px 0} summary{cursor:pointer;color:#1f3a5f} .small{font-size:12px;color:#555}
.bar{display:inline-block;height:9px;background:#4f81bd;vertical-align:middle} .barbg{display:inline-block;width:90px;height:9px;background:#e3e7ee;margin-right:6px}
img{max-width:100%}
"""


def esc(x) -> str:
    return html.escape(str(x))


def pct_cell(c: int, t: int) -> str:
    if not t:
        return '<td class="num">-</td>'
    p = 100.0 * c / t
    cls = "ok" if p >= 100.0 else ("warn" if p >= 80.0 else "bad")
    return (f'<td class="num {cls}"><span class="barbg"><span class="bar" style="width:{p:.0f}%">'
            f'</span></span>{c}/{t} = {p:.1f}%</td>')


def render_html(ctx: dict) -> str:
    h = []
    a = h.append
    a("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>")
    a(f"<title>MASR sign-off report - {esc(ctx['nightly_name'])}</title><style>{CSS}</style></head><body>")
    a(f"<header><h1>MASR sign-off report</h1><p>nightly <code style='color:#000'>{esc(ctx['nightly_name'])}</code>"
      f" &middot; commit {esc(ctx['plan'].get('git_commit') or '?')} &middot; coverage build: "
      f"{esc(ctx['plan'].get('coverage'))} &middot; {ctx['plan'].get('seeds')} seeds per random test"
      f" &middot; generated {esc(ctx['generated'])}</p></header>")
    a("<nav>" + "".join(f"<a href='#{i}'>{t}</a>" for i, t in (
        ("summary", "Summary"), ("tests", "Pass rate"), ("failures", "Failure buckets"),
        ("functional", "Functional coverage"), ("code", "Code coverage"), ("closure", "Testplan closure"), ("formal", "Formal proofs"),
        ("plots", "Plots"), ("exclusions", "Exclusions"), ("files", "Files"))) + "</nav><main>")
    s = ctx["summary"]
    a("<section id='summary'><h2>Summary</h2><div class='kpis'>")
    for label, val in (("runs", f"{s['runs']} / {s['planned']}"), ("pass rate", f"{s['pass_rate']:.1f}%"),
                       ("failure buckets", s["buckets"]), ("functional bins", s["functional"]),
                       ("code: line", s["line"]), ("testpoints closed", s["closure"]), ("formal proofs", s.get("proofs", "-"))):
        a(f"<div class='kpi'>{esc(label)}<b>{esc(val)}</b></div>")
    a("</div>")
    if s["missing"]:
        a(f"<p class='warn'>{s['missing']} planned run(s) have no result: resume with "
          f"<code>make nightly RESUME={esc(ctx['nightly'])}</code></p>")
    warn_html = "".join(f"<p class='warn small'>&#9888; {esc(w)}</p>" for w in ctx["warnings"])
    if len(ctx["warnings"]) > 4:
        warn_html = f"<details><summary>{len(ctx['warnings'])} warnings</summary>{warn_html}</details>"
    a(warn_html)
    a("</section>")

    a("<section id='tests'><h2>Pass rate per test and configuration</h2><table><tr><th>test</th>"
      "<th>config</th><th>runs</th><th>pass</th><th>fail</th><th>timeout</th><th>crash</th>"
      "<th>pass rate</th><th>mean time [s]</th></tr>")
    for row in ctx["pass_rows"]:
        cls = "ok" if row["fail_all"] == 0 else "bad"
        a(f"<tr><td>{esc(row['test'])}</td><td>{esc(row['config'])}</td><td class='num'>{row['runs']}</td>"
          f"<td class='num'>{row['PASS']}</td><td class='num'>{row['FAIL']}</td><td class='num'>{row['TIMEOUT']}</td>"
          f"<td class='num'>{row['CRASH']}</td><td class='num {cls}'>{row['rate']:.1f}%</td>"
          f"<td class='num'>{row['mean_s']:.1f}</td></tr>")
    a("</table></section>")

    a("<section id='failures'><h2>Failure buckets</h2>")
    if not ctx["buckets"]:
        a("<p class='ok'>No failures.</p>")
    else:
        a("<table><tr><th>#</th><th>signature</th><th>runs</th><th>seeds (test / config / seed)</th>"
          "<th>rerun one with FST waves</th></tr>")
        for i, b in enumerate(ctx["buckets"], 1):
            seeds = ", ".join(f"{esc(r['test'])}/{esc(r['config'])}/{r['seed']}" for r in b["runs"][:40])
            if b["count"] > 40:
                seeds += f" &hellip; (+{b['count'] - 40})"
            a(f"<tr class='bad'><td>{i}</td><td><code>{esc(b['signature'])}</code></td><td class='num'>{b['count']}</td>"
              f"<td class='small'>{seeds}</td><td><code>{esc(b['rerun'] or '-')}</code><br>"
              f"<span class='small'>log: {esc(b['runs'][0].get('log') or '-')}</span></td></tr>")
        a("</table>")
    a("</section>")

    cfgs = [c for c in (ctx["func_rows"][0]["full_after"] if ctx["func_rows"] else {}) if c != "all"]
    a("<section id='functional'><h2>Functional coverage per covergroup</h2>"
      "<p class='small'>cocotb-coverage, merged over all passing runs with pyucis; excluded bins are "
      "not counted (see Exclusions). <i>100% after</i>: the number of seeds per test after which "
      "the covergroup was complete (merged, and per configuration), &ndash; if it never was.</p>"
      "<table><tr><th>covergroup</th><th>bins covered</th><th>excluded</th>"
      "<th>100% after (all" + "".join(f" / {esc(c)}" for c in cfgs) + ")</th>"
      "<th>uncovered bins</th></tr>")
    for row in ctx["func_rows"]:
        miss = row["missing"]
        if miss:
            shown = ", ".join(esc(m) for m in miss[:12])
            more = (f"<details><summary>all {len(miss)}</summary><span class='small'>"
                    + ", ".join(esc(m) for m in miss) + "</span></details>") if len(miss) > 12 else ""
            miss_html = f"<span class='small'>{shown}</span>{more}"
        else:
            miss_html = "<span class='small'>none</span>"
        full = " / ".join("&ndash;" if n is None else str(n) for n in row["full_after"].values())
        a(f"<tr><td>{esc(row['name'])}</td>{pct_cell(row['covered'], row['total'])}"
          f"<td class='num'>{row['waived']}</td><td class='num'>{full}</td><td>{miss_html}</td></tr>")
    if not ctx["func_rows"]:
        a("<tr><td colspan=5 class='warn'>no functional coverage (no passing run wrote coverage.xml)</td></tr>")
    a("</table></section>")

    a("<section id='code'><h2>Code coverage per module</h2><p class='small'>Verilator "
      f"(<code>{esc(ctx['code_flags'])}</code>), summed point by point over all passing runs. "
      "line = statement blocks, branch = if/case arms, toggle = signal bits 0&rarr;1 and 1&rarr;0, "
      "user = SVA cover properties.</p>")
    metrics = ctx["code_metrics"]
    if ctx["code_rows"]:
        a("<table><tr><th>module</th>" + "".join(f"<th>{m}</th>" for m in metrics)
          + "<th>excluded</th><th>uncovered (file:line:kind)</th></tr>")
        for row in ctx["code_rows"]:
            cells = "".join(pct_cell(*row["metrics"].get(m, (0, 0))) for m in metrics)
            miss = row["missing"]
            miss_html = ("<details><summary>%d point(s)</summary><span class='small'>%s</span></details>"
                         % (len(miss), ", ".join(esc(x) for x in miss[:400]))) if miss else "<span class='small'>none</span>"
            a(f"<tr><td>{esc(row['module'])}</td>{cells}<td class='num'>{row['waived']}</td><td>{miss_html}</td></tr>")
        tot = ctx["code_totals"]
        a("<tr><th>total</th>" + "".join(pct_cell(*tot.get(m, (0, 0))) for m in metrics) + "<td></td><td></td></tr>")
        a("</table>")
    else:
        a("<p class='warn'>No code coverage: the nightly ran without a coverage build, or no passing run wrote coverage.dat.</p>")
    a("</section>")

    a(ctx.get("mutation_html", ""))

    a("<section id='closure'><h2>Testplan closure</h2><p class='small'>"
      f"{esc(ctx['testplan'])}: test status from pyucis' closure over the merged database's test "
      "history; a testpoint is CLOSED when all its tests passed and its covergroups are at 100%.</p>")
    if ctx["closure_rows"]:
        a("<table><tr><th>stage</th><th>closed</th></tr>")
        for stage, (c, t) in ctx["stages"].items():
            a(f"<tr><td>{esc(stage)}</td>{pct_cell(c, t)}</tr>")
        a("</table><table><tr><th>testpoint</th><th>stage</th><th>tests</th><th>tests status</th>"
          "<th>pass/fail</th><th>covergroups</th><th>coverage</th><th>status</th></tr>")
        for r in ctx["closure_rows"]:
            cls = r["status"].replace("/", "")
            a(f"<tr><td title='{esc(r['desc'])}'>{esc(r['name'])}<br><span class='small'>{esc(r['desc'][:160])}</span></td>"
              f"<td>{esc(r['stage'])}</td><td class='small'>{esc(', '.join(r['tests'] + [f'proof {n}: {st}' for n, st in r.get('proofs', {}).items()]))}</td>"
              f"<td class='{esc(r['tests_status'].replace('/', ''))}'>{esc(r['tests_status'])}</td>"
              f"<td class='num'>{r['pass']}/{r['fail']}</td><td class='small'>{esc(', '.join(r['covergroups']))}</td>"
              + (pct_cell(r["coverage_covered"], r["coverage_total"]) if r["coverage_total"] else "<td>-</td>")
              + f"<td class='{esc(cls)}'><b>{esc(r['status'])}</b></td></tr>")
        a("</table>")
    else:
        a("<p class='warn'>No testplan.</p>")
    a("</section>")

    a("<section id='formal'><h2>Formal proofs</h2><p class='small'>"
      f"{esc(ctx.get('formal_dir', '-'))}/results.json (scripts/formal.py): PASS = proved (prove: "
      "k-induction, unbounded; bmc: no failure up to the depth); UNKNOWN = timed out or induction "
      "did not close, never a pass.</p>")
    if ctx.get("proofs"):
        a("<table><tr><th>proof</th><th>module</th><th>mode</th><th>depth</th><th>status</th>"
          "<th>time [s]</th><th>properties</th><th>trace / rerun</th></tr>")
        for p in ctx["proofs"]:
            a(f"<tr><td>{esc(p['name'])}</td><td>{esc(p['module'])}</td><td>{esc(p['mode'])}</td>"
              f"<td class='num'>{p['depth']}</td><td class='{esc(p['status'])}'><b>{esc(p['status'])}</b></td>"
              f"<td class='num'>{p['seconds']:.1f}</td><td class='small'>{esc(', '.join(p['properties']))}</td>"
              f"<td class='small'>{esc(p.get('trace') or '')}{'<br>' + esc(p['rerun']) if p['status'] != 'PASS' else ''}</td></tr>")
        a("</table>")
    else:
        a("<p class='warn'>No formal results (run make formal).</p>")
    a("</section>")

    a("<section id='plots'><h2>Plots</h2>")
    for title, img in (("Coverage growth over seeds", ctx["img_growth"]),
                       ("Per-lane MAC utilization", ctx["img_heat"]),
                       ("Steals per lane", ctx["img_steals"])):
        a(f"<h3>{esc(title)}</h3>")
        a(f"<img alt='{esc(title)}' src='data:image/png;base64,{img}'>" if img
          else "<p class='small warn'>no data (the runs' summary.json carry no per-lane statistics)</p>")
    a("</section>")

    a("<section id='exclusions'><h2>Exclusions</h2>"
      f"<p class='small'>{esc(ctx['exclusions_file'])}; categories: "
      + "; ".join(f"<b>{k}</b> {esc(v)}" for k, v in CATEGORIES.items()) + "</p>")
    if ctx["exclusions"]:
        a("<table><tr><th>id</th><th>category</th><th>kind</th><th>scope</th><th>bin</th>"
          "<th>also requires</th><th>items excluded</th><th>reason</th></tr>")
        for e in ctx["exclusions"]:
            a(f"<tr class='{'' if e.hits else 'warn'}'><td>{esc(e.id)}</td><td>{esc(e.category)}</td>"
              f"<td>{esc(e.kind)}</td><td><code>{esc(e.scope)}</code></td><td><code>{esc(e.bin)}</code></td>"
              f"<td class='small'>{esc(exclusion_filters(e))}</td>"
              f"<td class='num'>{e.hits}</td><td class='small'>{esc(e.reason)}</td></tr>")
        a("</table>")
    else:
        a("<p class='small'>none</p>")
    a("</section>")

    a("<section id='files'><h2>Files</h2><ul class='small'>")
    for name, desc in ctx["files"]:
        a(f"<li><a href='{esc(name)}'>{esc(name)}</a> &mdash; {esc(desc)}</li>")
    a(f"</ul><p class='small'>results store: <code>{esc(ctx['store'])}</code></p></section>")
    a("</main></body></html>")
    return "\n".join(h)
