// Null-word-skip address generator (CFG_FEAT.NULL_SKIP, rule N1 of docs/perf-model.md "v2 rules").
//
// The lane reads the claimed row's whole weight mask Mw and activation mask Ma (KW words of B
// bits, words past the row's K already zeroed by the lane) in its claim cycle; row_start_i
// registers them with the effective bits E = Mw & Ma, the row pointer and the activation segment
// base. Each following cycle issues the lowest remaining bit b of E and clears it:
//   w_addr = rowptr + popcount(Mw below b),  a_addr = abase + popcount(Ma below b)
// with "below" over the whole row (all KW*B bits), so a row with e effective ops takes max(1, e)
// cycles: one per op, or one empty cycle when e = 0 (masr_prefix_addr, the v1 unit, spends one
// cycle on every empty word instead).
//
// The lowest set bit of the KW*B-bit remainder is found by the two's-complement trick on the
// whole vector (rem & -rem), which is the two-level find-first-set (first non-zero word, then its
// lowest bit) flattened; "below" is that one-hot minus one.
//
// Row hand-over as in masr_prefix_addr: row_last_o marks the row's last cycle (its last op, or
// the empty cycle of a row without ops, not stalled); the lane may start the next row in that
// cycle. Stall rule as v1: with stall_i and an op to emit nothing advances (the v2 rules assume
// QDEPTH >= 2, where the queue never fills; kept so QDEPTH = 1 builds stay well defined).
`include "masr_assert.svh"

module masr_skip_addr #(
  parameter int B      = 16,  // mask word width
  parameter int KW     = 2,   // max mask words per row
  parameter int WAddrW = 17,  // weight address width
  parameter int AAddrW = 8,   // activation value RF address width
  // Derived, do not override.
  localparam int RowBits = KW * B,
  localparam int CntW    = $clog2(RowBits + 1)
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               clr_i,        // abort / start: go idle
  // Row start: legal when busy_o = 0 or row_last_o = 1 in this cycle; the row begins next cycle.
  input  logic               row_start_i,
  input  logic [WAddrW-1:0]  rowptr_i,
  input  logic [AAddrW-1:0]  abase_i,
  input  logic [RowBits-1:0] wmask_i,      // the row's weight mask (word k at bits k*B +: B)
  input  logic [RowBits-1:0] amask_i,      // the segment's activation mask, same layout
  input  logic               stall_i,      // queue full: hold when there is an op to emit
  output logic               busy_o,
  output logic               has_op_o,     // an op is due this cycle (emitted unless stalled)
  output logic               op_valid_o,
  output logic [WAddrW-1:0]  w_addr_o,
  output logic [AAddrW-1:0]  a_addr_o,
  output logic               row_last_o,   // last cycle of the row, not stalled
  output logic               row_zero_o    // with row_last_o: the row issued no op
);

  // ---------------------------------------------------------------------------------------------
  // State: the registered row
  // ---------------------------------------------------------------------------------------------
  logic               busy_q;
  logic [RowBits-1:0] mw_q, ma_q;    // the row's masks
  logic [RowBits-1:0] rem_q;         // effective bits not issued yet
  logic [WAddrW-1:0]  rowptr_q;
  logic [AAddrW-1:0]  abase_q;
  logic               any_op_q;      // the row has issued at least one op

  // ---------------------------------------------------------------------------------------------
  // Next op
  // ---------------------------------------------------------------------------------------------
  logic [RowBits-1:0] lowbit, below;
  logic               has_op, last_bit, advance, row_end;
  logic [CntW-1:0]    cnt_w_below, cnt_a_below;

  assign lowbit   = rem_q & (~rem_q + 1'b1);
  assign below    = lowbit - 1'b1;
  assign has_op   = busy_q && (rem_q != '0);
  assign last_bit = (rem_q & (rem_q - 1'b1)) == '0;    // at most one bit left
  assign advance  = busy_q && !(has_op && stall_i);
  assign row_end  = advance && last_bit;

  masr_popcount #(.Width(RowBits)) u_pc_w (.in_i(mw_q & below), .cnt_o(cnt_w_below));
  masr_popcount #(.Width(RowBits)) u_pc_a (.in_i(ma_q & below), .cnt_o(cnt_a_below));

  assign busy_o     = busy_q;
  assign has_op_o   = has_op;
  assign op_valid_o = has_op && !stall_i;
  assign w_addr_o   = rowptr_q + WAddrW'(cnt_w_below);
  assign a_addr_o   = abase_q + AAddrW'(cnt_a_below);
  assign row_last_o = row_end;
  assign row_zero_o = row_end && !any_op_q && !has_op;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q   <= 1'b0;
      mw_q     <= '0;
      ma_q     <= '0;
      rem_q    <= '0;
      rowptr_q <= '0;
      abase_q  <= '0;
      any_op_q <= 1'b0;
    end else if (clr_i) begin
      busy_q   <= 1'b0;
      rem_q    <= '0;
      any_op_q <= 1'b0;
    end else if (row_start_i) begin
      busy_q   <= 1'b1;
      mw_q     <= wmask_i;
      ma_q     <= amask_i;
      rem_q    <= wmask_i & amask_i;
      rowptr_q <= rowptr_i;
      abase_q  <= abase_i;
      any_op_q <= 1'b0;
    end else if (row_end) begin
      busy_q   <= 1'b0;
      rem_q    <= '0;
      any_op_q <= 1'b0;
    end else if (advance && has_op) begin
      rem_q    <= rem_q & ~lowbit;
      any_op_q <= 1'b1;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Assertions
  // ---------------------------------------------------------------------------------------------
  `ASSERT_INIT(ParamsOk_A, B >= 1 && KW >= 1 && WAddrW > CntW && AAddrW >= 1)

  `ASSERT_IMPL(RowStartLegal_A, row_start_i && !clr_i, !busy_q || row_end)
  `ASSERT_IMPL(OpOnlyWhenBusy_A, op_valid_o, busy_o)
  `ASSERT_IMPL(NoOpWhenStalled_A, stall_i, !op_valid_o)
  // Every issued op is one set bit of the registered E = Mw & Ma (never a null operation), and
  // the remainder only ever loses bits of E.
  `ASSERT_IMPL(OpBitEffective_A, op_valid_o,
               lowbit != '0 && (lowbit & mw_q & ma_q) == lowbit)
  `ASSERT_IMPL(RemInE_A, busy_o, (rem_q & ~(mw_q & ma_q)) == '0)
`ifndef SYNTHESIS
  // Popcount-based addresses in range: inside the row's weights [rowptr, rowptr + |Mw|) and the
  // segment's non-zero activations [abase, abase + |Ma|); they never wrap. (Checker-only logic.)
  logic [CntW-1:0] cnt_w_row, cnt_a_row;
  masr_popcount #(.Width(RowBits)) u_pc_w_row (.in_i(mw_q), .cnt_o(cnt_w_row));
  masr_popcount #(.Width(RowBits)) u_pc_a_row (.in_i(ma_q), .cnt_o(cnt_a_row));
  `ASSERT_IMPL(WaddrInRow_A, op_valid_o,
               (WAddrW + 1)'(w_addr_o) < (WAddrW + 1)'(rowptr_q) + (WAddrW + 1)'(cnt_w_row) &&
               w_addr_o >= rowptr_q)
  `ASSERT_IMPL(AaddrInSeg_A, op_valid_o,
               (AAddrW + 1)'(a_addr_o) < (AAddrW + 1)'(abase_q) + (AAddrW + 1)'(cnt_a_row) &&
               a_addr_o >= abase_q)
`endif

  `ASSERT_KNOWN(BusyKnown_A, busy_o)
  `ASSERT_KNOWN(OpValidKnown_A, op_valid_o)
  `ASSERT_KNOWN(RowLastKnown_A, row_last_o)

  `COVER(ZeroRow_C, row_zero_o)
  `COVER(BackToBackRows_C, row_end && row_start_i)

endmodule
