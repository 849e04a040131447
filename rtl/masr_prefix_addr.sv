// Prefix-sum address unit: the per-lane address generator (AG) of docs/architecture.md
// sections 4 and 5.
//
// It walks one row (K mask words) at a time. For word k the lane presents the weight mask
// Mw = wmask_i and the activation mask Ma = amask_i, read combinationally at address word_o.
// Effective bits E = Mw & Ma are issued lowest first, one op per cycle:
//   w_addr = pw + popcount(Mw & ((1 << b) - 1)),  a_addr = pa + popcount(Ma & ((1 << b) - 1))
// and at the end of each word pw += popcount(Mw), pa += popcount(Ma). A word with e effective
// bits takes max(1, e) cycles (one "empty" cycle when e == 0). Null operations (bits set in only
// one mask) are never issued.
//
// Stall rule (contract: "the AG stalls when the queue is full and it has an op to emit"):
// with stall_i = 1 and an op to emit, nothing advances and op_valid_o = 0. An empty-word cycle
// has no op to emit, so it is NOT stalled: it advances even when stall_i = 1 (it pushes nothing
// into the full queue). This is what the performance model counts, so the RTL must match it.
//
// Row hand-over: row_last_o marks the row's last cycle (word K-1 and it emits the word's last op,
// or the word is empty, and the cycle is not stalled). The lane may assert row_start_i in that
// cycle (or whenever busy_o = 0) and the next row starts in the next cycle without a bubble.
//
// Within a word, the bits already issued are remembered as a thermometer mask (seen_q), not as
// a bit index: the next bit and the "bits below b" mask then come from two's-complement tricks on
// the remaining bits, without a priority encoder or a shifter.
//
// Width note: pw/pa wrap modulo 2^WAddrW / 2^AAddrW. The lane must choose WAddrW wide enough
// for rowptr + a row's non-zeros (e.g. rowptr width + 1) so that an out-of-range weight address
// (ERR_WPTR, w_addr_o >= WDEPTH) is visible rather than wrapped; an assertion checks no wrap.

