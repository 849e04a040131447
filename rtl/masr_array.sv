// The MASR lane array: H x V lanes and (H/G) x V PEs (docs/architecture.md sections 3 and 5).
//
// What lives here (and nothing else):
//  - the per-lane decomposition of the run-time configuration (R, Q, rep_start, replica bases),
//    handed to every lane at start, and the ERR_SLOTS check on the same numbers; with split
//    replica ranges (cfg_split) the bases come from the lanes' plan registers instead of
//    rep_rows (docs/architecture.md section 3);
//  - the neighbour wiring of the steal mode (vertical: (h, v+-1), horizontal: (h+-1, v), none):
//    stealable counts, thief requests and answers, and deposits of stolen rows' products into
//    the victim's accumulator file;
//  - the output-phase reduction sum_v acc[h][v][i] for all h in parallel;
//  - end-of-compute detection (all lanes finished, or under run-ahead: all lanes clear of the
//    oldest product) and the OR of the lanes' ERR_WPTR flags;
//  - run-ahead (CFG_FEAT.RUN_AHEAD): neighbours in different products do not see each other's
//    stealable counts, and each lane's PE ports read the activation set of their product;
//  - frontdoor write decode per lane / PE (the top checks ranges and muxes the read data);
//  - the activation encoder's per-column write ports (GRU sequencer), broadcast to every PE
//    (g, v) of column v and muxed with the frontdoor write port inside the PE.
`include "masr_assert.svh"

module masr_array #(
  parameter int H      = 4,
  parameter int V      = 2,
  parameter int B      = 16,
  parameter int G      = 2,
  parameter int M_MAX  = 64,
  parameter int N_MAX  = 64,
  parameter int SLOTS  = 32,
  parameter int WDEPTH = 512,
  parameter int QDEPTH = 8,
  parameter int ACC_BANKS = 1,                     // 2: double-buffered accumulators (OVERLAP)
  parameter int ACT_SETS  = 1,                     // 2: two activation RF sets (PREFETCH)
  parameter int ENC_W     = 1,                     // B: encoder word mode (WIDE_ENC) value ports
  parameter bit RUN_AHEAD = 1'b0,                  // run-ahead built (CFG_FEAT.RUN_AHEAD)
  parameter bit SCAN      = 1'b0,                  // row scanners built (CFG_FEAT.SCAN)
  // Derived, do not override.
  localparam int P_MAX    = (N_MAX + V - 1) / V,
  localparam int KW_MAX   = (P_MAX + B - 1) / B,
  localparam int R_MAX    = (M_MAX + H - 1) / H,
  localparam int NL       = H * V,                 // lanes, index h*V + v
  localparam int NP       = (H / G) * V,           // PEs, index g*V + v
  localparam int RowW     = $clog2(R_MAX + 1),
  localparam int IdxW     = (R_MAX > 1) ? $clog2(R_MAX) : 1,
  localparam int KwW      = ((KW_MAX > 1) ? $clog2(KW_MAX) : 1) + 1,
  localparam int StatW    = 32,
  localparam int NumStats = 7,                     // the lane statistics (section 6)
  localparam int NumEv    = masr_pkg::STAT_EV_NUM,
  localparam int AmAddrW  = $clog2(3 * KW_MAX),
  localparam int AvAddrW  = $clog2(3 * P_MAX),
  localparam int LaneMp   = SCAN ? 2 * KW_MAX : KW_MAX,  // act mask read ports per lane
  localparam int EncOffW  = (ENC_W > 1) ? $clog2(ENC_W) : 1
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  input  logic                        bd_load_i,

  // ---- engine control ----
  input  logic                        start_i,      // accepted start (cycle before compute)
  input  logic                        run_i,        // compute phase
  input  logic                        abort_i,      // ERR_WPTR abort
  input  logic                        cend_i,       // last compute cycle

  // ---- run-time configuration (live CFG registers; lanes latch it at start_i) ----
  input  logic [15:0]                 cfg_m_i,
  input  logic [15:0]                 cfg_n_i,
  input  logic [1:0]                  cfg_mode_i,
  input  logic [RowW-1:0]             cfg_rep_i,    // rep_rows saturated to R_MAX
  input  logic [masr_pkg::FeatW-1:0]  cfg_feat_i,   // CFG_FEAT (legal for this build)
  output logic                        slots_err_o,  // some lane needs R + Q_prev + Q_next > SLOTS,
                                                    // or (SPLIT) has a plan outside [0, R]

  // ---- status ----
  output logic                        all_finished_o,
  output logic                        err_wptr_o,
  // ---- run-ahead (masr_top): product ids mod 4 ----
  input  logic [1:0]                  o_pid_i,      // oldest product whose compute has not ended
  input  logic [1:0]                  open_pid_i,   // latest product lanes may enter
  input  logic                        gate_i,       // the product after it opens now
  input  logic                        open_last_i,  // the latest open product is the last
  output logic [NL-1:0]               enter_o,      // lanes entering the next product now
  output logic [NL*2-1:0]             pid_o,        // the product of every lane

  // ---- accumulator banks and output phase ----
  input  logic                        acc_wbank_i,  // bank a product started now computes into
  input  logic                        acc_rbank_i,  // bank the output phase reads
  input  logic [IdxW-1:0]             out_idx_i,
  output logic [H*32-1:0]             sum_o,        // per h: sum over v of acc[h][v][out_idx]

  // ---- frontdoor (ranges checked by the top) ----
  input  logic                        fd_we_i,      // write: straight from the memory port
  input  logic [3:0]                  fd_wsel_i,
  input  logic [15:0]                 fd_wunit_i,
  input  logic [15:0]                 fd_waddr_i,
  input  logic [31:0]                 fd_wdata_i,
  input  logic                        fd_re_i,      // read: the top's registered request
  input  logic [3:0]                  fd_rsel_i,
  input  logic [15:0]                 fd_runit_i,
  input  logic [15:0]                 fd_raddr_i,
  output logic [NL*32-1:0]            lane_rdata_o, // per lane: mask / rowptr / weight / stats
  output logic [NP*32-1:0]            pe_rdata_o,   // per PE: act mask / act value

  // ---- activation encoder (GRU sequencer): one write port per PE column v ----
  input  logic [V-1:0]                enc_am_we_i,
  input  logic [V*AmAddrW-1:0]        enc_am_waddr_i,
  input  logic [B-1:0]                enc_am_wdata_i,
  input  logic [V-1:0]                enc_av_we_i,
  input  logic [V*AvAddrW-1:0]        enc_av_waddr_i,
  input  logic [ENC_W-1:0]            enc_av_pwe_i,
  input  logic [ENC_W*EncOffW-1:0]    enc_av_poff_i,
  input  logic [ENC_W*16-1:0]         enc_av_wdata_i,
  input  logic                        act_wset_i,   // activation RF set the encoder writes
  input  logic                        act_rset_i,   // activation RF set the lanes read

  // ---- per-lane statistics (section 6 order) of each lane's product, and each lane's
  //      counted events of the cycle with their products' parities (for the PERF_* sums) ----
  output logic [NL*NumStats*StatW-1:0] stats_o,
  output logic [NL*NumEv-1:0]         stat_ev_o,
  output logic [NL*NumEv-1:0]         stat_ev_par_o,
  output logic [NL*(RowW+1)-1:0]      stat_retired_o   // rows each lane's scanner retired
);

  // ---------------------------------------------------------------------------------------------
  // Decomposition of the configuration (section 3)
  // ---------------------------------------------------------------------------------------------
  // R_h = ceil_div(M - h, H) for h < M, else 0; Q_h = min(R_h, rep_rows) (0 in mode none);
  // rep_start_h = R_h - Q_h. K = ceil_div(ceil_div(N, V), B).
  logic [H*RowW-1:0] rows_h, q_h, rs_h;
  logic [KwW-1:0]    nwords;
  logic [16:0]       pwidth;

  always_comb begin
    for (int h = 0; h < H; h++) begin
      logic [16:0]     rem;
      logic [RowW-1:0] r, q;
      rem = (17'(cfg_m_i) > 17'(h)) ? 17'(cfg_m_i) - 17'(h) + 17'(H - 1) : 17'd0;
      r   = RowW'(rem / 17'(H));
      q   = (cfg_mode_i == masr_pkg::MODE_NONE) ? '0 : ((cfg_rep_i < r) ? cfg_rep_i : r);
      rows_h[h*RowW +: RowW] = r;
      q_h[h*RowW +: RowW]    = q;
      rs_h[h*RowW +: RowW]   = r - q;
    end
  end

  assign pwidth = (17'(cfg_n_i) + 17'(V - 1)) / 17'(V);
  assign nwords = KwW'((pwidth + 17'(B - 1)) / 17'(B));

  // The steal mode of the running product drives the neighbour wiring.
  logic [1:0] mode_q;
  logic       vert, horiz;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mode_q <= masr_pkg::MODE_NONE;
    end else if (start_i) begin
      mode_q <= cfg_mode_i;
    end
  end
  assign vert  = (mode_q == masr_pkg::MODE_VERTICAL);
  // A run-ahead product: lanes read the activation set of their own product.
  logic ra_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ra_q <= 1'b0;
    end else if (start_i) begin
      ra_q <= RUN_AHEAD && cfg_feat_i[masr_pkg::FEAT_RUN_AHEAD];
    end
  end

  // Split replica ranges (CFG_FEAT.SPLIT) of a product started now (the lanes latch feat_i).
  logic cfg_split;
  assign cfg_split = cfg_feat_i[masr_pkg::FEAT_SPLIT];
  assign horiz = (mode_q == masr_pkg::MODE_HORIZONTAL);

  // ---------------------------------------------------------------------------------------------
  // Per-lane wires (flattened: lane l = h*V + v)
  // ---------------------------------------------------------------------------------------------
  logic [NL-1:0]        req_prev, req_next, vgnt_prev, vgnt_next, vref_prev, vref_next;
  logic [NL*RowW-1:0]   stealable, stealable_nx, vrow, vrow_nx;
  logic [NL*32-1:0]     plan;
  logic [NL-1:0]        plan_bad;
  logic [NL*2-1:0]      vreason;
  logic [NL-1:0]        dep_prev, dep_next;
  logic [NL*RowW-1:0]   dep_idx;
  logic [NL*32-1:0]     dep_val, acc;
  logic [NL-1:0]        finished, clear, err_wptr, slots_bad, op_par, dep_bank;
  logic [NL*2-1:0]      pid;
  logic [NL*LaneMp-1:0] amask_re;             // LaneMp activation-mask read ports per lane
  logic [NL-1:0]        aval_re;
  logic [NL*LaneMp*AmAddrW-1:0] amask_raddr;
  logic [NL*AvAddrW-1:0] aval_raddr;
  logic [NL*LaneMp*B-1:0] amask_rdata;
  logic [NL*16-1:0]     aval_rdata;

  logic fd_lane_we, fd_lane_re, fd_pe_we, fd_pe_re;
  assign fd_lane_we = fd_we_i && (fd_wsel_i == masr_pkg::MEM_MASK ||
                                  fd_wsel_i == masr_pkg::MEM_ROWPTR ||
                                  fd_wsel_i == masr_pkg::MEM_WEIGHT ||
                                  fd_wsel_i == masr_pkg::MEM_PLAN);
  assign fd_lane_re = fd_re_i && (fd_rsel_i == masr_pkg::MEM_MASK ||
                                  fd_rsel_i == masr_pkg::MEM_ROWPTR ||
                                  fd_rsel_i == masr_pkg::MEM_WEIGHT ||
                                  fd_rsel_i == masr_pkg::MEM_STATS ||
                                  fd_rsel_i == masr_pkg::MEM_PLAN);
  assign fd_pe_we   = fd_we_i && (fd_wsel_i == masr_pkg::MEM_AMASK ||
                                  fd_wsel_i == masr_pkg::MEM_AVAL);
  assign fd_pe_re   = fd_re_i && (fd_rsel_i == masr_pkg::MEM_AMASK ||
                                  fd_rsel_i == masr_pkg::MEM_AVAL);

  for (genvar h = 0; h < H; h++) begin : g_h
    for (genvar v = 0; v < V; v++) begin : g_v
      localparam int  L     = h * V + v;
      // Neighbours per mode; an index is only used when that neighbour exists.
      localparam bit  HasVP = (v > 0);
      localparam bit  HasVN = (v < V - 1);
      localparam bit  HasHP = (h > 0);
      localparam bit  HasHN = (h < H - 1);
      localparam int  LVP   = HasVP ? L - 1 : L;
      localparam int  LVN   = HasVN ? L + 1 : L;
      localparam int  LHP   = HasHP ? L - V : L;
      localparam int  LHN   = HasHN ? L + V : L;
      localparam int  HP    = HasHP ? h - 1 : h;
      localparam int  HN    = HasHN ? h + 1 : h;

      logic            pv, nv, ph, nh;        // which neighbour is wired in the current mode
      logic [RowW-1:0] s_prev, s_next, row_prev, row_next, din_prev_idx, din_next_idx;
      logic [1:0]      reason_prev, reason_next;
      logic            gnt_prev, gnt_next, ref_prev, ref_next, vreq_prev, vreq_next;
      logic            din_prev, din_next, din_prev_bank, din_next_bank;
      logic            same_prev, same_next;   // the neighbour is in my product (run-ahead)
      logic [31:0]     din_prev_val, din_next_val;
      logic [RowW-1:0] q_prev_cfg, q_next_cfg, rs_prev_cfg, rs_next_cfg, rows_cfg;
      logic [RowW-1:0] rs_own_cfg, rmid_own_cfg;

      assign pv = vert && HasVP;
      assign nv = vert && HasVN;
      assign ph = horiz && HasHP;
      assign nh = horiz && HasHN;

      // Thief side: the neighbours' stealable counts and their arbiters' answers to me. I am my
      // prev neighbour's next-side thief and my next neighbour's prev-side thief: each victim
      // shows each side the count and row of the range that side holds (the same shared range
      // for both sides without split).
      // Under run-ahead a neighbour in another product shows me nothing.
      assign same_prev = (pid[L*2 +: 2] == pid[(vert ? LVP : LHP)*2 +: 2]);
      assign same_next = (pid[L*2 +: 2] == pid[(vert ? LVN : LHN)*2 +: 2]);
      assign s_prev   = !same_prev ? '0 :
                        pv ? stealable_nx[LVP*RowW +: RowW] :
                        ph ? stealable_nx[LHP*RowW +: RowW] : '0;
      assign s_next   = !same_next ? '0 :
                        nv ? stealable[LVN*RowW +: RowW] : nh ? stealable[LHN*RowW +: RowW] : '0;
      assign gnt_prev = (pv && vgnt_next[LVP]) || (ph && vgnt_next[LHP]);
      assign gnt_next = (nv && vgnt_prev[LVN]) || (nh && vgnt_prev[LHN]);
      assign ref_prev = (pv && vref_next[LVP]) || (ph && vref_next[LHP]);
      assign ref_next = (nv && vref_prev[LVN]) || (nh && vref_prev[LHN]);
      assign row_prev    = vrow_nx[(vert ? LVP : LHP)*RowW +: RowW];
      assign row_next    = vrow[(vert ? LVN : LHN)*RowW +: RowW];
      assign reason_prev = vreason[(vert ? LVP : LHP)*2 +: 2];
      assign reason_next = vreason[(vert ? LVN : LHN)*2 +: 2];

      // Victim side: requests of the thieves whose next (prev) neighbour I am.
      assign vreq_prev = (pv && req_next[LVP]) || (ph && req_next[LHP]);
      assign vreq_next = (nv && req_prev[LVN]) || (nh && req_prev[LHN]);

      // Deposits into my accumulator file by the neighbours' MACs (my stolen rows).
      assign din_prev     = (pv && dep_next[LVP]) || (ph && dep_next[LHP]);
      assign din_next     = (nv && dep_prev[LVN]) || (nh && dep_prev[LHN]);
      assign din_prev_idx = dep_idx[(vert ? LVP : LHP)*RowW +: RowW];
      assign din_next_idx = dep_idx[(vert ? LVN : LHN)*RowW +: RowW];
      assign din_prev_val = dep_val[(vert ? LVP : LHP)*32 +: 32];
      assign din_next_val = dep_val[(vert ? LVN : LHN)*32 +: 32];
      assign din_prev_bank = dep_bank[vert ? LVP : LHP];
      assign din_next_bank = dep_bank[vert ? LVN : LHN];
      // Run-ahead: thieves ask, and deposit into, neighbours of their own product only.
      `ASSERT_IMPL(StealInProduct_A, vreq_prev || vreq_next,
                   (!vreq_prev || same_prev) && (!vreq_next || same_next))

      // Replica geometry from the live configuration (latched by the lane at start).
      logic cpv, cnv, cph, cnh;
      assign cpv = (cfg_mode_i == masr_pkg::MODE_VERTICAL) && HasVP;
      assign cnv = (cfg_mode_i == masr_pkg::MODE_VERTICAL) && HasVN;
      assign cph = (cfg_mode_i == masr_pkg::MODE_HORIZONTAL) && HasHP;
      assign cnh = (cfg_mode_i == masr_pkg::MODE_HORIZONTAL) && HasHN;
      assign rows_cfg    = rows_h[h*RowW +: RowW];

      // Split ranges: my plan [base_0, base_1] and my neighbours' (16-bit registers). I import
      // range 1 = [base_1, R) of my prev neighbour and range 0 = [base_0, base_1) of my next.
      logic        cfg_none, cpx, cnx;
      logic [16:0] pl0, pl1, pp1, pn0, pn1, r_own, r_prev, q_prev_sp, q_next_sp;
      logic [RowW-1:0] q_prev_v1, q_next_v1, rs_prev_v1, rs_next_v1;
      assign cfg_none  = (cfg_mode_i == masr_pkg::MODE_NONE);
      assign cpx       = cpv || cph;
      assign cnx       = cnv || cnh;
      assign pl0       = 17'(plan[L*32 +: 16]);
      assign pl1       = 17'(plan[L*32 + 16 +: 16]);
      assign pp1       = 17'(plan[(cph ? LHP : LVP)*32 + 16 +: 16]);
      assign pn0       = 17'(plan[(cnh ? LHN : LVN)*32 +: 16]);
      assign pn1       = 17'(plan[(cnh ? LHN : LVN)*32 + 16 +: 16]);
      assign r_own     = 17'(rows_cfg);
      assign r_prev    = 17'(cph ? rows_h[HP*RowW +: RowW] : rows_cfg);
      assign q_prev_sp = cpx ? r_prev - pp1 : '0;   // meaningful when every plan is valid
      assign q_next_sp = cnx ? pn1 - pn0 : '0;
      assign plan_bad[L] = cfg_split && !cfg_none && !(pl0 <= pl1 && pl1 <= r_own);

      assign q_prev_v1  = cpv ? q_h[h*RowW +: RowW] : cph ? q_h[HP*RowW +: RowW] : '0;
      assign q_next_v1  = cnv ? q_h[h*RowW +: RowW] : cnh ? q_h[HN*RowW +: RowW] : '0;
      assign rs_prev_v1 = cph ? rs_h[HP*RowW +: RowW] : rs_h[h*RowW +: RowW];
      assign rs_next_v1 = cnh ? rs_h[HN*RowW +: RowW] : rs_h[h*RowW +: RowW];

      assign q_prev_cfg   = cfg_split ? RowW'(q_prev_sp) : q_prev_v1;
      assign q_next_cfg   = cfg_split ? RowW'(q_next_sp) : q_next_v1;
      assign rs_prev_cfg  = cfg_split ? RowW'(pp1) : rs_prev_v1;
      assign rs_next_cfg  = cfg_split ? RowW'(pn0) : rs_next_v1;
      // Mode none: no replica range (rep_start = R) in either layout.
      assign rs_own_cfg   = (cfg_split && !cfg_none) ? RowW'(pl0) : rs_h[h*RowW +: RowW];
      assign rmid_own_cfg = (cfg_split && !cfg_none) ? RowW'(pl1) : rs_h[h*RowW +: RowW];
      // Frontdoor decode for this lane. (Decoded into named signals, not inside port-connection
      // expressions: with a package import, Icarus 11 declared implicit nets for names there.)
      logic fd_whit, fd_mask_we, fd_rowptr_we, fd_weight_we, fd_plan_we, fd_re;
      assign fd_whit      = (fd_wunit_i == 16'(L));
      assign fd_mask_we   = fd_lane_we && fd_whit && (fd_wsel_i == masr_pkg::MEM_MASK);
      assign fd_rowptr_we = fd_lane_we && fd_whit && (fd_wsel_i == masr_pkg::MEM_ROWPTR);
      assign fd_weight_we = fd_lane_we && fd_whit && (fd_wsel_i == masr_pkg::MEM_WEIGHT);
      assign fd_plan_we   = fd_lane_we && fd_whit && (fd_wsel_i == masr_pkg::MEM_PLAN);
      assign fd_re        = fd_lane_re && (fd_runit_i == 16'(L));

      assign slots_bad[L] = cfg_split
                            ? (32'(r_own) + 32'(q_prev_sp) + 32'(q_next_sp)) > SLOTS
                            : (32'(rows_cfg) + 32'(q_prev_cfg) + 32'(q_next_cfg)) > SLOTS;

`ifdef MASR_HIER
      // Hierarchical simulation builds (tb/common/hier.py): a generated parameterless wrapper
      // of masr_lane with this array's parameters, verilated once for all lanes.
      masr_lane_hier u_lane (
`else
      masr_lane #(
        .B      (B),
        .KW_MAX (KW_MAX),
        .P_MAX  (P_MAX),
        .R_MAX  (R_MAX),
        .SLOTS  (SLOTS),
        .WDEPTH (WDEPTH),
        .QDEPTH (QDEPTH),
        .ACC_BANKS (ACC_BANKS),
        .RUN_AHEAD (RUN_AHEAD),
        .SCAN      (SCAN)
      ) u_lane (
`endif
        .clk_i,
        .rst_ni,
        .start_i,
        .run_i,
        .abort_i,
        .cend_i,
        .mode_i         (cfg_mode_i),
        .rows_i         (rows_cfg),
        .rep_start_i    (rs_own_cfg),
        .rep_mid_i      (rmid_own_cfg),
        .q_prev_i       (q_prev_cfg),
        .rs_prev_i      (rs_prev_cfg),
        .rs_next_i      (rs_next_cfg),
        .nwords_i       (nwords),
        .feat_i         (cfg_feat_i),
        .s_prev_i       (s_prev),
        .s_next_i       (s_next),
        .req_prev_o     (req_prev[L]),
        .req_next_o     (req_next[L]),
        .gnt_prev_i     (gnt_prev),
        .gnt_next_i     (gnt_next),
        .refuse_prev_i  (ref_prev),
        .refuse_next_i  (ref_next),
        .row_prev_i     (row_prev),
        .row_next_i     (row_next),
        .reason_prev_i  (reason_prev),
        .reason_next_i  (reason_next),
        .stealable_o    (stealable[L*RowW +: RowW]),
        .stealable_next_o(stealable_nx[L*RowW +: RowW]),
        .vreq_prev_i    (vreq_prev),
        .vreq_next_i    (vreq_next),
        .vgnt_prev_o    (vgnt_prev[L]),
        .vgnt_next_o    (vgnt_next[L]),
        .vrefuse_prev_o (vref_prev[L]),
        .vrefuse_next_o (vref_next[L]),
        .vrow_o         (vrow[L*RowW +: RowW]),
        .vrow_next_o    (vrow_nx[L*RowW +: RowW]),
        .vreason_o      (vreason[L*2 +: 2]),
        .dep_prev_o     (dep_prev[L]),
        .dep_next_o     (dep_next[L]),
        .dep_idx_o      (dep_idx[L*RowW +: RowW]),
        .dep_val_o      (dep_val[L*32 +: 32]),
        .din_prev_i     (din_prev),
        .din_prev_idx_i (din_prev_idx),
        .din_prev_val_i (din_prev_val),
        .din_next_i     (din_next),
        .din_next_idx_i (din_next_idx),
        .din_next_val_i (din_next_val),
        .amask_re_o     (amask_re[L*LaneMp +: LaneMp]),
        .amask_raddr_o  (amask_raddr[L*LaneMp*AmAddrW +: LaneMp*AmAddrW]),
        .amask_rdata_i  (amask_rdata[L*LaneMp*B +: LaneMp*B]),
        .aval_re_o      (aval_re[L]),
        .aval_raddr_o   (aval_raddr[L*AvAddrW +: AvAddrW]),
        .aval_rdata_i   (aval_rdata[L*16 +: 16]),
        .finished_o     (finished[L]),
        .err_wptr_o     (err_wptr[L]),
        .o_pid_i,
        .open_pid_i,
        .gate_i,
        .open_last_i,
        .pid_o          (pid[L*2 +: 2]),
        .enter_o        (enter_o[L]),
        .clear_o        (clear[L]),
        .op_par_o       (op_par[L]),
        .dep_bank_o     (dep_bank[L]),
        .din_prev_bank_i(din_prev_bank),
        .din_next_bank_i(din_next_bank),
        .acc_wbank_i,
        .acc_rbank_i,
        .out_idx_i,
        .acc_o          (acc[L*32 +: 32]),
        .bd_load_i,
        .bd_h_i         (8'(h)),
        .bd_v_i         (8'(v)),
        .fd_mask_we_i   (fd_mask_we),
        .fd_rowptr_we_i (fd_rowptr_we),
        .fd_weight_we_i (fd_weight_we),
        .fd_plan_we_i   (fd_plan_we),
        .fd_waddr_i,
        .fd_wdata_i,
        .fd_re_i        (fd_re),
        .fd_rsel_i,
        .fd_raddr_i,
        .fd_rdata_o     (lane_rdata_o[L*32 +: 32]),
        .plan_o         (plan[L*32 +: 32]),
        .stats_o        (stats_o[L*NumStats*StatW +: NumStats*StatW]),
        .stat_ev_o      (stat_ev_o[L*NumEv +: NumEv]),
        .stat_ev_par_o  (stat_ev_par_o[L*NumEv +: NumEv]),
        .stat_retired_o (stat_retired_o[L*(RowW+1) +: RowW+1])
      );
    end
  end

  // ---------------------------------------------------------------------------------------------
  // PEs: lane h = g*G + j of column v uses read port j of PE (g, v)
  // ---------------------------------------------------------------------------------------------
  for (genvar g = 0; g < H / G; g++) begin : g_pe_g
    for (genvar v = 0; v < V; v++) begin : g_pe_v
      localparam int PI = g * V + v;
      logic [G*LaneMp-1:0]  am_re;
      logic [G-1:0]         av_re;
      logic [G*LaneMp*AmAddrW-1:0] am_raddr;
      logic [G*AvAddrW-1:0] av_raddr;
      logic [G*LaneMp*B-1:0] am_rdata;
      logic [G*16-1:0]      av_rdata;
      logic [G-1:0]         mset, vset;
      logic [31:0]          fd_am_rdata, fd_av_rdata;

      for (genvar j = 0; j < G; j++) begin : g_port
        localparam int L = (g * G + j) * V + v;
        assign am_re[j*LaneMp +: LaneMp]       = amask_re[L*LaneMp +: LaneMp];
        assign av_re[j]                        = aval_re[L];
        assign am_raddr[j*LaneMp*AmAddrW +: LaneMp*AmAddrW] =
               amask_raddr[L*LaneMp*AmAddrW +: LaneMp*AmAddrW];
        assign av_raddr[j*AvAddrW +: AvAddrW]  = aval_raddr[L*AvAddrW +: AvAddrW];
        assign amask_rdata[L*LaneMp*B +: LaneMp*B] = am_rdata[j*LaneMp*B +: LaneMp*B];
        assign aval_rdata[L*16 +: 16]          = av_rdata[j*16 +: 16];
        // Run-ahead: the masks of the lane's product, the values of the popped op's product
        // (set q mod 2 holds x_q); otherwise the set of the running product.
        assign mset[j] = ra_q ? pid[L*2] : act_rset_i;
        assign vset[j] = ra_q ? op_par[L] : act_rset_i;
      end

      // Frontdoor decode for this PE.
      logic fd_whit, fd_rhit, fd_am_we, fd_av_we, fd_am_re, fd_av_re;
      assign fd_whit  = (fd_wunit_i == 16'(PI));
      assign fd_rhit  = (fd_runit_i == 16'(PI));
      assign fd_am_we = fd_pe_we && fd_whit && (fd_wsel_i == masr_pkg::MEM_AMASK);
      assign fd_av_we = fd_pe_we && fd_whit && (fd_wsel_i == masr_pkg::MEM_AVAL);
      assign fd_am_re = fd_pe_re && fd_rhit && (fd_rsel_i == masr_pkg::MEM_AMASK);
      assign fd_av_re = fd_pe_re && fd_rhit && (fd_rsel_i == masr_pkg::MEM_AVAL);

`ifdef MASR_HIER
      masr_pe_hier u_pe (   // generated wrapper of masr_pe, as for the lanes
`else
      masr_pe #(
        .B      (B),
        .G      (G),
        .KW_MAX (KW_MAX),
        .LANE_MP (LaneMp),
        .P_MAX  (P_MAX),
        .ACT_SETS (ACT_SETS),
        .ENC_W    (ENC_W)
      ) u_pe (
`endif
        .clk_i,
        .rst_ni,
        .bd_load_i,
        .bd_g_i          (8'(g)),
        .bd_v_i          (8'(v)),
        .amask_re_i      (am_re),
        .amask_raddr_i   (am_raddr),
        .amask_rdata_o   (am_rdata),
        .aval_re_i       (av_re),
        .aval_raddr_i    (av_raddr),
        .aval_rdata_o    (av_rdata),
        .fd_amask_we_i   (fd_am_we),
        .fd_aval_we_i    (fd_av_we),
        .fd_amask_re_i   (fd_am_re),
        .fd_aval_re_i    (fd_av_re),
        .fd_waddr_i,
        .fd_wdata_i,
        .fd_raddr_i,
        .fd_amask_rdata_o(fd_am_rdata),
        .fd_aval_rdata_o (fd_av_rdata),
        .enc_amask_we_i   (enc_am_we_i[v]),
        .enc_amask_waddr_i(enc_am_waddr_i[v*AmAddrW +: AmAddrW]),
        .enc_amask_wdata_i(enc_am_wdata_i),
        .enc_aval_we_i    (enc_av_we_i[v]),
        .enc_aval_waddr_i (enc_av_waddr_i[v*AvAddrW +: AvAddrW]),
        .enc_aval_pwe_i   (enc_av_pwe_i),
        .enc_aval_poff_i  (enc_av_poff_i),
        .enc_aval_wdata_i (enc_av_wdata_i),
        .act_wset_i,
        .act_mset_i       (mset),
        .act_vset_i       (vset)
      );

      assign pe_rdata_o[PI*32 +: 32] = (fd_rsel_i == masr_pkg::MEM_AMASK) ? fd_am_rdata :
                                                                             fd_av_rdata;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Status, reduction
  // ---------------------------------------------------------------------------------------------
  assign all_finished_o = &clear;     // = &finished outside run-ahead (every lane in product 0)
  assign pid_o          = pid;
  assign err_wptr_o     = |err_wptr;
  assign slots_err_o    = |slots_bad || |plan_bad;

  // Lane 0 is nobody's next neighbour and lane NL-1 nobody's prev neighbour in either steal
  // direction, so their counts for that side have no reader.
  logic unused_edge_counts;
  assign unused_edge_counts = ^{stealable[0 +: RowW], stealable_nx[(NL-1)*RowW +: RowW]};

  always_comb begin
    for (int h = 0; h < H; h++) begin
      logic [31:0] s;
      s = '0;
      for (int v = 0; v < V; v++) begin
        s = s + acc[(h*V + v)*32 +: 32];
      end
      sum_o[h*32 +: 32] = s;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Assertions
  // ---------------------------------------------------------------------------------------------
  // Per-lane claim invariants (one-hot grants, rows claimed once) are asserted in masr_lane.
  `ASSERT_IMPL(NoStealInModeNone, run_i && (mode_q == masr_pkg::MODE_NONE),
               (req_prev | req_next | vgnt_prev | vgnt_next | dep_prev | dep_next) == '0)
  `ASSERT_IMPL(NoWptrErrorOutsideCompute, !run_i, err_wptr == '0)
  `ASSERT_IMPL(ClearIsFinishedOutsideRunAhead, !ra_q, clear == finished)
  // The encoder never rewrites the activation RF set the lanes read while they compute (between
  // products, or with PREFETCH into the other set).
  `ASSERT_NEVER(NoEncoderWriteWhileComputing_A, run_i && !ra_q &&
                (act_wset_i == act_rset_i) && ((enc_am_we_i | enc_av_we_i) != '0))
  // Run-ahead: no lane port reads the set the encoder writes in that cycle, and a steal request
  // only ever goes to a neighbour in the thief's product.
  logic [NL-1:0] reads_wset;
  for (genvar l = 0; l < NL; l++) begin : g_ra_chk
    assign reads_wset[l] = ((amask_re[l*LaneMp +: LaneMp] != '0) && (pid[l*2] == act_wset_i)) ||
                           (aval_re[l] && (op_par[l] == act_wset_i));
  end
  `ASSERT_NEVER(NoReadOfEncodedSet_A, ra_q && (reads_wset != '0) &&
                                      ((enc_am_we_i | enc_av_we_i) != '0))
  `ASSERT_NEVER(NoEncoderWriteWithFrontdoor_A, fd_pe_we && ((enc_am_we_i | enc_av_we_i) != '0))

endmodule
