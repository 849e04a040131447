// Formal harness of masr_array: every row task is done exactly once per product (make formal,
// docs/formal.md; issue #15).
//
// One product from reset, driven the way masr_top drives the array: start_i for one cycle with
// the configuration (solver-chosen M, N, mode none / vertical / horizontal, rep_rows, and
// CFG_FEAT: 0 = v1, NULL_SKIP (rule N1) or NULL_SKIP | ROW_SKIP (N2), issue #12), then
// run_i until cend_i = run && all lanes finished (the top's cend), then ceil(M/H) output cycles
// with out_idx_i = 0, 1, ... . Memory contents are free: under -formal masr_sram has neither its
// backdoor nor its initial clear, so every mask, row pointer, weight and activation image is a
// starting state of this model at once.
//
// A row task is (lane L = h*V + v, local row i < R_h): global row i*H + h, partition v. The
// harness follows every task from the lanes' own events, through probes (the probe_* wires the
// proof script connects after flatten):
//   claim    lane X starts a row (row_start): its task is (victim, new_idx), victim = X for an own
//            row, X's prev / next neighbour on the mode's axis for a stolen one (new_tgt);
//   retire   (N2) lane X retires its own head row (retire, owner_row): claimed and ended in one
//            cycle, with no op;
//   ops      every op the AG of X pushes belongs to the task of X's current row;
//   row end  the AG's last cycle of X's current row (row_last_o);
//   deposit  the accumulator file of lane L is written (own MAC, prev-side or next-side
//            neighbour's MAC) at entry j: one op of task (L, j) is added.
// Properties (asserts):
//   ClaimOnce:          no task is claimed twice (owner and thief, two thieves, one lane twice),
//                       also not by two lanes in the same cycle;
//   StealNeighbour:     a stolen row comes from an existing neighbour on the steal mode's axis
//                       (none in mode none);
//   ClaimInRange:       an own row is one of [0, R_h), a stolen row one of the victim's replica
//                       rows [R_h - Q_h, R_h) (section 3: Q_h = min(R_h, rep_rows)), or with
//                       split ranges (CFG_FEAT.SPLIT) of the range the thief holds: [base_0,
//                       base_1) for the prev-side thief, [base_1, R_h) for the next-side one
//                       (the victim's plan registers, any legal plan);
//   OpsInRow / RowEndOnce: ops are pushed and rows end only inside a claimed row, each row task
//                       ends once;
//   DepositHasOp:       every accumulator write of task (L, j) adds an op of that task that was
//                       pushed in an earlier cycle and not deposited yet (the partial sum lands in
//                       the victim's entry, nowhere else, never twice);
//   NoWorkOutsideCompute: no claim, push or accumulator write outside the compute phase (the
//                       output phase reads settled accumulators);
//   AllClaimedAtEnd / AllRowsEndedAtEnd / AllDepositedAtEnd: when compute ends (cend_i), every
//                       task (L, i < R_h) was claimed exactly once and no other task was, every
//                       claimed row ended, and every pushed op was deposited;
//   ComputeBounded:     compute ends within CMax = R_MAX*KW_MAX*B + 3 cycles (the no-steal
//                       worst case: a claim cycle, R_MAX rows of at most B cycles per word, the
//                       last pop and the finished cycle), so the product is done at most
//                       CMax + ceil(M/H) cycles after start.
// Assumptions: reset in the first cycle only; a legal configuration at start (the top's start
// checks: 1 <= M <= M_MAX, 1 <= N <= N_MAX, mode <= 2, rep_rows saturated to R_MAX, no
// ERR_SLOTS) and a legal memory image in the ERR_WPTR sense: no weight address >= WDEPTH (that
// product aborts instead; the abort path is not covered here). Nothing else is assumed of the
// memories. The RTL's own assertions (lanes, arbiters, AGs, queues, SRAM ranges) are part of the
// proof.
// Witness > 0 replaces the properties by one reachability assert that is meant to FAIL (its trace
// is the witness that the depth reaches it): 1: a product completes its output phase after at
// least one stolen row; 2: an owner and a thief race for a victim's last row; 3: two thieves ask
// one victim in the same cycle (needs an axis of three lanes); 4: the longest product (CMax
// compute cycles, R_MAX output cycles) reaches its last output cycle; 5: a product completes
// its output phase after an N2 retire (CFG_FEAT.ROW_SKIP) and a stolen row.
`include "masr_assert.svh"

module array_formal #(
  parameter int H       = 2,
  parameter int V       = 2,
  parameter int B       = 2,
  parameter int G       = 2,
  parameter int M_MAX   = 4,
  parameter int N_MAX   = 4,
  parameter int SLOTS   = 6,
  parameter int WDEPTH  = 16,
  parameter int QDEPTH  = 2,
  parameter int Witness = 0,
  localparam int P_MAX   = (N_MAX + V - 1) / V,
  localparam int KW_MAX  = (P_MAX + B - 1) / B,
  localparam int R_MAX   = (M_MAX + H - 1) / H,
  localparam int NL      = H * V,
  localparam int NP      = (H / G) * V,
  localparam int NT      = NL * R_MAX,                    // row tasks, index L*R_MAX + i
  localparam int RowW    = $clog2(R_MAX + 1),
  localparam int IdxW    = (R_MAX > 1) ? $clog2(R_MAX) : 1,
  localparam int AmAddrW = $clog2(3 * KW_MAX),
  localparam int AvAddrW = $clog2(3 * P_MAX),
  localparam int CMax    = R_MAX * KW_MAX * B + 3,
  localparam int CcntW   = $clog2(CMax + 2),
  localparam int MW      = $clog2(M_MAX + 1)
) (
  input logic            clk_i,
  input logic            rst_ni,
  input logic [15:0]     cfg_m_i,
  input logic [15:0]     cfg_n_i,
  input logic [1:0]      cfg_mode_i,
  input logic [RowW-1:0] cfg_rep_i,
  input logic [masr_pkg::FeatW-1:0] cfg_feat_i,
  // Accumulator banks (two, as in a build with OVERLAP): the bank the product computes into
  // and the bank the output phase reads are free; the properties follow the writes.
  input logic            acc_wbank_i,
  input logic            acc_rbank_i
);

  // ---------------------------------------------------------------------------------------------
  // Engine sequencing (masr_top's FSM for a plain product)
  // ---------------------------------------------------------------------------------------------
  localparam logic [1:0] StIdle    = 2'd0;
  localparam logic [1:0] StCompute = 2'd1;
  localparam logic [1:0] StOutput  = 2'd2;
  localparam logic [1:0] StDone    = 2'd3;   // the one product of this model is over

  logic [1:0]      state_q;
  logic [IdxW-1:0] out_idx_q, out_last_q;
  logic            start, run, cend, abort, all_finished, err_wptr, slots_err;

  assign start = (state_q == StIdle);        // the first cycle after reset
  assign run   = (state_q == StCompute);
  assign abort = run && err_wptr;
  assign cend  = run && all_finished && !err_wptr;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= StIdle;
      out_idx_q  <= '0;
      out_last_q <= '0;
    end else begin
      case (state_q)
        StIdle: begin
          state_q    <= StCompute;
          out_idx_q  <= '0;
          out_last_q <= IdxW'((32'(cfg_m_i) + H - 1) / H - 1);
        end
        StCompute: begin
          if (abort) state_q <= StDone;
          else if (cend) state_q <= StOutput;
        end
        StOutput: begin
          out_idx_q <= out_idx_q + 1'b1;
          if (out_idx_q == out_last_q) state_q <= StDone;
        end
        default: state_q <= StDone;
      endcase
    end
  end

  // ---------------------------------------------------------------------------------------------
  // The array (no frontdoor, no encoder, no backdoor: the memories keep their free image)
  // ---------------------------------------------------------------------------------------------
  logic [H*32-1:0]     sums;
  logic [NL*32-1:0]    lane_rdata;
  logic [NP*32-1:0]    pe_rdata;
  logic [NL*7*32-1:0]  stats;
  logic [NL*masr_pkg::STAT_EV_NUM-1:0] stat_ev, stat_ev_par;   // unused: no PERF_* sums here
  logic [NL-1:0]       lane_enter;
  logic [NL*2-1:0]     lane_pid;

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
    .ACC_BANKS (2)
  ) u_dut (
    .clk_i,
    .rst_ni,
    .bd_load_i      (1'b0),
    .start_i        (start),
    .run_i          (run),
    .abort_i        (abort),
    .cend_i         (cend),
    .cfg_m_i,
    .cfg_n_i,
    .cfg_mode_i,
    .cfg_rep_i,
    .cfg_feat_i,
    .slots_err_o    (slots_err),
    .all_finished_o (all_finished),
    .err_wptr_o     (err_wptr),
    // one product, no run-ahead (the array is built without it: every lane stays in product 0)
    .o_pid_i        (2'd0),
    .open_pid_i     (2'd0),
    .gate_i         (1'b0),
    .open_last_i    (1'b0),
    .enter_o        (lane_enter),
    .pid_o          (lane_pid),
    .acc_wbank_i,
    .acc_rbank_i,
    .out_idx_i      (out_idx_q),
    .sum_o          (sums),
    .fd_we_i        (1'b0),
    .fd_wsel_i      (4'd0),
    .fd_wunit_i     (16'd0),
    .fd_waddr_i     (16'd0),
    .fd_wdata_i     (32'd0),
    .fd_re_i        (1'b0),
    .fd_rsel_i      (4'd0),
    .fd_runit_i     (16'd0),
    .fd_raddr_i     (16'd0),
    .lane_rdata_o   (lane_rdata),
    .pe_rdata_o     (pe_rdata),
    .enc_am_we_i    ({V{1'b0}}),
    .enc_am_waddr_i ({(V*AmAddrW){1'b0}}),
    .enc_am_wdata_i ({B{1'b0}}),
    .enc_av_we_i    ({V{1'b0}}),
    .enc_av_waddr_i ({(V*AvAddrW){1'b0}}),
    .enc_av_pwe_i   (1'b0),
    .enc_av_poff_i  (1'b0),
    .enc_av_wdata_i (16'd0),
    .act_wset_i     (1'b0),
    .act_rset_i     (1'b0),
    .stats_o        (stats),
    .stat_ev_o      (stat_ev),
    .stat_ev_par_o  (stat_ev_par)
  );

  // ---------------------------------------------------------------------------------------------
  // Environment
  // ---------------------------------------------------------------------------------------------
  logic past_valid_q = 1'b0;
  always @(posedge clk_i) past_valid_q <= 1'b1;
  always @(*) begin
    if (!past_valid_q) assume (!rst_ni);
    else assume (rst_ni);
    // The top's start checks (dim, mode, slots) and its saturation of rep_rows to R_MAX.
    if (start && rst_ni) begin
      assume (cfg_m_i != '0 && 32'(cfg_m_i) <= M_MAX);
      assume (cfg_n_i != '0 && 32'(cfg_n_i) <= N_MAX);
      assume (cfg_mode_i <= masr_pkg::MODE_MAX);
      assume (32'(cfg_rep_i) <= R_MAX);
      assume (!slots_err);
      // The top's CFG_FEAT check for the bits the lanes implement: no OVERLAP, ROW_SKIP only
      // with NULL_SKIP (SPLIT free: any legal plan, see ClaimInRange).
      assume (!cfg_feat_i[masr_pkg::FEAT_OVERLAP]);
      assume (!cfg_feat_i[masr_pkg::FEAT_ROW_SKIP] || cfg_feat_i[masr_pkg::FEAT_NULL_SKIP]);
    end
    // A legal image: every weight address inside WDEPTH (else ERR_WPTR aborts the product).
    if (run) assume (!err_wptr);
  end

  // ---------------------------------------------------------------------------------------------
  // Probes (connected by the proof script; element l = lane h*V + v)
  // ---------------------------------------------------------------------------------------------
  logic [NL-1:0]      probe_row_start;     // u_lane.row_start: the lane starts a row next cycle
  logic [NL*2-1:0]    probe_new_tgt;       // u_lane.new_tgt: own / prev / next neighbour's row
  logic [NL*RowW-1:0] probe_new_idx;       // u_lane.new_idx: its local row index
  logic [NL-1:0]      probe_row_end;       // u_lane.ag_last: last cycle of the AG's row
  logic [NL-1:0]      probe_push;          // u_lane.push: an op enters the queue
  logic [NL-1:0]      probe_own_we;        // u_lane.own_we: the own MAC writes the own file
  logic [NL*RowW-1:0] probe_mac_idx;       // ... at entry mac_idx
  logic [NL-1:0]      probe_din_prev;      // u_lane.din_prev_i: prev-side neighbour writes
  logic [NL*RowW-1:0] probe_din_prev_idx;
  logic [NL-1:0]      probe_din_next;      // u_lane.din_next_i: next-side neighbour writes
  logic [NL*RowW-1:0] probe_din_next_idx;
  logic [NL-1:0]      probe_race;          // u_lane.last_row_race (arbiter event, Witness 2)
  logic [NL-1:0]      probe_dual;          // u_lane.dual_thief (arbiter event, Witness 3)
  logic [NL*32-1:0]   probe_plan;          // u_dut.plan: every lane's {base_1, base_0} (split)
  logic [NL-1:0]      probe_retire;        // u_lane.retire: N2 retires the own head row ...
  logic [NL*RowW-1:0] probe_owner_row;     // u_lane.owner_row: ... this one (the arbiter's head)

  // ---------------------------------------------------------------------------------------------
  // The product's configuration and its decomposition (section 3), latched at start
  // ---------------------------------------------------------------------------------------------
  logic [MW-1:0]     m_q;
  logic [1:0]        mode_q;
  logic [RowW-1:0]   rep_q;
  logic              split_q;
  logic              vert, horiz;
  logic [H*RowW-1:0] rows_h, rs_h;        // R_h and rep_start_h = R_h - Q_h

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      m_q    <= '0;
      mode_q <= masr_pkg::MODE_NONE;
      rep_q  <= '0;
      split_q <= 1'b0;
    end else if (start) begin
      m_q    <= MW'(cfg_m_i);
      mode_q <= cfg_mode_i;
      rep_q  <= cfg_rep_i;
      split_q <= cfg_feat_i[masr_pkg::FEAT_SPLIT];
    end
  end
  assign vert  = (mode_q == masr_pkg::MODE_VERTICAL);
  assign horiz = (mode_q == masr_pkg::MODE_HORIZONTAL);

  for (genvar h = 0; h < H; h++) begin : g_rows
    logic [RowW-1:0] r, q;
    assign r = (32'(m_q) > h) ? RowW'((32'(m_q) - h + H - 1) / H) : '0;
    assign q = (mode_q == masr_pkg::MODE_NONE) ? '0 : (rep_q < r) ? rep_q : r;
    assign rows_h[h*RowW +: RowW] = r;
    assign rs_h[h*RowW +: RowW]   = r - q;
  end

  // ---------------------------------------------------------------------------------------------
  // Row-task events per lane
  // ---------------------------------------------------------------------------------------------
  localparam logic [1:0] TgtOwn  = 2'd0;
  localparam logic [1:0] TgtPrev = 2'd1;
  localparam logic [1:0] TgtNext = 2'd2;

  // One-hot of task (lane, idx); 0 for an index outside the file (no task).
  function automatic logic [NT-1:0] task_bit(input int lane, input logic [RowW-1:0] idx);
    task_bit = (32'(idx) < R_MAX) ? NT'(1) << (lane * R_MAX + 32'(idx)) : '0;
  endfunction

  logic [NL*NT-1:0] start_hot, push_hot, end_hot, dep_hot;  // per lane: tasks of its events
  logic [NL*NT-1:0] ret_hot;                                // N2 retires (claim + end, no op)
  logic [NL*NT-1:0] dep2_hot, dep3_hot;                     // (three accumulator ports)
  logic [NL-1:0]    bad_victim, bad_range, bad_push, bad_end, bad_outside;

  for (genvar l = 0; l < NL; l++) begin : g_lane
    localparam int Hl = l / V;
    localparam int Vl = l % V;
    logic [1:0]      tgt;
    logic [RowW-1:0] idx, vrows, vrs, vlo, vhi;
    logic [15:0]     vb0, vb1;
    logic            has_victim;
    int              victim, victim_h;
    logic [NT-1:0]   cur_q;               // task of the AG's current row (0: none)

    assign tgt = probe_new_tgt[l*2 +: 2];
    assign idx = probe_new_idx[l*RowW +: RowW];

    // Whose row a claim of this lane is: the harness's own neighbour map of section 5.
    always_comb begin
      victim     = l;
      victim_h   = Hl;
      has_victim = 1'b1;
      if (tgt == TgtPrev) begin
        if (vert && Vl > 0) begin
          victim = l - 1;
        end else if (horiz && Hl > 0) begin
          victim   = l - V;
          victim_h = Hl - 1;
        end else begin
          has_victim = 1'b0;
        end
      end else if (tgt == TgtNext) begin
        if (vert && Vl < V - 1) begin
          victim = l + 1;
        end else if (horiz && Hl < H - 1) begin
          victim   = l + V;
          victim_h = Hl + 1;
        end else begin
          has_victim = 1'b0;
        end
      end else if (tgt != TgtOwn) begin
        has_victim = 1'b0;
      end
    end
    assign vrows = rows_h[victim_h*RowW +: RowW];
    assign vrs   = rs_h[victim_h*RowW +: RowW];
    // Split ranges (section 3): the victim's range 0 [base_0, base_1) belongs to its prev-side
    // thief (for which the victim is the next neighbour), range 1 [base_1, R) to its next-side
    // thief. The plan registers are free (any image) and constant; the start check holds them
    // to 0 <= base_0 <= base_1 <= R (assumed: no ERR_SLOTS).
    assign vb0 = probe_plan[victim*32 +: 16];
    assign vb1 = probe_plan[victim*32 + 16 +: 16];
    assign vlo = !split_q ? vrs : (tgt == TgtNext) ? RowW'(vb0) : RowW'(vb1);
    assign vhi = (split_q && tgt == TgtNext) ? RowW'(vb1) : vrows;

    assign start_hot[l*NT +: NT] = (probe_row_start[l] && has_victim) ? task_bit(victim, idx) : '0;
    assign ret_hot[l*NT +: NT]   = probe_retire[l] ?
                                   task_bit(l, probe_owner_row[l*RowW +: RowW]) : '0;
    assign bad_victim[l] = probe_row_start[l] && !has_victim;
    assign bad_range[l]  = (probe_row_start[l] && has_victim &&
                            !(tgt == TgtOwn ? idx < vrows : (idx >= vlo && idx < vhi))) ||
                           (probe_retire[l] &&
                            !(probe_owner_row[l*RowW +: RowW] < rows_h[Hl*RowW +: RowW]));

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        cur_q <= '0;
      end else if (start) begin
        cur_q <= '0;
      end else if (probe_row_start[l]) begin
        cur_q <= start_hot[l*NT +: NT];
      end else if (run && probe_row_end[l]) begin
        cur_q <= '0;
      end
    end

    assign push_hot[l*NT +: NT] = probe_push[l] ? cur_q : '0;
    assign end_hot[l*NT +: NT]  = (run && probe_row_end[l]) ? cur_q : '0;
    assign bad_push[l] = probe_push[l] && (cur_q == '0);
    assign bad_end[l]  = run && probe_row_end[l] && (cur_q == '0);

    // This lane's accumulator file: entry j belongs to task (l, j).
    assign dep_hot[l*NT +: NT]  = probe_own_we[l] ?
                                  task_bit(l, probe_mac_idx[l*RowW +: RowW]) : '0;
    assign dep2_hot[l*NT +: NT] = probe_din_prev[l] ?
                                  task_bit(l, probe_din_prev_idx[l*RowW +: RowW]) : '0;
    assign dep3_hot[l*NT +: NT] = probe_din_next[l] ?
                                  task_bit(l, probe_din_next_idx[l*RowW +: RowW]) : '0;
    assign bad_outside[l] = !run && (probe_row_start[l] || probe_push[l] || probe_own_we[l] ||
                                     probe_din_prev[l] || probe_din_next[l] || probe_retire[l]);
  end

  // ---------------------------------------------------------------------------------------------
  // Ghost counters per task (2-bit, saturating: 3 means "more than twice")
  // ---------------------------------------------------------------------------------------------
  logic [NT*2-1:0] claimed_q, ended_q, inflight_q;
  logic [NT*3-1:0] n_claim, n_end, n_push, n_dep;     // events of this cycle per task
  logic [NT*3-1:0] n_ret;                              // N2 retires (claimed and ended now)
  logic [NT-1:0]   claim_twice, end_twice, dep_no_op, claim_wrong_end, end_open, op_open;

  function automatic logic [1:0] sat_add(input logic [1:0] a, input logic [2:0] b);
    logic [3:0] s;
    s = 4'(a) + 4'(b);
    sat_add = (s > 4'd3) ? 2'd3 : s[1:0];
  endfunction

  always_comb begin
    n_claim = '0;
    n_end   = '0;
    n_push  = '0;
    n_dep   = '0;
    n_ret   = '0;
    for (int t = 0; t < NT; t++) begin
      for (int l = 0; l < NL; l++) begin
        n_ret[t*3 +: 3]   = n_ret[t*3 +: 3] + 3'(ret_hot[l*NT + t]);
        n_claim[t*3 +: 3] = n_claim[t*3 +: 3] + 3'(start_hot[l*NT + t]);
        n_end[t*3 +: 3]   = n_end[t*3 +: 3] + 3'(end_hot[l*NT + t]);
        n_push[t*3 +: 3]  = n_push[t*3 +: 3] + 3'(push_hot[l*NT + t]);
        n_dep[t*3 +: 3]   = n_dep[t*3 +: 3] + 3'(dep_hot[l*NT + t]) + 3'(dep2_hot[l*NT + t]) +
                            3'(dep3_hot[l*NT + t]);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      claimed_q  <= '0;
      ended_q    <= '0;
      inflight_q <= '0;
    end else if (start) begin
      claimed_q  <= '0;
      ended_q    <= '0;
      inflight_q <= '0;
    end else begin
      for (int t = 0; t < NT; t++) begin
        claimed_q[t*2 +: 2] <= sat_add(claimed_q[t*2 +: 2], n_claim[t*3 +: 3] + n_ret[t*3 +: 3]);
        ended_q[t*2 +: 2]   <= sat_add(ended_q[t*2 +: 2], n_end[t*3 +: 3] + n_ret[t*3 +: 3]);
        // DepositHasOp keeps n_dep <= inflight; the add saturates.
        inflight_q[t*2 +: 2] <= sat_add(inflight_q[t*2 +: 2], n_push[t*3 +: 3]) -
                                n_dep[t*3 +: 2];
      end
    end
  end

  // Per task: the checks of this cycle, and the state expected when compute ends.
  for (genvar t = 0; t < NT; t++) begin : g_task
    localparam int Lt = t / R_MAX;
    localparam int It = t % R_MAX;
    logic [1:0] claimed, ended, inflight;
    logic [2:0] nc, ne, nd, nr;
    logic       exists;                   // (Lt, It) is a row of this product: It < R_h
    assign claimed  = claimed_q[t*2 +: 2];
    assign ended    = ended_q[t*2 +: 2];
    assign inflight = inflight_q[t*2 +: 2];
    assign nc       = n_claim[t*3 +: 3];
    assign ne       = n_end[t*3 +: 3];
    assign nd       = n_dep[t*3 +: 3];
    assign nr       = n_ret[t*3 +: 3];
    assign exists   = It < 32'(rows_h[(Lt / V)*RowW +: RowW]);

    assign claim_twice[t]     = 3'(claimed) + nc + nr > 3'd1;
    assign end_twice[t]       = 3'(ended) + ne > 3'(claimed);
    assign dep_no_op[t]       = nd > 3'(inflight);
    assign claim_wrong_end[t] = claimed != 2'(exists);
    assign end_open[t]        = ended != claimed;
    assign op_open[t]         = inflight != '0;
  end

  // Compute cycles so far (saturating).
  logic [CcntW-1:0] ccnt_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) ccnt_q <= '0;
    else if (run && ccnt_q != '1) ccnt_q <= ccnt_q + 1'b1;
  end

  // ---------------------------------------------------------------------------------------------
  // Properties
  // ---------------------------------------------------------------------------------------------
  if (Witness == 0) begin : g_props
    always @(posedge clk_i) begin
      if (rst_ni) begin
        ClaimOnce: assert (claim_twice == '0);
        StealNeighbour: assert (bad_victim == '0);
        ClaimInRange: assert (bad_range == '0);
        OpsInRow: assert (bad_push == '0);
        RowEndOnce: assert (bad_end == '0 && end_twice == '0);
        DepositHasOp: assert (dep_no_op == '0);
        NoWorkOutsideCompute: assert (bad_outside == '0);
        AllClaimedAtEnd: assert (!cend || claim_wrong_end == '0);
        AllRowsEndedAtEnd: assert (!cend || end_open == '0);
        AllDepositedAtEnd: assert (!cend || op_open == '0);
        ComputeBounded: assert (!run || 32'(ccnt_q) < CMax);
      end
    end
  end else begin : g_witness
    // Reachability, meant to FAIL: the counterexample is the witness.
    logic stolen_now, stole_q, retired_q;
    always_comb begin
      stolen_now = 1'b0;
      for (int l = 0; l < NL; l++) begin
        stolen_now |= probe_row_start[l] && probe_new_tgt[l*2 +: 2] != TgtOwn;
      end
    end
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        stole_q   <= 1'b0;
        retired_q <= 1'b0;
      end else begin
        stole_q   <= stole_q || stolen_now;
        retired_q <= retired_q || (probe_retire != '0);
      end
    end
    always @(posedge clk_i) begin
      if (rst_ni) begin
        if (Witness == 1) begin
          NoStealThenDone: assert (!(stole_q && state_q == StOutput && out_idx_q == out_last_q));
        end
        if (Witness == 2) begin
          NoLastRowRace: assert (probe_race == '0);
        end
        if (Witness == 3) begin
          NoDualThief: assert (probe_dual == '0);
        end
        if (Witness == 5) begin
          NoRetireThenDone: assert (!(retired_q && stole_q && state_q == StOutput &&
                                      out_idx_q == out_last_q));
        end
        if (Witness == 4) begin
          // The longest product: CMax compute cycles and R_MAX output cycles, to its last one.
          NoLongestProduct: assert (!(state_q == StOutput && out_idx_q == out_last_q &&
                                      32'(ccnt_q) == CMax && 32'(out_last_q) == R_MAX - 1));
        end
      end
    end
  end

endmodule
