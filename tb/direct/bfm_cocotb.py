"""cocotb checks of tb.common.bfm's timing discipline (driven by tests/test_tb_smoke.py)."""
from __future__ import annotations

import cocotb

from tb.common.bfm import MasrBfm
from tb.common.configs import current_config


@cocotb.test()
async def idle_cycles_then_drive(dut) -> None:
    """An input driven right after idle_cycles(n) must last a whole cycle: a dump pulse must
    write its files and a register write must land (a zero-width pulse did neither)."""
    _, hw = current_config()
    bfm = MasrBfm(dut, hw)
    await bfm.reset()
    for n in (1, 2, 4):
        await bfm.idle_cycles(n)
        dumped = await bfm.dump()
        assert dumped.reg("CAPS") & 0xFF == 0x4D, f"dump after idle_cycles({n})"
        await bfm.idle_cycles(n)
        await bfm.write_reg("CFG_M", 7 + n)
        assert await bfm.read_reg("CFG_M") == 7 + n, f"register write after idle_cycles({n})"