`include "masr_assert.svh"

module masr_prefix_addr #(
  parameter int B      = 16,  // mask word width
  parameter int WAddrW = 16,  // weight address width
  parameter int AAddrW = 10,  // activation value RF address width
  parameter int KW     = 8,   // max mask words per row
  // Derived, do not override.
  localparam int KW_W  = (KW > 1) ? $clog2(KW) : 1
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              clr_i,        // abort: go idle
  // Row start: legal when busy_o = 0 or row_last_o = 1 in this cycle; the row begins next cycle.
  input  logic              row_start_i,
  input  logic [WAddrW-1:0] rowptr_i,
  input  logic [AAddrW-1:0] abase_i,
  input  logic [KW_W:0]     nwords_i,     // K, 1 <= K <= KW
  output logic              busy_o,       // a row is in progress this cycle
  output logic [KW_W-1:0]   word_o,       // current word index k (mask SRAM / act mask RF address)
  input  logic [B-1:0]      wmask_i,      // weight mask of word word_o (combinational read)
  input  logic [B-1:0]      amask_i,      // activation mask of word word_o
  input  logic              stall_i,      // queue full: hold when there is an op to emit
  output logic              op_valid_o,
  output logic [WAddrW-1:0] w_addr_o,
  output logic [AAddrW-1:0] a_addr_o,
  output logic              row_last_o,   // last cycle of the row, not stalled
  output logic              row_zero_o    // with row_last_o: the row issued no op
);

  localparam int CntW = $clog2(B + 1);

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------
  logic              busy_q;
  logic [KW_W-1:0]   word_q;
  logic [KW_W:0]     nwords_q;
  logic [WAddrW-1:0] pw_q;
  logic [AAddrW-1:0] pa_q;
  logic [B-1:0]      seen_q;    // bit positions of the current word already handled
  logic              any_op_q;  // the current row has issued at least one op

  // ---------------------------------------------------------------------------------------------
  // Current word
  // ---------------------------------------------------------------------------------------------
  logic [B-1:0] eff;       // E = Mw & Ma
  logic [B-1:0] rem;       // effective bits not issued yet
  logic [B-1:0] lowbit;    // lowest remaining effective bit (one-hot or 0)
  logic [B-1:0] below;     // bits strictly below it
  logic         has_op;    // there is an op to emit this cycle
  logic         last_bit;  // at most one effective bit left: this cycle ends the word
  logic         advance;   // not stalled
  logic         word_end;
  logic         row_end;

  assign eff      = wmask_i & amask_i;
  assign rem      = eff & ~seen_q;
  assign lowbit   = rem & (~rem + 1'b1);
  assign below    = lowbit - 1'b1;
  assign has_op   = busy_q && (rem != '0);
  assign last_bit = (rem & (rem - 1'b1)) == '0;
  assign advance  = busy_q && !(has_op && stall_i);
  assign word_end = advance && last_bit;
  assign row_end  = word_end && ({1'b0, word_q} == nwords_q - 1'b1);

  logic [CntW-1:0] cnt_w_below, cnt_a_below, cnt_w_word, cnt_a_word;

  masr_popcount #(.Width(B)) u_pc_w_below (.in_i(wmask_i & below), .cnt_o(cnt_w_below));
  masr_popcount #(.Width(B)) u_pc_a_below (.in_i(amask_i & below), .cnt_o(cnt_a_below));
  masr_popcount #(.Width(B)) u_pc_w_word  (.in_i(wmask_i),         .cnt_o(cnt_w_word));
  masr_popcount #(.Width(B)) u_pc_a_word  (.in_i(amask_i),         .cnt_o(cnt_a_word));

  // ---------------------------------------------------------------------------------------------
  // Outputs
  // ---------------------------------------------------------------------------------------------
  assign busy_o     = busy_q;
  assign word_o     = word_q;
  assign op_valid_o = has_op && !stall_i;
  assign w_addr_o   = pw_q + WAddrW'(cnt_w_below);
  assign a_addr_o   = pa_q + AAddrW'(cnt_a_below);
  assign row_last_o = row_end;
  assign row_zero_o = row_end && !any_op_q && !has_op;

  // ---------------------------------------------------------------------------------------------
  // Sequencing
  // ---------------------------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q   <= 1'b0;
      word_q   <= '0;
      nwords_q <= '0;
      pw_q     <= '0;
      pa_q     <= '0;
      seen_q   <= '0;
      any_op_q <= 1'b0;
    end else if (clr_i) begin
      busy_q   <= 1'b0;
      word_q   <= '0;
      seen_q   <= '0;
      any_op_q <= 1'b0;
    end else if (row_start_i) begin
      busy_q   <= 1'b1;
      word_q   <= '0;
      nwords_q <= nwords_i;
      pw_q     <= rowptr_i;
      pa_q     <= abase_i;
      seen_q   <= '0;
      any_op_q <= 1'b0;
    end else if (row_end) begin
      busy_q   <= 1'b0;
      word_q   <= '0;
      seen_q   <= '0;
      any_op_q <= 1'b0;
    end else if (advance) begin
      if (word_end) begin
        word_q <= word_q + 1'b1;
        pw_q   <= pw_q + WAddrW'(cnt_w_word);
        pa_q   <= pa_q + AAddrW'(cnt_a_word);
        seen_q <= '0;
      end else begin
        seen_q <= seen_q | below | lowbit;
      end
      if (has_op) begin
        any_op_q <= 1'b1;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Assertions
  // ---------------------------------------------------------------------------------------------
  `ASSERT_INIT(ParamsOk_A, B >= 1 && KW >= 1 && WAddrW >= 1 && AAddrW >= 1)

  `ASSERT_IMPL(RowStartLegal_A, row_start_i && !clr_i, !busy_q || row_end)
  `ASSERT_IMPL(NwordsInRange_A, row_start_i && !clr_i,
               nwords_i != '0 && 32'(nwords_i) <= 32'(KW))
  `ASSERT_IMPL(OpOnlyWhenBusy_A, op_valid_o, busy_o)
  `ASSERT_IMPL(WordInRange_A, busy_o, {1'b0, word_q} < nwords_q)
  `ASSERT_IMPL(NoOpWhenStalled_A, stall_i, !op_valid_o)
  // No MAC on a null operation: the op's bit is set in both masks.
  `ASSERT_IMPL(OpBitEffective_A, op_valid_o,
               lowbit != '0 && (lowbit & wmask_i) == lowbit && (lowbit & amask_i) == lowbit)
  // The prefix sums never wrap (see the width note above).
  `ASSERT_IMPL(PwNoWrap_A, busy_o, (WAddrW + 1)'(pw_q) + (WAddrW + 1)'(cnt_w_word)
                                    < (WAddrW + 1)'(1) << WAddrW)
  `ASSERT_IMPL(PaNoWrap_A, busy_o, (AAddrW + 1)'(pa_q) + (AAddrW + 1)'(cnt_a_word)
                                    < (AAddrW + 1)'(1) << AAddrW)

`ifndef SYNTHESIS
  // Checker-only state: the row's base pointer and the last op's addresses.
  logic [WAddrW-1:0] row_base_q, last_w_q;
  logic [AAddrW-1:0] abase_q, last_a_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      row_base_q <= '0;
      abase_q    <= '0;
      last_w_q   <= '0;
      last_a_q   <= '0;
    end else if (row_start_i) begin
      row_base_q <= rowptr_i;
      abase_q    <= abase_i;
    end else if (op_valid_o) begin
      last_w_q <= w_addr_o;
      last_a_q <= a_addr_o;
    end
  end

  // Weight addresses stay inside the row: [rowptr, pw + popcount(Mw of this word)), which is
  // within [rowptr, rowptr + popcount of all the row's Mw words).
  `ASSERT_IMPL(WaddrLow_A, op_valid_o, w_addr_o >= row_base_q)
  `ASSERT_IMPL(WaddrHigh_A, op_valid_o, w_addr_o < pw_q + WAddrW'(cnt_w_word))
  `ASSERT_IMPL(AaddrLow_A, op_valid_o, a_addr_o >= abase_q)
  `ASSERT_IMPL(AaddrHigh_A, op_valid_o, a_addr_o < pa_q + AAddrW'(cnt_a_word))
  // Ops of a row have strictly increasing weight and activation addresses.
  `ASSERT_IMPL(WaddrMonotonic_A, op_valid_o && any_op_q, w_addr_o > last_w_q)
  `ASSERT_IMPL(AaddrMonotonic_A, op_valid_o && any_op_q, a_addr_o > last_a_q)
`endif

  `ASSERT_KNOWN(BusyKnown_A, busy_o)
  `ASSERT_KNOWN(OpValidKnown_A, op_valid_o)
  `ASSERT_KNOWN(RowLastKnown_A, row_last_o)

  `COVER(EmptyWord_C, busy_o && advance && !has_op)
  `COVER(StallWithOp_C, has_op && stall_i)
  `COVER(BackToBackRows_C, row_end && row_start_i)
  `COVER(ZeroRow_C, row_zero_o)

endmodule
