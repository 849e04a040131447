// MASR shared constants: the host-visible encodings of docs/architecture.md sections 5-7.
//
// Only fixed encodings live here. Array dimensions (H, V, B, ...) are module parameters so that
// one compiled package serves every configuration.
//
// Tool notes (why it looks like this):
//  - Icarus 11 rejects `int unsigned` as a parameter/localparam type (syntax error): counts are
//    `int`, encodings are sized `logic` vectors.
//  - No tool-neutral place for `import masr_pkg::*;`: Icarus 11 rejects it in a module header,
//    Yosys (read_verilog -sv) in a module body, and at file scope it fills $unit for every later
//    file (Verilator -Wall: IMPORTSTAR). So modules write `masr_pkg::NAME`, which every tool reads.
//  - Plain localparams rather than enums, so the RTL can compare them against register fields
//    without enum-cast noise in Verilator -Wall.
package masr_pkg;

  // ---------------------------------------------------------------------------------------------
  // Register map (section 6): word addresses on reg_addr_i[7:0]
  // ---------------------------------------------------------------------------------------------
  localparam int RegAddrW = 8;
  localparam int RegDataW = 32;

  localparam logic [7:0] REG_CTRL               = 8'h00;
  localparam logic [7:0] REG_STATUS             = 8'h01;
  localparam logic [7:0] REG_ERR_CODE           = 8'h02;
  localparam logic [7:0] REG_CFG_M              = 8'h03;
  localparam logic [7:0] REG_CFG_N              = 8'h04;
  localparam logic [7:0] REG_CFG_MODE           = 8'h05;
  localparam logic [7:0] REG_CFG_REP_ROWS       = 8'h06;
  localparam logic [7:0] REG_CFG_SHIFT          = 8'h07;
  localparam logic [7:0] REG_PERF_CYCLES        = 8'h08;
  localparam logic [7:0] REG_PERF_MAC_BUSY      = 8'h09;
  localparam logic [7:0] REG_PERF_STEAL_GRANTED = 8'h0A;
  localparam logic [7:0] REG_PERF_STEAL_REFUSED = 8'h0B;
  localparam logic [7:0] REG_PERF_STALL         = 8'h0C;
  localparam logic [7:0] REG_PERF_IDLE          = 8'h0D;
  localparam logic [7:0] REG_PERF_ROWS_DONE     = 8'h0E;
  localparam logic [7:0] REG_CAPS               = 8'h0F;
  localparam logic [7:0] REG_CAPS2              = 8'h10;
  localparam logic [7:0] REG_CAPS3              = 8'h11;
  localparam logic [7:0] REG_CFG_FEAT           = 8'h12;  // v2 feature enables (issue #12)
  // One past the last engine register: 0x13 .. 0x1F are unknown (ERR_REG on write, read 0).
  localparam logic [7:0] REG_NUM                = 8'h13;

  // GRU layer registers (docs/gru-layer.md 8.3).
  localparam logic [7:0] REG_CFG_GRU_I          = 8'h20;
  localparam logic [7:0] REG_CFG_GRU_HD         = 8'h21;
  localparam logic [7:0] REG_CFG_GRU_T          = 8'h22;
  localparam logic [7:0] REG_CFG_GRU_THR        = 8'h23;
  localparam logic [7:0] REG_CFG_GRU_DIR        = 8'h24;
  localparam logic [7:0] REG_GRU_STEPS          = 8'h25;
  localparam logic [7:0] REG_PERF_GRU_CYCLES    = 8'h26;
  localparam logic [7:0] REG_PERF_GRU_MAC_BUSY  = 8'h27;
  localparam logic [7:0] REG_PERF_GRU_STEALS    = 8'h28;
  localparam logic [7:0] REG_CAPS4              = 8'h29;
  localparam logic [7:0] REG_CAPS5              = 8'h2A;  // {28'd0, implemented CFG_FEAT bits}
  // One past the last register: anything >= this is unknown.
  localparam logic [7:0] REG_GRU_NUM            = 8'h2B;

  // CTRL bits (write-only, pulses).
  localparam int CTRL_START_BIT = 0;
  localparam int CTRL_CLEAR_BIT = 1;
  localparam int CTRL_GRU_X_BIT = 2;   // start a GRU X phase (docs/gru-layer.md 8.2)
  localparam int CTRL_GRU_H_BIT = 3;   // start a GRU H phase

  // STATUS bits.
  localparam int STATUS_BUSY_BIT  = 0;
  localparam int STATUS_DONE_BIT  = 1;
  localparam int STATUS_ERROR_BIT = 2;

  // CAPS[7:0] magic byte ('M').
  localparam logic [7:0] CAPS_MAGIC = 8'h4D;

  // ---------------------------------------------------------------------------------------------
  // Memory port (section 6 and docs/gru-layer.md 8.4): mem_sel_i[3:0]
  // ---------------------------------------------------------------------------------------------
  localparam int MemSelW = 4;

  localparam logic [3:0] MEM_MASK   = 4'd0;  // per lane,  unit = h*V + v
  localparam logic [3:0] MEM_ROWPTR = 4'd1;  // per lane
  localparam logic [3:0] MEM_WEIGHT = 4'd2;  // per lane
  localparam logic [3:0] MEM_AMASK  = 4'd3;  // per PE,    unit = g*V + v
  localparam logic [3:0] MEM_AVAL   = 4'd4;  // per PE
  localparam logic [3:0] MEM_BIAS   = 4'd5;  // global, unit ignored
  localparam logic [3:0] MEM_Y      = 4'd6;  // global, read-only
  localparam logic [3:0] MEM_STATS  = 4'd7;  // per lane, read-only
  localparam logic [3:0] MEM_XBUF   = 4'd8;  // GRU input sequence, RW, unit ignored
  localparam logic [3:0] MEM_HBUF   = 4'd9;  // GRU hidden state, RW
  localparam logic [3:0] MEM_GX     = 4'd10; // GRU W_ih x_t + b_ih per t, read-only
  localparam logic [3:0] MEM_HOUT   = 4'd11; // GRU layer output per t and direction, read-only
  localparam logic [3:0] MEM_STEP   = 4'd12; // GRU per-step statistics (32 bit), read-only
  localparam logic [3:0] MEM_PLAN   = 4'd13; // per lane: split plan registers base_0, base_1
  localparam int         PlanDepth  = 2;
  // Selects above this are ERR_MEM_RANGE.
  localparam logic [3:0] MEM_SEL_MAX = 4'd13;

  // STEP words per step (docs/gru-layer.md 8.4), word k of step s at address s*8 + k.
  localparam int StepWords = 8;
  localparam int STEP_PROD_CYCLES   = 0;
  localparam int STEP_MAC_BUSY      = 1;
  localparam int STEP_STEAL_GRANTED = 2;
  localparam int STEP_STEAL_REFUSED = 3;
  localparam int STEP_IDLE          = 4;
  localparam int STEP_ROWS_DONE     = 5;
  localparam int STEP_CYCLES        = 6;
  localparam int STEP_ACT_NNZ       = 7;

  // ---------------------------------------------------------------------------------------------
  // Steal modes (CFG_MODE)
  // ---------------------------------------------------------------------------------------------
  localparam int ModeW = 2;

  localparam logic [1:0] MODE_NONE       = 2'd0;
  localparam logic [1:0] MODE_VERTICAL   = 2'd1;
  localparam logic [1:0] MODE_HORIZONTAL = 2'd2;
  // CFG_MODE values above this are ERR_MODE.
  localparam logic [1:0] MODE_MAX        = 2'd2;

  // Activation register-file segments (section 3): own partition, v-1, v+1.
  localparam logic [1:0] SEG_OWN  = 2'd0;
  localparam logic [1:0] SEG_PREV = 2'd1;
  localparam logic [1:0] SEG_NEXT = 2'd2;

  // CFG_FEAT bits (docs/architecture.md section 6, docs/perf-model.md "v2 rules"). A start with
  // a bit above FeatW-1, ROW_SKIP or SCAN without NULL_SKIP, PREFETCH without OVERLAP, RUN_AHEAD
  // without PREFETCH, or a bit the build does not implement (masr_top parameter FEAT_IMPL,
  // reported in CAPS5) is ERR_MODE.
  localparam int FeatW = 8;

  localparam int FEAT_NULL_SKIP = 0;   // N1: null-word skip in the address generator
  localparam int FEAT_ROW_SKIP  = 1;   // N2: empty-row lookahead (needs NULL_SKIP)
  localparam int FEAT_OVERLAP   = 2;   // O1: overlapped output phase
  localparam int FEAT_SPLIT     = 3;   // split replica ranges
  localparam int FEAT_PREFETCH  = 4;   // X phase: encode x_{t+1} into a second RF set (needs OVERLAP)
  localparam int FEAT_WIDE_ENC  = 5;   // X phase: the encoder takes a whole mask word per cycle
  localparam int FEAT_RUN_AHEAD = 6;   // X phase: lanes run ahead into the next product (O2,
                                       // needs PREFETCH)
  localparam int FEAT_SCAN      = 7;   // N3: row scanner retires empty rows (needs NULL_SKIP)

  // Largest legal CFG_SHIFT.
  localparam int ShiftMax = 15;

  // Largest legal CFG_GRU_THR (Q8.8 magnitude) and CFG_GRU_DIR.
  localparam int ThrMax = 32767;
  localparam int DirMax = 1;

  // ---------------------------------------------------------------------------------------------
  // Error codes (section 7), ERR_CODE register
  // ---------------------------------------------------------------------------------------------
  localparam int ErrW = 4;

  localparam logic [3:0] ERR_OK         = 4'd0;
  localparam logic [3:0] ERR_DIM        = 4'd1;
  localparam logic [3:0] ERR_MODE       = 4'd2;
  localparam logic [3:0] ERR_SLOTS      = 4'd3;
  localparam logic [3:0] ERR_BUSY_START = 4'd4;
  localparam logic [3:0] ERR_BUSY_MEM   = 4'd5;
  localparam logic [3:0] ERR_MEM_RANGE  = 4'd6;
  localparam logic [3:0] ERR_WPTR       = 4'd7;
  localparam logic [3:0] ERR_REG        = 4'd8;
  localparam logic [3:0] ERR_SEQ_LEN    = 4'd9;   // GRU start: T = 0 or T > T_MAX
  localparam logic [3:0] ERR_THR        = 4'd10;  // GRU start: CFG_GRU_THR > 32767
  localparam logic [3:0] ERR_GRU_DIM    = 4'd11;  // GRU start: I or Hd out of range
  localparam logic [3:0] ERR_CMD        = 4'd12;  // more than one start bit in one CTRL write

  // ---------------------------------------------------------------------------------------------
  // Per-lane statistics (mem_sel = MEM_STATS), section 6
  // ---------------------------------------------------------------------------------------------
  localparam logic [15:0] STAT_MAC_BUSY    = 16'd0;
  localparam logic [15:0] STAT_ROWS_OWN    = 16'd1;
  localparam logic [15:0] STAT_ROWS_STOLEN = 16'd2;
  localparam logic [15:0] STAT_ROWS_LOST   = 16'd3;
  localparam logic [15:0] STAT_REFUSED     = 16'd4;
  localparam logic [15:0] STAT_IDLE        = 16'd5;
  localparam logic [15:0] STAT_FLAGS       = 16'd6;
  localparam logic [15:0] STAT_NUM         = 16'd7;  // addresses >= this are ERR_MEM_RANGE

  // Events a lane reports each cycle for the PERF_* sums (masr_perf_stats), with its product's
  // parity: a MAC pop, an owner claim or N2 retire, a granted steal, a refused steal request, an
  // idle cycle, a queue-full stall.
  localparam int STAT_EV_MAC     = 0;
  localparam int STAT_EV_OWN     = 1;
  localparam int STAT_EV_STOLEN  = 2;
  localparam int STAT_EV_REFUSED = 3;
  localparam int STAT_EV_IDLE    = 4;
  localparam int STAT_EV_STALL   = 5;
  localparam int STAT_EV_NUM     = 6;

  // FLAGS bit positions (sticky, cleared at start).
  localparam int FlagsW = 9;

  localparam int FLAG_DUAL_THIEF         = 0;
  localparam int FLAG_LAST_ROW_RACE      = 1;
  localparam int FLAG_REFUSED_EXHAUSTED  = 2;
  localparam int FLAG_REFUSED_DONE       = 3;
  localparam int FLAG_VICTIM_THEN_THIEF  = 4;
  localparam int FLAG_ZERO_WORK_STEAL    = 5;
  localparam int FLAG_STOLE_PREV         = 6;
  localparam int FLAG_STOLE_NEXT         = 7;
  localparam int FLAG_REFUSED_CONTENTION = 8;

  // Refusal reasons reported by masr_steal_arb (refuse_reason_o): the victim's state after the
  // cycle's grants. They map one-to-one onto FLAGS bits 8, 2 and 3 of the refused thief.
  localparam logic [1:0] REFUSE_CONTENTION = 2'd0;  // stealable rows left: another thief won
  localparam logic [1:0] REFUSE_EXHAUSTED  = 2'd1;  // own rows left, none stealable
  localparam logic [1:0] REFUSE_DONE       = 2'd2;  // no rows left

endpackage
