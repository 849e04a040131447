"""The matrix-vector pyuvm environment: one product per item (docs/architecture.md)."""
