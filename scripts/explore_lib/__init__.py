"""`make explore`: the MASR paper's figures regenerated from golden/ models and nightly RTL runs.

options  -- command-line options and their validation
studies  -- the numbers behind every figure (golden.perf, golden.eie, golden.eie_perf, energy)
rtl      -- RTL-measured points read from a nightly's summary.json files
figures  -- one matplotlib PNG per figure
page     -- the HTML page, the claims table and docs/explore.md's generated part
"""
