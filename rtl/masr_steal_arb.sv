// Per-lane work pointers and victim arbiter (docs/architecture.md section 5, "Claims" and
// "Victim arbiter"; section 6 FLAGS).
//
// The lane's own rows are [0, R). The owner consumes them from the head, thieves from the tail,
// and thieves only inside the replicated tail [rep_start, R) = the rows its neighbours hold
// copies of. Per cycle:
//   1. an owner claim is always granted: row head, head += 1 (the owner asks only when
//      remaining > 0);
//   2. then, if stealable' = tail - max(head', rep_start) > 0 (head' = head after step 1), at most
//      one thief is granted row tail-1 (tail -= 1); with both thieves asking, the round-robin
//      pointer picks (rr = 0: prev-side thief), and after any thief grant rr points to the other
//      side;
//   3. every other thief request is refused, with the victim's state after the cycle as reason.
// Every row in [0, R) is therefore granted exactly once: the owner and a thief racing for the last
// row -> the owner wins; two thieves -> one wins.
//
// remaining_o and stealable_o are functions of the registered head/tail only (the "registered
// values at the start of the cycle" that neighbouring thieves read), never of this cycle's grants.
// rows_i and rep_start_i are sampled at init_i, like head and tail.

`include "masr_assert.svh"

module masr_steal_arb #(
  parameter int RowW = 6  // bits of a local row index; R <= 2^RowW - 1
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            init_i,            // start of product: head = 0, tail = rows_i, rr = 0
  input  logic [RowW-1:0] rows_i,            // R
  input  logic [RowW-1:0] rep_start_i,       // R - Q
  input  logic            owner_req_i,
  input  logic            thief_prev_req_i,  // from the thief on my prev side (whose next is me)
  input  logic            thief_next_req_i,  // from the thief on my next side (whose prev is me)
  output logic            owner_gnt_o,
  output logic [RowW-1:0] owner_row_o,
  output logic            thief_prev_gnt_o,
  output logic            thief_next_gnt_o,
  output logic [RowW-1:0] thief_row_o,
  output logic            thief_prev_refuse_o,
  output logic            thief_next_refuse_o,
  output logic [1:0]      refuse_reason_o,   // masr_pkg::REFUSE_*: victim state after the cycle
  output logic [RowW:0]   remaining_o,       // tail - head
  output logic [RowW:0]   stealable_o,       // max(0, tail - max(head, rep_start))
  output logic            dual_thief_o,      // FLAGS bit 0 event
  output logic            last_row_race_o    // FLAGS bit 1 event
);

  logic [RowW-1:0] head_q, tail_q, rows_q, rep_start_q;
  logic            rr_q;  // 0: prefer the prev-side thief

  // Stealable count for a given head: max(0, tail - max(head, rep_start)).
  function automatic logic [RowW:0] stealable_for(input logic [RowW:0] head,
                                                  input logic [RowW:0] tail,
                                                  input logic [RowW:0] rep_start);
    logic [RowW:0] lo;
    lo = (head > rep_start) ? head : rep_start;
    stealable_for = (tail > lo) ? tail - lo : '0;
  endfunction

  // ---------------------------------------------------------------------------------------------
  // Grants
  // ---------------------------------------------------------------------------------------------
  logic [RowW:0] head_w, tail_w, rep_w, head_d_w, tail_d_w;
  logic [RowW:0] steal_after_owner, steal_after, remaining_after;
  logic          owner_gnt, thief_any, pick_prev;
  logic          prev_gnt, next_gnt;

  assign head_w = {1'b0, head_q};
  assign tail_w = {1'b0, tail_q};
  assign rep_w  = {1'b0, rep_start_q};

  assign remaining_o = tail_w - head_w;
  assign stealable_o = stealable_for(head_w, tail_w, rep_w);

  // Guarded (the owner asks only with rows left; the assertion below checks it).
  assign owner_gnt         = owner_req_i && (head_q < tail_q);
  assign head_d_w          = head_w + {{RowW{1'b0}}, owner_gnt};
  assign steal_after_owner = stealable_for(head_d_w, tail_w, rep_w);

  assign thief_any = (thief_prev_req_i || thief_next_req_i) && (steal_after_owner != '0);
  assign pick_prev = thief_prev_req_i && (!thief_next_req_i || !rr_q);
  assign prev_gnt  = thief_any && pick_prev;
  assign next_gnt  = thief_any && !pick_prev;

  assign tail_d_w        = tail_w - {{RowW{1'b0}}, thief_any};
  assign steal_after     = stealable_for(head_d_w, tail_d_w, rep_w);
  assign remaining_after = tail_d_w - head_d_w;

  assign owner_gnt_o         = owner_gnt;
  assign owner_row_o         = head_q;
  assign thief_prev_gnt_o    = prev_gnt;
  assign thief_next_gnt_o    = next_gnt;
  assign thief_row_o         = tail_q - 1'b1;
  assign thief_prev_refuse_o = thief_prev_req_i && !prev_gnt;
  assign thief_next_refuse_o = thief_next_req_i && !next_gnt;

  always_comb begin
    if (steal_after != '0) begin
      refuse_reason_o = masr_pkg::REFUSE_CONTENTION;
    end else if (remaining_after != '0) begin
      refuse_reason_o = masr_pkg::REFUSE_EXHAUSTED;
    end else begin
      refuse_reason_o = masr_pkg::REFUSE_DONE;
    end
  end

  assign dual_thief_o    = thief_prev_req_i && thief_next_req_i;
  // The owner's claim took the only stealable row while a thief was asking for it.
  assign last_row_race_o = (thief_prev_req_i || thief_next_req_i) && owner_gnt &&
                           (stealable_o == {{RowW{1'b0}}, 1'b1}) && (steal_after_owner == '0);

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      head_q      <= '0;
      tail_q      <= '0;
      rows_q      <= '0;
      rep_start_q <= '0;
      rr_q        <= 1'b0;
    end else if (init_i) begin
      head_q      <= '0;
      tail_q      <= rows_i;
      rows_q      <= rows_i;
      rep_start_q <= rep_start_i;
      rr_q        <= 1'b0;
    end else begin
      head_q <= head_d_w[RowW-1:0];
      tail_q <= tail_d_w[RowW-1:0];
      if (thief_any) begin
        rr_q <= prev_gnt;  // granted prev -> prefer next next time, and vice versa
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Assertions
  // ---------------------------------------------------------------------------------------------
  `ASSERT_IMPL(RepStartInRange_A, init_i, rep_start_i <= rows_i)
  `ASSERT_NEVER(ReqDuringInit_A, init_i && (owner_req_i || thief_prev_req_i || thief_next_req_i))
  `ASSERT_IMPL(OwnerReqHasRows_A, owner_req_i, remaining_o != '0)
  `ASSERT(HeadLeTail_A, head_q <= tail_q)
  `ASSERT(TailLeRows_A, tail_q <= rows_q)
  `ASSERT_NEVER(BothThievesGranted_A, thief_prev_gnt_o && thief_next_gnt_o)
  `ASSERT_IMPL(ThiefGntOnlyOnReq_A, thief_prev_gnt_o || thief_next_gnt_o,
               (thief_prev_gnt_o && thief_prev_req_i) || (thief_next_gnt_o && thief_next_req_i))
  `ASSERT_IMPL(ThiefRowInReplica_A, thief_prev_gnt_o || thief_next_gnt_o,
               thief_row_o >= rep_start_q && thief_row_o < rows_q)
  `ASSERT_IMPL(OwnerRowInRange_A, owner_gnt_o, owner_row_o < rows_q)
  `ASSERT_IMPL(DistinctRows_A, owner_gnt_o && (thief_prev_gnt_o || thief_next_gnt_o),
               owner_row_o != thief_row_o)
  `ASSERT_IMPL(RefusedOnlyIfAsked_A, thief_prev_refuse_o || thief_next_refuse_o,
               thief_prev_req_i || thief_next_req_i)

`ifndef SYNTHESIS
  // Work conservation, checked every cycle on a bitmap of the rows granted in this product:
  // a granted row was never granted before, and the granted set is exactly [0, head) U [tail, R).
  // At the end (head == tail) that means every row was granted exactly once.
  if (RowW <= 12) begin : g_claims
    localparam int NRows = 1 << RowW;

    logic [NRows-1:0] claimed_q, claimed_d, owner_bit, thief_bit, expect_set;
    logic [RowW:0]    grants_q;

    assign owner_bit  = owner_gnt_o ? (NRows'(1) << owner_row_o) : '0;
    assign thief_bit  = (thief_prev_gnt_o || thief_next_gnt_o) ? (NRows'(1) << thief_row_o) : '0;
    assign claimed_d  = claimed_q | owner_bit | thief_bit;
    // [0, head) U [tail, rows)
    assign expect_set = ((NRows'(1) << head_q) - 1'b1) |
                        (((NRows'(1) << rows_q) - 1'b1) & ~((NRows'(1) << tail_q) - 1'b1));

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        claimed_q <= '0;
        grants_q  <= '0;
      end else if (init_i) begin
        claimed_q <= '0;
        grants_q  <= '0;
      end else begin
        claimed_q <= claimed_d;
        grants_q  <= grants_q + {{RowW{1'b0}}, owner_gnt_o} +
                     {{RowW{1'b0}}, thief_prev_gnt_o || thief_next_gnt_o};
      end
    end

    `ASSERT_NEVER(OwnerRowRegranted_A, (claimed_q & owner_bit) != '0)
    `ASSERT_NEVER(ThiefRowRegranted_A, (claimed_q & thief_bit) != '0)
    `ASSERT(ClaimedSetExact_A, claimed_q == expect_set)
    `ASSERT(GrantCount_A, grants_q == {1'b0, rows_q} - remaining_o)
    `ASSERT_IMPL(AllGrantedAtEnd_A, remaining_o == '0,
                 grants_q == {1'b0, rows_q} && head_q == tail_q)
  end
`endif

  `COVER(DualThief_C, dual_thief_o)
  `COVER(LastRowRace_C, last_row_race_o)
  `COVER(RefusedExhausted_C, (thief_prev_refuse_o || thief_next_refuse_o) &&
                             refuse_reason_o == masr_pkg::REFUSE_EXHAUSTED)
  `COVER(RefusedDone_C, (thief_prev_refuse_o || thief_next_refuse_o) &&
                        refuse_reason_o == masr_pkg::REFUSE_DONE)
  `COVER(RefusedContention_C, (thief_prev_refuse_o || thief_next_refuse_o) &&
                              refuse_reason_o == masr_pkg::REFUSE_CONTENTION)

endmodule
