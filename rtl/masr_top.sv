// MASR sparse matrix-vector engine, top level (docs/architecture.md sections 5, 6 and 7).
//
//   register file + error checks ─> FSM idle -> compute -> output -> idle (done)
//                                          │          │
//                                   masr_array    bias SRAM, requantize, y banks
//
// - Register bus: combinational read of reg_addr_i, write on reg_we_i (section 6).
// - Memory port: one access per cycle; read data valid in the cycle after mem_re_i (0 in other
//   cycles). The read request (select, unit, address) is registered and the memories are read
//   combinationally at the registered address in the next cycle. Reading at a top-level input
//   directly would put every SRAM read port - and, through the packed multi-port rdata vectors,
//   the whole address generator / claim / MAC logic of every lane - into Verilator's
//   input-combinational region, re-evaluated on every eval (measured 8x8: ~8 k cycles/s).
//   Accesses while busy set ERR_BUSY_MEM, out-of-range accesses and writes to y / lane stats set
//   ERR_MEM_RANGE; both are ignored (a read returns 0). Narrow memories take the low bits of
//   mem_wdata_i; reads return the raw word zero-extended to 32 bits.
// - A start with an illegal configuration sets its error code and done, and changes nothing else.
//   A weight address >= WDEPTH (ERR_WPTR) aborts the product: every lane stops, the output phase
//   is skipped and done rises after one drain cycle (used to latch the counters).
// - The y memory is H banks (bank h holds rows i*H + h at address i) so that the output phase
//   writes all H rows of a block in one cycle; the host sees one flat y[0..M_MAX-1].
// - GRU layer (docs/gru-layer.md): CTRL bits 2/3 start an X / H phase of masr_gru_seq, which then
//   starts the products itself (M = 3Hd, N = I or Hd; mode, rep_rows and shift latched at the
//   phase start), rewrites the activation RFs through masr_act_encoder between products and
//   takes the output-phase writes of y into GX / GH. STATUS.busy covers the whole phase; done and
//   irq come once, at its end. Plain products (CTRL bit 0) are unchanged.
`include "masr_assert.svh"

module masr_top #(
  parameter int H      = 4,
  parameter int V      = 2,
  parameter int B      = 16,
  parameter int G      = 2,
  parameter int M_MAX  = 64,
  parameter int N_MAX  = 64,
  parameter int SLOTS  = 32,
  parameter int WDEPTH = 512,
  parameter int QDEPTH = 8,
  parameter int T_MAX  = 32,     // GRU: max sequence length
  // CFG_FEAT bits this build implements (CAPS5); setting any other bit is ERR_MODE.
  // An int, not a FeatW-bit vector, so -GFEAT_IMPL=11 from a command line is not a truncation;
  // bits above FeatW are rejected by FeatImplFits_A.
  parameter int FEAT_IMPL = 32'hFF,
  // Derived, do not override.
  localparam int P_MAX    = (N_MAX + V - 1) / V,
  localparam int KW_MAX   = (P_MAX + B - 1) / B,
  localparam int R_MAX    = (M_MAX + H - 1) / H,
  localparam int MDEPTH   = SLOTS * KW_MAX,
  localparam int NL       = H * V,
  localparam int NP       = (H / G) * V,
  localparam int RowW     = $clog2(R_MAX + 1),
  localparam int IdxW     = (R_MAX > 1) ? $clog2(R_MAX) : 1,   // output block index
  localparam int StatW    = 32,
  localparam int NumStats = 7,                 // the lane statistics (section 6)
  localparam int NumEv    = masr_pkg::STAT_EV_NUM,
  localparam int HD_MAX   = (M_MAX / 3 < N_MAX) ? M_MAX / 3 : N_MAX,   // GRU: max hidden size
  localparam int AmAddrW  = $clog2(3 * KW_MAX),
  localparam int AvAddrW  = $clog2(3 * P_MAX),
  localparam int NW       = $clog2(N_MAX + 1),
  localparam int HdW      = $clog2(HD_MAX + 1),
  localparam int TW       = $clog2(T_MAX + 1),
  // The CFG_FEAT bits a start may set (CAPS5): FEAT_IMPL, without NULL_SKIP / ROW_SKIP / SPLIT /
  // RUN_AHEAD / SCAN when QDEPTH < 2 (the v2 product rules and run-ahead assume an AG that never
  // stalls; the other GRU sequencing bits keep the v1 product rules and stay).
  localparam logic [masr_pkg::FeatW-1:0] FeatAvail =
      (QDEPTH >= 2) ? masr_pkg::FeatW'(FEAT_IMPL) : (masr_pkg::FeatW'(FEAT_IMPL) & 8'b00110100),
  // OVERLAP needs a second accumulator bank in every lane.
  localparam int AccBanks = ((FEAT_IMPL >> masr_pkg::FEAT_OVERLAP) % 2 == 1) ? 2 : 1,
  // PREFETCH needs a second set of activation RFs in every PE.
  localparam int ActSets = ((FEAT_IMPL >> masr_pkg::FEAT_PREFETCH) % 2 == 1) ? 2 : 1,
  // WIDE_ENC: the encoder's word mode, B value write ports per activation value RF.
  localparam bit EncWide = ((FEAT_IMPL >> masr_pkg::FEAT_WIDE_ENC) % 2 == 1),
  localparam int EncW    = EncWide ? B : 1,
  // RUN_AHEAD: a second bank of PERF_* sums (masr_perf_stats), for two products in flight.
  localparam bit RaBuild = ((FEAT_IMPL >> masr_pkg::FEAT_RUN_AHEAD) % 2 == 1),
  // SCAN: a row scanner per lane (KW_MAX more mask and activation-mask read ports).
  localparam bit ScanBuild = ((FEAT_IMPL >> masr_pkg::FEAT_SCAN) % 2 == 1),
  localparam int EncOffW = (EncW > 1) ? $clog2(EncW) : 1
) (
  input  logic        clk_i,
  input  logic        rst_ni,

  input  logic [7:0]  reg_addr_i,
  input  logic [31:0] reg_wdata_i,
  input  logic        reg_we_i,
  output logic [31:0] reg_rdata_o,

  input  logic [3:0]  mem_sel_i,
  input  logic [15:0] mem_unit_i,
  input  logic [15:0] mem_addr_i,
  input  logic [31:0] mem_wdata_i,
  input  logic        mem_we_i,
  input  logic        mem_re_i,
  output logic [31:0] mem_rdata_o,

  input  logic        bd_load_i,
  input  logic        bd_dump_i,     // simulation-only result dump, rising edge (section 6)
  input  logic        bd_dump_gru_i, // simulation-only GRU memory dump, rising edge (GRU 8.4)
  output logic        done_o,
  output logic        irq_o
);

  localparam int BiasAW = (M_MAX > 1) ? $clog2(M_MAX) : 1;

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------
  // OVERLAP (X phase of a GRU layer only, docs/gru-layer.md 8.6): the next product may start in
  // StOutput; its compute then runs beside the previous product's output phase (StCompOut). Every
  // row costs its lane a cycle (a claim or an N2 retire), so a compute phase lasts at least
  // ceil(M/H) cycles, as long as an output phase: the output phase always ends first (asserted),
  // and no product ever waits for a bank or for the output unit.
  typedef enum logic [2:0] {
    StIdle    = 3'd0,
    StCompute = 3'd1,
    StOutput  = 3'd2,
    StDrain   = 3'd3,    // one cycle after an ERR_WPTR abort
    StCompOut = 3'd4,    // compute of product p+1 while product p drains
    StAhead   = 3'd5     // run-ahead X phase: lanes compute products ce_q .. ent_q-1, the output
                         // unit drains products dn_q .. ce_q-1 in order
  } state_e;

  state_e          state_q, state_d;
  logic [31:0]     cfg_m_q, cfg_n_q, cfg_mode_q, cfg_rep_q, cfg_shift_q, cfg_feat_q;
  logic [masr_pkg::FeatW-1:0] seq_feat_q;  // CFG_FEAT latched at a GRU phase start
  logic [3:0]      err_q, err_d;
  logic            done_q, done_d, irq_q;
  logic [IdxW-1:0] out_idx_q, out_last_q;
  logic [15:0]     run_m_q;        // M of the running product
  logic [3:0]      run_shift_q;    // S of the running product
  logic [31:0]     perf_cycles_q;
  logic [31:0]     perf_mac_q, perf_gnt_q, perf_ref_q, perf_stall_q, perf_idle_q, perf_rows_q;
  logic            snap_q;         // latch the PERF_* sums at the end of this cycle
  logic            aborted_q;      // the running product hit ERR_WPTR
  logic            run_ovl_q;      // the running product overlaps its output phase (OVERLAP)
  logic            bank_q;         // accumulator bank of the latest product
  logic            seq_x_q;        // the running GRU phase is an X phase
  logic            rd_valid_q;     // a legal read was requested in the previous cycle
  logic [3:0]      rd_sel_q;
  logic [15:0]     rd_unit_q, rd_addr_q;
  logic [31:0]     cfg_gru_i_q, cfg_gru_hd_q, cfg_gru_t_q, cfg_gru_thr_q, cfg_gru_dir_q;
  // Run-ahead bookkeeping (products by index; lanes and queue entries carry index mod 4 / 2).
  logic            ra_q;           // the latest start ran ahead: the phase's products do
  logic [TW-1:0]   ra_t_q;         // T of the phase
  logic [TW-1:0]   ce_q;           // products whose compute has ended (ce_q: the oldest running)
  logic [TW-1:0]   open_q;         // the latest product lanes may enter
  logic [TW-1:0]   ent_q;          // products some lane has entered
  logic [TW-1:0]   dn_q;           // products whose output phase has ended
  logic [31:0]     ra_cyc_q;       // engine cycle: 0 = product 0's first compute cycle
  logic [31:0]     first_q [2];    // first claim cycle of the products in flight, by parity
  logic            ra_b0_q;        // accumulator bank of product 0
  logic            snap_par;       // parity of the product whose counters are latched now

  logic busy, eng_busy, seq_busy, seq_end, run, cend, abort, all_finished, err_wptr, slots_err;
  logic draining, out_prev, ovl, pre, wide, ra, ra_drain;
  assign eng_busy = (state_q != StIdle);
  assign busy     = eng_busy || seq_busy;     // STATUS.busy: a product or a GRU phase
  assign run      = (state_q == StCompute) || (state_q == StCompOut) ||
                    ((state_q == StAhead) && (ce_q != ra_t_q));
  assign draining = (state_q == StOutput) || (state_q == StCompOut) || ra_drain;
  // The output phase running now is the one of the product before the latest.
  assign out_prev = (state_q == StCompOut);
  // Products started now overlap: an X phase with CFG_FEAT.OVERLAP (independent products).
  assign ovl      = seq_busy && seq_x_q && seq_feat_q[masr_pkg::FEAT_OVERLAP];
  // ... and x_{t+1} is encoded into the other activation RF set while product t computes.
  assign pre      = ovl && seq_feat_q[masr_pkg::FEAT_PREFETCH];
  // An X phase whose encoder takes a mask word of x_t per cycle.
  assign wide     = seq_busy && seq_x_q && seq_feat_q[masr_pkg::FEAT_WIDE_ENC];
  // ... whose lanes run ahead through its products (needs PREFETCH's second RF set).
  assign ra       = pre && seq_feat_q[masr_pkg::FEAT_RUN_AHEAD];

  // ---------------------------------------------------------------------------------------------
  // Register writes and start checks (section 7)
  // ---------------------------------------------------------------------------------------------
  logic wr_ctrl, start_req, clear_req, wr_cfg, wr_feat, wr_gru_cfg, wr_bad;
  logic req_plain, req_x, req_h, gru_req, multi_start;
  logic dim_bad, mode_bad, feat_bad, gru_dim_bad, seq_len_bad, thr_bad, gru_mode_bad;
  logic start_go, gru_go, start_fail;
  logic [3:0] start_code;

  assign wr_ctrl     = reg_we_i && (reg_addr_i == masr_pkg::REG_CTRL);
  assign req_plain   = wr_ctrl && reg_wdata_i[masr_pkg::CTRL_START_BIT];
  assign req_x       = wr_ctrl && reg_wdata_i[masr_pkg::CTRL_GRU_X_BIT];
  assign req_h       = wr_ctrl && reg_wdata_i[masr_pkg::CTRL_GRU_H_BIT];
  assign gru_req     = req_x || req_h;
  assign start_req   = req_plain || gru_req;
  assign multi_start = (32'(req_plain) + 32'(req_x) + 32'(req_h)) > 32'd1;
  assign clear_req   = wr_ctrl && reg_wdata_i[masr_pkg::CTRL_CLEAR_BIT];
  assign wr_cfg      = reg_we_i && (reg_addr_i >= masr_pkg::REG_CFG_M) &&
                       (reg_addr_i <= masr_pkg::REG_CFG_SHIFT);
  assign wr_feat     = reg_we_i && (reg_addr_i == masr_pkg::REG_CFG_FEAT);
  assign wr_gru_cfg  = reg_we_i && (reg_addr_i >= masr_pkg::REG_CFG_GRU_I) &&
                       (reg_addr_i <= masr_pkg::REG_CFG_GRU_DIR);
  // Read-only or unknown register (0x13 .. 0x1F and >= REG_GRU_NUM are unknown).
  assign wr_bad      = reg_we_i && !wr_ctrl && !wr_cfg && !wr_feat && !wr_gru_cfg;

  assign dim_bad  = (cfg_m_q == '0) || (cfg_n_q == '0) || (cfg_m_q > 32'(M_MAX)) ||
                    (cfg_n_q > 32'(N_MAX));
  // CFG_FEAT (full 32-bit value): an undefined bit, ROW_SKIP or SCAN without NULL_SKIP, PREFETCH
  // without OVERLAP, RUN_AHEAD without PREFETCH, or a bit this build does not implement.
  assign feat_bad = (cfg_feat_q[31:masr_pkg::FeatW] != '0) ||
                    (cfg_feat_q[masr_pkg::FEAT_ROW_SKIP] && !cfg_feat_q[masr_pkg::FEAT_NULL_SKIP]) ||
                    (cfg_feat_q[masr_pkg::FEAT_SCAN] && !cfg_feat_q[masr_pkg::FEAT_NULL_SKIP]) ||
                    (cfg_feat_q[masr_pkg::FEAT_PREFETCH] && !cfg_feat_q[masr_pkg::FEAT_OVERLAP]) ||
                    (cfg_feat_q[masr_pkg::FEAT_RUN_AHEAD] && !cfg_feat_q[masr_pkg::FEAT_PREFETCH]) ||
                    ((cfg_feat_q[masr_pkg::FeatW-1:0] & ~FeatAvail) != '0);
  assign mode_bad = (cfg_mode_q > 32'(masr_pkg::MODE_MAX)) ||
                    (cfg_shift_q > 32'(masr_pkg::ShiftMax)) || feat_bad;

  // GRU start checks (docs/gru-layer.md 8.5), on the full 32-bit register values.
  assign gru_dim_bad  = (cfg_gru_i_q == '0) || (cfg_gru_i_q > 32'(N_MAX)) ||
                        (cfg_gru_hd_q == '0) || (cfg_gru_hd_q > 32'(HD_MAX));
  assign seq_len_bad  = (cfg_gru_t_q == '0) || (cfg_gru_t_q > 32'(T_MAX));
  assign thr_bad      = (cfg_gru_thr_q > 32'(masr_pkg::ThrMax));
  // SPLIT is legal: a phase runs one matrix (its image, plan registers included, is loaded
  // before the phase), and every product of the phase starts with that plan.
  assign gru_mode_bad = mode_bad || (cfg_gru_dir_q > 32'(masr_pkg::DirMax));

  // Check order: busy, then (plain start) dim, mode, slots; (GRU start) ERR_CMD, dim, T,
  // threshold, mode, slots (the array evaluates the slots for M = 3Hd during a GRU request).
  always_comb begin
    if (busy)                 start_code = masr_pkg::ERR_BUSY_START;
    else if (multi_start)     start_code = masr_pkg::ERR_CMD;
    else if (gru_req) begin
      if (gru_dim_bad)        start_code = masr_pkg::ERR_GRU_DIM;
      else if (seq_len_bad)   start_code = masr_pkg::ERR_SEQ_LEN;
      else if (thr_bad)       start_code = masr_pkg::ERR_THR;
      else if (gru_mode_bad)  start_code = masr_pkg::ERR_MODE;
      else if (slots_err)     start_code = masr_pkg::ERR_SLOTS;
      else                    start_code = masr_pkg::ERR_OK;
    end
    else if (dim_bad)         start_code = masr_pkg::ERR_DIM;
    else if (mode_bad)        start_code = masr_pkg::ERR_MODE;
    else if (slots_err)       start_code = masr_pkg::ERR_SLOTS;
    else                      start_code = masr_pkg::ERR_OK;
  end
  assign start_go   = req_plain && !gru_req && (start_code == masr_pkg::ERR_OK);
  assign gru_go     = gru_req && (start_code == masr_pkg::ERR_OK);
  assign start_fail = start_req && !busy && (start_code != masr_pkg::ERR_OK);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cfg_m_q     <= '0;
      cfg_n_q     <= '0;
      cfg_mode_q  <= '0;
      cfg_rep_q   <= '0;
      cfg_shift_q <= 32'd6;
    end else if (wr_cfg) begin
      case (reg_addr_i)
        masr_pkg::REG_CFG_M:        cfg_m_q     <= reg_wdata_i;
        masr_pkg::REG_CFG_N:        cfg_n_q     <= reg_wdata_i;
        masr_pkg::REG_CFG_MODE:     cfg_mode_q  <= reg_wdata_i;
        masr_pkg::REG_CFG_REP_ROWS: cfg_rep_q   <= reg_wdata_i;
        default:                    cfg_shift_q <= reg_wdata_i;   // REG_CFG_SHIFT
      endcase
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cfg_feat_q <= '0;
    end else if (wr_feat) begin
      cfg_feat_q <= reg_wdata_i;
    end
  end

  // A GRU phase's products use the CFG_FEAT value of the phase start (like mode, rep_rows and
  // shift, which the sequencer latches).
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      seq_feat_q <= '0;
      seq_x_q    <= 1'b0;
      ra_t_q     <= '0;
    end else if (gru_go) begin
      seq_feat_q <= cfg_feat_q[masr_pkg::FeatW-1:0];
      seq_x_q    <= req_x;
      ra_t_q     <= cfg_gru_t_q[TW-1:0];   // T (checked legal), for run-ahead
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cfg_gru_i_q   <= '0;
      cfg_gru_hd_q  <= '0;
      cfg_gru_t_q   <= '0;
      cfg_gru_thr_q <= '0;
      cfg_gru_dir_q <= '0;
    end else if (wr_gru_cfg) begin
      case (reg_addr_i)
        masr_pkg::REG_CFG_GRU_I:   cfg_gru_i_q   <= reg_wdata_i;
        masr_pkg::REG_CFG_GRU_HD:  cfg_gru_hd_q  <= reg_wdata_i;
        masr_pkg::REG_CFG_GRU_T:   cfg_gru_t_q   <= reg_wdata_i;
        masr_pkg::REG_CFG_GRU_THR: cfg_gru_thr_q <= reg_wdata_i;
        default:                   cfg_gru_dir_q <= reg_wdata_i;  // REG_CFG_GRU_DIR
      endcase
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Memory port checks
  // ---------------------------------------------------------------------------------------------
  logic mem_acc, unit_ok, addr_ok, ro_write, mem_ok, fd_we, fd_re;

  assign mem_acc  = mem_we_i || mem_re_i;
  assign ro_write = mem_we_i && ((mem_sel_i == masr_pkg::MEM_Y) ||
                                 (mem_sel_i == masr_pkg::MEM_STATS) ||
                                 (mem_sel_i == masr_pkg::MEM_GX) ||
                                 (mem_sel_i == masr_pkg::MEM_HOUT) ||
                                 (mem_sel_i == masr_pkg::MEM_STEP));

  // The unit and address zero-extended to 32 bits, for compares against the integer limits.
  logic [31:0] unit32, addr32;
  assign unit32 = 32'(mem_unit_i);
  assign addr32 = 32'(mem_addr_i);

  always_comb begin
    case (mem_sel_i)
      masr_pkg::MEM_MASK:   begin unit_ok = unit32 < NL; addr_ok = addr32 < MDEPTH;            end
      masr_pkg::MEM_ROWPTR: begin unit_ok = unit32 < NL; addr_ok = addr32 < SLOTS;             end
      masr_pkg::MEM_WEIGHT: begin unit_ok = unit32 < NL; addr_ok = addr32 < WDEPTH;            end
      masr_pkg::MEM_AMASK:  begin unit_ok = unit32 < NP; addr_ok = addr32 < 3*KW_MAX;          end
      masr_pkg::MEM_AVAL:   begin unit_ok = unit32 < NP; addr_ok = addr32 < 3*P_MAX;           end
      masr_pkg::MEM_BIAS:   begin unit_ok = 1'b1;        addr_ok = addr32 < M_MAX;             end
      masr_pkg::MEM_Y:      begin unit_ok = 1'b1;        addr_ok = addr32 < M_MAX;             end
      masr_pkg::MEM_STATS:  begin unit_ok = unit32 < NL;
                                  addr_ok = mem_addr_i < masr_pkg::STAT_NUM;                 end
      masr_pkg::MEM_XBUF:   begin unit_ok = 1'b1;        addr_ok = addr32 < T_MAX * N_MAX;     end
      masr_pkg::MEM_HBUF:   begin unit_ok = 1'b1;        addr_ok = addr32 < HD_MAX;            end
      masr_pkg::MEM_GX:     begin unit_ok = 1'b1;        addr_ok = addr32 < T_MAX * M_MAX;     end
      masr_pkg::MEM_HOUT:   begin unit_ok = 1'b1;        addr_ok = addr32 < T_MAX * 2 * HD_MAX; end
      masr_pkg::MEM_STEP:   begin unit_ok = 1'b1;
                                  addr_ok = addr32 < T_MAX * masr_pkg::StepWords;            end
      // Split plan registers: a base above R_MAX can never be legal, refuse it at the port.
      masr_pkg::MEM_PLAN:   begin unit_ok = unit32 < NL;
                                  addr_ok = addr32 < masr_pkg::PlanDepth &&
                                            (!mem_we_i || mem_wdata_i <= 32'(R_MAX));        end
      default:              begin unit_ok = 1'b1;        addr_ok = 1'b0;                       end
    endcase
  end

  assign mem_ok = unit_ok && addr_ok && !ro_write;
  assign fd_we  = mem_we_i && !busy && mem_ok;
  assign fd_re  = mem_re_i && !busy && mem_ok;

  // (Decoded into named signals, not inside port-connection expressions: with a package import,
  // Icarus 11 declared implicit nets for names there.)
  logic fd_y_re, fd_bias_we, fd_bias_re;
  assign fd_y_re    = rd_valid_q && (rd_sel_q == masr_pkg::MEM_Y);
  assign fd_bias_we = fd_we && (mem_sel_i == masr_pkg::MEM_BIAS);
  assign fd_bias_re = rd_valid_q && (rd_sel_q == masr_pkg::MEM_BIAS);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_valid_q <= 1'b0;
      rd_sel_q   <= '0;
      rd_unit_q  <= '0;
      rd_addr_q  <= '0;
    end else begin
      rd_valid_q <= fd_re;
      if (mem_re_i) begin
        rd_sel_q  <= mem_sel_i;
        rd_unit_q <= mem_unit_i;
        rd_addr_q <= mem_addr_i;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Error code: sticky, first error wins; within one cycle the lowest code wins
  // ---------------------------------------------------------------------------------------------
  logic [3:0] new_err;

  always_comb begin
    new_err = masr_pkg::ERR_OK;
    if (start_req && (start_code != masr_pkg::ERR_OK)) new_err = start_code;        // 1..4
    else if (mem_acc && busy)                new_err = masr_pkg::ERR_BUSY_MEM;      // 5
    else if (mem_acc && !mem_ok)             new_err = masr_pkg::ERR_MEM_RANGE;     // 6
    else if (abort)                          new_err = masr_pkg::ERR_WPTR;          // 7
    else if (wr_bad)                         new_err = masr_pkg::ERR_REG;           // 8
  end

  always_comb begin
    err_d = clear_req ? masr_pkg::ERR_OK : err_q;
    if (err_d == masr_pkg::ERR_OK) begin
      err_d = new_err;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Engine FSM
  // ---------------------------------------------------------------------------------------------
  logic out_done, own_done, eng_ready, eng_start, seq_prod_start;
  logic [15:0] eng_m;          // M of a product started now (CFG_M, or 3Hd in a GRU phase)
  logic [3:0]  eng_shift;
  logic [15:0] seq_run_m, seq_run_n;
  logic [1:0]  seq_run_mode;
  logic [RowW-1:0] seq_run_rep;
  logic [3:0]  seq_run_shift;

  // A product starts from the host (plain CTRL.start) or from the GRU sequencer.
  assign eng_start = start_go || seq_prod_start;
  assign eng_m     = seq_busy ? seq_run_m : cfg_m_q[15:0];
  assign eng_shift = seq_busy ? seq_run_shift : cfg_shift_q[3:0];

  assign abort    = run && err_wptr;
  assign cend     = run && all_finished && !err_wptr;
  assign out_done = draining && (out_idx_q == out_last_q);
  // The last output cycle of the latest product (in StOutput nothing computes), or of a
  // run-ahead phase's last product.
  assign own_done = out_done && ((state_q == StOutput) ||
                                 ((state_q == StAhead) && (dn_q == ra_t_q - TW'(1))));
  // A product may start: idle, or (OVERLAP) while the latest product drains, whose bank is not
  // the one the new product computes into.
  assign eng_ready = (state_q == StIdle) || ((state_q == StOutput) && ovl);

  always_comb begin
    state_d = state_q;
    case (state_q)
      StIdle: begin
        if (eng_start && ra)  state_d = StAhead;
        else if (eng_start)   state_d = StCompute;
      end
      StCompute: if (abort) state_d = StDrain; else if (cend) state_d = StOutput;
      StOutput: begin
        if (eng_start) begin if (out_done) state_d = StCompute; else state_d = StCompOut; end
        else if (out_done) state_d = StIdle;
      end
      StCompOut: begin
        if (abort)         state_d = StDrain;      // the running output phase is cut short
        else if (out_done) state_d = StCompute;    // always before cend (ComputeOutlastsOutput_A)
      end
      StAhead: begin
        if (abort)         state_d = StDrain;
        else if (own_done) state_d = StIdle;       // the last product's output phase has ended
      end
      default:   state_d = StIdle;                                        // StDrain
    endcase
  end

  // done: once per plain product or per GRU phase (not after the phase's inner products); an
  // ERR_WPTR abort ends a plain product and a whole phase alike (drain cycle).
  always_comb begin
    done_d = clear_req ? 1'b0 : done_q;
    if (start_go || gru_go) begin
      done_d = 1'b0;
    end else if (start_fail || (out_done && !seq_busy) || (state_q == StDrain) || seq_end) begin
      done_d = 1'b1;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q       <= StIdle;
      err_q         <= masr_pkg::ERR_OK;
      done_q        <= 1'b0;
      irq_q         <= 1'b0;
      out_idx_q     <= '0;
      out_last_q    <= '0;
      run_m_q       <= '0;
      run_shift_q   <= '0;
      perf_cycles_q <= '0;
      snap_q        <= 1'b0;
      aborted_q     <= 1'b0;
      run_ovl_q     <= 1'b0;
      bank_q        <= 1'b0;
    end else begin
      state_q <= state_d;
      err_q   <= err_d;
      done_q  <= done_d;
      irq_q   <= done_d && !done_q;
      snap_q  <= cend || abort;
      // The output block index runs through every output phase and restarts after each (an
      // overlapped start must not disturb the drain in progress); an abort cuts it short.
      if (out_done || (state_q == StDrain)) begin
        out_idx_q <= '0;
      end else if (draining) begin
        out_idx_q <= out_idx_q + 1'b1;
      end
      if (eng_start) begin
        // ceil_div(M, H) output cycles: the last block index is ceil_div(M, H) - 1. (M and S
        // are the same for every product of a phase, so an overlapped start leaves the drain of
        // the previous product as it is.)
        out_last_q    <= IdxW'((eng_m + 16'(H - 1)) / 16'(H) - 16'd1);
        run_m_q       <= eng_m;
        run_shift_q   <= eng_shift;
        perf_cycles_q <= '0;
        aborted_q     <= 1'b0;
        run_ovl_q     <= ovl;
        bank_q        <= ovl && !bank_q;
      end else if (ra_q) begin
        // Run-ahead: a product's PERF_CYCLES is completed in the cycle after its last compute
        // cycle, from its first claim cycle, plus its ceil_div(M, H) output cycles (an abort:
        // the oldest running product's compute cycles up to and including the aborting one).
        if (snap_q) begin
          perf_cycles_q <= ra_cyc_q - first_q[snap_par] +
                           (aborted_q ? 32'd0 : 32'd1 + 32'(out_last_q));
        end
        if (abort) begin
          aborted_q <= 1'b1;
        end
      end else begin
        // PERF_CYCLES = compute + output cycles in both cases; an overlapped product adds its
        // ceil_div(M, H) output cycles at the end of its compute phase, so the count is final
        // when the sequencer writes the STEP words, before its output phase.
        if (cend && run_ovl_q) begin
          perf_cycles_q <= perf_cycles_q + 32'd2 + 32'(out_last_q);
        end else if (run || ((state_q == StOutput) && !run_ovl_q)) begin
          perf_cycles_q <= perf_cycles_q + 32'd1;
        end
        if (abort) begin
          aborted_q <= 1'b1;
        end
      end
    end
  end

  assign done_o = done_q;
  assign irq_o  = irq_q;

  // ---------------------------------------------------------------------------------------------
  // Run-ahead (CFG_FEAT.RUN_AHEAD in an X phase with PREFETCH; docs/gru-layer.md 8.6). Product 0
  // starts every lane as a plain start does; then each lane moves on by itself (masr_lane). Gates
  // open in product order: product q may be entered once x_q is encoded (its done cycle is this
  // one or earlier) and product q-2's output phase has ended or ends now (q's accumulator bank).
  // Lanes are in the latest open product or the one before (asserted). A product's compute ends
  // in the first cycle in which every lane is clear of it (entered, nothing left, no op queued),
  // oldest first; its output phase follows once the previous one has ended.
  // ---------------------------------------------------------------------------------------------
  logic [NL-1:0]   lane_enter;
  logic [NL*2-1:0] lane_pid;
  logic [TW:0]     seq_xdone;      // vectors of x encoded up to this cycle (sequencer)
  logic [TW:0]     next_q1;        // open_q + 1
  logic            gate, open_last, first_entry, bank_free;

  assign ra_drain  = (state_q == StAhead) && (dn_q != ce_q);
  assign next_q1   = {1'b0, open_q} + 1'b1;
  // Product open_q - 1 (the one whose bank product open_q + 1 reuses) has drained, or does now.
  assign bank_free = (open_q == '0) || ((open_q - TW'(1)) < dn_q) ||
                     (((open_q - TW'(1)) == dn_q) && out_done);
  assign gate      = (state_q == StAhead) && run && (next_q1 < {1'b0, ra_t_q}) &&
                     (next_q1 < seq_xdone) && bank_free;
  assign open_last = (open_q == ra_t_q - TW'(1));
  // The first lane to enter product ent_q (from ent_q - 1).
  always_comb begin
    first_entry = 1'b0;
    for (int l = 0; l < NL; l++) begin
      if (lane_enter[l] && (lane_pid[l*2 +: 2] == 2'(ent_q - TW'(1)))) begin
        first_entry = 1'b1;
      end
    end
  end
  assign snap_par = aborted_q ? ce_q[0] : !ce_q[0];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ra_q     <= 1'b0;
      ce_q     <= '0;
      open_q   <= '0;
      ent_q    <= '0;
      dn_q     <= '0;
      ra_cyc_q <= '0;
      first_q[0] <= '0;
      first_q[1] <= '0;
      ra_b0_q  <= 1'b0;
    end else if (eng_start) begin
      ra_q     <= ra;
      ce_q     <= '0;
      open_q   <= '0;
      ent_q    <= TW'(1);                  // every lane is in product 0
      dn_q     <= '0;
      ra_cyc_q <= '0;
      first_q[0] <= '0;
      ra_b0_q  <= ovl && !bank_q;          // acc_wbank: the bank product 0 computes into
    end else if (state_q == StAhead) begin
      ra_cyc_q <= ra_cyc_q + 32'd1;
      if (gate) begin
        open_q <= open_q + TW'(1);
      end
      if (first_entry) begin
        first_q[ent_q[0]] <= ra_cyc_q + 32'd1;
        ent_q <= ent_q + TW'(1);
      end
      if (cend) begin
        ce_q <= ce_q + TW'(1);
      end
      if (ra_drain && out_done) begin
        dn_q <= dn_q + TW'(1);
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Lane array
  // ---------------------------------------------------------------------------------------------
  logic [H*32-1:0]               sums;
  logic [NL*32-1:0]              lane_rdata;
  logic [NP*32-1:0]              pe_rdata;
  logic [NL*NumStats*StatW-1:0]  stats;
  logic [NL*NumEv-1:0]           stat_ev, stat_ev_par;
  logic [NL*(RowW+1)-1:0]        stat_retired;
  logic [RowW-1:0]               cfg_rep_sat;
  logic [V-1:0]                  enc_am_we, enc_av_we;
  logic [V*AmAddrW-1:0]          enc_am_waddr;
  logic [V*AvAddrW-1:0]          enc_av_waddr;
  logic [B-1:0]                  enc_am_wdata;
  logic [EncW-1:0]               enc_av_pwe;
  logic [EncW*EncOffW-1:0]       enc_av_poff;
  logic [EncW*16-1:0]            enc_av_wdata;
  logic                          act_wset, act_rset;

  assign cfg_rep_sat = (cfg_rep_q > 32'(R_MAX)) ? RowW'(R_MAX) : cfg_rep_q[RowW-1:0];

  // Accumulator banks: an overlapped product computes into the bank the previous one does not
  // use; the output phase reads the bank of the product it drains.
  logic acc_wbank, acc_rbank;
  assign acc_wbank = ovl && !bank_q;
  assign acc_rbank = ra_q ? (ra_b0_q ^ dn_q[0]) : (out_prev ? !bank_q : bank_q);

  // The array's configuration inputs (latched by the lanes at start_i; slots_err is evaluated on
  // them): the phase's products while a GRU phase runs, M = 3 * CFG_GRU_HD for the slots check of
  // a GRU start request, the CFG_* registers otherwise (plain products, unchanged).
  logic [15:0]     arr_m, arr_n;
  logic [1:0]      arr_mode;
  logic [RowW-1:0] arr_rep;
  logic [masr_pkg::FeatW-1:0] arr_feat;

  assign arr_m    = seq_busy ? seq_run_m :
                    gru_req  ? cfg_gru_hd_q[15:0] * 16'd3 : cfg_m_q[15:0];
  assign arr_n    = seq_busy ? seq_run_n : cfg_n_q[15:0];
  assign arr_mode = seq_busy ? seq_run_mode : cfg_mode_q[1:0];
  assign arr_rep  = seq_busy ? seq_run_rep : cfg_rep_sat;
  // RUN_AHEAD reaches the lanes only in a run-ahead phase (an H phase or a plain product started
  // with it runs exactly as without it).
  localparam logic [masr_pkg::FeatW-1:0] RaBit = masr_pkg::FeatW'(1) << masr_pkg::FEAT_RUN_AHEAD;
  assign arr_feat = ((seq_busy ? seq_feat_q : cfg_feat_q[masr_pkg::FeatW-1:0]) & ~RaBit) |
                    (ra ? RaBit : '0);

  masr_array #(
    .H      (H),
    .V      (V),
    .B      (B),
    .G      (G),
    .M_MAX  (M_MAX),
    .N_MAX  (N_MAX),
    .SLOTS  (SLOTS),
    .WDEPTH (WDEPTH),
    .QDEPTH (QDEPTH),
    .ACC_BANKS (AccBanks),
    .ACT_SETS  (ActSets),
    .ENC_W     (EncW),
    .RUN_AHEAD (RaBuild),
    .SCAN      (ScanBuild)
  ) u_array (
    .clk_i,
    .rst_ni,
    .bd_load_i,
    .start_i        (eng_start),
    .run_i          (run),
    .abort_i        (abort),
    .cend_i         (cend),
    .cfg_m_i        (arr_m),
    .cfg_n_i        (arr_n),
    .cfg_mode_i     (arr_mode),
    .cfg_rep_i      (arr_rep),
    .cfg_feat_i     (arr_feat),
    .slots_err_o    (slots_err),
    .all_finished_o (all_finished),
    .err_wptr_o     (err_wptr),
    .o_pid_i        (ce_q[1:0]),
    .open_pid_i     (open_q[1:0]),
    .gate_i         (gate),
    .open_last_i    (ra_q && open_last),
    .enter_o        (lane_enter),
    .pid_o          (lane_pid),
    .acc_wbank_i    (acc_wbank),
    .acc_rbank_i    (acc_rbank),
    .out_idx_i      (out_idx_q),
    .sum_o          (sums),
    .fd_we_i        (fd_we),
    .fd_wsel_i      (mem_sel_i),
    .fd_wunit_i     (mem_unit_i),
    .fd_waddr_i     (mem_addr_i),
    .fd_wdata_i     (mem_wdata_i),
    .fd_re_i        (rd_valid_q),
    .fd_rsel_i      (rd_sel_q),
    .fd_runit_i     (rd_unit_q),
    .fd_raddr_i     (rd_addr_q),
    .lane_rdata_o   (lane_rdata),
    .pe_rdata_o     (pe_rdata),
    .enc_am_we_i    (enc_am_we),
    .enc_am_waddr_i (enc_am_waddr),
    .enc_am_wdata_i (enc_am_wdata),
    .enc_av_we_i    (enc_av_we),
    .enc_av_waddr_i (enc_av_waddr),
    .enc_av_pwe_i   (enc_av_pwe),
    .enc_av_poff_i  (enc_av_poff),
    .enc_av_wdata_i (enc_av_wdata),
    .act_wset_i     (act_wset),
    .act_rset_i     (act_rset),
    .stats_o        (stats),
    .stat_ev_o      (stat_ev),
    .stat_ev_par_o  (stat_ev_par),
    .stat_retired_o (stat_retired)
  );

  // ---------------------------------------------------------------------------------------------
  // Output phase: y[i*H + h] = requant(sum_v acc[h][v][i] + (bias[i*H + h] << S)) for all h
  // ---------------------------------------------------------------------------------------------
  function automatic logic [15:0] requant(input logic [31:0] acc, input logic [15:0] bias,
                                          input logic [3:0] s);
    logic [31:0] t, sh;
    logic [15:0] y;
    t  = acc + (32'($signed(bias)) << s);                  // wraps (32-bit)
    sh = 32'($signed(t) >>> s);
    // The arms set y, the result is assigned once at the end (see reg_value).
    if ($signed(sh) > $signed(32'sd32767)) begin
      y = 16'h7FFF;
    end else if ($signed(sh) < $signed(-32'sd32768)) begin
      y = 16'h8000;
    end else begin
      y = sh[15:0];
    end
    requant = y;
  endfunction

  logic [H-1:0]          out_we;
  logic [H*BiasAW-1:0]   bias_raddr;
  logic [(H+1)*16-1:0]   bias_rdata;
  logic [H*16-1:0]       y_rdata;
  logic [H*16-1:0]       y_wdata;
  logic [15:0]           y_row;     // frontdoor y address (row r)

  for (genvar h = 0; h < H; h++) begin : g_out
    logic [31:0] row;
    assign row   = 32'(out_idx_q) * 32'(H) + 32'(h);
    assign out_we[h] = draining && (row < 32'(run_m_q));
    assign bias_raddr[h*BiasAW +: BiasAW] = BiasAW'(row);
    assign y_wdata[h*16 +: 16] = requant(sums[h*32 +: 32], bias_rdata[h*16 +: 16], run_shift_q);

    logic y_fd_re;
    assign y_fd_re = fd_y_re && (32'(y_row) % 32'(H) == 32'(h));

    masr_sram #(
      .Width (16),
      .Depth (R_MAX),
      .NumRd (1),
      .BdName("")
    ) u_y (
      .clk_i,
      .rst_ni,
      .we_i     (out_we[h]),
      .waddr_i  (IdxW'(out_idx_q)),
      .wdata_i  (y_wdata[h*16 +: 16]),
      .re_i     (y_fd_re),
      .raddr_i  (IdxW'(32'(y_row) / 32'(H))),
      .rdata_o  (y_rdata[h*16 +: 16]),
      .bd_load_i,
      .bd_row_i (8'd0),
      .bd_col_i (8'd0)
    );
  end

  assign y_row = rd_addr_q;

  // Bias: ports 0..H-1 output phase, port H frontdoor.
  masr_sram #(
    .Width (16),
    .Depth (M_MAX),
    .NumRd (H + 1),
    .BdName("bias")
  ) u_bias (
    .clk_i,
    .rst_ni,
    .we_i     (fd_bias_we),
    .waddr_i  (mem_addr_i[BiasAW-1:0]),
    .wdata_i  (mem_wdata_i[15:0]),
    .re_i     ({fd_bias_re, out_we}),
    .raddr_i  ({rd_addr_q[BiasAW-1:0], bias_raddr}),
    .rdata_o  (bias_rdata),
    .bd_load_i,
    .bd_row_i (8'd0),
    .bd_col_i (8'd0)
  );

  // ---------------------------------------------------------------------------------------------
  // GRU phase sequencer (docs/gru-layer.md): XBUF, HBUF, GX, GH, HOUT, STEP, element-wise unit and
  // activation encoder
  // ---------------------------------------------------------------------------------------------
  logic        seq_start_x, seq_start_h, seq_fd_we, seq_fd_re, eng_drain;
  logic [31:0] seq_fd_rdata, gru_steps, gru_cycles, gru_mac, gru_steals;

  assign seq_start_x = gru_go && req_x;
  assign seq_start_h = gru_go && req_h;
  assign seq_fd_we   = fd_we && ((mem_sel_i == masr_pkg::MEM_XBUF) ||
                                 (mem_sel_i == masr_pkg::MEM_HBUF));
  assign seq_fd_re   = rd_valid_q && (rd_sel_q >= masr_pkg::MEM_XBUF) &&
                       (rd_sel_q <= masr_pkg::MEM_STEP);
  assign eng_drain   = (state_q == StDrain);

  masr_gru_seq #(
    .H     (H),
    .V     (V),
    .B     (B),
    .M_MAX (M_MAX),
    .N_MAX (N_MAX),
    .T_MAX (T_MAX),
    .WIDE  (EncWide)
  ) u_gru_seq (
    .clk_i,
    .rst_ni,
    .start_x_i      (seq_start_x),
    .start_h_i      (seq_start_h),
    .cfg_i_i        (cfg_gru_i_q[NW-1:0]),
    .cfg_hd_i       (cfg_gru_hd_q[HdW-1:0]),
    .cfg_t_i        (cfg_gru_t_q[TW-1:0]),
    .cfg_thr_i      (cfg_gru_thr_q[14:0]),
    .cfg_dir_i      (cfg_gru_dir_q[0]),
    .cfg_mode_i     (cfg_mode_q[1:0]),
    .cfg_rep_i      (cfg_rep_sat),
    .cfg_shift_i    (cfg_shift_q[3:0]),
    .busy_o         (seq_busy),
    .end_o          (seq_end),
    .run_m_o        (seq_run_m),
    .run_n_o        (seq_run_n),
    .run_mode_o     (seq_run_mode),
    .run_rep_o      (seq_run_rep),
    .run_shift_o    (seq_run_shift),
    .prod_start_o   (seq_prod_start),
    .ovl_i          (ovl),
    .pre_i          (pre),
    .wide_i         (wide),
    .ra_i           (ra),
    .ce_cnt_i       (ce_q),
    .out_t_i        (dn_q),
    .xdone_o        (seq_xdone),
    .eng_ready_i    (eng_ready),
    .eng_run_i      (run),
    .eng_done_i     (own_done),
    .eng_snap_i     (snap_q),
    .eng_drain_i    (eng_drain),
    .out_prev_i     (out_prev),
    .out_we_i       (out_we),
    .out_idx_i      (out_idx_q),
    .out_data_i     (y_wdata),
    .perf_cycles_i  (perf_cycles_q),
    .perf_mac_i     (perf_mac_q),
    .perf_gnt_i     (perf_gnt_q),
    .perf_ref_i     (perf_ref_q),
    .perf_idle_i    (perf_idle_q),
    .perf_rows_i    (perf_rows_q),
    .enc_am_we_o    (enc_am_we),
    .enc_am_waddr_o (enc_am_waddr),
    .enc_am_wdata_o (enc_am_wdata),
    .enc_av_we_o    (enc_av_we),
    .enc_av_waddr_o (enc_av_waddr),
    .enc_av_pwe_o   (enc_av_pwe),
    .enc_av_poff_o  (enc_av_poff),
    .enc_av_wdata_o (enc_av_wdata),
    .act_wset_o     (act_wset),
    .act_rset_o     (act_rset),
    .fd_we_i        (seq_fd_we),
    .fd_wsel_i      (mem_sel_i),
    .fd_waddr_i     (mem_addr_i),
    .fd_wdata_i     (mem_wdata_i),
    .fd_re_i        (seq_fd_re),
    .fd_rsel_i      (rd_sel_q),
    .fd_raddr_i     (rd_addr_q),
    .fd_rdata_o     (seq_fd_rdata),
    .steps_o        (gru_steps),
    .gru_cycles_o   (gru_cycles),
    .gru_mac_o      (gru_mac),
    .gru_steals_o   (gru_steals),
    .bd_load_i,
    .bd_dump_i      (bd_dump_gru_i)
  );

  // ---------------------------------------------------------------------------------------------
  // Frontdoor read data: the memories at the registered read request (valid the cycle after
  // mem_re_i, 0 when the previous cycle had no legal read)
  // ---------------------------------------------------------------------------------------------
  logic [15:0] bias_fd_rdata;
  assign bias_fd_rdata = bias_rdata[H*16 +: 16];

  always_comb begin
    mem_rdata_o = '0;
    if (rd_valid_q) begin
      case (rd_sel_q)
        masr_pkg::MEM_AMASK,
        masr_pkg::MEM_AVAL:  mem_rdata_o = pe_rdata[32'(rd_unit_q) * 32 +: 32];
        masr_pkg::MEM_BIAS:  mem_rdata_o = 32'(bias_fd_rdata);
        masr_pkg::MEM_Y:     mem_rdata_o = 32'(y_rdata[(32'(y_row) % 32'(H)) * 16 +: 16]);
        masr_pkg::MEM_XBUF, masr_pkg::MEM_HBUF, masr_pkg::MEM_GX, masr_pkg::MEM_HOUT,
        masr_pkg::MEM_STEP:  mem_rdata_o = seq_fd_rdata;
        default:             mem_rdata_o = lane_rdata[32'(rd_unit_q) * 32 +: 32];  // 0-2, 7, 13
      endcase
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Performance counters: PERF_CYCLES counts live; the others are the lanes' statistics summed
  // over the array per product as they happen (masr_perf_stats: a bank per product in flight),
  // latched once, in the cycle after the compute phase ends (every event of the product counted
  // by then); that bank then starts over for the product after next.
  // ---------------------------------------------------------------------------------------------
  logic [NumEv*32-1:0] ev_sum;

  masr_perf_stats #(
    .NL    (NL),
    .BANKS (RaBuild ? 2 : 1),
    .RetW  (RowW + 1)
  ) u_perf_stats (
    .clk_i,
    .rst_ni,
    .clear_i        (eng_start),
    .restart_i      (snap_q),
    .restart_bank_i (ra_q && snap_par),
    .ev_i           (stat_ev),
    .ev_par_i       (stat_ev_par),
    .retired_i      (stat_retired),
    .rd_bank_i      (ra_q && snap_par),
    .sum_o          (ev_sum)
  );

  function automatic logic [31:0] ev_total(input int ev);
    ev_total = ev_sum[ev*32 +: 32];
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      perf_mac_q   <= '0;
      perf_gnt_q   <= '0;
      perf_ref_q   <= '0;
      perf_stall_q <= '0;
      perf_idle_q  <= '0;
      perf_rows_q  <= '0;
    end else if (snap_q) begin
      perf_mac_q   <= ev_total(masr_pkg::STAT_EV_MAC);                       // MAC_BUSY
      perf_gnt_q   <= ev_total(masr_pkg::STAT_EV_STOLEN);                    // ROWS_STOLEN
      perf_ref_q   <= ev_total(masr_pkg::STAT_EV_REFUSED);                   // REFUSED
      perf_idle_q  <= ev_total(masr_pkg::STAT_EV_IDLE);                      // IDLE
      perf_stall_q <= ev_total(masr_pkg::STAT_EV_STALL);                     // not a lane stat
      perf_rows_q  <= ev_total(masr_pkg::STAT_EV_OWN) +
                      ev_total(masr_pkg::STAT_EV_STOLEN);                    // OWN + STOLEN
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Register read (combinational); a function so that the simulation-only dump reads the same
  // values the bus would.
  // ---------------------------------------------------------------------------------------------
  // (No `return` anywhere in the RTL: Yosys read_verilog does not know the statement, so a
  // function's result is an assignment to its name. Nor would a `return` in the case arms do: the
  // line coverage of Verilator places an arm's counter after its first statement, so arms that
  // return are reported as never executed.)
  function automatic logic [31:0] reg_value(input logic [7:0] addr);
    logic [31:0] r;
    case (addr)
      masr_pkg::REG_STATUS:             r = {29'd0, err_q != masr_pkg::ERR_OK, done_q, busy};
      masr_pkg::REG_ERR_CODE:           r = 32'(err_q);
      masr_pkg::REG_CFG_M:              r = cfg_m_q;
      masr_pkg::REG_CFG_N:              r = cfg_n_q;
      masr_pkg::REG_CFG_MODE:           r = cfg_mode_q;
      masr_pkg::REG_CFG_REP_ROWS:       r = cfg_rep_q;
      masr_pkg::REG_CFG_SHIFT:          r = cfg_shift_q;
      masr_pkg::REG_CFG_FEAT:           r = cfg_feat_q;
      masr_pkg::REG_PERF_CYCLES:        r = perf_cycles_q;
      masr_pkg::REG_PERF_MAC_BUSY:      r = perf_mac_q;
      masr_pkg::REG_PERF_STEAL_GRANTED: r = perf_gnt_q;
      masr_pkg::REG_PERF_STEAL_REFUSED: r = perf_ref_q;
      masr_pkg::REG_PERF_STALL:         r = perf_stall_q;
      masr_pkg::REG_PERF_IDLE:          r = perf_idle_q;
      masr_pkg::REG_PERF_ROWS_DONE:     r = perf_rows_q;
      masr_pkg::REG_CAPS:               r = {8'(B), 8'(V), 8'(H), masr_pkg::CAPS_MAGIC};
      masr_pkg::REG_CAPS2:              r = {16'(M_MAX), 16'(N_MAX)};
      masr_pkg::REG_CAPS3:              r = {16'(WDEPTH), 16'(SLOTS)};
      masr_pkg::REG_CFG_GRU_I:          r = cfg_gru_i_q;
      masr_pkg::REG_CFG_GRU_HD:         r = cfg_gru_hd_q;
      masr_pkg::REG_CFG_GRU_T:          r = cfg_gru_t_q;
      masr_pkg::REG_CFG_GRU_THR:        r = cfg_gru_thr_q;
      masr_pkg::REG_CFG_GRU_DIR:        r = cfg_gru_dir_q;
      masr_pkg::REG_GRU_STEPS:          r = gru_steps;
      masr_pkg::REG_PERF_GRU_CYCLES:    r = gru_cycles;
      masr_pkg::REG_PERF_GRU_MAC_BUSY:  r = gru_mac;
      masr_pkg::REG_PERF_GRU_STEALS:    r = gru_steals;
      masr_pkg::REG_CAPS4:              r = {16'(T_MAX), 16'(HD_MAX)};
      masr_pkg::REG_CAPS5:              r = 32'(FeatAvail);
      default:                          r = '0;               // CTRL (write-only), unknown
    endcase
    reg_value = r;
  endfunction

  always_comb reg_rdata_o = reg_value(reg_addr_i);

  // ---------------------------------------------------------------------------------------------
  // Simulation-only result dump (section 6): the mirror of the backdoor load. A rising edge of
  // bd_dump_i writes y, every lane's statistics and the registers with $writememh into the
  // backdoor directory, so a testbench reads a product's results from files instead of spending
  // ~700 memory-port cycles on them. y_shadow mirrors the y banks write for write (checked against
  // every frontdoor read of y below); it is not hardware.
  // ---------------------------------------------------------------------------------------------
`ifndef SYNTHESIS
`ifndef FORMAL  // simulator services (plusargs, strings, files): none in a formal model
  // (DumpMirrorsY_A below checks the dump's own mirror y_shadow, so it goes with the dump.)
  localparam int DumpRegs = 64;   // register addresses 0 .. 63 (docs/gru-layer.md 8.4)

  logic [15:0] y_shadow [0:M_MAX-1];
  logic [31:0] stats_dump [0:NL*masr_pkg::STAT_NUM-1];
  logic [31:0] regs_dump [0:DumpRegs-1];
  string       dump_dir;
  logic        dump_dir_set;

  task automatic y_shadow_clear;
    for (int i = 0; i < M_MAX; i++) begin
      y_shadow[i] = '0;
    end
  endtask

  initial begin
    y_shadow_clear;
    dump_dir_set = $value$plusargs("masr_bd_dir=%s", dump_dir);
  end

  always @(posedge clk_i) begin
    for (int h = 0; h < H; h++) begin
      if (out_we[h]) begin
        y_shadow[32'(out_idx_q) * H + h] <= y_wdata[h*16 +: 16];
      end
    end
  end

  // The y banks clear themselves on a backdoor load; so does the shadow (through a task, so that
  // the array keeps a single procedural driver for Verilator).
  always @(posedge bd_load_i) begin
    y_shadow_clear;
  end

  task automatic dump_results;
    for (int l = 0; l < NL; l++) begin
      for (int k = 0; k < 32'(masr_pkg::STAT_NUM); k++) begin
        stats_dump[l * 32'(masr_pkg::STAT_NUM) + k] = stats[(l*NumStats + k)*StatW +: StatW];
      end
    end
    for (int a = 0; a < DumpRegs; a++) begin
      regs_dump[a] = reg_value(8'(a));
    end
    $writememh({dump_dir, "/y.dump.hex"}, y_shadow);
    $writememh({dump_dir, "/stats.dump.hex"}, stats_dump);
    $writememh({dump_dir, "/regs.dump.hex"}, regs_dump);
  endtask

  always @(posedge bd_dump_i) begin
    if (dump_dir_set) begin
      dump_results;
    end
  end

  `ASSERT_IMPL(DumpMirrorsY_A, rd_valid_q && (rd_sel_q == masr_pkg::MEM_Y),
               mem_rdata_o == 32'(y_shadow[rd_addr_q[BiasAW-1:0]]))
`endif  // FORMAL
`endif  // SYNTHESIS

  // ---------------------------------------------------------------------------------------------
  // Assertions
  // ---------------------------------------------------------------------------------------------
  `ASSERT_INIT(ParamsOk_A, H >= 1 && V >= 1 && (H & (H - 1)) == 0 && (V & (V - 1)) == 0 &&
                           G >= 1 && H % G == 0 && R_MAX <= 65535)
  `ASSERT_INIT(FeatImplFits_A, FEAT_IMPL >= 0 && FEAT_IMPL < (1 << masr_pkg::FeatW))
  `ASSERT_NEVER(DoneWhileBusy_A, done_q && busy)
  `ASSERT_IMPL(IrqOnDoneRise_A, irq_q, done_q)
  `ASSERT_IMPL(NoMemWriteWhileBusy_A, busy, !fd_we && !fd_re)
  `ASSERT_IMPL(StartOnlyWhenIdle_A, start_go, !busy)
  `ASSERT_NEVER(OneStartPerCycle_A, start_go && (gru_go || seq_prod_start))
  // GRU: the sequencer starts products only inside its phase and only on an idle engine; the
  // activation encoder never writes the RF set the lanes compute from, nor in a frontdoor write
  // cycle.
  `ASSERT_IMPL(SeqStartInPhase_A, seq_prod_start, seq_busy && eng_ready)
  // Overlap only in an X phase with CFG_FEAT.OVERLAP; never two output phases or computes at once.
  `ASSERT_IMPL(OverlapOnlyInXPhase_A, state_q == StCompOut, run_ovl_q && ovl)
  `ASSERT_NEVER(ComputeOutlastsOutput_A, (state_q == StCompOut) && cend)
  `ASSERT_IMPL(PlainProductNoOverlap_A, start_go, !ovl)
  `ASSERT_IMPL(GruStartWhenIdle_A, gru_go, !busy)
  `ASSERT_NEVER(EncoderWhileCompute_A, run && !ra_q &&
                (act_wset == act_rset) && ((enc_am_we | enc_av_we) != '0))
  // Run-ahead: only in a run-ahead phase; products are entered, end and drain in order; every lane
  // is in the latest open product or the one before; no gate opens past the last product.
  `ASSERT_IMPL(AheadOnlyRunAhead_A, state_q == StAhead, ra_q && ra && seq_busy)
  `ASSERT_IMPL(AheadOrder_A, state_q == StAhead,
               dn_q <= ce_q && ce_q <= ent_q && ent_q <= open_q + TW'(1) && open_q < ra_t_q)
  `ASSERT_IMPL(GateInRange_A, gate, open_q + TW'(1) < ra_t_q)
  logic [NL-1:0] lane_span_ok;
  for (genvar l = 0; l < NL; l++) begin : g_span
    assign lane_span_ok[l] = (lane_pid[l*2 +: 2] == open_q[1:0]) ||
                             (lane_pid[l*2 +: 2] == 2'(open_q - TW'(1)));
  end
  `ASSERT_IMPL(LanesSpanTwoProducts_A, state_q == StAhead, lane_span_ok == '1)
  `ASSERT_IMPL(NoEntryOutsideAhead_A, lane_enter != '0, state_q == StAhead)
  // Two activation RF sets only with PREFETCH: the encoder writes the set the lanes do not read.
  `ASSERT_IMPL(ActSetsOnlyPrefetch_A, act_wset || act_rset, pre)
  `ASSERT_NEVER(EncoderFrontdoorCollide_A, fd_we && ((enc_am_we | enc_av_we) != '0))
  `ASSERT_IMPL(EncoderOnlyInPhase_A, (enc_am_we | enc_av_we) != '0, seq_busy)
  // done rises once per phase: at its end (or at an ERR_WPTR drain), never after an inner product.
  `ASSERT_NEVER(DoneOnlyAtPhaseEnd_A, seq_busy && done_d && !done_q && !seq_end &&
                                      (state_q != StDrain))
  // Work conservation over the whole array: every row task of every lane (M rows x V partitions)
  // was claimed exactly once, checked on the latched counter of a completed product.
  logic snap_chk_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) snap_chk_q <= 1'b0;
    else         snap_chk_q <= snap_q && !aborted_q;
  end
  `ASSERT_IMPL(RowsDoneIsMV_A, snap_chk_q, perf_rows_q == 32'(run_m_q) * 32'(V))

`ifndef SYNTHESIS
  // The PERF_* sums counted as events happen equal the lanes' own counters added up, for every
  // product whose lanes count for it alone (not under run-ahead, where a lane's counters follow
  // it into the next product).
  function automatic logic [31:0] lane_sum(input int idx);
    logic [31:0] acc;
    acc = '0;
    for (int l = 0; l < NL; l++) begin
      acc = acc + stats[(l*NumStats + idx)*StatW +: StatW];
    end
    lane_sum = acc;
  endfunction
  `ASSERT_IMPL(PerfSumsAreLaneSums_A, snap_q && !ra_q,
               ev_total(masr_pkg::STAT_EV_MAC)     == lane_sum(32'(masr_pkg::STAT_MAC_BUSY)) &&
               ev_total(masr_pkg::STAT_EV_OWN)     == lane_sum(32'(masr_pkg::STAT_ROWS_OWN)) &&
               ev_total(masr_pkg::STAT_EV_STOLEN)  == lane_sum(32'(masr_pkg::STAT_ROWS_STOLEN)) &&
               ev_total(masr_pkg::STAT_EV_REFUSED) == lane_sum(32'(masr_pkg::STAT_REFUSED)) &&
               ev_total(masr_pkg::STAT_EV_IDLE)    == lane_sum(32'(masr_pkg::STAT_IDLE)))
`endif

endmodule
