"""The GRU-layer pyuvm environment (docs/gru-layer.md); builds on tb.matvec (a GRU phase is a run of matrix-vector products)."""
