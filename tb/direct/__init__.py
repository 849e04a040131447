"""Direct (plain cocotb, no UVM) tests of masr_top: tb/direct/engine_cocotb.py."""
