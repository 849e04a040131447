// One MASR lane (h, v): docs/architecture.md sections 3, 5 and 6.
//
//   steal arbiter (claims) ─> rowptr SRAM ─┐
//   mask SRAM, PE act mask RF ─────────────┴─> prefix-sum address unit ─> queue ─> MAC
//   MAC (weight SRAM x PE act value RF) ─> accumulator file of this lane, or of the prev / next
//   neighbour for a stolen row; this lane's file also takes the neighbours' deposits.
//
// Cycle behaviour (section 5), per compute cycle:
//  - The AG "needs a row" when it is idle or in the last cycle of its row. In that cycle the lane
//    makes an owner claim (own rows left) or, as a thief, asks the neighbour with the larger
//    registered stealable count (ties -> prev). A granted row starts the next cycle.
//  - An op emitted in cycle t is pushed at the end of t; the MAC pops one op per cycle and adds
//    w * a into the accumulator entry of the row's owner (this lane or a neighbour).
//  - A stolen row is read from this lane's replica slot base + (i - rep_start_victim) and deposits
//    into the victim's entry i.
//  - Split replica ranges (feat_i[FEAT_SPLIT], docs/architecture.md sections 3 and 5): this lane as victim
//    exports range 0 = [rep_start, rep_mid) to its prev-side thief and range 1 = [rep_mid, R) to
//    its next-side thief (masr_steal_arb); as thief it reads, per neighbour, the count and row of
//    the range it holds (the array wires the side-specific outputs). The per-lane plan registers
//    [base_0, base_1] that define the ranges live here (plan_o, frontdoor mem_sel 13, backdoor
//    plan_<h>_<v>.hex); the array turns them into the configuration of this lane and its
//    neighbours.
//
// The lane's own configuration (R, replica geometry, K, mode, CFG_FEAT) is latched at start_i,
// so the host may rewrite CFG_* while a product runs without disturbing it.
//
// CFG_FEAT.RUN_AHEAD (rule O2 in a GRU X phase, docs/gru-layer.md 8.6): the lane moves through
// the phase's products by itself. pid_q is the product it is in (mod 4). A lane that needs a row
// and can neither claim nor steal one in its product ("stuck") enters the next one in that cycle
// when masr_top's gate allows it: the arbiter is initialised again (the same rows and ranges:
// every product of the phase has the same W), the new product's accumulator bank and statistics
// bank are cleared, and it claims there from the next cycle. The AG and the queue keep their
// state: the op the AG emits in that cycle belongs to the old product, so every queue entry and
// every deposit carries its product's parity, which selects the accumulator bank and the
// activation RF set the MAC reads (the AG's reads use the set of pid_q). Neighbours in another
// product are neither robbed nor asked (masr_array masks their stealable counts).
//
// CFG_FEAT.NULL_SKIP (rule N1, docs/perf-model.md "v2 rules"): in its claim cycle the lane reads
// the granted row's K mask words and the segment's K activation-mask words at once (KW_MAX read
// ports on the mask SRAM and on the PE's act mask RF; the memory images are unchanged) and
// masr_skip_addr issues the row's effective bits in max(1, e) cycles. With the bit clear the v1
// unit masr_prefix_addr walks the row word by word, exactly as before.
//
// CFG_FEAT.SCAN (rule N3, docs/perf-model.md; built when SCAN = 1): a row scanner beside the
// address generator. In the r-th cycle of its product (r = 0 the cycle after start_i or the
// entry) it reads own row r's K mask words and the own segment's K activation-mask words on
// KW_MAX more read ports of each and marks the row in a bitmap if it has no effective op. The
// arbiter retires marked rows at its head and at its ranges' tails at the end of every cycle
// (masr_steal_arb known_empty_i); they count in ROWS_OWN and cost no claim and no AG cycle.
`include "masr_assert.svh"

module masr_lane #(
  parameter int B      = 16,
  parameter int KW_MAX = 2,
  parameter int P_MAX  = 32,
  parameter int R_MAX  = 16,
  parameter int SLOTS  = 32,
  parameter int WDEPTH = 512,
  parameter int QDEPTH = 8,
  // Accumulator banks: 2 when the build implements CFG_FEAT.OVERLAP (a product computes into one
  // bank while the output phase drains the other), else 1.
  parameter int ACC_BANKS = 1,
  // The build implements CFG_FEAT.RUN_AHEAD: products in flight are told apart by their parity.
  parameter bit RUN_AHEAD = 1'b0,
  // The build implements CFG_FEAT.SCAN: the row scanner and its KW_MAX mask read ports.
  parameter bit SCAN = 1'b0,
  // Derived, do not override.
  localparam int MDEPTH   = SLOTS * KW_MAX,
  localparam int RowW     = $clog2(R_MAX + 1),            // row counts 0..R_MAX, local rows
  localparam int IdxW     = (R_MAX > 1) ? $clog2(R_MAX) : 1,  // accumulator entry index
  localparam int AccDepth = ACC_BANKS * R_MAX,
  localparam int AccAW    = (AccDepth > 1) ? $clog2(AccDepth) : 1,
  localparam int KwIdxW   = (KW_MAX > 1) ? $clog2(KW_MAX) : 1,  // word index k < KW_MAX
  localparam int KwW      = KwIdxW + 1,                    // K = 1..KW_MAX
  localparam int SlotW    = (SLOTS > 1) ? $clog2(SLOTS) : 1,
  localparam int MAddrW   = (MDEPTH > 1) ? $clog2(MDEPTH) : 1,
  localparam int WIdxW    = (WDEPTH > 1) ? $clog2(WDEPTH) : 1,
  localparam int AmAddrW  = $clog2(3 * KW_MAX),
  localparam int AvAddrW  = $clog2(3 * P_MAX),
  localparam int LaneMp   = SCAN ? 2 * KW_MAX : KW_MAX,   // act mask RF read ports of the lane
  localparam int NRows    = 1 << RowW,                     // the arbiter's row bitmaps
  // The AG's weight address: 16-bit row pointer plus up to KW_MAX*B non-zeros, one spare bit so
  // an address >= WDEPTH is always visible (ERR_WPTR) instead of wrapping.
  localparam int WAddrW   = 17,
  localparam int AAddrW   = $clog2(3 * P_MAX + KW_MAX * B),
  localparam int StatW    = 32,
  localparam int NumStats = 7,                             // the lane statistics (section 6)
  localparam int NumEv    = masr_pkg::STAT_EV_NUM          // counted events, for the PERF_* sums
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,

  // ---- engine control (masr_top via masr_array) ----
  input  logic                   start_i,        // accepted start: latch config, init claims,
                                                 // clear accumulators and statistics
  input  logic                   run_i,          // compute phase
  input  logic                   abort_i,        // ERR_WPTR abort: drop AG and queue state
  input  logic                   cend_i,         // last compute cycle (all lanes finished)

  // ---- configuration, sampled at start_i ----
  input  logic [1:0]             mode_i,
  input  logic [RowW-1:0]        rows_i,         // R of this lane
  input  logic [RowW-1:0]        rep_start_i,    // own rep_start = R - Q (R in mode none);
                                                 // split: base_0
  input  logic [RowW-1:0]        rep_mid_i,      // split: base_1 (ignored when shared)
  input  logic [RowW-1:0]        q_prev_i,       // replica rows imported from prev (0 if none)
  input  logic [RowW-1:0]        rs_prev_i,      // rep_start of the prev neighbour
  input  logic [RowW-1:0]        rs_next_i,      // rep_start of the next neighbour
  input  logic [KwW-1:0]         nwords_i,       // K
  input  logic [masr_pkg::FeatW-1:0] feat_i,     // CFG_FEAT of the product (validated)

  // ---- claims: this lane as thief ----
  input  logic [RowW-1:0]        s_prev_i,       // neighbours' stealable counts (0 if missing)
  input  logic [RowW-1:0]        s_next_i,
  output logic                   req_prev_o,     // steal request to the prev neighbour
  output logic                   req_next_o,
  input  logic                   gnt_prev_i,     // ... and its answers
  input  logic                   gnt_next_i,
  input  logic                   refuse_prev_i,
  input  logic                   refuse_next_i,
  input  logic [RowW-1:0]        row_prev_i,
  input  logic [RowW-1:0]        row_next_i,
  input  logic [1:0]             reason_prev_i,
  input  logic [1:0]             reason_next_i,

  // ---- claims: this lane as victim ----
  output logic [RowW-1:0]        stealable_o,    // what my prev-side thief may take
  output logic [RowW-1:0]        stealable_next_o, // ... my next-side thief (= stealable_o shared)
  input  logic                   vreq_prev_i,    // request of the prev-side thief (its next = me)
  input  logic                   vreq_next_i,    // request of the next-side thief (its prev = me)
  output logic                   vgnt_prev_o,
  output logic                   vgnt_next_o,
  output logic                   vrefuse_prev_o,
  output logic                   vrefuse_next_o,
  output logic [RowW-1:0]        vrow_o,         // row of a grant to my prev-side thief
  output logic [RowW-1:0]        vrow_next_o,    // ... to my next-side thief (= vrow_o shared)
  output logic [1:0]             vreason_o,

  // ---- deposits: my MAC into a neighbour's accumulator, and theirs into mine ----
  output logic                   dep_prev_o,     // into the prev neighbour's file
  output logic                   dep_next_o,     // into the next neighbour's file
  output logic [RowW-1:0]        dep_idx_o,
  output logic [31:0]            dep_val_o,
  input  logic                   din_prev_i,     // from the prev-side neighbour (I am its next)
  input  logic [RowW-1:0]        din_prev_idx_i,
  input  logic [31:0]            din_prev_val_i,
  input  logic                   din_next_i,     // from the next-side neighbour (I am its prev)
  input  logic [RowW-1:0]        din_next_idx_i,
  input  logic [31:0]            din_next_val_i,

  // ---- activation register files of my PE (combinational read) ----
  // (LaneMp ports: port 0 is the v1 unit's word read, ports 0..K-1 the N1 claim-cycle read,
  //  ports KW_MAX..KW_MAX+K-1 the scanner's read when SCAN is built)
  output logic [LaneMp-1:0]      amask_re_o,
  output logic [LaneMp*AmAddrW-1:0] amask_raddr_o,
  input  logic [LaneMp*B-1:0]    amask_rdata_i,
  output logic                   aval_re_o,
  output logic [AvAddrW-1:0]     aval_raddr_o,
  input  logic [15:0]            aval_rdata_i,

  // ---- status ----
  output logic                   finished_o,     // AG idle, nothing to claim, queue empty
  output logic                   err_wptr_o,     // this cycle emits a weight address >= WDEPTH

  // ---- run-ahead (masr_top): products by id mod 4 ----
  input  logic [1:0]             o_pid_i,        // oldest product whose compute has not ended
  input  logic [1:0]             open_pid_i,     // latest product lanes may enter
  input  logic                   gate_i,         // ... and the one after it opens now
  input  logic                   open_last_i,    // the latest open product is the phase's last
  output logic [1:0]             pid_o,          // the product this lane is in
  output logic                   enter_o,        // it enters the next product now
  output logic                   clear_o,        // it holds nothing of product o_pid_i (any more)
  output logic                   op_par_o,       // parity of the product of the op the MAC pops
  output logic                   dep_bank_o,     // accumulator bank of a deposit
  input  logic                   din_prev_bank_i,
  input  logic                   din_next_bank_i,

  // ---- output phase ----
  input  logic                   acc_wbank_i,    // bank the product started now computes into
  input  logic                   acc_rbank_i,    // bank the output phase reads
  input  logic [IdxW-1:0]        out_idx_i,
  output logic [31:0]            acc_o,          // acc[acc_rbank_i][out_idx_i]

  // ---- frontdoor / backdoor ----
  input  logic                   bd_load_i,
  input  logic [7:0]             bd_h_i,         // my position, names the backdoor files
  input  logic [7:0]             bd_v_i,         // (mask_<h>_<v>, ...)
  input  logic                   fd_mask_we_i,
  input  logic                   fd_rowptr_we_i,
  input  logic                   fd_weight_we_i,
  input  logic                   fd_plan_we_i,
  input  logic [15:0]            fd_waddr_i,
  input  logic [31:0]            fd_wdata_i,
  // Reads use the registered address of the top (never a top-level input directly: see the
  // note in masr_top), range already checked.
  input  logic                   fd_re_i,        // read of this lane
  input  logic [3:0]             fd_rsel_i,      // masr_pkg MEM_* (4-bit select)
  input  logic [15:0]            fd_raddr_i,
  output logic [31:0]            fd_rdata_o,

  // ---- split plan registers {base_1, base_0} (read by the array at start) ----
  output logic [31:0]            plan_o,

  // ---- statistics of the lane's product (section 6 order) ----
  output logic [NumStats*StatW-1:0] stats_o,
  // ---- this cycle's counted events (masr_pkg::STAT_EV_*) and the parity of each one's product,
  //      summed over the lanes per product by masr_perf_stats ----
  output logic [NumEv-1:0]       stat_ev_o,
  output logic [NumEv-1:0]       stat_ev_par_o,
  // ---- rows the scanner retired this cycle (ROWS_OWN beside STAT_EV_OWN, same parity) ----
  output logic [RowW:0]          stat_retired_o
);

  // ---------------------------------------------------------------------------------------------
  // Configuration latched at start
  // ---------------------------------------------------------------------------------------------
  logic [1:0]      mode_q;
  logic [RowW-1:0] rows_q, q_prev_q, rs_prev_q, rs_next_q;
  logic [KwW-1:0]  nwords_q;
  logic [masr_pkg::FeatW-1:0] feat_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mode_q      <= masr_pkg::MODE_NONE;
      rows_q      <= '0;
      q_prev_q    <= '0;
      rs_prev_q   <= '0;
      rs_next_q   <= '0;
      nwords_q    <= '0;
      feat_q      <= '0;
    end else if (start_i) begin
      mode_q      <= mode_i;
      rows_q      <= rows_i;
      q_prev_q    <= q_prev_i;
      rs_prev_q   <= rs_prev_i;
      rs_next_q   <= rs_next_i;
      nwords_q    <= nwords_i;
      feat_q      <= feat_i;
    end
  end

  // NULL_SKIP selects the address generator, ROW_SKIP enables the empty-row lookahead (rule N2);
  // SPLIT reaches the steal arbiter directly (it latches it at start like the replica bases);
  // RUN_AHEAD lets the lane move on by itself (masr_top sets it only in a run-ahead X phase);
  // OVERLAP, PREFETCH and WIDE_ENC do not change the lane (masr_top rejects a start with a bit
  // its FEAT_IMPL lacks: ERR_MODE).
  logic skip_en, rowskip_en, ra_en, scan_en;
  assign skip_en    = feat_q[masr_pkg::FEAT_NULL_SKIP];
  assign rowskip_en = feat_q[masr_pkg::FEAT_ROW_SKIP];   // legal only with skip_en (masr_top)
  assign ra_en      = RUN_AHEAD && feat_q[masr_pkg::FEAT_RUN_AHEAD];
  assign scan_en    = SCAN && feat_q[masr_pkg::FEAT_SCAN];  // legal only with skip_en
  logic unused_feat;
  assign unused_feat = ^feat_q[masr_pkg::FEAT_WIDE_ENC:masr_pkg::FEAT_ROW_SKIP+1];

  logic steal_en, vertical;
  assign steal_en = (mode_q != masr_pkg::MODE_NONE);
  assign vertical = (mode_q == masr_pkg::MODE_VERTICAL);

  // ---------------------------------------------------------------------------------------------
  // Memories
  // ---------------------------------------------------------------------------------------------
  // Frontdoor read enables. (Decoded into named signals, not inside port-connection
  // expressions: with a package import, Icarus 11 declared implicit nets for names there.)
  logic fd_mask_re, fd_rp_re, fd_w_re;
  assign fd_mask_re = fd_re_i && (fd_rsel_i == masr_pkg::MEM_MASK);
  assign fd_rp_re   = fd_re_i && (fd_rsel_i == masr_pkg::MEM_ROWPTR);
  assign fd_w_re    = fd_re_i && (fd_rsel_i == masr_pkg::MEM_WEIGHT);

  // Mask SRAM: ports 0 .. KW_MAX-1 address generator (v1: port 0, one word per cycle; N1: the
  // claimed row's K words in the claim cycle), then (SCAN) KW_MAX scanner ports, last the
  // frontdoor.
  logic [LaneMp-1:0]        mask_ag_re;
  logic [LaneMp*MAddrW-1:0] mask_ag_raddr;
  logic [B-1:0]             wmask;
  logic [(LaneMp+1)*B-1:0]  mask_rdata;

  masr_sram #(
    .Width (B),
    .Depth (MDEPTH),
    .NumRd (LaneMp + 1),
    .BdName("mask"),
    .BdIndexed(1'b1)
  ) u_mask (
    .clk_i,
    .rst_ni,
    .we_i     (fd_mask_we_i),
    .waddr_i  (fd_waddr_i[MAddrW-1:0]),
    .wdata_i  (fd_wdata_i[B-1:0]),
    .re_i     ({fd_mask_re, mask_ag_re}),
    .raddr_i  ({fd_raddr_i[MAddrW-1:0], mask_ag_raddr}),
    .rdata_o  (mask_rdata),
    .bd_load_i,
    .bd_row_i (bd_h_i),
    .bd_col_i (bd_v_i)
  );
  assign wmask = mask_rdata[B-1:0];

  // Row pointer SRAM: port 0 claim (pointer of the granted row), port 1 frontdoor.
  logic                 rp_re;
  logic [SlotW-1:0]     rp_raddr;
  logic [31:0]          rp_rdata;

  masr_sram #(
    .Width (16),
    .Depth (SLOTS),
    .NumRd (2),
    .BdName("rowptr"),
    .BdIndexed(1'b1)
  ) u_rowptr (
    .clk_i,
    .rst_ni,
    .we_i     (fd_rowptr_we_i),
    .waddr_i  (fd_waddr_i[SlotW-1:0]),
    .wdata_i  (fd_wdata_i[15:0]),
    .re_i     ({fd_rp_re, rp_re}),
    .raddr_i  ({fd_raddr_i[SlotW-1:0], rp_raddr}),
    .rdata_o  (rp_rdata),
    .bd_load_i,
    .bd_row_i (bd_h_i),
    .bd_col_i (bd_v_i)
  );

  // Weight SRAM: port 0 MAC, port 1 frontdoor.
  logic                 w_re;
  logic [WIdxW-1:0]     w_raddr;
  logic [15:0]          w_rdata;

  masr_sram #(
    .Width (8),
    .Depth (WDEPTH),
    .NumRd (2),
    .BdName("weight"),
    .BdIndexed(1'b1)
  ) u_weight (
    .clk_i,
    .rst_ni,
    .we_i     (fd_weight_we_i),
    .waddr_i  (fd_waddr_i[WIdxW-1:0]),
    .wdata_i  (fd_wdata_i[7:0]),
    .re_i     ({fd_w_re, w_re}),
    .raddr_i  ({fd_raddr_i[WIdxW-1:0], w_raddr}),
    .rdata_o  (w_rdata),
    .bd_load_i,
    .bd_row_i (bd_h_i),
    .bd_col_i (bd_v_i)
  );

  // Split plan registers: plan[0] = base_0, plan[1] = base_1 (ports 0, 1 always read by the
  // array's configuration logic; port 2 frontdoor).
  logic        fd_plan_re;
  logic [47:0] plan_rdata;

  assign fd_plan_re = fd_re_i && (fd_rsel_i == masr_pkg::MEM_PLAN);

  masr_sram #(
    .Width (16),
    .Depth (2),
    .NumRd (3),
    .BdName("plan"),
    .BdIndexed(1'b1)
  ) u_plan (
    .clk_i,
    .rst_ni,
    .we_i     (fd_plan_we_i),
    .waddr_i  (fd_waddr_i[0]),
    .wdata_i  (fd_wdata_i[15:0]),
    .re_i     ({fd_plan_re, 1'b1, 1'b1}),
    .raddr_i  ({fd_raddr_i[0], 1'b1, 1'b0}),
    .rdata_o  (plan_rdata),
    .bd_load_i,
    .bd_row_i (bd_h_i),
    .bd_col_i (bd_v_i)
  );
  assign plan_o = plan_rdata[31:0];

  // ---------------------------------------------------------------------------------------------
  // Steal arbiter: head/tail of my own rows, victim arbitration (section 5)
  // ---------------------------------------------------------------------------------------------
  logic            owner_req, owner_gnt;
  logic            enter;         // run-ahead: into the next product (defined below)
  logic [1:0]      pid_q;         // run-ahead: the product this lane is in (mod 4)
  logic            gone_q;        // run-ahead: it has left the phase's last product
  logic            retire;        // N2: the owner retires its empty head row (no AG cycle)
  logic [RowW-1:0] owner_row;
  logic [RowW:0]   remaining, stealable;
  logic            dual_thief, last_row_race;

  logic [RowW:0]   stealable_next;
  logic [NRows-1:0] known_empty, arb_known, scan_retired;   // N3 (the scanner is below)
  assign arb_known = run_i ? known_empty : '0;                // retires only while computing

  masr_steal_arb #(
    .RowW(RowW)
  ) u_arb (
    .clk_i,
    .rst_ni,
    .init_i             (start_i || enter),   // run-ahead: the next product's rows
    .split_i            (feat_i[masr_pkg::FEAT_SPLIT]),  // sampled at init_i, like the bases
    .rows_i             (rows_i),
    .rep_start_i        (rep_start_i),
    .rep_mid_i          (rep_mid_i),
    .owner_req_i        (owner_req || retire),   // N2: a retire is an owner action
    .thief_prev_req_i   (vreq_prev_i),
    .thief_next_req_i   (vreq_next_i),
    .known_empty_i      (arb_known),
    .owner_gnt_o        (owner_gnt),
    .owner_row_o        (owner_row),
    .thief_prev_gnt_o   (vgnt_prev_o),
    .thief_next_gnt_o   (vgnt_next_o),
    .thief_prev_row_o   (vrow_o),
    .thief_next_row_o   (vrow_next_o),
    .thief_prev_refuse_o(vrefuse_prev_o),
    .thief_next_refuse_o(vrefuse_next_o),
    .refuse_reason_o    (vreason_o),
    .remaining_o        (remaining),
    .stealable_prev_o   (stealable),
    .stealable_next_o   (stealable_next),
    .dual_thief_o       (dual_thief),
    .last_row_race_o    (last_row_race),
    .retire_rows_o      (scan_retired)
  );

  // stealable <= R <= R_MAX < 2^RowW: the top bit of the arbiter's counts is always 0. With the
  // shared range both thieves see the same count and row.
  assign stealable_o      = stealable[RowW-1:0];
  assign stealable_next_o = stealable_next[RowW-1:0];
  logic unused_arb;
  assign unused_arb = stealable[RowW] ^ stealable_next[RowW] ^ (|plan_rdata[47:32]);

  // ---------------------------------------------------------------------------------------------
  // Address generator (prefix-sum address unit) and claims
  // ---------------------------------------------------------------------------------------------
  localparam logic [1:0] TgtOwn  = 2'd0;
  localparam logic [1:0] TgtPrev = 2'd1;
  localparam logic [1:0] TgtNext = 2'd2;

  logic               ag_busy, ag_op, ag_last, ag_zero, q_full, q_empty;
  logic               v1_op, v1_last, v1_zero, sk_has_op, sk_op, sk_last, sk_zero;
  logic [WAddrW-1:0]  v1_waddr, sk_waddr;
  logic [AAddrW-1:0]  v1_aaddr, sk_aaddr;
  logic [KwIdxW-1:0]  ag_word;
  logic               ag_has_op;
  logic [WAddrW-1:0]  ag_waddr;
  logic [AAddrW-1:0]  ag_aaddr;
  logic               need, thief, any_s, pick_prev, got_own, got_prev, got_next, row_start;
  logic [RowW-1:0]    new_idx;
  logic [SlotW+1:0]   new_slot;
  logic [1:0]         new_tgt, new_seg;
  logic [AAddrW-1:0]  new_abase;

  // Row context of the AG's current row (set when a row starts).
  logic [MAddrW-1:0]  mbase_q;      // slot * K: mask SRAM address of word 0
  logic [AmAddrW-1:0] ambase_q;     // seg * KW_MAX: act mask RF address of word 0
  logic [MAddrW-1:0]  new_mbase;    // the granted row's mask SRAM address of word 0
  logic [AmAddrW-1:0] new_ambase;   // ... and its act mask RF address of word 0
  logic [1:0]         tgt_q;        // whose accumulator the row's ops go to
  logic [RowW-1:0]    idx_q;        // local row index in that accumulator file

  // Needs a row: idle, or in the last cycle of its row (section 5).
  assign need      = run_i && (!ag_busy || ag_last);
  assign owner_req = need && (remaining != '0);
  assign thief     = need && (remaining == '0) && steal_en;
  // (A lane that has left the phase's last product steals nothing more: it is in no product.)
  assign any_s     = !gone_q && ((s_prev_i != '0) || (s_next_i != '0));
  assign pick_prev = (s_prev_i >= s_next_i);               // larger count, ties -> prev
  assign req_prev_o = thief && any_s && pick_prev;
  assign req_next_o = thief && any_s && !pick_prev;

  assign got_own   = owner_gnt && !retire;      // a retired row never starts the AG
  assign got_prev  = req_prev_o && gnt_prev_i;
  assign got_next  = req_next_o && gnt_next_i;
  assign row_start = got_own || got_prev || got_next;

  // Run-ahead. Lanes are in the latest open product or the one before it (masr_top asserts it):
  // a lane behind enters as soon as it is stuck, a lane in the latest one when the gate of the
  // next opens now, and a stuck lane in the phase's last product leaves it (gone: it is idle in
  // no product any more).
  logic       stuck, behind, leave;
  assign stuck   = need && (remaining == '0) && !(steal_en && any_s);
  assign behind  = (pid_q != open_pid_i);
  assign enter   = ra_en && stuck && !gone_q && (behind || gate_i);
  assign leave   = ra_en && stuck && !gone_q && !behind && open_last_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pid_q  <= '0;
      gone_q <= 1'b0;
    end else if (start_i) begin
      pid_q  <= '0;
      gone_q <= 1'b0;
    end else begin
      if (enter) begin
        pid_q <= pid_q + 2'd1;
      end
      if (leave) begin
        gone_q <= 1'b1;
      end
    end
  end

  assign pid_o   = pid_q;
  assign enter_o = enter;

  // The granted row's slot, accumulator target and activation segment.
  always_comb begin
    new_idx   = owner_row;
    new_slot  = (SlotW+2)'(owner_row);
    new_tgt   = TgtOwn;
    new_seg   = masr_pkg::SEG_OWN;
    if (got_prev) begin
      new_idx  = row_prev_i;
      new_slot = (SlotW+2)'(rows_q) + (SlotW+2)'(row_prev_i) - (SlotW+2)'(rs_prev_q);
      new_tgt  = TgtPrev;
      new_seg  = vertical ? masr_pkg::SEG_PREV : masr_pkg::SEG_OWN;
    end else if (got_next) begin
      new_idx  = row_next_i;
      new_slot = (SlotW+2)'(rows_q) + (SlotW+2)'(q_prev_q) + (SlotW+2)'(row_next_i)
               - (SlotW+2)'(rs_next_q);
      new_tgt  = TgtNext;
      new_seg  = vertical ? masr_pkg::SEG_NEXT : masr_pkg::SEG_OWN;
    end
    new_abase = AAddrW'(new_seg) * AAddrW'(P_MAX);
  end

  assign new_mbase  = MAddrW'(new_slot[SlotW-1:0] * nwords_q);
  assign new_ambase = AmAddrW'(new_seg) * AmAddrW'(KW_MAX);

  assign rp_re    = row_start;
  assign rp_raddr = new_slot[SlotW-1:0];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mbase_q  <= '0;
      ambase_q <= '0;
      tgt_q    <= TgtOwn;
      idx_q    <= '0;
    end else if (row_start) begin
      mbase_q  <= new_mbase;
      ambase_q <= new_ambase;
      tgt_q    <= new_tgt;
      idx_q    <= new_idx;
    end
  end

  // Memory reads of the address generators. v1 (port 0): the current word of the running row.
  // N1: words k < K of the one row this lane can be granted in this cycle (mask SRAM address
  // slot * K + k, act mask RF seg * KW_MAX + k; words k >= K are zeroed), read every compute
  // cycle in which a claim is possible and registered by masr_skip_addr only when the row is
  // granted. That row follows from registered state alone: the owner's row is head; a thief
  // can only be granted the victim's tail - 1 from the side it asks (the larger registered
  // stealable count), read speculatively and dropped if refused (rule N1). So the read never
  // waits for the grant (asserted below: at a row start it is the granted row).
  logic [KW_MAX*B-1:0]    row_wmask, row_amask;
  logic                   v1_busy, sk_busy, spec_ok;
  logic [SlotW+1:0]       spec_slot;
  logic [1:0]             spec_seg;
  logic [MAddrW-1:0]      spec_mbase;
  logic [AmAddrW-1:0]     spec_ambase;

  always_comb begin
    spec_slot = (SlotW+2)'(owner_row);
    spec_seg  = masr_pkg::SEG_OWN;
    if (remaining == '0) begin
      if (pick_prev) begin
        spec_slot = (SlotW+2)'(rows_q) + (SlotW+2)'(row_prev_i) - (SlotW+2)'(rs_prev_q);
        spec_seg  = vertical ? masr_pkg::SEG_PREV : masr_pkg::SEG_OWN;
      end else begin
        spec_slot = (SlotW+2)'(rows_q) + (SlotW+2)'(q_prev_q) + (SlotW+2)'(row_next_i)
                  - (SlotW+2)'(rs_next_q);
        spec_seg  = vertical ? masr_pkg::SEG_NEXT : masr_pkg::SEG_OWN;
      end
    end
  end
  // A claim is possible: own rows left, or a neighbour shows a stealable row.
  assign spec_ok     = skip_en && run_i && ((remaining != '0) || (steal_en && any_s));
  assign spec_mbase  = MAddrW'(spec_slot[SlotW-1:0] * nwords_q);
  assign spec_ambase = AmAddrW'(spec_seg) * AmAddrW'(KW_MAX);

  for (genvar k = 0; k < KW_MAX; k++) begin : g_wide
    logic wide_re, in_row;
    assign in_row  = (KwW'(k) < nwords_q);
    assign wide_re = spec_ok && in_row;
    if (k == 0) begin : g_port0
      assign mask_ag_re[0]    = v1_busy || wide_re;
      assign amask_re_o[0]    = v1_busy || wide_re;
      assign mask_ag_raddr[0 +: MAddrW]   = skip_en ? spec_mbase : mbase_q + MAddrW'(ag_word);
      assign amask_raddr_o[0 +: AmAddrW]  = skip_en ? spec_ambase : ambase_q + AmAddrW'(ag_word);
    end else begin : g_portk
      assign mask_ag_re[k]    = wide_re;
      assign amask_re_o[k]    = wide_re;
      assign mask_ag_raddr[k*MAddrW +: MAddrW]    = spec_mbase + MAddrW'(k);
      assign amask_raddr_o[k*AmAddrW +: AmAddrW]  = spec_ambase + AmAddrW'(k);
    end
    assign row_wmask[k*B +: B] = in_row ? mask_rdata[k*B +: B] : '0;
    assign row_amask[k*B +: B] = in_row ? amask_rdata_i[k*B +: B] : '0;
  end

  // N2 empty-row lookahead (CFG_FEAT.ROW_SKIP): while the AG works through a row and makes no
  // claim (so the speculative read above shows the own row at head), an own head row without
  // an effective op is retired: head += 1 through the arbiter's owner port, counted in
  // ROWS_OWN, no AG cycle, no MAC op. At most one per cycle; a claim cycle never retires.
  assign retire = rowskip_en && run_i && !need && (remaining != '0) &&
                  ((row_wmask & row_amask) == '0);

  // N3 row scanner (CFG_FEAT.SCAN): scan_q is the own row read in this cycle of the product. A
  // row found without an effective op is known empty from the end of this cycle on (the
  // arbiter already retires it then); the bitmap is the product's, cleared at every entry.
  logic [RowW:0]     scan_q, scan_n;
  logic [NRows-1:0]  empty_q;
  logic              scan_rd, scan_empty;
  logic [RowW:0]     retired_n;

  assign scan_rd = scan_en && run_i && (scan_q < {1'b0, rows_q});
  if (SCAN) begin : g_scan
    logic [KW_MAX*B-1:0] scan_wmask, scan_amask;
    for (genvar k = 0; k < KW_MAX; k++) begin : g_port
      logic in_row;
      assign in_row = (KwW'(k) < nwords_q);
      assign mask_ag_re[KW_MAX + k] = scan_rd && in_row;
      assign amask_re_o[KW_MAX + k] = scan_rd && in_row;
      assign mask_ag_raddr[(KW_MAX + k)*MAddrW +: MAddrW] =
          MAddrW'(scan_q[RowW-1:0] * nwords_q) + MAddrW'(k);
      assign amask_raddr_o[(KW_MAX + k)*AmAddrW +: AmAddrW] =
          AmAddrW'(masr_pkg::SEG_OWN) * AmAddrW'(KW_MAX) + AmAddrW'(k);
      assign scan_wmask[k*B +: B] = in_row ? mask_rdata[(KW_MAX + k)*B +: B] : '0;
      assign scan_amask[k*B +: B] = in_row ? amask_rdata_i[(KW_MAX + k)*B +: B] : '0;
    end
    assign scan_empty = scan_rd && ((scan_wmask & scan_amask) == '0);
  end else begin : g_no_scan
    assign scan_empty = 1'b0;
  end

  assign known_empty = empty_q | (scan_empty ? (NRows'(1) << scan_q[RowW-1:0]) : '0);
  assign scan_n      = scan_q + (RowW+1)'(scan_rd);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      scan_q  <= '0;
      empty_q <= '0;
    end else if (start_i || enter) begin
      scan_q  <= '0;
      empty_q <= '0;
    end else begin
      scan_q  <= scan_n;
      empty_q <= known_empty;
    end
  end

  masr_popcount #(.Width(NRows)) u_cnt_retired (.in_i(scan_retired), .cnt_o(retired_n));
  assign stat_retired_o = (run_i && !start_i) ? retired_n : '0;

  masr_prefix_addr #(
    .B      (B),
    .WAddrW (WAddrW),
    .AAddrW (AAddrW),
    .KW     (KW_MAX)
  ) u_ag (
    .clk_i,
    .rst_ni,
    .clr_i      (start_i || abort_i),
    .row_start_i(row_start && !skip_en),
    .rowptr_i   (WAddrW'(rp_rdata[15:0])),
    .abase_i    (new_abase),
    .nwords_i   (nwords_q),
    .busy_o     (v1_busy),
    .word_o     (ag_word),
    .wmask_i    (wmask),
    .amask_i    (amask_rdata_i[B-1:0]),
    .stall_i    (q_full),
    .op_valid_o (v1_op),
    .w_addr_o   (v1_waddr),
    .a_addr_o   (v1_aaddr),
    .row_last_o (v1_last),
    .row_zero_o (v1_zero)
  );

  masr_skip_addr #(
    .B      (B),
    .KW     (KW_MAX),
    .WAddrW (WAddrW),
    .AAddrW (AAddrW)
  ) u_skip (
    .clk_i,
    .rst_ni,
    .clr_i      (start_i || abort_i),
    .row_start_i(row_start && skip_en),
    .rowptr_i   (WAddrW'(rp_rdata[15:0])),
    .abase_i    (new_abase),
    .wmask_i    (row_wmask),
    .amask_i    (row_amask),
    .stall_i    (q_full),
    .busy_o     (sk_busy),
    .has_op_o   (sk_has_op),
    .op_valid_o (sk_op),
    .w_addr_o   (sk_waddr),
    .a_addr_o   (sk_aaddr),
    .row_last_o (sk_last),
    .row_zero_o (sk_zero)
  );

  // The unit of the running product (CFG_FEAT is latched at start, where both units go idle).
  assign ag_busy  = v1_busy || sk_busy;
  assign ag_op    = skip_en ? sk_op : v1_op;
  assign ag_waddr = skip_en ? sk_waddr : v1_waddr;
  assign ag_aaddr = skip_en ? sk_aaddr : v1_aaddr;
  assign ag_last  = skip_en ? sk_last : v1_last;
  assign ag_zero  = skip_en ? sk_zero : v1_zero;

  // ---------------------------------------------------------------------------------------------
  // Decoupling queue and MAC
  // ---------------------------------------------------------------------------------------------
  localparam int OpW = 1 + 2 + RowW + WIdxW + AvAddrW;

  logic               push, pop, stall;
  logic [$clog2(QDEPTH+1)-1:0] q_count;
  logic [OpW-1:0]     op_in, op_out;
  logic [1:0]         mac_tgt;
  logic               mac_par;      // parity of the op's product (run-ahead)
  logic [RowW-1:0]    mac_idx;
  logic [WIdxW-1:0]   mac_waddr;
  logic [AvAddrW-1:0] mac_aaddr;
  logic signed [23:0] prod;
  logic [31:0]        prod32;

  // The AG has an op to emit whenever its current word has effective bits left; within a busy
  // row that is exactly "the word is not empty" (a word ends with its last op), so the stall
  // event can be derived here: masr_prefix_addr gates op_valid_o with stall_i itself.
  assign ag_has_op  = skip_en ? sk_has_op : v1_busy && ((wmask & amask_rdata_i[B-1:0]) != '0);
  assign stall      = run_i && ag_has_op && q_full;
  assign push       = run_i && ag_op;
  assign err_wptr_o = push && (ag_waddr >= WAddrW'(WDEPTH));
  assign op_in      = {pid_q[0], tgt_q, idx_q, ag_waddr[WIdxW-1:0], ag_aaddr[AvAddrW-1:0]};

  masr_fifo #(
    .Width(OpW),
    .Depth(QDEPTH)
  ) u_queue (
    .clk_i,
    .rst_ni,
    .clr_i  (start_i || abort_i),
    .push_i (push),
    .wdata_i(op_in),
    .pop_i  (pop),
    .rdata_o(op_out),
    .empty_o(q_empty),
    .full_o (q_full),
    .count_o(q_count)
  );

  assign pop = run_i && !q_empty;                 // one MAC per cycle whenever work is queued
  assign {mac_par, mac_tgt, mac_idx, mac_waddr, mac_aaddr} = op_out;
  assign op_par_o = mac_par;

  assign w_re         = pop;
  assign w_raddr      = mac_waddr;
  assign aval_re_o    = pop;
  assign aval_raddr_o = mac_aaddr;

  assign prod   = $signed(w_rdata[7:0]) * $signed(aval_rdata_i);
  assign prod32 = 32'(prod);                      // sign-extends (signed operand)

  assign dep_prev_o = pop && (mac_tgt == TgtPrev);
  assign dep_next_o = pop && (mac_tgt == TgtNext);
  assign dep_idx_o  = mac_idx;
  assign dep_val_o  = prod32;

  // ---------------------------------------------------------------------------------------------
  // Accumulator file: three write ports (own MAC, prev-side and next-side neighbours' MACs).
  // A row is claimed exactly once, so the ports never hit the same entry in one cycle (asserted).
  // With two banks (OVERLAP) a start clears only the bank it computes into, so the output phase
  // of the previous product can still drain the other one; under run-ahead product p uses bank
  // b0 ^ (p mod 2) (b0: product 0's), entering clears the new product's bank, and every write
  // goes to the bank of its op's product. No reset (a memory, like the SRAMs).
  // ---------------------------------------------------------------------------------------------
  logic [31:0] acc_q [AccDepth];
  logic        own_we, own_bank, b0_q, acc_clr, clr_bank;

  // Entry i of bank b; a one-bank build ignores the bank.
  function automatic logic [AccAW-1:0] acc_addr(input logic bank, input logic [IdxW-1:0] idx);
    acc_addr = AccAW'(32'((ACC_BANKS > 1) && bank) * 32'(R_MAX) + 32'(idx));
  endfunction

  assign own_we   = pop && (mac_tgt == TgtOwn);
  assign own_bank = b0_q ^ mac_par;
  assign dep_bank_o = own_bank;         // a deposit is an op of this lane's MAC too
  assign acc_clr  = start_i || enter;
  assign clr_bank = start_i ? acc_wbank_i : !(b0_q ^ pid_q[0]);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      b0_q <= 1'b0;
    end else if (start_i) begin
      b0_q <= acc_wbank_i;
    end
  end

  // A start has no write beside it (nothing computes); an entry clears the other bank than the
  // writes of its cycle (asserted below), so their order does not matter.
  always_ff @(posedge clk_i) begin
    if (acc_clr) begin
      for (int j = 0; j < R_MAX; j++) begin
        acc_q[acc_addr(clr_bank, IdxW'(j))] <= '0;
      end
    end
    if (own_we) begin
      acc_q[acc_addr(own_bank, mac_idx[IdxW-1:0])] <=
          acc_q[acc_addr(own_bank, mac_idx[IdxW-1:0])] + prod32;
    end
    if (din_prev_i) begin
      acc_q[acc_addr(din_prev_bank_i, din_prev_idx_i[IdxW-1:0])] <=
          acc_q[acc_addr(din_prev_bank_i, din_prev_idx_i[IdxW-1:0])] + din_prev_val_i;
    end
    if (din_next_i) begin
      acc_q[acc_addr(din_next_bank_i, din_next_idx_i[IdxW-1:0])] <=
          acc_q[acc_addr(din_next_bank_i, din_next_idx_i[IdxW-1:0])] + din_next_val_i;
    end
  end

  assign acc_o = acc_q[acc_addr(acc_rbank_i, out_idx_i)];

  // ---------------------------------------------------------------------------------------------
  // Status
  // ---------------------------------------------------------------------------------------------
  assign finished_o = !ag_busy && (remaining == '0) && !any_s && q_empty;

  // Nothing of product o left here: in o, finished; in o+1, no op of o in the queue (it holds
  // at most one); behind o, not yet entered.
  logic in_o, ahead_o;
  assign in_o    = (pid_q == o_pid_i);
  assign ahead_o = (pid_q == o_pid_i + 2'd1);
  assign clear_o = in_o ? finished_o : (ahead_o && !(!q_empty && (mac_par == o_pid_i[0])));

  // ---------------------------------------------------------------------------------------------
  // Statistics and FLAGS (section 6) of the product the lane is in, cleared at start and when the
  // lane enters the next product (run-ahead). The MAC's pops count for their op's product: pops of
  // the previous product's ops left in the queue after an entry are not this product's. Idle
  // cycles count only while the lane's product computes and the lane has not left the phase's
  // last product. The PERF_* sums do not read these counters: every event also goes out with its
  // product's parity (stat_ev_o), so that two products in flight need no second bank per lane.
  // ---------------------------------------------------------------------------------------------
  logic [StatW-1:0]  st_mac_q, st_own_q, st_stolen_q, st_lost_q, st_refused_q, st_idle_q;
  logic [masr_pkg::FlagsW-1:0] flags_q, flags_set;
  logic              row_stolen_q, refused, ended, idle_now, mac_mine, stat_clr;
  logic [1:0]        reason;
  logic              sb, mb;        // parity of the lane's product, of the popped op's product

  // Split ranges can lose two rows in one cycle (one per thief).
  logic [1:0] lost_n;
  assign lost_n  = {1'b0, vgnt_prev_o} + {1'b0, vgnt_next_o};
  assign refused = (req_prev_o && refuse_prev_i) || (req_next_o && refuse_next_i);
  assign reason  = req_prev_o ? reason_prev_i : reason_next_i;
  assign sb      = RUN_AHEAD && pid_q[0];
  assign mb      = RUN_AHEAD && mac_par;
  // The lane's product has ended its compute (it waits behind the oldest product that has not).
  assign ended    = (pid_q == o_pid_i - 2'd1);
  assign idle_now = !ag_busy && !row_start && !ended && !gone_q;

  always_comb begin
    flags_set = '0;
    flags_set[masr_pkg::FLAG_DUAL_THIEF]         = dual_thief;
    flags_set[masr_pkg::FLAG_LAST_ROW_RACE]      = last_row_race;
    flags_set[masr_pkg::FLAG_REFUSED_EXHAUSTED]  = refused &&
                                                   (reason == masr_pkg::REFUSE_EXHAUSTED);
    flags_set[masr_pkg::FLAG_REFUSED_DONE]       = refused && (reason == masr_pkg::REFUSE_DONE);
    flags_set[masr_pkg::FLAG_VICTIM_THEN_THIEF]  = (got_prev || got_next) &&
                                                   (st_lost_q != '0);
    flags_set[masr_pkg::FLAG_ZERO_WORK_STEAL]    = run_i && ag_last && ag_zero && row_stolen_q;
    flags_set[masr_pkg::FLAG_STOLE_PREV]         = got_prev;
    flags_set[masr_pkg::FLAG_STOLE_NEXT]         = got_next;
    flags_set[masr_pkg::FLAG_REFUSED_CONTENTION] = refused &&
                                                   (reason == masr_pkg::REFUSE_CONTENTION);
  end

  assign stat_clr = start_i || enter;
  assign mac_mine = pop && (mb == sb);
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_mac_q     <= '0;
      st_own_q     <= '0;
      st_stolen_q  <= '0;
      st_lost_q    <= '0;
      st_refused_q <= '0;
      st_idle_q    <= '0;
      flags_q      <= '0;
    end else if (stat_clr) begin
      st_mac_q     <= '0;
      st_own_q     <= '0;
      st_stolen_q  <= '0;
      st_lost_q    <= '0;
      st_refused_q <= '0;
      st_idle_q    <= '0;
      flags_q      <= '0;
    end else if (run_i) begin
      st_mac_q     <= st_mac_q + StatW'(mac_mine);
      st_own_q     <= st_own_q + StatW'(owner_gnt) + StatW'(retired_n);  // claims, N2, N3
      st_stolen_q  <= st_stolen_q + StatW'(got_prev || got_next);
      st_lost_q    <= st_lost_q + StatW'(lost_n);
      st_refused_q <= st_refused_q + StatW'(refused);
      st_idle_q    <= st_idle_q + StatW'(idle_now);
      flags_q      <= flags_q | flags_set;
    end
  end

  // The same events for the PERF_* sums. A start drops its cycle's events, as it does here; an
  // entry does not (they belong to the product the lane leaves, whose sums are still open).
  always_comb begin
    stat_ev_o = '0;
    stat_ev_o[masr_pkg::STAT_EV_MAC]     = pop;
    stat_ev_o[masr_pkg::STAT_EV_OWN]     = owner_gnt;
    stat_ev_o[masr_pkg::STAT_EV_STOLEN]  = got_prev || got_next;
    stat_ev_o[masr_pkg::STAT_EV_REFUSED] = refused;
    stat_ev_o[masr_pkg::STAT_EV_IDLE]    = idle_now;
    stat_ev_o[masr_pkg::STAT_EV_STALL]   = stall;
    stat_ev_o = (run_i && !start_i) ? stat_ev_o : '0;
    stat_ev_par_o = {NumEv{sb}};
    stat_ev_par_o[masr_pkg::STAT_EV_MAC] = mb;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      row_stolen_q <= 1'b0;
    end else if (start_i) begin
      row_stolen_q <= 1'b0;
    end else if (run_i && row_start) begin
      row_stolen_q <= got_prev || got_next;
    end
  end

  assign stats_o = {StatW'(flags_q), st_idle_q, st_refused_q, st_lost_q, st_stolen_q, st_own_q,
                    st_mac_q};

  // ---------------------------------------------------------------------------------------------
  // Frontdoor read data (read at the top's registered address)
  // ---------------------------------------------------------------------------------------------
  logic [B-1:0]     fd_mask_rdata;
  logic [15:0]      fd_rp_rdata;
  logic [7:0]       fd_w_rdata;
  logic [2:0]       fd_stat_sel;
  logic [StatW-1:0] fd_stat_rdata;

  assign fd_mask_rdata = mask_rdata[LaneMp*B +: B];
  assign fd_rp_rdata   = rp_rdata[31:16];
  assign fd_w_rdata    = w_rdata[15:8];
  assign fd_stat_sel   = fd_raddr_i[2:0];
  assign fd_stat_rdata = stats_o[32'(fd_stat_sel) * StatW +: StatW];

  assign fd_rdata_o = (fd_rsel_i == masr_pkg::MEM_PLAN)   ? 32'(plan_rdata[47:32]) :
                      (fd_rsel_i == masr_pkg::MEM_MASK)   ? 32'(fd_mask_rdata) :
                      (fd_rsel_i == masr_pkg::MEM_ROWPTR) ? 32'(fd_rp_rdata)   :
                      (fd_rsel_i == masr_pkg::MEM_WEIGHT) ? 32'(fd_w_rdata)    :
                      (fd_rsel_i == masr_pkg::MEM_STATS)  ? fd_stat_rdata      : 32'd0;

  // ---------------------------------------------------------------------------------------------
  // Assertions
  // ---------------------------------------------------------------------------------------------

  // Only invariants the leaves cannot see are asserted here. Checked in the leaves already (and
  // not repeated, assertions dominate simulation time): SRAM / RF read addresses in range
  // (masr_sram RaddrInRange_A: mask, act mask, weight, act value), queue overflow
  // (masr_fifo NoPushWhenFull_A), op on an effective bit only (masr_prefix_addr
  // OpBitEffective_A), row start legality (RowStartLegal_A), victim grants one-hot, granted only
  // on request, and every own row granted exactly once with all of them granted when the lane
  // runs out of rows (masr_steal_arb BothThievesGranted_A, ThiefGntOnlyOnReq_A, the g_claims
  // bitmap checks). Work conservation over the whole array is checked in masr_top
  // (RowsDoneIsMV_A).

  // Claims: an owner claim is always granted; a lane starts at most one row per cycle, and only
  // when it needs one. (A sum, not $onehot0: Icarus 11 evaluates $onehot0 of a concatenation
  // wrongly.)
  `ASSERT(OwnerAlwaysGranted, owner_gnt == (owner_req || retire))
  // N2: a retire needs ROW_SKIP (and so NULL_SKIP), never coincides with a claim, and takes a
  // row with no effective op.
  `ASSERT_IMPL(RetireLegal, retire,
               rowskip_en && skip_en && !need && !owner_req && (row_wmask & row_amask) == '0)
  `ASSERT(OneRowSource, 32'(got_own) + 32'(got_prev) + 32'(got_next) <= 1)
  // N3: only a scanning lane retires, and only rows its scanner has read in this product.
  `ASSERT_IMPL(RetireOnlyWhenScanning, scan_retired != '0, scan_en && skip_en && run_i)
  `ASSERT(MarksBelowScan, (empty_q & ~((NRows'(1) << scan_q[RowW-1:0]) - NRows'(1))) == '0)
  `ASSERT_IMPL(RowStartOnlyWhenNeeded, row_start, need)

  // Compact addresses in range: the claimed slot, the accumulator entry of every MAC.
  `ASSERT_IMPL(SlotInRange, row_start,
               new_slot < (SlotW+2)'(SLOTS) && (!got_own || owner_row < rows_q))
  `ASSERT_IMPL(MacIdxInRange, pop, 32'(mac_idx) < R_MAX)

  // N1: the speculative claim-cycle read is the granted row (slot and activation segment), and
  // only one address generator is ever busy (CFG_FEAT is latched at start).
  `ASSERT_IMPL(SpecReadIsGrantedRow, skip_en && row_start,
               spec_ok && spec_slot == new_slot && spec_seg == new_seg)
  `ASSERT_NEVER(OneAddrGen, v1_busy && sk_busy)
  `ASSERT_IMPL(AddrGenOfFeat, ag_busy, skip_en ? sk_busy : v1_busy)

  // Queue and MAC: the MAC pops every cycle the queue is not empty, so the queue never holds more
  // than one op (a stall needs QDEPTH = 1); nothing moves outside the compute phase.
  `ASSERT(QueueAtMostOne, 32'(q_count) <= 1)
  `ASSERT_IMPL(NoMacOutsideCompute, !run_i, !pop && !push)

  // Accumulator file: no two deposits into the same entry in one cycle, entries in range.
  `ASSERT_NEVER(DepositCollision,
                (own_we && din_prev_i && (mac_idx == din_prev_idx_i)) ||
                (own_we && din_next_i && (mac_idx == din_next_idx_i)) ||
                (din_prev_i && din_next_i && (din_prev_idx_i == din_next_idx_i)))
  `ASSERT_IMPL(DepositInRange, din_prev_i || din_next_i,
               (!din_prev_i || 32'(din_prev_idx_i) < R_MAX) &&
               (!din_next_i || 32'(din_next_idx_i) < R_MAX))

  // End of compute: every lane is finished (AG idle, no own rows left, queue empty), or under
  // run-ahead holds nothing of the product that ends.
  `ASSERT_IMPL(FinishedAtEnd, cend_i, ra_en ? clear_o : finished_o)

  // Run-ahead: only stuck lanes move on, one product at a time; an entry clears the bank its
  // product computes into, never the one this cycle's writes go to; without run-ahead the lane
  // stays in product 0.
  `ASSERT_IMPL(EnterOnlyStuck, enter || leave, ra_en && stuck && run_i)
  `ASSERT_NEVER(EnterAndLeave, enter && leave)
  `ASSERT_IMPL(NoRunAheadNoMove, !ra_en, pid_q == '0 && !gone_q)
  `ASSERT_IMPL(EntryClearsFreeBank, enter,
               !(own_we && own_bank == clr_bank) &&
               !(din_prev_i && din_prev_bank_i == clr_bank) &&
               !(din_next_i && din_next_bank_i == clr_bank))
  `ASSERT_IMPL(GoneIsStuck, gone_q && run_i, (remaining == '0) && !any_s && !row_start)

endmodule
