"""GRU bus-functional helpers on top of :class:`tb.common.bfm.MasrBfm` (plain cocotb, no UVM).

docs/gru-layer.md (contract section 8) adds to masr_top: the ``CFG_GRU_*`` registers (0x20 ..
0x24), the read-only ``GRU_STEPS``/``PERF_GRU_*``/``CAPS4`` registers (0x25 .. 0x29), the
memories XBUF (8), HBUF (9), GX (10), HOUT (11) and STEP (12), two start bits (CTRL bit 2
``GRU_X``, bit 3 ``GRU_H``), the error codes 9-12 and, in simulation, the backdoor files
``xbuf.hex``/``hbuf.hex`` and the dump files ``{xbuf,hbuf,gx,hout,step}.dump.hex`` (plus
``regs.dump.hex`` covering register addresses 0 .. 63).

:class:`GruBfm` adds the phase-level operations (load a phase's image through the backdoor or the
frontdoor, configure, start, wait with a watchdog) and :meth:`GruBfm.gru_dump`, which reads every
result of a phase from the dump in two clock cycles.  The same timing discipline as MasrBfm
applies: inputs change right after a falling edge; dump files are complete at the next falling
edge.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
from cocotb.queue import Queue
from cocotb.triggers import Event

from golden.config import HwConfig, LayerConfig, StealMode, partition_width, words_per_row
from golden.encode import encode_activations, encode_matvec, hex_lines, to_unsigned
from tb.common.bfm import (GRU_CFG_REGS, GRU_PERF_REGS, LANE_STAT_NAMES, MEM_AMASK, MEM_AVAL,
                           PERF_REGS, REG, MasrBfm)

# -- contract section 8 constants ---------------------------------------------------------------
T_MAX_DEFAULT = 32          # build-time T_MAX of both presets (8.1)

N_DUMP_REGS = 64

CTRL_START = 1 << 0
CTRL_CLEAR = 1 << 1
CTRL_GRU_X = 1 << 2
CTRL_GRU_H = 1 << 3
PHASE_X, PHASE_H = "X", "H"
PHASE_M = "M"               # a plain matrix-vector product (CTRL.start) between GRU phases
PHASE_CTRL = {PHASE_X: CTRL_GRU_X, PHASE_H: CTRL_GRU_H}

MEM_XBUF, MEM_HBUF, MEM_GX, MEM_HOUT, MEM_STEP = 8, 9, 10, 11, 12
GRU_MEM_NAMES = {MEM_XBUF: "XBUF", MEM_HBUF: "HBUF", MEM_GX: "GX", MEM_HOUT: "HOUT",
                 MEM_STEP: "STEP"}
STEP_NAMES = ("PROD_CYCLES", "MAC_BUSY", "STEAL_GRANTED", "STEAL_REFUSED", "IDLE", "ROWS_DONE",
              "STEP_CYCLES", "ACT_NNZ")
STEP_WORDS = len(STEP_NAMES)

DIR_FWD, DIR_BWD = 0, 1
DIR_NAMES = {DIR_FWD: "fwd", DIR_BWD: "bwd"}


@dataclass(frozen=True)
class GruGeometry:
    """Build-time GRU sizes of one configuration (contract 8.1 and 8.4)."""

    hw: HwConfig
    T_MAX: int = T_MAX_DEFAULT

    @property
    def HD_MAX(self) -> int:
        return min(self.hw.M_MAX // 3, self.hw.N_MAX)

    @property
    def xbuf_depth(self) -> int:
        return self.T_MAX * self.hw.N_MAX

    @property
    def hbuf_depth(self) -> int:
        return self.HD_MAX

    @property
    def gx_depth(self) -> int:
        return self.T_MAX * self.hw.M_MAX

    @property
    def hout_depth(self) -> int:
        return self.T_MAX * 2 * self.HD_MAX

    @property
    def step_depth(self) -> int:
        return self.T_MAX * STEP_WORDS

    def depth(self, sel: int) -> int:
        return {MEM_XBUF: self.xbuf_depth, MEM_HBUF: self.hbuf_depth, MEM_GX: self.gx_depth,
                MEM_HOUT: self.hout_depth, MEM_STEP: self.step_depth}[sel]

    def caps4(self) -> int:
        return ((self.T_MAX & 0xFFFF) << 16) | (self.HD_MAX & 0xFFFF)

    def xbuf_addr(self, t: int, c: int) -> int:
        return t * self.hw.N_MAX + c

    def gx_addr(self, t: int, r: int) -> int:
        return t * self.hw.M_MAX + r

    def hout_addr(self, t: int, direction: int, j: int) -> int:
        return t * 2 * self.HD_MAX + direction * self.HD_MAX + j

    def step_addr(self, s: int, k: int) -> int:
        return s * STEP_WORDS + k


def geometry(hw: HwConfig) -> GruGeometry:
    """The GRU geometry of ``hw`` (T_MAX is a build-time HwConfig field, 32 in both presets)."""
    return GruGeometry(hw, int(getattr(hw, "T_MAX", T_MAX_DEFAULT)))


def _signed16(words: np.ndarray) -> np.ndarray:
    w = np.asarray(words, dtype=np.int64) & 0xFFFF
    return np.where(w >= 1 << 15, w - (1 << 16), w)


def xbuf_words(geo: GruGeometry, x_seq: np.ndarray) -> np.ndarray:
    """The whole XBUF image (T_MAX*N_MAX int16) holding x_seq (T, I) at t*N_MAX + c."""
    out = np.zeros(geo.xbuf_depth, dtype=np.int64)
    T, I = x_seq.shape
    for t in range(T):
        base = geo.xbuf_addr(t, 0)
        out[base: base + I] = x_seq[t]
    return out


def hbuf_words(geo: GruGeometry, h0: np.ndarray) -> np.ndarray:
    out = np.zeros(geo.hbuf_depth, dtype=np.int64)
    out[: len(h0)] = h0
    return out


def write_gru_hex(bd_dir: Path, geo: GruGeometry, x_seq: np.ndarray, h0: np.ndarray) -> None:
    """xbuf.hex / hbuf.hex in the format MatvecImage.write_hex uses (full depth, 16-bit hex)."""
    bd_dir.mkdir(parents=True, exist_ok=True)
    (bd_dir / "xbuf.hex").write_text(hex_lines(to_unsigned(xbuf_words(geo, x_seq), 16), 16))
    (bd_dir / "hbuf.hex").write_text(hex_lines(to_unsigned(hbuf_words(geo, h0), 16), 16))


class GruDump:
    """Everything one bd_dump_i pulse captured, GRU memories included."""

    def __init__(self, geo: GruGeometry, files: dict[str, np.ndarray]) -> None:
        hw = geo.hw
        need = {"y": hw.M_MAX, "stats": hw.n_lanes * len(LANE_STAT_NAMES), "regs": N_DUMP_REGS,
                "xbuf": geo.xbuf_depth, "hbuf": geo.hbuf_depth, "gx": geo.gx_depth,
                "hout": geo.hout_depth, "step": geo.step_depth}
        short = [f"{n}.dump.hex has {len(files[n])} words, expected {d}"
                 for n, d in need.items() if len(files[n]) < d]
        if short:
            raise RuntimeError("short dump: " + "; ".join(short))
        self.geo = geo
        self.regs = np.asarray(files["regs"][:N_DUMP_REGS], dtype=np.int64)
        self.y = _signed16(files["y"][: hw.M_MAX])
        self.stats = np.asarray(files["stats"], dtype=np.int64)
        self.xbuf = _signed16(files["xbuf"][: geo.xbuf_depth])
        self.hbuf = _signed16(files["hbuf"][: geo.hbuf_depth])
        self.gx = _signed16(files["gx"][: geo.gx_depth])
        self.hout = _signed16(files["hout"][: geo.hout_depth])
        self.step = np.asarray(files["step"][: geo.step_depth], dtype=np.int64) & 0xFFFFFFFF

    # -- registers -------------------------------------------------------------------------------
    def reg(self, name: str) -> int:
        return int(self.regs[REG[name]])

    def counters(self) -> dict[str, int]:
        return {n: self.reg(n) for n in PERF_REGS}

    def gru_counters(self) -> dict[str, int]:
        return {n: self.reg(n) for n in GRU_PERF_REGS}

    def status(self) -> dict[str, int]:
        st = self.reg("STATUS")
        return {"STATUS": st, "busy": st & 1, "done": (st >> 1) & 1, "error": (st >> 2) & 1,
                "ERR_CODE": self.reg("ERR_CODE")}

    def lane_stats(self) -> dict[tuple[int, int], dict[str, int]]:
        hw, n = self.geo.hw, len(LANE_STAT_NAMES)
        out = {}
        for h, v in hw.lanes():
            base = hw.lane_index(h, v) * n
            out[(h, v)] = {name: int(self.stats[base + k]) for k, name in enumerate(LANE_STAT_NAMES)}
        return out

    # -- GRU memories in (time, element) shape -----------------------------------------------------
    def gx_rows(self, T: int, M: int) -> np.ndarray:
        g = self.gx.reshape(self.geo.T_MAX, self.geo.hw.M_MAX)
        return g[:T, :M].copy()

    def hout_rows(self, T: int, direction: int, Hd: int) -> np.ndarray:
        h = self.hout.reshape(self.geo.T_MAX, 2, self.geo.HD_MAX)
        return h[:T, direction, :Hd].copy()

    def xbuf_rows(self, T: int, I: int) -> np.ndarray:
        return self.xbuf.reshape(self.geo.T_MAX, self.geo.hw.N_MAX)[:T, :I].copy()

    def step_words(self, T: int) -> np.ndarray:
        return self.step.reshape(self.geo.T_MAX, STEP_WORDS)[:T].copy()

    def memories(self) -> dict[str, np.ndarray]:
        """Whole memories by name (for "nothing changed" comparisons)."""
        return {"XBUF": self.xbuf, "HBUF": self.hbuf, "GX": self.gx, "HOUT": self.hout,
                "STEP": self.step, "y": self.y, "lane stats": self.stats}


DUMP_FILES = ("y", "stats", "regs", "xbuf", "hbuf", "gx", "hout", "step")


class GruBfm(MasrBfm):
    """MasrBfm plus the GRU phase operations of contract section 8."""

    def __init__(self, dut: Any, hw: HwConfig, bd_dir: Optional[Path] = None) -> None:
        super().__init__(dut, hw, bd_dir)
        self.geo = geometry(hw)
        # Driver -> monitor handshake of the GRU agent (the MASR agent's queue stays unused).
        self.phase_queue: Queue = Queue()
        self.phase_read = Event()

    # -- registers ---------------------------------------------------------------------------------
    async def write_gru_reg(self, name: str, value: int) -> None:
        await self.write_reg(REG[name], value)

    async def read_gru_reg(self, name: str) -> int:
        return await self.read_reg(REG[name])

    async def configure_phase(self, regs: dict[str, int]) -> None:
        """Write registers by name (MASR CFG_* and CFG_GRU_*) in a fixed order."""
        for name in ("CFG_M", "CFG_N", "CFG_MODE", "CFG_REP_ROWS", "CFG_SHIFT", "CFG_FEAT",
                     *GRU_CFG_REGS):
            if name in regs:
                await self.write_reg(REG[name], regs[name])

    # -- loading -------------------------------------------------------------------------------------
    @staticmethod
    def phase_image(W: np.ndarray, b: np.ndarray, junk_x: np.ndarray, hw: HwConfig,
                    Hd: int, N: int, mode: StealMode, rep_rows: int, shift: int, feat: int = 0):
        """The lane image of one phase: W (3Hd x N) with an activation vector the sequencer
        overwrites (junk, so a sequencer that forgets to encode is caught); with CFG_FEAT.SPLIT
        in ``feat`` the split replica layout and the plan registers of rep_rows."""
        layer = LayerConfig(3 * Hd, N, mode, rep_rows, shift, feat)
        return encode_matvec(W, np.asarray(junk_x[:N], dtype=np.int16), b, hw, layer)

    async def backdoor_load_phase(self, image: Any, x_seq: np.ndarray, h0: np.ndarray) -> None:
        """Lane image + xbuf.hex + hbuf.hex, then one bd_load_i pulse."""
        write_gru_hex(self.bd_dir, self.geo, x_seq, h0)
        await self.backdoor_load(image)

    async def frontdoor_load_phase(self, image: Any, x_seq: Optional[np.ndarray],
                                   h0: Optional[np.ndarray]) -> int:
        """Lane image, then XBUF (x_t, t < T, c < I) and/or HBUF (h_0) through the memory port."""
        writes = list(image.images_for_frontdoor())
        if x_seq is not None:
            T, I = x_seq.shape
            writes += [(MEM_XBUF, 0, self.geo.xbuf_addr(t, c), int(x_seq[t, c]) & 0xFFFF)
                       for t in range(T) for c in range(I)]
        if h0 is not None:
            writes += [(MEM_HBUF, 0, j, int(v) & 0xFFFF) for j, v in enumerate(h0)]
        return await self.mem_write_burst(writes)

    # -- run -------------------------------------------------------------------------------------------
    async def start_phase(self, phase: str) -> None:
        await self.write_reg("CTRL", PHASE_CTRL[phase])

    async def run_phase_and_wait(self, phase: str, timeout_cycles: int) -> tuple[bool, int]:
        await self.start_phase(phase)
        return await self.wait_done(timeout_cycles)

    # -- frontdoor reads -------------------------------------------------------------------------------
    async def read_hout(self, T: int, direction: int, Hd: int) -> np.ndarray:
        words = await self.mem_read_burst([(MEM_HOUT, 0, self.geo.hout_addr(t, direction, j))
                                           for t in range(T) for j in range(Hd)])
        return _signed16(np.array(words, dtype=np.int64)).reshape(T, Hd)

    async def read_gx(self, T: int, M: int) -> np.ndarray:
        words = await self.mem_read_burst([(MEM_GX, 0, self.geo.gx_addr(t, r))
                                           for t in range(T) for r in range(M)])
        return _signed16(np.array(words, dtype=np.int64)).reshape(T, M)

    async def read_xbuf(self, T: int, I: int) -> np.ndarray:
        words = await self.mem_read_burst([(MEM_XBUF, 0, self.geo.xbuf_addr(t, c))
                                           for t in range(T) for c in range(I)])
        return _signed16(np.array(words, dtype=np.int64)).reshape(T, I)

    async def read_hbuf(self, Hd: int) -> np.ndarray:
        words = await self.mem_read_burst([(MEM_HBUF, 0, j) for j in range(Hd)])
        return _signed16(np.array(words, dtype=np.int64))

    async def read_step(self, T: int) -> np.ndarray:
        words = await self.mem_read_burst([(MEM_STEP, 0, self.geo.step_addr(s, k))
                                           for s in range(T) for k in range(STEP_WORDS)])
        return (np.array(words, dtype=np.int64) & 0xFFFFFFFF).reshape(T, STEP_WORDS)

    async def read_act_rf(self, N: int, mode: StealMode) -> dict[tuple[int, int, int], tuple]:
        """Every PE's activation RF words a product with N columns reads: per (g, v, seg) of a
        filled segment the K mask words and the first P value words (values past the mask's
        popcount are stale and not part of the contract)."""
        hw = self.hw
        enc = encode_activations(np.zeros(N, dtype=np.int16), hw, N, mode)   # for the layout
        K, P = words_per_row(hw, N), partition_width(hw, N)
        plan, keys = [], []
        for g, v in hw.pes():
            for seg, _u in enc.filled_segments(v):
                unit = hw.pe_index(g, v)
                plan += [(MEM_AMASK, unit, seg * hw.KW_MAX + k) for k in range(K)]
                plan += [(MEM_AVAL, unit, seg * hw.P_MAX + j) for j in range(P)]
                keys.append((g, v, seg))
        words = np.array(await self.mem_read_burst(plan), dtype=np.int64)
        out, i = {}, 0
        for key in keys:
            out[key] = (words[i: i + K], _signed16(words[i + K: i + K + P]))
            i += K + P
        return out

    async def fill_act_masks(self) -> None:
        """Every act mask RF word of every PE set to all ones over the frontdoor: a phase's
        encoder must then write each mask word the product reads, pad words included (a backdoor
        load leaves them 0, which an encoder that skips the pads would pass)."""
        hw = self.hw
        await self.mem_write_burst((MEM_AMASK, hw.pe_index(g, v), a, (1 << hw.B) - 1)
                                   for g, v in hw.pes() for a in range(hw.AMASK_DEPTH))

    async def read_act_rf_all(self) -> dict[tuple[int, int], dict[str, np.ndarray]]:
        """Every word of every PE's act mask RF (sel 3) and act value RF (sel 4), unsigned."""
        hw = self.hw
        plan = [(MEM_AMASK, hw.pe_index(g, v), a) for g, v in hw.pes()
                for a in range(hw.AMASK_DEPTH)]
        plan += [(MEM_AVAL, hw.pe_index(g, v), a) for g, v in hw.pes()
                 for a in range(hw.AVAL_DEPTH)]
        words = np.array(await self.mem_read_burst(plan), dtype=np.int64)
        n_m = len(list(hw.pes())) * hw.AMASK_DEPTH
        masks = words[:n_m].reshape(-1, hw.AMASK_DEPTH)
        vals = words[n_m:].reshape(-1, hw.AVAL_DEPTH)
        return {pe: {"amask": masks[i], "aval": vals[i]} for i, pe in enumerate(hw.pes())}

    # -- simulation-only dump ----------------------------------------------------------------------------
    async def gru_dump(self) -> GruDump:
        """Pulse bd_dump_i and bd_dump_gru_i together and read every file they write (contract
        8.4 dump files)."""
        return GruDump(self.geo, await self.dump_files(DUMP_FILES, ("bd_dump_i", "bd_dump_gru_i")))
