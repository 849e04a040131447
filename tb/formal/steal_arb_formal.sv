// Formal harness of masr_steal_arb (make formal, docs/formal.md).
//
// Properties (asserts), over every legal request sequence and every product (init_i) of any
// R <= 2^RowW - 1, replica start rep_start <= R and, with split ranges, rep_start <= rep_mid <= R:
//   NoRowTwice:       a granted row (owner or thief) was not granted before in this product;
//   OwnerThiefDiffer: owner and thieves never get the same row in one cycle, nor two thieves;
//   OneThief:         shared range: at most one thief grant per cycle;
//   ThiefInReplica:   a thief only ever gets a row of its range (shared: [rep_start, R) for
//                     both; split: [rep_start, rep_mid) for the prev-side thief, [rep_mid, R)
//                     for the next-side one); the owner one in [0, R);
//   GrantOnRequest:   no grant without a request;
//   ThiefServed:      work conservation: shared, a thief asking while a row is left for thieves
//                     after the owner's claim gets one (one of the two askers); split, a thief
//                     is granted exactly when its own range has a row left after the owner's
//                     claim (refused only when the owner took that range's last row or it is
//                     empty);
//   PrevWithinTwo / NextWithinTwo: shared round robin: a thief that asks in two consecutive
//                     cycles, with a row left for thieves after the owner's claim in both, is
//                     granted in one of them (the other side cannot win twice in a row);
//   AllOnceAtEnd:     once no row remains, every row of [0, R) was granted exactly once;
//   RetireKnownEmpty: the scanner's retires (rule N3) take only rows marked in known_empty_i,
//                     never a row granted before or in the same cycle (NoRowTwice);
//   RetireComplete:   after a cycle neither the owner's head (with rows left) nor any range's
//                     last stealable row is a row that cycle's known_empty_i marked: the
//                     one-pass retire reaches the model's one-row-at-a-time fixpoint.
// Assumptions: reset in the first cycle; the arbiter's contract (rep_start <= rep_mid <= rows at
// init, no request during init, the owner asks only with remaining_o > 0). Thief requests and
// the scanner's known_empty_i are otherwise free: the neighbours' view (stealable_*_o) is not
// assumed, so the arbiter is checked against thieves that ask at any time and any marked rows.
// Helper invariants for k-induction relate the ghost bitmap and shadow registers to the DUT's
// head/tails (visible as owner_row_o and thief_*_row_o + 1) and, through probe_* wires the proof
// script connects after flatten, to its latched R, bases, layout and round-robin pointer.
module steal_arb_formal #(
  parameter int RowW = 3,
  localparam int NRows = 1 << RowW
) (
  input logic            clk_i,
  input logic            rst_ni,
  input logic            init_i,
  input logic            split_i,
  input logic [RowW-1:0] rows_i,
  input logic [RowW-1:0] rep_start_i,
  input logic [RowW-1:0] rep_mid_i,
  input logic            owner_req_i,
  input logic            thief_prev_req_i,
  input logic            thief_next_req_i,
  input logic [NRows-1:0] known_empty_i
);

  logic            owner_gnt, prev_gnt, next_gnt, prev_refuse, next_refuse;
  logic            dual_thief, last_row_race;
  logic [RowW-1:0] owner_row, prev_row, next_row;
  logic [1:0]      refuse_reason;
  logic [RowW:0]   remaining, st_prev, st_next;
  logic [NRows-1:0] retire_bits;

  masr_steal_arb #(.RowW(RowW)) u_dut (
    .clk_i,
    .rst_ni,
    .init_i,
    .split_i,
    .rows_i,
    .rep_start_i,
    .rep_mid_i,
    .owner_req_i,
    .thief_prev_req_i,
    .thief_next_req_i,
    .known_empty_i,
    .owner_gnt_o         (owner_gnt),
    .owner_row_o         (owner_row),
    .thief_prev_gnt_o    (prev_gnt),
    .thief_next_gnt_o    (next_gnt),
    .thief_prev_row_o    (prev_row),
    .thief_next_row_o    (next_row),
    .thief_prev_refuse_o (prev_refuse),
    .thief_next_refuse_o (next_refuse),
    .refuse_reason_o     (refuse_reason),
    .remaining_o         (remaining),
    .stealable_prev_o    (st_prev),
    .stealable_next_o    (st_next),
    .dual_thief_o        (dual_thief),
    .last_row_race_o     (last_row_race),
    .retire_rows_o       (retire_bits)
  );

  // Probes (connected by the proof script).
  logic [RowW-1:0] probe_rows, probe_base0, probe_base1;
  logic            probe_split, probe_rr;

  // ---- environment ----
  logic past_valid_q = 1'b0;
  always @(posedge clk_i) past_valid_q <= 1'b1;
  always @(*) begin
    if (!past_valid_q) assume (!rst_ni);
    if (init_i) assume (rep_start_i <= rows_i);
    if (init_i && split_i) assume (rep_start_i <= rep_mid_i && rep_mid_i <= rows_i);
    assume (!(init_i && (owner_req_i || thief_prev_req_i || thief_next_req_i)));
    if (owner_req_i) assume (remaining != '0);
  end

  // ---- ghost state ----
  logic [NRows-1:0] granted_q;            // rows granted in this product
  logic [RowW-1:0]  rows_q, rep_q, mid_q; // the product's R, base_0, base_1 (harness copies)
  logic             split_q;
  logic             prev_ask_q, next_ask_q;  // shared: asked last cycle with a row left, refused
  logic [NRows-1:0] known_q;               // last cycle's known_empty_i
  logic             init_q;                // last cycle was a reset or an init
  logic [NRows-1:0] owner_bit, prev_bit, next_bit;

  assign owner_bit = owner_gnt ? NRows'(1) << owner_row : '0;
  assign prev_bit  = prev_gnt ? NRows'(1) << prev_row : '0;
  assign next_bit  = next_gnt ? NRows'(1) << next_row : '0;

  // head/tails as the outputs show them, and the rows left to each range's thief after the
  // owner's claim (the reference formula of docs/architecture.md section 5, step 2).
  logic [RowW:0] head, tail0, tail1, head_after, lo0, lo1, left0, left1;
  assign head       = {1'b0, owner_row};
  assign tail0      = split_q ? {1'b0, RowW'(prev_row + 1'b1)} : {1'b0, mid_q};
  assign tail1      = {1'b0, RowW'(next_row + 1'b1)};   // thief_next_row = tail_1 - 1
  assign head_after = head + (RowW + 1)'(owner_gnt);
  assign lo0        = (head_after > {1'b0, rep_q}) ? head_after : {1'b0, rep_q};
  assign lo1        = (head_after > {1'b0, mid_q}) ? head_after : {1'b0, mid_q};
  assign left0      = (tail0 > lo0) ? tail0 - lo0 : '0;
  assign left1      = (tail1 > lo1) ? tail1 - lo1 : '0;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      granted_q  <= '0;
      rows_q     <= '0;
      rep_q      <= '0;
      mid_q      <= '0;
      split_q    <= 1'b0;
      prev_ask_q <= 1'b0;
      next_ask_q <= 1'b0;
      known_q    <= '0;
      init_q     <= 1'b1;
    end else if (init_i) begin
      granted_q  <= '0;
      rows_q     <= rows_i;
      rep_q      <= rep_start_i;
      mid_q      <= split_i ? rep_mid_i : rep_start_i;
      split_q    <= split_i;
      prev_ask_q <= 1'b0;
      next_ask_q <= 1'b0;
      known_q    <= '0;
      init_q     <= 1'b1;
    end else begin
      granted_q  <= granted_q | owner_bit | prev_bit | next_bit | retire_bits;
      known_q    <= known_empty_i;
      init_q     <= 1'b0;
      prev_ask_q <= !split_q && thief_prev_req_i && left1 != '0 && !prev_gnt;
      next_ask_q <= !split_q && thief_next_req_i && left1 != '0 && !next_gnt;
    end
  end

  // Rows a thief of each range may still take, for the registered head.
  logic [RowW:0] lo0_now, lo1_now;
  assign lo0_now = (head > {1'b0, rep_q}) ? head : {1'b0, rep_q};
  assign lo1_now = (head > {1'b0, mid_q}) ? head : {1'b0, mid_q};

  // [0, head) U [tail_0, base_1) U [tail_1, R): what must have been granted so far.
  logic [NRows-1:0] expect_set;
  assign expect_set = ((NRows'(1) << head) - 1'b1) |
                      (((NRows'(1) << mid_q) - 1'b1) & ~((NRows'(1) << tail0) - 1'b1)) |
                      (((NRows'(1) << rows_q) - 1'b1) & ~((NRows'(1) << tail1) - 1'b1));

  // ---- properties ----
  always @(posedge clk_i) begin
    if (rst_ni) begin
      NoRowTwice: assert ((granted_q & (owner_bit | prev_bit | next_bit | retire_bits)) == '0
                          && (retire_bits & (owner_bit | prev_bit | next_bit)) == '0);
      RetireKnownEmpty: assert ((retire_bits & ~known_empty_i) == '0);
      RetireComplete: assert (init_q || ((remaining == '0 || !known_q[owner_row])
                                         && (tail0 <= lo0_now || !known_q[RowW'(tail0 - 1'b1)])
                                         && (tail1 <= lo1_now || !known_q[RowW'(tail1 - 1'b1)])));
      OwnerThiefDiffer: assert ((!(owner_gnt && prev_gnt) || owner_row != prev_row)
                                && (!(owner_gnt && next_gnt) || owner_row != next_row)
                                && (!(prev_gnt && next_gnt) || prev_row != next_row));
      OneThief: assert (split_q || !(prev_gnt && next_gnt));
      ThiefInReplica: assert ((!prev_gnt || (split_q ? (prev_row >= rep_q && prev_row < mid_q)
                                                     : (prev_row >= rep_q && prev_row < rows_q)))
                              && (!next_gnt || (next_row >= mid_q && next_row < rows_q)));
      OwnerInRange: assert (!owner_gnt || owner_row < rows_q);
      GrantOnRequest: assert ((!prev_gnt || thief_prev_req_i) && (!next_gnt || thief_next_req_i)
                              && (!owner_gnt || owner_req_i));
      ThiefServed: assert (split_q ? (prev_gnt == (thief_prev_req_i && left0 != '0)
                                      && next_gnt == (thief_next_req_i && left1 != '0))
                                   : (!((thief_prev_req_i || thief_next_req_i) && left1 != '0)
                                      || prev_gnt || next_gnt));
      PrevWithinTwo: assert (!(prev_ask_q && thief_prev_req_i && left1 != '0) || prev_gnt);
      NextWithinTwo: assert (!(next_ask_q && thief_next_req_i && left1 != '0) || next_gnt);
      AllOnceAtEnd: assert (remaining != '0 || granted_q == (NRows'(1) << rows_q) - 1'b1);
      // Helper invariants (k-induction).
      ShadowRows: assert (probe_rows == rows_q && probe_base0 == rep_q && probe_base1 == mid_q
                          && probe_split == split_q);
      RangesOrdered: assert (rep_q <= mid_q && mid_q <= rows_q && rep_q <= tail0
                             && tail0 <= {1'b0, mid_q} && {1'b0, mid_q} <= tail1
                             && tail1 <= {1'b0, rows_q} && head <= {1'b0, rows_q});
      SharedTail0: assert (split_q || (tail0 == {1'b0, mid_q} && mid_q == rep_q
                                       && prev_row == next_row));
      GrantedExact: assert (granted_q == expect_set);
      RrAfterRefusal: assert ((!prev_ask_q || !probe_rr) && (!next_ask_q || probe_rr));
    end
  end

endmodule
