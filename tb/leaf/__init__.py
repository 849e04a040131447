"""Leaf-level cocotb tests of the MASR RTL primitives (plain cocotb, Python reference models).

Each module holds the cocotb tests of one toplevel; tests/test_rtl_leaf.py builds and runs them.
"""
