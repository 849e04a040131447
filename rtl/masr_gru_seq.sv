// GRU phase sequencer (docs/gru-layer.md, contract section 8): runs one X or H phase of a GRU
// layer over T steps on the lane array, with the activation encoder and the element-wise unit.
//
//           XBUF ──┐                         ┌──> GX[t] (X phase, output-phase taps)
//           HBUF ──┼──> masr_act_encoder ──> activation RFs ──> lane array (masr_top engine)
//  masr_gru_cell ──┘          ^                                   │ output taps
//     ^   ^   ^               │                                   v
//     │   │   └── HBUF[j]     └───── h_t[j] ───> HBUF[j], HOUT[t][dir][j]   GH (H phase)
//     │   └────── GH[j], GH[Hd+j], GH[2Hd+j]   (gh_t: this step's product)
//     └────────── GX[t][j], GX[t][Hd+j], GX[t][2Hd+j]
//
// Phases (8.2). X: per step s (t = s): encode x_t from XBUF (N = I), run the product
// (M = 3Hd, N = I) whose output phase also writes GX[t]. H: encode h_0 from HBUF (N = Hd), then
// per step s (t = s forward, T-1-s backward): run the product (N = Hd) whose output phase is
// captured into GH, then the element-wise pass j = 0 .. Hd-1 through masr_gru_cell; each h_t[j]
// goes to HBUF[j], HOUT[t][dir][j] and to the encoder, which rewrites the activation RFs for the
// next step's product.
//
// FSM (one step = the states between two SqStep cycles; the numbers are cycles):
//   SqEncStart (1, encoder start) -> SqEncFeed (N, one element per cycle) ->
//   SqEncWait (1 + pad; the encoder's done cycle starts the product) ->
//   SqProd (PROD_CYCLES = compute + output) -> [H only: SqCell (Hd; its first cycle starts the
//   encoder) -> SqCellWait (3 cell stages + 1 + pad, up to the encoder's done)] -> SqStep (1).
//   SqStep writes the step's STEP words; the next step begins with SqEncStart (X) or, in the H
//   phase, the SqStep cycle itself starts the next product (the RFs already hold h_t).
//   The H phase's first step also holds the initial encode of h_0 (SqEncStart .. SqEncWait).
//   Exact cycle counts: docs/gru-layer.md 8.6 (golden.gru_seq.step_cycles).
//   CFG_FEAT.OVERLAP (X phase only, ovl_i): the product's output phase runs beside the next
//   steps (two accumulator banks in the lanes), so SqProd ends one cycle after the compute phase
//   (counters final), except in the last step. GX writes go to the time index of the product
//   being drained. The bank a product starts into is always free and the output unit idle when
//   a compute ends (a compute phase lasts at least as long as an output phase; masr_top asserts
//   it), so nothing ever waits for them.
//   CFG_FEAT.PREFETCH (with OVERLAP, X phase only, pre_i): two activation RF sets; x_t is
//   encoded into set t mod 2. The cycle that starts product s also starts the encoder on
//   x_{s+1} (a feeder beside the FSM streams it from XBUF), so x_{s+1} is encoded while product
//   s computes. Product s+1 starts in step s's SqStep if x_{s+1} is ready by then, else in
//   SqEncWait on the encoder's done cycle. The lanes read the set of their product
//   (act_rset_o), the encoder writes the other (act_wset_o): never the set being read.
//   CFG_FEAT.RUN_AHEAD (with PREFETCH, X phase only, ra_i): product 0 starts as with PREFETCH;
//   from then on the lanes enter the products by themselves (masr_top's gates use xdone_o: the
//   vectors encoded so far), and the feeder takes x_q (q >= 2) into set q mod 2 as soon as the
//   encoder is idle and product q-2's compute has ended (ce_cnt_i > q-2: no lane reads that set
//   any more). SqStep of step s follows the cycle in which product s's counters are latched
//   (eng_snap_i), back to back when products end in consecutive cycles; the last step's waits
//   for its output phase. STEP word 7 is the non-zero count latched per RF set at the encoder's
//   done cycle, GX writes go to the time index of the product being drained (out_t_i).
//   CFG_FEAT.WIDE_ENC (X phase only, wide_i, WIDE builds): the encoder runs in word mode, one
//   mask word of x_t per feed cycle (B XBUF ports at its next column, col_o); the feed (SqEncFeed
//   or the PREFETCH feeder) ends on its last_o, so a vector costs V*K cycles instead of I.
//
// Buffers (all 16-bit except STEP):
//   XBUF  T_MAX*N_MAX   masr_sram, 1W (frontdoor) / EW+1 R (encoder feed: 1 element, or with
//                       WIDE B neighbouring columns; frontdoor); backdoor xbuf
//   HBUF  HD_MAX        masr_sram, 1W (cell output or frontdoor) / 2R (feed + cell, frontdoor);
//                       backdoor hbuf. HBUF[j] is read in cycle j of the pass and rewritten with
//                       h_t[j] three cycles later: never a read/write conflict.
//   GX    T_MAX*M_MAX   register file, H writes per cycle (one output block of y), 4 reads (the
//                       three gates of neuron j in one cycle, frontdoor). Not masr_sram: it needs
//                       H write ports.
//   GH    M_MAX         register file, H writes per cycle (output taps of the H phase's
//                       product), 3 reads (rows j, Hd+j, 2Hd+j).
//   HOUT  T_MAX*2*HD_MAX masr_sram, 1W (cell output) / 1R (frontdoor)
//   STEP  T_MAX*8 x 32  register file, the 8 words of a step in one cycle, 1 read (frontdoor)
// GX, HOUT and STEP are neither loaded nor cleared by the backdoor.
`include "masr_assert.svh"

module masr_gru_seq #(
  parameter int H      = 4,
  parameter int V      = 2,
  parameter int B      = 16,
  parameter int M_MAX  = 64,
  parameter int N_MAX  = 64,
  parameter int T_MAX  = 32,
  parameter bit WIDE   = 1'b0,   // the encoder's word mode (CFG_FEAT.WIDE_ENC) is built
  // Derived, do not override.
  localparam int P_MAX     = (N_MAX + V - 1) / V,
  localparam int KW_MAX    = (P_MAX + B - 1) / B,
  localparam int R_MAX     = (M_MAX + H - 1) / H,
  localparam int HD_MAX    = (M_MAX / 3 < N_MAX) ? M_MAX / 3 : N_MAX,
  localparam int AmAddrW   = $clog2(3 * KW_MAX),
  localparam int AvAddrW   = $clog2(3 * P_MAX),
  localparam int RowW      = $clog2(R_MAX + 1),
  localparam int IdxW      = (R_MAX > 1) ? $clog2(R_MAX) : 1,
  localparam int NW        = $clog2(N_MAX + 1),              // I, element counter
  localparam int HdW       = $clog2(HD_MAX + 1),             // Hd
  localparam int TW        = $clog2(T_MAX + 1),              // T, step and time indices
  localparam int XDepth    = T_MAX * N_MAX,
  localparam int GxDepth   = T_MAX * M_MAX,
  localparam int HoutDepth = T_MAX * 2 * HD_MAX,
  localparam int StepDepth = T_MAX * 8,
  localparam int XAW       = (XDepth > 1) ? $clog2(XDepth) : 1,        // XBUF address
  localparam int HbAW      = (HD_MAX > 1) ? $clog2(HD_MAX) : 1,        // HBUF address
  localparam int GxAW      = (GxDepth > 1) ? $clog2(GxDepth) : 1,      // GX address
  localparam int GhAW      = (M_MAX > 1) ? $clog2(M_MAX) : 1,          // GH address
  localparam int HoAW      = (HoutDepth > 1) ? $clog2(HoutDepth) : 1,  // HOUT address
  localparam int StAW      = $clog2(StepDepth),                        // STEP address
  localparam int EW        = WIDE ? B : 1,                             // encoder element slots
  localparam int EncOffW   = (EW > 1) ? $clog2(EW) : 1,
  localparam int EncCntW   = $clog2(EW + 1)
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,

  // ---- phase start (masr_top has checked the configuration; only while idle) ----
  input  logic                 start_x_i,
  input  logic                 start_h_i,
  input  logic [NW-1:0]        cfg_i_i,        // I, 1..N_MAX
  input  logic [HdW-1:0]       cfg_hd_i,       // Hd, 1..HD_MAX
  input  logic [TW-1:0]        cfg_t_i,        // T, 1..T_MAX
  input  logic [14:0]          cfg_thr_i,      // threshold, 0..32767
  input  logic                 cfg_dir_i,      // 0 forward, 1 backward
  input  logic [1:0]           cfg_mode_i,     // CFG_MODE (legal)
  input  logic [RowW-1:0]      cfg_rep_i,      // CFG_REP_ROWS saturated to R_MAX
  input  logic [3:0]           cfg_shift_i,    // CFG_SHIFT (legal)
  output logic                 busy_o,         // a phase is running
  output logic                 end_o,          // last cycle of a completed phase

  // ---- the products of the phase (latched at start) ----
  output logic [15:0]          run_m_o,        // 3Hd
  output logic [15:0]          run_n_o,        // I (X) or Hd (H)
  output logic [1:0]           run_mode_o,
  output logic [RowW-1:0]      run_rep_o,
  output logic [3:0]           run_shift_o,
  output logic                 prod_start_o,   // start a product (like an accepted CTRL.start)
  input  logic                 ovl_i,          // X phase with CFG_FEAT.OVERLAP (constant in a phase)
  input  logic                 pre_i,          // ... and CFG_FEAT.PREFETCH (constant in a phase)
  input  logic                 wide_i,         // X phase with CFG_FEAT.WIDE_ENC (constant in a phase)
  input  logic                 ra_i,           // ... and CFG_FEAT.RUN_AHEAD (constant in a phase)
  input  logic [TW-1:0]        ce_cnt_i,       // run-ahead: products whose compute has ended
  input  logic [TW-1:0]        out_t_i,        // run-ahead: product (= t) of the output phase
  output logic [TW:0]          xdone_o,        // run-ahead: vectors encoded up to this cycle
  input  logic                 eng_ready_i,    // the engine accepts a product start (asserted)
  input  logic                 eng_run_i,      // engine compute phase
  input  logic                 eng_done_i,     // last output cycle of the latest product
  input  logic                 eng_snap_i,     // cycle after a compute phase (PERF_* final next)
  input  logic                 eng_drain_i,    // drain cycle after an ERR_WPTR abort
  input  logic                 out_prev_i,     // the output phase running is the product before
                                               // the latest one (OVERLAP)

  // ---- output-phase taps of the engine (y writes) ----
  input  logic [H-1:0]         out_we_i,
  input  logic [IdxW-1:0]      out_idx_i,
  input  logic [H*16-1:0]      out_data_i,

  // ---- the engine's PERF_* registers (final after eng_done_i) ----
  input  logic [31:0]          perf_cycles_i,
  input  logic [31:0]          perf_mac_i,
  input  logic [31:0]          perf_gnt_i,
  input  logic [31:0]          perf_ref_i,
  input  logic [31:0]          perf_idle_i,
  input  logic [31:0]          perf_rows_i,

  // ---- activation encoder write ports (to masr_array, one per PE column) ----
  output logic [V-1:0]         enc_am_we_o,
  output logic [V*AmAddrW-1:0] enc_am_waddr_o,
  output logic [B-1:0]         enc_am_wdata_o,
  output logic [V-1:0]         enc_av_we_o,
  output logic [V*AvAddrW-1:0] enc_av_waddr_o,
  output logic [EW-1:0]        enc_av_pwe_o,
  output logic [EW*EncOffW-1:0] enc_av_poff_o,
  output logic [EW*16-1:0]     enc_av_wdata_o,
  output logic                 act_wset_o,     // activation RF set the encoder writes
  output logic                 act_rset_o,     // activation RF set the running product reads

  // ---- frontdoor (ranges, read-only selects and busy checked by masr_top) ----
  input  logic                 fd_we_i,        // legal write of XBUF or HBUF
  input  logic [3:0]           fd_wsel_i,
  input  logic [15:0]          fd_waddr_i,
  input  logic [31:0]          fd_wdata_i,
  input  logic                 fd_re_i,        // legal read of selects 8..12 (registered request)
  input  logic [3:0]           fd_rsel_i,
  input  logic [15:0]          fd_raddr_i,
  output logic [31:0]          fd_rdata_o,

  // ---- registers (docs/gru-layer.md 8.3) ----
  output logic [31:0]          steps_o,        // GRU_STEPS
  output logic [31:0]          gru_cycles_o,   // PERF_GRU_CYCLES
  output logic [31:0]          gru_mac_o,      // PERF_GRU_MAC_BUSY
  output logic [31:0]          gru_steals_o,   // PERF_GRU_STEALS

  input  logic                 bd_load_i,
  input  logic                 bd_dump_i
);

  // ---------------------------------------------------------------------------------------------
  // FSM and phase configuration
  // ---------------------------------------------------------------------------------------------
  typedef enum logic [2:0] {
    SqIdle     = 3'd0,
    SqEncStart = 3'd1,   // encoder start (x_t, or h_0 at the start of an H phase)
    SqEncFeed  = 3'd2,   // one element per cycle from XBUF / HBUF
    SqEncWait  = 3'd3,   // up to the encoder's done cycle, which starts the product
    SqProd     = 3'd4,   // the product runs (compute + output phase; OVERLAP: compute + 1)
    SqCell     = 3'd5,   // element-wise pass: neuron j = c_q enters masr_gru_cell
    SqCellWait = 3'd6,   // cell pipeline drains into the encoder, up to its done cycle
    SqStep     = 3'd7    // STEP words written, next step or end of phase
  } seq_e;

  seq_e            state_q, state_d;
  logic            is_h_q, dir_q;
  logic [NW-1:0]   i_q;
  logic [HdW-1:0]  hd_q;
  logic [TW-1:0]   t_len_q;
  logic [14:0]     thr_q;
  logic [1:0]      mode_q;
  logic [RowW-1:0] rep_q;
  logic [3:0]      shift_q;

  logic [TW-1:0]   s_q;          // step index (processing order)
  logic [TW-1:0]   t_q;          // time index of the step
  logic [NW-1:0]   c_q;          // element counter (encoder feed, cell inputs)
  logic [HdW-1:0]  jo_q;         // cell outputs of the current pass
  logic [31:0]     step_cyc_q;   // cycles of the current step so far
  logic [31:0]     enc_nnz_q;    // non-zeros fed to the encoder since its last start
  logic [31:0]     prod_nnz_q;   // non-zeros of the vector the running product reads
  logic [31:0]     steps_q, gru_cyc_q, gru_mac_q, gru_steals_q;
  logic [TW-1:0]   pt_q;         // time index of the latest product (its output goes to GX[pt])
  // PREFETCH: the feeder streams x_{pf_t} into the encoder beside the FSM; xrdy_q: that vector
  // is encoded and its product has not started yet; wset_q / rset_q: the RF set being written /
  // read.
  logic            pf_q, pf_go, xrdy_q, wset_q, rset_q;
  logic [NW-1:0]   pf_c_q;
  logic [TW-1:0]   pf_t_q, prod_t;
  // RUN_AHEAD: ra_next_q is the next vector to encode (from 2: x_1 goes with product 0's start),
  // xdone_q the vectors encoded so far, nnz_set_q the non-zero count of the vector in each set.
  logic            ra_go;
  logic [TW:0]     ra_next_q, xdone_q;
  logic [31:0]     nnz_set_q [2];

  logic start, busy, last_step, feed_last, cell_last, pf_last, pf_more;
  logic enc_start, enc_valid, enc_busy, enc_done, enc_ready;
  logic [EW*16-1:0] enc_data;
  logic [NW-1:0] enc_col;
  logic enc_last;
  logic [EncCntW-1:0] enc_nz;
  logic [NW-1:0] enc_n;
  logic cell_valid, cell_vo;
  logic [15:0] cell_h;

  assign start     = start_x_i || start_h_i;
  assign busy      = (state_q != SqIdle);
  assign last_step = (s_q == t_len_q - TW'(1));
  assign feed_last = is_h_q ? (c_q == NW'(hd_q) - NW'(1)) : (c_q == i_q - NW'(1));
  assign cell_last = (c_q == NW'(hd_q) - NW'(1));
  assign pf_last   = (pf_c_q == i_q - NW'(1));

  always_comb begin
    state_d      = state_q;
    prod_start_o = 1'b0;
    enc_start    = 1'b0;
    cell_valid   = 1'b0;
    end_o        = 1'b0;
    pf_go        = 1'b0;
    case (state_q)
      SqIdle:     if (start) state_d = SqEncStart;
      SqEncStart: begin
        enc_start = 1'b1;
        state_d   = SqEncFeed;
      end
      // (word mode: the encoder says which cycle takes the vector's last element)
      SqEncFeed:  if (wide_i ? enc_last : feed_last) state_d = SqEncWait;
      SqEncWait:  if (enc_done) begin
        prod_start_o = 1'b1;
        pf_go        = pre_i && pf_more;
        state_d      = SqProd;
      end
      SqProd: begin
        if (ovl_i && !last_step) begin
          // OVERLAP: the step ends when the product's counters are final; its output phase
          // goes on beside the next step.
          if (eng_snap_i) state_d = SqStep;
        end else if (eng_done_i && is_h_q) begin
          state_d = SqCell;
        end else if (eng_done_i) begin
          state_d = SqStep;
        end
      end
      SqCell: begin
        cell_valid = 1'b1;
        enc_start  = (c_q == '0);
        if (cell_last) state_d = SqCellWait;
      end
      SqCellWait: if (enc_done) state_d = SqStep;
      SqStep: begin
        if (last_step) begin
          end_o   = 1'b1;
          state_d = SqIdle;
        end else if (ra_i) begin
          // The lanes are already on; the next product's counters may be latched now (its
          // SqStep then follows at once), except the last one's, whose step waits for its
          // output phase in SqProd.
          if (eng_snap_i && (32'(s_q) + 32'd2 < 32'(t_len_q))) begin
            state_d = SqStep;
          end else begin
            state_d = SqProd;
          end
        end else if (is_h_q) begin
          prod_start_o = 1'b1;                       // the RFs hold h_t: next product now
          state_d      = SqProd;
        end else if (pre_i && (xrdy_q || enc_done)) begin
          prod_start_o = 1'b1;                       // x_{t+1} already encoded: start now
          pf_go        = pf_more;
          state_d      = SqProd;
        end else if (pre_i) begin
          state_d = SqEncWait;                       // x_{t+1} is still being encoded
        end else begin
          state_d = SqEncStart;
        end
      end
      default: state_d = SqIdle;
    endcase
    if (pf_go || ra_go) begin
      enc_start = 1'b1;
    end
    // ERR_WPTR: the engine's drain cycle aborts the whole phase, in SqProd or (run-ahead, the
    // step of a product that ended just before the abort) in SqStep, whose STEP words are
    // still written.
    if (eng_drain_i) begin
      state_d = SqIdle;
    end
  end

  // Run-ahead feeder start: x_q once x_{q-1} is done and product q-2's compute has ended.
  assign ra_go = ra_i && busy && (ra_next_q >= (TW+1)'(2)) && (ra_next_q < {1'b0, t_len_q}) &&
                 !enc_busy && !pf_q && ({1'b0, ce_cnt_i} + (TW+1)'(1) >= ra_next_q);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= SqIdle;
      is_h_q  <= 1'b0;
      dir_q   <= 1'b0;
      i_q     <= '0;
      hd_q    <= '0;
      t_len_q <= '0;
      thr_q   <= '0;
      mode_q  <= '0;
      rep_q   <= '0;
      shift_q <= '0;
    end else begin
      state_q <= state_d;
      if (start && !busy) begin
        is_h_q  <= start_h_i;
        dir_q   <= cfg_dir_i;
        i_q     <= cfg_i_i;
        hd_q    <= cfg_hd_i;
        t_len_q <= cfg_t_i;
        thr_q   <= cfg_thr_i;
        mode_q  <= cfg_mode_i;
        rep_q   <= cfg_rep_i;
        shift_q <= cfg_shift_i;
      end
    end
  end

  // Counters. The backward H phase walks t = T-1 .. 0; X phases always go forward (GX by time).
  logic [TW-1:0] t_first, t_next;
  assign t_first = (start_h_i && cfg_dir_i) ? cfg_t_i - TW'(1) : '0;
  assign t_next  = (is_h_q && dir_q) ? t_q - TW'(1) : t_q + TW'(1);
  // A product started in SqStep is the next step's (t_q still holds the finished step's index).
  assign prod_t  = (state_q == SqStep) ? t_next : t_q;
  // Another vector to prefetch after the product started now: s+1 < T for product s.
  assign pf_more = (state_q == SqStep) ? (32'(s_q) + 32'd2 < 32'(t_len_q)) : !last_step;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s_q          <= '0;
      t_q          <= '0;
      c_q          <= '0;
      jo_q         <= '0;
      step_cyc_q   <= '0;
      enc_nnz_q    <= '0;
      prod_nnz_q   <= '0;
      pt_q         <= '0;
      steps_q      <= '0;
      gru_cyc_q    <= '0;
      gru_mac_q    <= '0;
      gru_steals_q <= '0;
    end else begin
      if (start && !busy) begin
        s_q          <= '0;
        t_q          <= t_first;
        step_cyc_q   <= '0;
        steps_q      <= '0;
        gru_cyc_q    <= '0;
        gru_mac_q    <= '0;
        gru_steals_q <= '0;
      end else if (busy) begin
        gru_cyc_q  <= gru_cyc_q + 32'd1;
        step_cyc_q <= (state_q == SqStep) ? '0 : step_cyc_q + 32'd1;
        if (state_q == SqStep) begin
          steps_q      <= steps_q + 32'd1;
          gru_mac_q    <= gru_mac_q + perf_mac_i;
          gru_steals_q <= gru_steals_q + perf_gnt_i;
          if (!last_step) begin
            s_q <= s_q + TW'(1);
            t_q <= t_next;
          end
        end
      end
      // Element counter: encoder feed and cell inputs.
      if (state_q == SqEncStart || (state_q == SqProd && eng_done_i)) begin
        c_q <= '0;
      end else if (state_q == SqEncFeed || state_q == SqCell) begin
        c_q <= c_q + NW'(1);
      end
      // Cell outputs of the pass.
      if (state_q == SqProd) begin
        jo_q <= '0;
      end else if (cell_vo) begin
        jo_q <= jo_q + HdW'(1);
      end
      // Non-zeros of the encoded vector; the product started now reads exactly that vector.
      enc_nnz_q <= (enc_start ? '0 : enc_nnz_q) + 32'(enc_nz);
      if (prod_start_o) begin
        prod_nnz_q <= enc_nnz_q;
        pt_q       <= prod_t;
      end
    end
  end

  // PREFETCH feeder and RF sets. Outside a PREFETCH phase both sets are 0 (plain products, the
  // H phase and the host see set 0).
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pf_q   <= 1'b0;
      pf_c_q <= '0;
      pf_t_q <= '0;
      xrdy_q <= 1'b0;
      wset_q <= 1'b0;
      rset_q <= 1'b0;
    end else begin
      if (pf_go) begin
        pf_q   <= 1'b1;
        pf_c_q <= '0;
        pf_t_q <= prod_t + TW'(1);
      end else if (ra_go) begin
        pf_q   <= 1'b1;
        pf_c_q <= '0;
        pf_t_q <= TW'(ra_next_q);
      end else if (pf_q) begin
        pf_q   <= !(wide_i ? enc_last : pf_last) && !eng_drain_i;
        pf_c_q <= pf_c_q + NW'(1);
      end
      if (prod_start_o || !busy) begin
        xrdy_q <= 1'b0;
      end else if (enc_done && pre_i) begin
        xrdy_q <= 1'b1;
      end
      if (start && !busy) begin
        wset_q <= 1'b0;
      end else if (pf_go) begin
        wset_q <= !prod_t[0];
      end else if (ra_go) begin
        wset_q <= ra_next_q[0];
      end
      if (start && !busy) begin
        rset_q <= 1'b0;
      end else if (prod_start_o && pre_i) begin
        rset_q <= prod_t[0];
      end
    end
  end

  assign act_wset_o = busy && wset_q;
  assign act_rset_o = busy && rset_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ra_next_q    <= '0;
      xdone_q      <= '0;
      nnz_set_q[0] <= '0;
      nnz_set_q[1] <= '0;
    end else if (start && !busy) begin
      ra_next_q <= '0;
      xdone_q   <= '0;
    end else begin
      if (prod_start_o && ra_i) begin
        ra_next_q <= (TW+1)'(2);                   // product 0's start also started x_1
      end else if (ra_go) begin
        ra_next_q <= ra_next_q + (TW+1)'(1);
      end
      if (enc_done && !is_h_q) begin
        xdone_q <= xdone_q + (TW+1)'(1);
        nnz_set_q[xdone_q[0]] <= enc_nnz_q;      // x_q is in set q mod 2
      end
    end
  end
  assign xdone_o = xdone_q + (TW+1)'(enc_done && !is_h_q);

  assign busy_o       = busy;
  assign run_m_o      = 16'(hd_q) * 16'd3;
  assign run_n_o      = is_h_q ? 16'(hd_q) : 16'(i_q);
  assign run_mode_o   = mode_q;
  assign run_rep_o    = rep_q;
  assign run_shift_o  = shift_q;
  assign steps_o      = steps_q;
  assign gru_cycles_o = gru_cyc_q;
  assign gru_mac_o    = gru_mac_q;
  assign gru_steals_o = gru_steals_q;

  // ---------------------------------------------------------------------------------------------
  // XBUF: x_t at t*N_MAX + c. Feed ports 0 .. EW-1 read columns c .. c+EW-1 (element mode:
  // port 0 only; word mode: c is the encoder's next column, ports past N_MAX stay off).
  // ---------------------------------------------------------------------------------------------
  logic               x_feed;
  logic [EW-1:0]      x_re;
  logic [EW*XAW-1:0]  x_raddr;
  logic [(EW+1)*16-1:0] x_rdata;
  logic [31:0]        x_col, x_base;
  logic               fd_x_we, fd_x_re;

  assign x_feed = ((state_q == SqEncFeed) && !is_h_q) || pf_q;
  assign x_col  = wide_i ? 32'(enc_col) : (pf_q ? 32'(pf_c_q) : 32'(c_q));
  assign x_base = (pf_q ? 32'(pf_t_q) : 32'(t_q)) * 32'(N_MAX);
  for (genvar i = 0; i < EW; i++) begin : g_x_port
    assign x_re[i] = x_feed && (i == 0 || wide_i) && (x_col + 32'(i) < 32'(N_MAX));
    assign x_raddr[i*XAW +: XAW] = XAW'(x_base + x_col + 32'(i));
  end
  assign fd_x_we = fd_we_i && (fd_wsel_i == masr_pkg::MEM_XBUF);
  assign fd_x_re = fd_re_i && (fd_rsel_i == masr_pkg::MEM_XBUF);

  masr_sram #(
    .Width (16),
    .Depth (XDepth),
    .NumRd (EW + 1),
    .BdName("xbuf")
  ) u_xbuf (
    .clk_i,
    .rst_ni,
    .we_i     (fd_x_we),
    .waddr_i  (fd_waddr_i[XAW-1:0]),
    .wdata_i  (fd_wdata_i[15:0]),
    .re_i     ({fd_x_re, x_re}),
    .raddr_i  ({fd_raddr_i[XAW-1:0], x_raddr}),
    .rdata_o  (x_rdata),
    .bd_load_i,
    .bd_row_i (8'd0),
    .bd_col_i (8'd0)
  );

  // ---------------------------------------------------------------------------------------------
  // HBUF: h_0 before an H phase, h_t during it
  // ---------------------------------------------------------------------------------------------
  logic             h_feed, hb_we, fd_hb_we, fd_hb_re;
  logic [HbAW-1:0]  hb_raddr, hb_waddr;
  logic [15:0]      hb_wdata;
  logic [2*16-1:0]  hb_rdata;

  assign h_feed   = ((state_q == SqEncFeed) && is_h_q) || (state_q == SqCell);
  assign hb_raddr = HbAW'(c_q);
  assign fd_hb_we = fd_we_i && (fd_wsel_i == masr_pkg::MEM_HBUF);
  assign fd_hb_re = fd_re_i && (fd_rsel_i == masr_pkg::MEM_HBUF);
  assign hb_we    = cell_vo || fd_hb_we;
  assign hb_waddr = cell_vo ? HbAW'(jo_q) : fd_waddr_i[HbAW-1:0];
  assign hb_wdata = cell_vo ? cell_h : fd_wdata_i[15:0];

  masr_sram #(
    .Width (16),
    .Depth (HD_MAX),
    .NumRd (2),
    .BdName("hbuf")
  ) u_hbuf (
    .clk_i,
    .rst_ni,
    .we_i     (hb_we),
    .waddr_i  (hb_waddr),
    .wdata_i  (hb_wdata),
    .re_i     ({fd_hb_re, h_feed}),
    .raddr_i  ({fd_raddr_i[HbAW-1:0], hb_raddr}),
    .rdata_o  (hb_rdata),
    .bd_load_i,
    .bd_row_i (8'd0),
    .bd_col_i (8'd0)
  );

  // ---------------------------------------------------------------------------------------------
  // GX (X phase: output taps -> GX[t]) and GH (H phase: output taps -> gh_t)
  // ---------------------------------------------------------------------------------------------
  logic [15:0] gx_q [0:GxDepth-1];
  logic [15:0] gh_q [0:M_MAX-1];

  logic [31:0] gx_base, gx_wbase;
  assign gx_base  = 32'(t_q) * 32'(M_MAX);
  // The output phase being written belongs to the latest product, or (OVERLAP) to the one before,
  // whose time index is one less (X phases run forward).
  assign gx_wbase = (ra_i ? 32'(out_t_i) : 32'(pt_q) - 32'(out_prev_i)) * 32'(M_MAX);

  function automatic logic [15:0] gx_read(input logic [31:0] addr);
    gx_read = (addr < 32'(GxDepth)) ? gx_q[GxAW'(addr)] : '0;
  endfunction

  function automatic logic [15:0] gh_read(input logic [31:0] addr);
    gh_read = (addr < 32'(M_MAX)) ? gh_q[GhAW'(addr)] : '0;
  endfunction

  logic [H-1:0]    gx_we, gh_we;
  logic [H*32-1:0] out_row;
  for (genvar h = 0; h < H; h++) begin : g_tap
    assign out_row[h*32 +: 32] = 32'(out_idx_i) * 32'(H) + 32'(h);
    assign gx_we[h] = out_we_i[h] && busy && !is_h_q;
    assign gh_we[h] = out_we_i[h] && busy && is_h_q;
  end

  always_ff @(posedge clk_i) begin
    for (int h = 0; h < H; h++) begin
      if (gx_we[h]) begin
        gx_q[GxAW'(gx_wbase + out_row[h*32 +: 32])] <= out_data_i[h*16 +: 16];
      end
      if (gh_we[h]) begin
        gh_q[GhAW'(out_row[h*32 +: 32])] <= out_data_i[h*16 +: 16];
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Element-wise unit: neuron j = c_q of step t
  // ---------------------------------------------------------------------------------------------
  logic [31:0] j_r, j_z, j_n;
  logic [15:0] gx_r, gx_z, gx_n, gh_r, gh_z, gh_n;
  logic [15:0] cell_r, cell_z, cell_n;

  assign j_r  = 32'(c_q);
  assign j_z  = 32'(c_q) + 32'(hd_q);
  assign j_n  = 32'(c_q) + 32'(hd_q) * 32'd2;
  assign gx_r = gx_read(gx_base + j_r);
  assign gx_z = gx_read(gx_base + j_z);
  assign gx_n = gx_read(gx_base + j_n);
  assign gh_r = gh_read(j_r);
  assign gh_z = gh_read(j_z);
  assign gh_n = gh_read(j_n);

  masr_gru_cell u_cell (
    .clk_i,
    .rst_ni,
    .valid_i  (cell_valid),
    .gx_r_i   (gx_r),
    .gx_z_i   (gx_z),
    .gx_n_i   (gx_n),
    .gh_r_i   (gh_r),
    .gh_z_i   (gh_z),
    .gh_n_i   (gh_n),
    .h_prev_i (hb_rdata[15:0]),
    .thr_i    ({1'b0, thr_q}),
    .valid_o  (cell_vo),
    .h_o      (cell_h),
    .r_o      (cell_r),
    .z_o      (cell_z),
    .n_o      (cell_n)
  );

  // The gate values are for scoreboards probing the cell; the sequencer needs only h.
  logic unused_gates;
  assign unused_gates = ^{cell_r, cell_z, cell_n};

  // ---------------------------------------------------------------------------------------------
  // HOUT: h_t[j] at t*2*HD_MAX + dir*HD_MAX + j
  // ---------------------------------------------------------------------------------------------
  logic [HoAW-1:0] ho_waddr;
  logic [15:0]     ho_rdata;
  logic            fd_ho_re;

  assign ho_waddr = HoAW'(32'(t_q) * 32'(2 * HD_MAX) + 32'(dir_q) * 32'(HD_MAX) + 32'(jo_q));
  assign fd_ho_re = fd_re_i && (fd_rsel_i == masr_pkg::MEM_HOUT);

  masr_sram #(
    .Width (16),
    .Depth (HoutDepth),
    .NumRd (1),
    .BdName("")
  ) u_hout (
    .clk_i,
    .rst_ni,
    .we_i     (cell_vo),
    .waddr_i  (ho_waddr),
    .wdata_i  (cell_h),
    .re_i     (fd_ho_re),
    .raddr_i  (fd_raddr_i[HoAW-1:0]),
    .rdata_o  (ho_rdata),
    .bd_load_i,
    .bd_row_i (8'd0),
    .bd_col_i (8'd0)
  );

  // ---------------------------------------------------------------------------------------------
  // Activation encoder: x_t / h_0 from the buffers, h_t from the cell
  // ---------------------------------------------------------------------------------------------
  logic [2*V-1:0] enc_seg;

  assign enc_valid = (state_q == SqEncFeed) || cell_vo || pf_q;
  // Slot 0 is the element-mode input; slots 1.. only carry x_t in word mode.
  logic [15:0] enc_slot0;
  assign enc_slot0 = cell_vo ? cell_h : (is_h_q ? hb_rdata[15:0] : x_rdata[15:0]);
  if (EW > 1) begin : g_wide_data
    assign enc_data = {x_rdata[EW*16-1:16], enc_slot0};
  end else begin : g_elem_data
    assign enc_data = enc_slot0;
  end
  assign enc_n     = is_h_q ? NW'(hd_q) : i_q;

  masr_act_encoder #(
    .V     (V),
    .B     (B),
    .N_MAX (N_MAX),
    .WIDE  (WIDE)
  ) u_enc (
    .clk_i,
    .rst_ni,
    .start_i    (enc_start),
    .clear_i    (eng_drain_i),
    .n_i        (enc_n),
    .mode_i     (mode_q),
    .wide_i     (wide_i),
    .valid_i    (enc_valid),
    .data_i     (enc_data),
    .ready_o    (enc_ready),
    .col_o      (enc_col),
    .last_o     (enc_last),
    .nz_o       (enc_nz),
    .busy_o     (enc_busy),
    .done_o     (enc_done),
    .am_we_o    (enc_am_we_o),
    .am_waddr_o (enc_am_waddr_o),
    .am_wdata_o (enc_am_wdata_o),
    .av_we_o    (enc_av_we_o),
    .av_waddr_o (enc_av_waddr_o),
    .av_pwe_o   (enc_av_pwe_o),
    .av_poff_o  (enc_av_poff_o),
    .av_wdata_o (enc_av_wdata_o),
    .seg_o      (enc_seg)
  );

  // The segment is already part of the encoder's write addresses.
  logic unused_seg;
  assign unused_seg = ^enc_seg;

  // ---------------------------------------------------------------------------------------------
  // STEP: word k of step s at s*8 + k, all eight written in the step's SqStep cycle
  // ---------------------------------------------------------------------------------------------
  logic [31:0] step_q [0:StepDepth-1];
  logic [8*32-1:0] step_words;

  assign step_words = {ra_i ? nnz_set_q[s_q[0]] : prod_nnz_q,   // 7 ACT_NNZ
                       step_cyc_q + 32'd1,       // 6 STEP_CYCLES (this SqStep cycle included)
                       perf_rows_i,              // 5 ROWS_DONE
                       perf_idle_i,              // 4 IDLE
                       perf_ref_i,               // 3 STEAL_REFUSED
                       perf_gnt_i,               // 2 STEAL_GRANTED
                       perf_mac_i,               // 1 MAC_BUSY
                       perf_cycles_i};           // 0 PROD_CYCLES

  always_ff @(posedge clk_i) begin
    if (state_q == SqStep) begin
      for (int k = 0; k < masr_pkg::StepWords; k++) begin
        step_q[StAW'(32'(s_q) * 32'(masr_pkg::StepWords) + 32'(k))] <= step_words[k*32 +: 32];
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Frontdoor read data (registered request of masr_top, valid the cycle after mem_re_i)
  // ---------------------------------------------------------------------------------------------
  logic [15:0] x_fd_rdata, hb_fd_rdata;
  assign x_fd_rdata  = x_rdata[EW*16 +: 16];
  assign hb_fd_rdata = hb_rdata[16 +: 16];

  always_comb begin
    fd_rdata_o = '0;
    if (fd_re_i) begin
      case (fd_rsel_i)
        masr_pkg::MEM_XBUF: fd_rdata_o = 32'(x_fd_rdata);
        masr_pkg::MEM_HBUF: fd_rdata_o = 32'(hb_fd_rdata);
        masr_pkg::MEM_GX:   fd_rdata_o = 32'(gx_read(32'(fd_raddr_i)));
        masr_pkg::MEM_HOUT: fd_rdata_o = 32'(ho_rdata);
        default:  fd_rdata_o = (32'(fd_raddr_i) < 32'(StepDepth)) ? step_q[StAW'(fd_raddr_i)]
                                                                   : '0;   // MEM_STEP
      endcase
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Simulation-only: GX/GH/STEP read 0 from time 0 (SRAM-like, no reset; no X in Icarus), and the
  // bd_dump_i dump of the GRU memories (docs/gru-layer.md 8.4), whole memories in address order.
  // masr_top drives it from its own bd_dump_gru_i: the ~20k words cost plain products too much.
  // ---------------------------------------------------------------------------------------------
`ifndef SYNTHESIS
`ifndef FORMAL  // simulator services (plusargs, strings, files): none in a formal model
  string dump_dir;
  logic  dump_dir_set;

  // Tasks (not a second always block) keep the arrays single-driven for Verilator.
  task automatic rf_clear;
    for (int i = 0; i < GxDepth; i++) begin
      gx_q[i] = '0;
    end
    for (int i = 0; i < M_MAX; i++) begin
      gh_q[i] = '0;
    end
    for (int i = 0; i < StepDepth; i++) begin
      step_q[i] = '0;
    end
  endtask

  initial begin
    rf_clear;
    dump_dir_set = $value$plusargs("masr_bd_dir=%s", dump_dir);
  end

  task automatic dump_gru;
    $writememh({dump_dir, "/xbuf.dump.hex"}, u_xbuf.mem_q);
    $writememh({dump_dir, "/hbuf.dump.hex"}, u_hbuf.mem_q);
    $writememh({dump_dir, "/gx.dump.hex"}, gx_q);
    $writememh({dump_dir, "/hout.dump.hex"}, u_hout.mem_q);
    $writememh({dump_dir, "/step.dump.hex"}, step_q);
  endtask

  always @(posedge bd_dump_i) begin
    if (dump_dir_set) begin
      dump_gru;
    end
  end
`endif  // FORMAL
`else
  logic unused_bd;
  assign unused_bd = bd_dump_i;
`endif

  // ---------------------------------------------------------------------------------------------
  // Assertions
  // ---------------------------------------------------------------------------------------------
  `ASSERT_INIT(SeqParamsOk_A, T_MAX >= 1 && HD_MAX >= 1 && (H & (H - 1)) == 0 && H >= 1 &&
                              XDepth <= 65536 && GxDepth <= 65536 && HoutDepth <= 65536 &&
                              StepDepth <= 65536 && T_MAX <= 65535 && HD_MAX <= 65535)
  // FSM: every 3-bit encoding is a state; the legal transitions are checked instead.
  `ASSERT_NEXT(SeqEncStartThenFeed_A, state_q == SqEncStart, state_q == SqEncFeed)
  `ASSERT_NEXT(SeqFeedThenWait_A, state_q == SqEncFeed,
               state_q == SqEncFeed || state_q == SqEncWait)
  `ASSERT_NEXT(SeqEncWaitThenProd_A, state_q == SqEncWait,
               state_q == SqEncWait || state_q == SqProd)
  `ASSERT_NEXT(SeqProdNext_A, state_q == SqProd,
               state_q == SqProd || state_q == SqCell || state_q == SqStep || state_q == SqIdle)
  `ASSERT_NEXT(SeqCellNext_A, state_q == SqCell, state_q == SqCell || state_q == SqCellWait)
  `ASSERT_NEXT(SeqCellWaitNext_A, state_q == SqCellWait,
               state_q == SqCellWait || state_q == SqStep)
  `ASSERT_NEXT(SeqStepNext_A, state_q == SqStep,
               state_q == SqIdle || state_q == SqEncStart || state_q == SqProd ||
               state_q == SqEncWait || state_q == SqStep)
  `ASSERT_IMPL(SeqStepAgainOnlyRunAhead_A, state_q == SqStep && state_d == SqStep, ra_i)
  `ASSERT_IMPL(SeqStepToWaitOnlyPrefetch_A, state_q == SqStep && state_d == SqEncWait, pre_i)
  `ASSERT_IMPL(SeqProdFromStepOnlyInH_A, state_q == SqStep && prod_start_o, is_h_q || pre_i)
  `ASSERT_IMPL(PrefetchOnlyWithOverlap_A, busy && pre_i, ovl_i)
  `ASSERT_NEVER(SeqStartWhileBusy_A, start && busy)
  `ASSERT_NEVER(SeqStartBoth_A, start_x_i && start_h_i)
  `ASSERT_IMPL(SeqStartLegal_A, start, cfg_i_i != '0 && 32'(cfg_i_i) <= N_MAX &&
                                      cfg_hd_i != '0 && 32'(cfg_hd_i) <= HD_MAX &&
                                      cfg_t_i != '0 && 32'(cfg_t_i) <= T_MAX &&
                                      cfg_mode_i <= masr_pkg::MODE_MAX)
  `ASSERT_IMPL(CellOnlyInH_A, state_q == SqCell || state_q == SqCellWait, is_h_q)
  // Step and time counters: s < T, t < T, completed steps <= T.
  `ASSERT_IMPL(StepInRange_A, busy, s_q < t_len_q && t_q < t_len_q)
  `ASSERT_IMPL(StepsLeT_A, busy, steps_q <= 32'(t_len_q) && steps_q == 32'(s_q))
  // Engine handshake: products start only when the engine accepts them; their ends (with
  // OVERLAP: an abort) arrive in SqProd; outside SqProd the lanes never compute and, without
  // OVERLAP, the engine is idle.
  `ASSERT_IMPL(ProdStartEngineReady_A, prod_start_o, eng_ready_i)
  `ASSERT_IMPL(EngDoneInProd_A, busy && ((eng_done_i && !ovl_i) || eng_drain_i),
               state_q == SqProd || (ra_i && state_q == SqStep))
  `ASSERT_IMPL(EngIdleOutsideProd_A, busy && !ra_i && state_q != SqProd && !prod_start_o,
               !eng_run_i && (ovl_i || eng_ready_i))
  // Run-ahead: one product start per phase; x_q is encoded only into a set no lane reads.
  `ASSERT_IMPL(RunAheadOneStart_A, prod_start_o && ra_i, state_q == SqEncWait && s_q == '0)
  `ASSERT_IMPL(RunAheadSetFree_A, ra_go, {1'b0, ce_cnt_i} + (TW+1)'(2) > ra_next_q)
  `ASSERT_IMPL(RunAheadOnlyPrefetch_A, busy && ra_i, pre_i && !is_h_q)
  `ASSERT_IMPL(OverlapOnlyInX_A, busy && ovl_i, !is_h_q)
  // Encoder: starts while idle; the cell's outputs only while it streams; no RF write while
  // the lanes compute (also asserted in masr_array).
  `ASSERT_IMPL(EncStartIdle_A, enc_start, !enc_busy)
  `ASSERT_IMPL(EncFeedReady_A, enc_valid, enc_ready)
  `ASSERT_NEVER(EncWriteWhileRun_A, eng_run_i && !ra_i &&
                (act_wset_o == act_rset_o) && ((enc_am_we_o | enc_av_we_o) != '0))
  `ASSERT_IMPL(EncDoneExpected_A, enc_done,
               state_q == SqEncWait || state_q == SqCellWait || (pre_i && busy))
  // PREFETCH: the feeder runs only in its phase, on the vector after the latest product's, and
  // a product started in SqStep has its vector encoded.
  `ASSERT_IMPL(FeederInPrefetch_A, pf_q, pre_i && busy && !is_h_q &&
                                         32'(pf_t_q) < 32'(t_len_q) && pf_c_q < i_q)
  `ASSERT_IMPL(FeederAfterProduct_A, pf_q && !ra_i, pf_t_q == pt_q + TW'(1))
  `ASSERT_IMPL(PrefetchStartReady_A, prod_start_o && pre_i && state_q == SqStep,
               (xrdy_q || enc_done) && !enc_busy)
  `ASSERT_IMPL(CellOutInPass_A, cell_vo, state_q == SqCell || state_q == SqCellWait)
  // Buffer addresses in range.
  `ASSERT_IMPL(WideOnlyInX_A, busy && wide_i, !is_h_q)
  `ASSERT_IMPL(WordFeedColumn_A, x_feed && wide_i, enc_col < i_q)
  `ASSERT_IMPL(XbufFeedInRange_A, x_feed && !pf_q && !wide_i,
               c_q < i_q && 32'(t_q) * 32'(N_MAX) + 32'(c_q) < XDepth)
  `ASSERT_IMPL(XbufPrefetchInRange_A, pf_q && !wide_i, 32'(pf_t_q) * 32'(N_MAX) + 32'(pf_c_q) < XDepth)
  `ASSERT_IMPL(HbufFeedInRange_A, h_feed, 32'(c_q) < 32'(hd_q))
  `ASSERT_IMPL(HbufWriteInRange_A, cell_vo, jo_q < hd_q)
  `ASSERT_IMPL(CellReadInRange_A, cell_valid, gx_base + j_n < GxDepth && j_n < M_MAX)
  `ASSERT_IMPL(HoutInRange_A, cell_vo, 32'(ho_waddr) < HoutDepth &&
                                       32'(t_q) * 32'(2 * HD_MAX) + 32'(dir_q) * 32'(HD_MAX) +
                                       32'(jo_q) < HoutDepth)
  for (genvar h = 0; h < H; h++) begin : g_tap_chk
    `ASSERT_IMPL(GxWriteInRange_A, gx_we[h],
                 out_row[h*32 +: 32] < 32'(hd_q) * 32'd3 &&
                 gx_wbase + out_row[h*32 +: 32] < GxDepth)
    `ASSERT_IMPL(GhWriteInRange_A, gh_we[h], out_row[h*32 +: 32] < 32'(hd_q) * 32'd3)
  end
  // The sequencer's HBUF write never meets a frontdoor write (frontdoor only while idle).
  `ASSERT_NEVER(HbufWriteCollision_A, cell_vo && fd_hb_we)
  `ASSERT_IMPL(FrontdoorWhileIdle_A, fd_we_i, !busy)

endmodule
