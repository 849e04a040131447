// Per-lane work pointers and victim arbiter (docs/architecture.md section 5, "Claims" and
// "Victim arbiter"; section 6 FLAGS).
//
// The lane's own rows are [0, R): own-only rows [0, base_0), then two stacked replica ranges,
// range 0 = [base_0, base_1) and range 1 = [base_1, R), each with its own registered tail_k
// (reset to the range's top). The owner consumes rows upward from head, thieves downward from a
// range's tail. Two layouts, chosen by split_i at init_i:
//   shared (v1, split_i = 0): range 0 is empty (base_1 = base_0 = rep_start); range 1 is the
//     replicated tail [rep_start, R), held by BOTH neighbours; at most one thief grant per cycle,
//     the round-robin pointer picks between two askers (rr = 0: prev-side thief), after any thief
//     grant rr points to the other side.
//   split (split_i = 1, docs/perf-model.md rules R1-R3): range 0 = [rep_start, rep_mid) is held
//     only by the prev-side thief, range 1 = [rep_mid, R) only by the next-side thief. Each range
//     grants its one thief row tail_k - 1 iff the range still has a row after the owner action
//     (no thief-thief contention; both thieves may be granted in one cycle, different rows).
//     The owner's head is normalised: if it lies in range k at or above tail_k (the thief took
//     the rest of the range) it jumps to the range's top, range 0 first.
// Per cycle: 1. an owner claim is granted iff own rows are left (row head, head += 1);
//            2. thief grants after it, with head' = head + owner_gnt;
//            3. every other thief request is refused, the victim's state after the cycle as
//               reason (split: never REFUSE_CONTENTION).
// Every row in [0, R) is granted exactly once: it lies in the own-only part or in exactly one
// range; in a range the owner takes rows upward and the range's (one granted) thief downward, and
// when they meet the owner wins.
//
// Row scanner retires (CFG_FEAT.SCAN, rule N3 of docs/perf-model.md): known_empty_i marks own
// rows the lane's scanner has already read and found without an effective op. After the cycle's
// claims and the head jump, the owner's head moves over every such row it reaches (with the
// jumps between ranges) and each range's tail moves down over every such row above
// max(head, base_k): those rows are retired, done without a claim, shown in retire_rows_o. The
// model retires one row at a time until neither end holds one; the head's retires never let a
// tail move nor the reverse (a tail stops above the head), so this one pass reaches the same
// state. With known_empty_i = 0 nothing changes.
//
// remaining_o (own rows left = rows not yet granted) and stealable_*_o are functions of the
// registered state only (the "registered values at the start of the cycle" that neighbouring
// thieves read), never of this cycle's grants. rows_i, rep_start_i, rep_mid_i and split_i are
// sampled at init_i, like head and the tails.

