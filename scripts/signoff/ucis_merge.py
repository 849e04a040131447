"""The merged pyucis database: every run's code and functional coverage (passing runs only) and
one test-history node per run, merged with pyucis' DbMerger."""
from __future__ import annotations

import io
from pathlib import Path

from signoff.functional import flatten_cocotb_xml
from signoff.runs import Run


def run_ucis_db(run: Run, with_code: bool = True):
    """One run as a pyucis database: its code and functional coverage and a test-history node."""
    from ucis.cocotb.cocotb_xml_reader import CocotbXmlReader
    from ucis.history_node_kind import HistoryNodeKind
    from ucis.mem.mem_ucis import MemUCIS
    from ucis.test_status_t import TestStatusT
    from ucis.vltcov.vlt_parser import VltParser
    from ucis.vltcov.vlt_to_ucis_mapper import VltToUcisMapper

    db = MemUCIS()
    rec = run.rec
    run_dir = run.root / rec["run_dir"]
    dat, xml = run.path("coverage_dat"), run.path("coverage_xml")
    use_cov = run.passed          # sign-off coverage comes from passing runs only
    if use_cov and with_code and dat and dat.exists():
        # source_file names the history node: <run_dir>/<test> -> logical name <test>
        VltToUcisMapper(db, source_file=str(run_dir / rec["test"])).map_items(
            VltParser().parse_file(str(dat)))
    hist = next(iter(db.historyNodes(HistoryNodeKind.TEST)), None)
    if hist is None:
        hist = db.createHistoryNode(None, rec["test"], str(run_dir), HistoryNodeKind.TEST)
    hist.setTestStatus(TestStatusT.OK if run.passed else TestStatusT.FATAL)
    hist.setSeed(str(rec["seed"]))
    hist.setCpuTime(float(rec.get("duration") or 0.0))
    hist.setCmd(rec.get("rerun") or "")
    hist.setToolCategory(f"verilator:{rec['config']}")
    if use_cov and xml and xml.exists():
        CocotbXmlReader().read(io.BytesIO(flatten_cocotb_xml(xml)), db)
    return db


def merge_ucis(runs: list[Run], batch: int = 64, code_sum: Path | None = None):
    """Merge every run's database with pyucis' DbMerger, a batch at a time (bounded memory).

    With ``code_sum`` (a summed coverage.dat) pyucis reads the code coverage once from it instead
    of once per run: for toggle nightlies, where reading each run's file costs seconds."""
    from ucis.merge.db_merger import DbMerger
    from ucis.mem.mem_ucis import MemUCIS
    from ucis.rgy.format_rgy import FormatRgy
    from ucis.vltcov.vlt_parser import VltParser
    from ucis.vltcov.vlt_to_ucis_mapper import VltToUcisMapper

    xml_fmt = FormatRgy.inst().getDatabaseDesc("xml").fmt_if()
    acc = None
    if code_sum is not None:
        acc = MemUCIS()
        VltToUcisMapper(acc, source_file=str(code_sum.with_suffix(""))).map_items(
            VltParser().parse_file(str(code_sum)))
    for i in range(0, len(runs), batch):
        srcs = ([acc] if acc is not None else []) + [run_ucis_db(r, code_sum is None)
                                                     for r in runs[i:i + batch]]
        dst = xml_fmt.create()
        DbMerger().merge(dst, srcs)
        acc = dst
    return acc if acc is not None else xml_fmt.create()


def write_ucis_xml(db, path: Path) -> None:
    from ucis.rgy.format_rgy import FormatRgy
    FormatRgy.inst().getDatabaseDesc("xml").fmt_if().write(db, str(path))
