"""`make formal`: SymbiYosys proofs of the MASR RTL (docs/formal.md).

  spec    tb/formal/proofs.hjson -> Proof records; the .sby text of one proof
  run     one proof under yowasp-sby: status, time, trace, rerun command; results.json
scripts/formal.py is the command line.
"""
