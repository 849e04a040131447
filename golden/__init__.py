"""MASR golden model: configuration, numerics, encoder, matvec/GRU references, EIE baseline.

The contract these modules implement is docs/architecture.md; numerics are in docs/numerics.md.
"""

from golden.config import (
    BRINGUP_4X2, REGRESSION_8X8, HwConfig, LayerConfig, SlotRef, StealMode, act_segment,
    ceil_div, lane_row_of, max_slots_needed, neighbours, out_cycles, partition_bounds,
    partition_width, rep_start, replica_base, replica_rows, row_of, rows_of_lane, slot_layout,
    slots_needed, words_per_row,
)
from golden.eie import CscImage, compare_footprints, csc_footprint_bits, decode_csc, encode_csc
from golden.encode import (
    ActivationImage, MatvecImage, SlotInfo, decode_matvec, encode_activations, encode_matvec,
    masr_footprint_bits, random_sparse_layer,
)
from golden.errors import ImageError, SpecError
from golden.gru import (
    BiGruTrace, GruParamsF, GruParamsQ, GruTrace, bigru_layer_float, bigru_layer_q,
    dequantize_gru_params, encode_hidden, gru_error_bound, gru_error_bound_trajectory,
    gru_gates_q, gru_layer_float, gru_layer_q, image_matvec, quantize_gru_params,
    random_gru_params, sparsify,
)
from golden.matvec import (
    Op, lane_accumulators, lane_addresses, lane_ops, lane_partials, matvec_float,
    matvec_from_image, matvec_q,
)
from golden.numerics import (
    dequantize_weights, float_to_q88, q88_to_float, quantize_weights, requant, sat16,
    sigmoid_q88, tanh_q88, wrap32,
)

from types import ModuleType as _ModuleType

__all__ = [name for name, obj in dict(globals()).items()
           if not name.startswith("_") and not isinstance(obj, _ModuleType)]
