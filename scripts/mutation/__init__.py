"""RTL mutation analysis (`make mutate`, docs/mutation.md).

generate  - mutants of rtl/ as source edits behind one run-time selector (+masr_mut=K)
model     - the selector build of one configuration (invalid mutants dropped and rebuilt)
activation- which nightly runs reach a mutant's line (Verilator line coverage)
schedule  - runs each mutant's reaching tests, cheapest first, until the first failure
store     - append-only, resumable results per configuration
summary   - totals per module / operator, survivors, and the sign-off report section
"""