`include "masr_assert.svh"

module masr_steal_arb #(
  parameter int RowW = 6,  // bits of a local row index; R <= 2^RowW - 1
  // Derived, do not override.
  localparam int NRows = 1 << RowW
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            init_i,            // start of product: head = 0, tails = tops, rr = 0
  input  logic            split_i,           // 1: split ranges (one thief per range)
  input  logic [RowW-1:0] rows_i,            // R
  input  logic [RowW-1:0] rep_start_i,       // base_0 (shared: R - Q)
  input  logic [RowW-1:0] rep_mid_i,         // base_1, split only (ignored when shared)
  input  logic            owner_req_i,
  input  logic            thief_prev_req_i,  // from the thief on my prev side (whose next is me)
  input  logic            thief_next_req_i,  // from the thief on my next side (whose prev is me)
  input  logic [NRows-1:0] known_empty_i,    // scanner: rows known to have no effective op
  output logic            owner_gnt_o,
  output logic [RowW-1:0] owner_row_o,
  output logic            thief_prev_gnt_o,
  output logic            thief_next_gnt_o,
  output logic [RowW-1:0] thief_prev_row_o,  // row of a prev-side grant (shared: tail - 1)
  output logic [RowW-1:0] thief_next_row_o,  // row of a next-side grant (tail_1 - 1)
  output logic            thief_prev_refuse_o,
  output logic            thief_next_refuse_o,
  output logic [1:0]      refuse_reason_o,   // masr_pkg::REFUSE_*: victim state after the cycle
  output logic [RowW:0]   remaining_o,       // own rows left (rows not granted yet)
  output logic [RowW:0]   stealable_prev_o,  // rows the prev-side thief may take
  output logic [RowW:0]   stealable_next_o,  // rows the next-side thief may take
  output logic            dual_thief_o,      // FLAGS bit 0 event
  output logic            last_row_race_o,   // FLAGS bit 1 event
  output logic [NRows-1:0] retire_rows_o     // rows retired at the end of this cycle (scanner)
);

  logic [RowW-1:0] head_q, tail0_q, tail1_q, rows_q, base0_q, base1_q;
  logic            split_q;
  logic            rr_q;  // shared: 0 prefers the prev-side thief

  // Rows of range [base, ...) a thief may still take for a given head: max(0, tail - max(head,
  // base)).
  function automatic logic [RowW:0] stealable_for(input logic [RowW:0] head,
                                                  input logic [RowW:0] tail,
                                                  input logic [RowW:0] base);
    logic [RowW:0] lo;
    lo = (head > base) ? head : base;
    stealable_for = (tail > lo) ? tail - lo : '0;
  endfunction

  // Split: a head inside the part of a range its thief took jumps to the range's top, range 0
  // first (range 0's top is base_1, range 1's is R); shared ranges never jump.
  function automatic logic [RowW:0] jump_taken(input logic [RowW:0] head, input logic split,
                                               input logic [RowW:0] base0,
                                               input logic [RowW:0] tail0,
                                               input logic [RowW:0] base1,
                                               input logic [RowW:0] tail1,
                                               input logic [RowW:0] rows);
    jump_taken = head;
    if (split) begin
      if (jump_taken >= base0 && jump_taken >= tail0 && jump_taken < base1) begin
        jump_taken = base1;
      end
      if (jump_taken >= base1 && jump_taken >= tail1 && jump_taken < rows) begin
        jump_taken = rows;
      end
    end
  endfunction

  // Row bitmaps: rows [0, n); every row at or above (up) / at or below (down) a set bit.
  function automatic logic [NRows-1:0] below(input logic [RowW:0] n);
    below = (32'(n) >= NRows) ? '1 : (NRows'(1) << n) - NRows'(1);
  endfunction

  function automatic logic [NRows-1:0] smear_up(input logic [NRows-1:0] x);
    smear_up = x;
    for (int sh = 1; sh < NRows; sh = sh * 2) begin
      smear_up = smear_up | (smear_up << sh);
    end
  endfunction

  // Index of the set bit of a one-hot row bitmap (0 for none): an OR tree per index bit.
  function automatic logic [RowW:0] index_of(input logic [NRows-1:0] onehot);
    index_of = '0;
    for (int i = 0; i < NRows; i++) begin
      index_of = index_of | ((onehot[i]) ? (RowW+1)'(i) : '0);
    end
  endfunction

  function automatic logic [NRows-1:0] smear_down(input logic [NRows-1:0] x);
    smear_down = x;
    for (int sh = 1; sh < NRows; sh = sh * 2) begin
      smear_down = smear_down | (smear_down >> sh);
    end
  endfunction

  // ---------------------------------------------------------------------------------------------
  // Grants
  // ---------------------------------------------------------------------------------------------
  logic [RowW:0] head_w, tail0_w, tail1_w, base0_w, base1_w, rows_w;
  logic [RowW:0] st0, st1, own_only, head_d_w, tail0_d_w, tail1_d_w, head_n_w;
  logic [RowW:0] st0_own, st1_own, st0_after, st1_after, own_only_after, remaining_after;
  logic          owner_gnt, thief_any, pick_prev, prev_gnt, next_gnt, race0, race1;

  assign head_w  = {1'b0, head_q};
  assign tail0_w = {1'b0, tail0_q};
  assign tail1_w = {1'b0, tail1_q};
  assign base0_w = {1'b0, base0_q};
  assign base1_w = {1'b0, base1_q};
  assign rows_w  = {1'b0, rows_q};

  // Registered view. Shared: range 0 is empty (tail0 = base0 = base1), so st0 = 0.
  assign st0      = stealable_for(head_w, tail0_w, base0_w);
  assign st1      = stealable_for(head_w, tail1_w, base1_w);
  assign own_only = (base0_w > head_w) ? base0_w - head_w : '0;

  assign remaining_o      = own_only + st0 + st1;
  assign stealable_prev_o = split_q ? st0 : st1;
  assign stealable_next_o = st1;

  // Owner first (guarded: the owner asks only with rows left; asserted below).
  assign owner_gnt = owner_req_i && (remaining_o != '0);
  assign head_d_w  = head_w + {{RowW{1'b0}}, owner_gnt};
  assign st0_own   = stealable_for(head_d_w, tail0_w, base0_w);
  assign st1_own   = stealable_for(head_d_w, tail1_w, base1_w);

  // Thieves. Shared: one grant from range 1, round robin. Split: each range its own thief.
  assign thief_any = (thief_prev_req_i || thief_next_req_i) && (st1_own != '0);
  assign pick_prev = thief_prev_req_i && (!thief_next_req_i || !rr_q);
  assign prev_gnt  = split_q ? (thief_prev_req_i && (st0_own != '0)) : (thief_any && pick_prev);
  assign next_gnt  = split_q ? (thief_next_req_i && (st1_own != '0)) : (thief_any && !pick_prev);

  assign tail0_d_w = tail0_w - {{RowW{1'b0}}, split_q && prev_gnt};
  assign tail1_d_w = tail1_w - {{RowW{1'b0}}, split_q ? next_gnt : thief_any};

  // Next head: jump over the part of a range its thief already took.
  assign head_n_w = jump_taken(head_d_w, split_q, base0_w, tail0_d_w, base1_w, tail1_d_w, rows_w);

  // Scanner retires after the claims (see the header), on row bitmaps: the head walks up over
  // known-empty rows still its own (avail: not granted, not taken by a thief) and stops at the
  // first one that is not known empty (stop), or, with none, ends at R: no row is left to it
  // (the model's split jumps end there too; a shared head stays at tail_1, the same state for
  // every output while nothing remains). Then each range's tail walks down over the known-empty
  // rows of [max(head, base_k), tail_k) above the highest one that is not. Shifts, smears and
  // one-hot encoders instead of a row-by-row walk (which made the 8x8 model twice as large)
  // or popcounts (which made the stage a third of the 8x8 array's logic).
  logic [RowW:0]    head_f_w, tail0_f_w, tail1_f_w, lo0_f, lo1_f;
  logic [NRows-1:0] avail, stop, up, head_ret, win0, win1, keep0, keep1, ret0, ret1, retire_rows;

  assign avail     = ~below(head_n_w) &
                     (below(tail0_d_w) | (below(tail1_d_w) & ~below(base1_w)));
  assign stop      = avail & ~known_empty_i;
  assign up        = smear_up(stop);
  assign head_ret  = avail & known_empty_i & ~up;
  // The head stops at the lowest stop row.
  assign head_f_w  = (stop != '0) ? index_of(up & ~(up << 1)) :
                     ((head_ret != '0) ? rows_w : head_n_w);

  assign lo0_f     = (head_f_w > base0_w) ? head_f_w : base0_w;
  assign lo1_f     = (head_f_w > base1_w) ? head_f_w : base1_w;
  assign win0      = below(tail0_d_w) & ~below(lo0_f);
  assign win1      = below(tail1_d_w) & ~below(lo1_f);
  // keep_k: the window's rows at or below its highest unmarked row; the rest retire, and the
  // tail ends just above that row (at max(head, base_k) if every row retires; an empty window
  // leaves the tail where it is).
  assign keep0     = smear_down(win0 & ~known_empty_i);
  assign keep1     = smear_down(win1 & ~known_empty_i);
  assign ret0      = win0 & ~keep0;
  assign ret1      = win1 & ~keep1;
  assign tail0_f_w = (ret0 == '0) ? tail0_d_w :
                     (keep0 != '0) ? index_of(keep0 & ~(keep0 >> 1)) + 1'b1 : lo0_f;
  assign tail1_f_w = (ret1 == '0) ? tail1_d_w :
                     (keep1 != '0) ? index_of(keep1 & ~(keep1 >> 1)) + 1'b1 : lo1_f;

  assign retire_rows   = head_ret | ret0 | ret1;
  assign retire_rows_o = retire_rows;

  assign st0_after       = stealable_for(head_d_w, tail0_d_w, base0_w);
  assign st1_after       = stealable_for(head_d_w, tail1_d_w, base1_w);
  assign own_only_after  = (base0_w > head_d_w) ? base0_w - head_d_w : '0;
  assign remaining_after = own_only_after + st0_after + st1_after;

  assign owner_gnt_o         = owner_gnt;
  assign owner_row_o         = head_q;
  assign thief_prev_gnt_o    = prev_gnt;
  assign thief_next_gnt_o    = next_gnt;
  assign thief_prev_row_o    = (split_q ? tail0_q : tail1_q) - 1'b1;
  assign thief_next_row_o    = tail1_q - 1'b1;
  assign thief_prev_refuse_o = thief_prev_req_i && !prev_gnt;
  assign thief_next_refuse_o = thief_next_req_i && !next_gnt;

  always_comb begin
    if (!split_q && st1_after != '0) begin
      refuse_reason_o = masr_pkg::REFUSE_CONTENTION;
    end else if (remaining_after != '0) begin
      refuse_reason_o = masr_pkg::REFUSE_EXHAUSTED;
    end else begin
      refuse_reason_o = masr_pkg::REFUSE_DONE;
    end
  end

  assign dual_thief_o = thief_prev_req_i && thief_next_req_i;
  // The owner's claim took the only row left to a thief (of that thief's range) while it asked.
  assign race0 = owner_gnt && (st0 == {{RowW{1'b0}}, 1'b1}) && (st0_own == '0);
  assign race1 = owner_gnt && (st1 == {{RowW{1'b0}}, 1'b1}) && (st1_own == '0);
  assign last_row_race_o = split_q ? ((thief_prev_req_i && race0) || (thief_next_req_i && race1))
                                   : ((thief_prev_req_i || thief_next_req_i) && race1);

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      head_q  <= '0;
      tail0_q <= '0;
      tail1_q <= '0;
      rows_q  <= '0;
      base0_q <= '0;
      base1_q <= '0;
      split_q <= 1'b0;
      rr_q    <= 1'b0;
    end else if (init_i) begin
      head_q  <= '0;
      rows_q  <= rows_i;
      base0_q <= rep_start_i;
      base1_q <= split_i ? rep_mid_i : rep_start_i;
      tail0_q <= split_i ? rep_mid_i : rep_start_i;
      tail1_q <= rows_i;
      split_q <= split_i;
      rr_q    <= 1'b0;
    end else begin
      head_q  <= head_f_w[RowW-1:0];
      tail0_q <= tail0_f_w[RowW-1:0];
      tail1_q <= tail1_f_w[RowW-1:0];
      if (!split_q && thief_any) begin
        rr_q <= prev_gnt;  // granted prev -> prefer next next time, and vice versa
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Assertions
  // ---------------------------------------------------------------------------------------------
  `ASSERT_IMPL(RepStartInRange_A, init_i, rep_start_i <= rows_i)
  `ASSERT_IMPL(RepMidInRange_A, init_i && split_i, rep_start_i <= rep_mid_i && rep_mid_i <= rows_i)
  `ASSERT_NEVER(ReqDuringInit_A, init_i && (owner_req_i || thief_prev_req_i || thief_next_req_i))
  `ASSERT_IMPL(OwnerReqHasRows_A, owner_req_i, remaining_o != '0)
  `ASSERT(RangesOrdered_A, base0_q <= tail0_q && tail0_q <= base1_q && base1_q <= tail1_q &&
                           tail1_q <= rows_q && head_q <= rows_q)
  `ASSERT_IMPL(SharedRange0Empty_A, !split_q, base0_q == base1_q && tail0_q == base1_q)
  // Head never inside the part of a range its thief took (shared: head <= tail, as v1).
  `ASSERT_IMPL(HeadNormalised_A, head_q >= base0_q && head_q < base1_q, head_q < tail0_q)
  `ASSERT_IMPL(HeadLeTail_A, head_q >= base1_q && head_q < rows_q, head_q <= tail1_q)
  `ASSERT_IMPL(HeadBelowTailSplit_A, split_q && head_q >= base1_q && head_q < rows_q,
               head_q < tail1_q)
  `ASSERT_NEVER(SharedBothThievesGranted_A, !split_q && thief_prev_gnt_o && thief_next_gnt_o)
  `ASSERT_IMPL(ThiefPrevGntOnReq_A, thief_prev_gnt_o, thief_prev_req_i)
  `ASSERT_IMPL(ThiefNextGntOnReq_A, thief_next_gnt_o, thief_next_req_i)
  `ASSERT_IMPL(ThiefPrevRowInRange_A, thief_prev_gnt_o,
               thief_prev_row_o >= (split_q ? base0_q : base1_q) &&
               thief_prev_row_o < (split_q ? base1_q : rows_q))
  `ASSERT_IMPL(ThiefNextRowInRange_A, thief_next_gnt_o,
               thief_next_row_o >= base1_q && thief_next_row_o < rows_q)
  `ASSERT_IMPL(OwnerRowInRange_A, owner_gnt_o, owner_row_o < rows_q)
  `ASSERT_IMPL(DistinctRowsPrev_A, owner_gnt_o && thief_prev_gnt_o, owner_row_o != thief_prev_row_o)
  `ASSERT_IMPL(DistinctRowsNext_A, owner_gnt_o && thief_next_gnt_o, owner_row_o != thief_next_row_o)
  `ASSERT_IMPL(DistinctThiefRows_A, thief_prev_gnt_o && thief_next_gnt_o,
               thief_prev_row_o != thief_next_row_o)
  `ASSERT_IMPL(RefusedOnlyIfAsked_A, thief_prev_refuse_o || thief_next_refuse_o,
               thief_prev_req_i || thief_next_req_i)
  `ASSERT_NEVER(SplitNoContention_A, split_q && (thief_prev_refuse_o || thief_next_refuse_o) &&
                                     refuse_reason_o == masr_pkg::REFUSE_CONTENTION)

`ifndef SYNTHESIS
  // Work conservation, checked every cycle on a bitmap of the rows granted in this product:
  // a granted row was never granted before, and the granted set is exactly
  // [0, head) U [tail_0, base_1) U [tail_1, R). At the end (nothing remaining) that means every
  // row was granted exactly once.
  if (RowW <= 12) begin : g_claims
    logic [NRows-1:0] claimed_q, claimed_d, owner_bit, prev_bit, next_bit, expect_set;
    logic [RowW:0]    grants_q, retired_n;

    always_comb begin
      retired_n = '0;
      for (int x = 0; x < NRows; x++) begin
        retired_n = retired_n + (RowW+1)'(retire_rows[x]);
      end
    end

    assign owner_bit  = owner_gnt_o ? (NRows'(1) << owner_row_o) : '0;
    assign prev_bit   = thief_prev_gnt_o ? (NRows'(1) << thief_prev_row_o) : '0;
    assign next_bit   = thief_next_gnt_o ? (NRows'(1) << thief_next_row_o) : '0;
    assign claimed_d  = claimed_q | owner_bit | prev_bit | next_bit | retire_rows;
    assign expect_set = ((NRows'(1) << head_q) - 1'b1) |
                        (((NRows'(1) << base1_q) - 1'b1) & ~((NRows'(1) << tail0_q) - 1'b1)) |
                        (((NRows'(1) << rows_q) - 1'b1) & ~((NRows'(1) << tail1_q) - 1'b1));

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
                     {{RowW{1'b0}}, thief_prev_gnt_o} + {{RowW{1'b0}}, thief_next_gnt_o} +
                     retired_n;
      end
    end

    `ASSERT_NEVER(OwnerRowRegranted_A, (claimed_q & owner_bit) != '0)
    `ASSERT_NEVER(ThiefRowRegranted_A, (claimed_q & (prev_bit | next_bit)) != '0)
    // A retired row was neither granted before nor in this cycle, and is known empty.
    `ASSERT_NEVER(RetiredRowRegranted_A,
                  (retire_rows & (claimed_q | owner_bit | prev_bit | next_bit)) != '0)
    `ASSERT_NEVER(RetiredNotKnownEmpty_A, (retire_rows & ~known_empty_i) != '0)
    `ASSERT(ClaimedSetExact_A, claimed_q == expect_set)
    `ASSERT(GrantCount_A, grants_q == {1'b0, rows_q} - remaining_o)
    `ASSERT_IMPL(AllGrantedAtEnd_A, remaining_o == '0, grants_q == {1'b0, rows_q})
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
  `COVER(SplitHeadJump_C, split_q && head_n_w != head_d_w)
  `COVER(SplitTwoGrants_C, split_q && thief_prev_gnt_o && thief_next_gnt_o)
  `COVER(RetireAtHead_C, head_f_w != head_n_w)
  `COVER(RetireAtTail_C, tail0_f_w != tail0_d_w || tail1_f_w != tail1_d_w)

endmodule
