// Formal harness of masr_prefix_addr (make formal, docs/formal.md).
//
// The harness is the lane's mask memory: at each accepted row start it loads K (<= KW) weight
// and activation mask words from free inputs, so every row sees every mask pair of B bits (the
// solver, not an enumeration, covers them). It then checks the address unit against the
// reference formula of docs/architecture.md section 4, written independently of the RTL (bit
// index found by a loop, popcounts as sums over bits):
//   OpAddrW / OpAddrA: an op for bit b of word k has
//       w_addr = rowptr + sum_{j<k} popcount(Mw[j]) + popcount(Mw[k] & ((1 << b) - 1)),
//       a_addr = abase  + sum_{j<k} popcount(Ma[j]) + popcount(Ma[k] & ((1 << b) - 1)),
//     where b is the lowest effective bit (Mw[k] & Ma[k]) not issued yet;
//   OpNotNull:   every op is an effective bit not issued before (no null op, none twice);
//   NoStallOp / Progress: stalled -> no op; not stalled with a bit left -> an op;
//   WordComplete / RowComplete: a word (row) ends only after all its effective bits were issued,
//     and the row ends exactly at word K-1.
// Together: every effective bit of every word is issued exactly once, lowest first, with the
// reference addresses. Assumptions: reset first; the contract (row_start only when idle or in
// the row's last cycle; 1 <= K <= KW; rowptr / abase leave room for a row's non-zeros, the
// unit's no-wrap width note). Helper invariants relate the shadow state to the DUT's prefixes
// and seen-mask through probe_* wires the proof script connects after flatten.
module prefix_addr_formal #(
  parameter int B      = 16,
  parameter int KW     = 2,
  parameter int WAddrW = 8,
  parameter int AAddrW = 8,
  localparam int KW_W  = (KW > 1) ? $clog2(KW) : 1,
  localparam int CntW  = $clog2(B * KW + 1)
) (
  input logic              clk_i,
  input logic              rst_ni,
  input logic              clr_i,
  input logic              row_start_i,
  input logic [WAddrW-1:0] rowptr_i,
  input logic [AAddrW-1:0] abase_i,
  input logic [KW_W:0]     nwords_i,
  input logic [KW*B-1:0]   wmem_i,     // the next row's mask words, loaded at row start
  input logic [KW*B-1:0]   amem_i,
  input logic              stall_i
);

  logic              busy, op_valid, row_last, row_zero;
  logic [KW_W-1:0]   word;
  logic [WAddrW-1:0] w_addr;
  logic [AAddrW-1:0] a_addr;
  logic [B-1:0]      wmask, amask;

  masr_prefix_addr #(.B(B), .WAddrW(WAddrW), .AAddrW(AAddrW), .KW(KW)) u_dut (
    .clk_i,
    .rst_ni,
    .clr_i,
    .row_start_i,
    .rowptr_i,
    .abase_i,
    .nwords_i,
    .busy_o     (busy),
    .word_o     (word),
    .wmask_i    (wmask),
    .amask_i    (amask),
    .stall_i,
    .op_valid_o (op_valid),
    .w_addr_o   (w_addr),
    .a_addr_o   (a_addr),
    .row_last_o (row_last),
    .row_zero_o (row_zero)
  );

  // Probes (connected by the proof script).
  logic [WAddrW-1:0] probe_pw, probe_row_base, probe_last_w;
  logic [AAddrW-1:0] probe_pa, probe_abase, probe_last_a;
  logic [B-1:0]      probe_seen;
  logic [KW_W:0]     probe_nwords;
  logic              probe_any_op;

  localparam int WRoom = (1 << WAddrW) - 1 - KW * B;  // largest rowptr with room for a row
  localparam int ARoom = (1 << AAddrW) - 1 - KW * B;

  // ---- environment ----
  logic past_valid_q = 1'b0;
  always @(posedge clk_i) past_valid_q <= 1'b1;
  always @(*) begin
    if (!past_valid_q) assume (!rst_ni);
    if (row_start_i) begin
      assume (!busy || row_last);
      assume (nwords_i != '0 && 32'(nwords_i) <= KW);
      assume (32'(rowptr_i) <= WRoom && 32'(abase_i) <= ARoom);
    end
  end

  // ---- the mask memory and the row's shadow state ----
  logic [B-1:0]      wmem_q [KW];
  logic [B-1:0]      amem_q [KW];
  logic [WAddrW-1:0] rowptr_q, last_w_q;
  logic [AAddrW-1:0] abase_q, last_a_q;
  logic [KW_W:0]     nwords_q;
  logic [B-1:0]      issued_q;   // effective bits of word iword_q issued so far
  logic [KW_W-1:0]   iword_q;
  logic              any_op_q;

  assign wmask = wmem_q[word];
  assign amask = amem_q[word];

  // ---- reference (section 4) ----
  logic [B-1:0]      eff, issued, left, op_bit, below;
  logic [CntW-1:0]   pw_words, pa_words, w_below, a_below;
  int unsigned       b_ref;
  always_comb begin
    eff    = wmask & amask;
    issued = (iword_q == word) ? issued_q : '0;
    left   = eff & ~issued;
    b_ref  = 0;
    for (int i = B - 1; i >= 0; i--) begin
      if (left[i]) b_ref = i;
    end
    op_bit = (left != '0) ? B'(1) << b_ref : '0;
    below  = (B'(1) << b_ref) - 1'b1;
    pw_words = '0;
    pa_words = '0;
    for (int j = 0; j < KW; j++) begin
      for (int i = 0; i < B; i++) begin
        if (j < 32'(word)) begin
          pw_words = pw_words + CntW'(wmem_q[j][i]);
          pa_words = pa_words + CntW'(amem_q[j][i]);
        end
      end
    end
    w_below = '0;
    a_below = '0;
    for (int i = 0; i < B; i++) begin
      w_below = w_below + CntW'(wmask[i] & below[i]);
      a_below = a_below + CntW'(amask[i] & below[i]);
    end
  end

  logic [WAddrW-1:0] pw_ref, w_ref;
  logic [AAddrW-1:0] pa_ref, a_ref;
  assign pw_ref = rowptr_q + WAddrW'(pw_words);
  assign pa_ref = abase_q + AAddrW'(pa_words);
  assign w_ref  = pw_ref + WAddrW'(w_below);
  assign a_ref  = pa_ref + AAddrW'(a_below);

  logic word_done;  // this cycle's op (if any) completes the word
  assign word_done = ((issued | (op_valid ? op_bit : '0)) & eff) == eff;

  logic             row_cont_q, done_q;
  logic [KW_W-1:0]  word_prev_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int j = 0; j < KW; j++) begin
        wmem_q[j] <= '0;
        amem_q[j] <= '0;
      end
      rowptr_q   <= '0;
      abase_q    <= '0;
      nwords_q   <= '0;
      issued_q   <= '0;
      iword_q    <= '0;
      any_op_q   <= 1'b0;
      row_cont_q <= 1'b0;
      done_q     <= 1'b0;
      word_prev_q <= '0;
    end else begin
      word_prev_q <= word;
      done_q      <= word_done;
      row_cont_q  <= busy && !row_last && !clr_i && !row_start_i;
      if (clr_i) begin
        issued_q <= '0;
        any_op_q <= 1'b0;
      end else if (row_start_i) begin
        for (int j = 0; j < KW; j++) begin
          wmem_q[j] <= wmem_i[j*B +: B];
          amem_q[j] <= amem_i[j*B +: B];
        end
        rowptr_q <= rowptr_i;
        abase_q  <= abase_i;
        nwords_q <= nwords_i;
        issued_q <= '0;
        iword_q  <= '0;
        any_op_q <= 1'b0;
      end else if (op_valid) begin
        issued_q <= issued | op_bit;
        iword_q  <= word;
        any_op_q <= 1'b1;
      end
    end
  end

  // The DUT's checker registers follow the same rule (row start first, then ops).
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      last_w_q <= '0;
      last_a_q <= '0;
    end else if (!row_start_i && op_valid) begin
      last_w_q <= w_addr;
      last_a_q <= a_addr;
    end
  end

  // Address of the last op issued in this word (seen_q ends at its bit).
  logic [WAddrW-1:0] last_w_word;
  logic [AAddrW-1:0] last_a_word;
  logic [B-1:0]      seen_below, seen_top;
  assign seen_below  = probe_seen >> 1;
  assign seen_top    = probe_seen ^ seen_below;
  assign last_w_word = pw_ref + WAddrW'($countones(wmask & seen_below));
  assign last_a_word = pa_ref + AAddrW'($countones(amask & seen_below));

  // ---- properties ----
  always @(posedge clk_i) begin
    if (rst_ni) begin
      OpAddrW: assert (!op_valid || w_addr == w_ref);
      OpAddrA: assert (!op_valid || a_addr == a_ref);
      OpNotNull: assert (!op_valid || (busy && left != '0));
      NoStallOp: assert (!(stall_i && op_valid));
      Progress: assert (!(busy && !stall_i && left != '0) || op_valid);
      RowComplete: assert (!row_last || (word_done && {1'b0, word} == nwords_q - 1'b1));
      WordComplete: assert (!(row_cont_q && word != word_prev_q) || done_q);
      // Helper invariants (k-induction).
      RoomKept: assert (32'(rowptr_q) <= WRoom && 32'(abase_q) <= ARoom);
      LastOp: assert (probe_last_w == last_w_q && probe_last_a == last_a_q);
      if (busy) begin
        // (The DUT's checker copies load at row start even under clr_i; both agree when busy.)
        InvShadowRow: assert (probe_nwords == nwords_q && probe_row_base == rowptr_q &&
                              probe_abase == abase_q);
        InvWordRange: assert ({1'b0, word} < nwords_q && 32'(nwords_q) <= KW);
        InvPrefix: assert (probe_pw == pw_ref && probe_pa == pa_ref);
        InvSeenThermo: assert ((probe_seen & (probe_seen + 1'b1)) == '0);
        InvSeenIssued: assert ((probe_seen & eff) == issued);
        InvSeenTop: assert (probe_seen == '0 || (seen_top & eff) != '0);
        InvAnyOp: assert (probe_any_op == any_op_q);
        InvLastOpW: assert (!any_op_q ||
                            (issued == '0 ? last_w_q < pw_ref : last_w_q == last_w_word));
        InvLastOpA: assert (!any_op_q ||
                            (issued == '0 ? last_a_q < pa_ref : last_a_q == last_a_word));
      end
    end
  end

endmodule
