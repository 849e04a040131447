"""Exception types shared by the golden model.

Every validation failure raises :class:`SpecError` (a ``ValueError``) with a message that names
the offending field, its value and the limit it broke, so a failing test or a testbench log says
exactly what is wrong without a debugger.
"""


class SpecError(ValueError):
    """A configuration, shape, dtype, value range or capacity violates the contract."""


class ImageError(SpecError):
    """A memory image is internally inconsistent (corrupt rowptr, replica mismatch, ...)."""
