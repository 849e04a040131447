// Formal harness of masr_act_encoder's compaction (make formal, docs/formal.md).
//
// For every run (any N in 1..N_MAX, any mode, any data, any gaps between elements) the harness
// recomputes, from the element stream alone, where each element belongs: partition
// u = c / P and offset o = c mod P (P = ceil(N / V), both kept by counting), and counts the non-zeros already seen in
// partition u. Properties, checked on the writes one cycle after the element:
//   ValuePosition: a non-zero element is written to column u at value address
//                  (prefix sum of the partition's non-zero mask before it), and nothing else;
//   ValueOnlyNonZero: a zero element writes no value;
//   NeighbourCopy: in vertical mode columns u-1 / u+1 get the same value at seg*P_MAX + j;
//   MaskWord:      a mask write carries the partition's non-zero bits of word o / B at address
//                  o / B (own column).
// Assumptions: reset first; the protocol (start only while idle with a legal N and mode,
// elements only while ready_o). Bounded (bmc, depth 16): a run of N_MAX = 8 elements with its
// padding takes at most N_MAX + V*KW_MAX + 1 = 13 cycles, so the depth covers whole runs with a
// few gaps (depth 20 also passes, in 2 minutes instead of seconds).
module act_encoder_formal #(
  parameter int V     = 2,
  parameter int B     = 2,
  parameter int N_MAX = 8,
  localparam int P_MAX   = (N_MAX + V - 1) / V,
  localparam int KW_MAX  = (P_MAX + B - 1) / B,
  localparam int AmAddrW = $clog2(3 * KW_MAX),
  localparam int AvAddrW = $clog2(3 * P_MAX),
  localparam int NW      = $clog2(N_MAX + 1)
) (
  input logic          clk_i,
  input logic          rst_ni,
  input logic          start_i,
  input logic [NW-1:0] n_i,
  input logic [1:0]    mode_i,
  input logic          valid_i,
  input logic [15:0]   data_i
);

  logic                 ready, busy, done;
  logic [V-1:0]         am_we, av_we;
  logic [V*AmAddrW-1:0] am_waddr;
  logic [V*AvAddrW-1:0] av_waddr;
  logic [B-1:0]         am_wdata;
  logic [15:0]          av_wdata;
  logic [2*V-1:0]       seg;

  masr_act_encoder #(.V(V), .B(B), .N_MAX(N_MAX)) u_dut (
    .clk_i,
    .rst_ni,
    .start_i,
    .clear_i    (1'b0),   // the abort path is checked in simulation (tb/leaf/gru_enc_cocotb.py)
    .n_i,
    .mode_i,
    .wide_i     (1'b0),   // element mode (WIDE = 0 build); word mode: the leaf simulations
    .valid_i,
    .data_i,
    .ready_o    (ready),
    .col_o      (),
    .last_o     (),
    .nz_o       (),
    .busy_o     (busy),
    .done_o     (done),
    .am_we_o    (am_we),
    .am_waddr_o (am_waddr),
    .am_wdata_o (am_wdata),
    .av_we_o    (av_we),
    .av_waddr_o (av_waddr),
    .av_pwe_o   (),
    .av_poff_o  (),
    .av_wdata_o (av_wdata),
    .seg_o      (seg)
  );

  // ---- environment ----
  logic past_valid_q = 1'b0;
  always @(posedge clk_i) past_valid_q <= 1'b1;
  always @(*) begin
    if (!past_valid_q) assume (!rst_ni);
    if (start_i) assume (!busy && n_i != '0 && 32'(n_i) <= N_MAX && mode_i <= 2'd2);
    if (valid_i) assume (ready);
  end

  // ---- reference position of the element ----
  logic [NW-1:0] c_q, p_q;            // next column, P
  logic          vert_q;
  logic [NW-1:0] cnt_q [V];           // non-zeros so far per partition
  logic [B-1:0]  word_q [V];          // non-zero bits of the current word per partition
  logic          accept, nz;
  logic [NW-1:0] u_q, o_q;            // c = u * P + o, kept by counting (c / P and c mod P)
  logic [NW-1:0] u_ref, o_ref;
  logic [B-1:0]  word_ref;

  assign accept   = valid_i && ready;
  assign nz       = data_i != '0;
  assign u_ref    = u_q;
  assign o_ref    = o_q;
  assign word_ref = ((o_ref % B) == 0 ? '0 : word_q[u_ref % V]) | (B'(nz) << (o_ref % B));

  // Expected writes of the element accepted last cycle.
  logic          exp_q, exp_nz_q;
  logic [NW-1:0] exp_u_q, exp_o_q;
  logic [NW-1:0] exp_j_q;
  logic [B-1:0]  exp_word_q;
  logic          exp_word_end_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      c_q    <= '0;
      u_q    <= '0;
      o_q    <= '0;
      p_q    <= '0;
      vert_q <= 1'b0;
      exp_q  <= 1'b0;
      for (int v = 0; v < V; v++) begin
        cnt_q[v]  <= '0;
        word_q[v] <= '0;
      end
    end else begin
      exp_q <= accept;
      if (start_i) begin
        c_q    <= '0;
        u_q    <= '0;
        o_q    <= '0;
        p_q    <= NW'((32'(n_i) + V - 1) / V);
        vert_q <= mode_i == 2'd1;
        for (int v = 0; v < V; v++) begin
          cnt_q[v]  <= '0;
          word_q[v] <= '0;
        end
      end else if (accept) begin
        c_q                 <= c_q + 1'b1;
        u_q                 <= (o_q == p_q - 1'b1) ? u_q + 1'b1 : u_q;
        o_q                 <= (o_q == p_q - 1'b1) ? '0 : o_q + 1'b1;
        cnt_q[u_ref % V]    <= cnt_q[u_ref % V] + NW'(nz);
        word_q[u_ref % V]   <= word_ref;
        exp_nz_q            <= nz;
        exp_u_q             <= u_ref;
        exp_o_q             <= o_ref;
        exp_j_q             <= cnt_q[u_ref % V];
        exp_word_q          <= word_ref;
        exp_word_end_q      <= (o_ref % B) == B - 1 || o_ref == p_q - 1'b1 ||
                               c_q + 1'b1 == n_i_q;
      end
    end
  end

  logic [NW-1:0] n_i_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) n_i_q <= '0;
    else if (start_i) n_i_q <= n_i;
  end

  // ---- properties ----
  for (genvar v = 0; v < V; v++) begin : g_col
    logic own, prv, nxt;  // column v holds partition exp_u_q as own / prev (v-1) / next (v+1)
    assign own = 32'(exp_u_q) == v;
    assign prv = vert_q && 32'(exp_u_q) + 1 == v;
    assign nxt = vert_q && 32'(exp_u_q) == v + 1;
    always @(posedge clk_i) begin
      if (rst_ni && exp_q) begin
        assert (av_we[v] == (exp_nz_q && (own || prv || nxt)));
        if (exp_nz_q && own) assert (av_waddr[v*AvAddrW +: AvAddrW] == AvAddrW'(exp_j_q));
        if (exp_nz_q && prv)
          assert (av_waddr[v*AvAddrW +: AvAddrW] == AvAddrW'(P_MAX + 32'(exp_j_q)));
        if (exp_nz_q && nxt)
          assert (av_waddr[v*AvAddrW +: AvAddrW] == AvAddrW'(2 * P_MAX + 32'(exp_j_q)));
        assert (am_we[v] == (exp_word_end_q && (own || prv || nxt)));
        if (exp_word_end_q && own)
          assert (am_waddr[v*AmAddrW +: AmAddrW] == AmAddrW'(exp_o_q / B));
      end
    end
  end

  always @(posedge clk_i) begin
    if (rst_ni && exp_q) begin
      ValueData: assert (!exp_nz_q || av_wdata != '0);
      MaskWord: assert (!exp_word_end_q || am_wdata == exp_word_q);
    end
  end

endmodule
