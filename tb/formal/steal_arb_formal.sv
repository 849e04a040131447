// Formal harness of masr_steal_arb (make formal, docs/formal.md).
//
// Properties (asserts), over every legal request sequence and every product (init_i) of any
// R <= 2^RowW - 1 and replica start rep_start <= R:
//   NoRowTwice:       a granted row (owner or thief) was not granted before in this product;
//   OwnerThiefDiffer: owner and thief never get the same row in one cycle;
//   OneThief:         at most one thief grant per cycle;
//   ThiefInReplica:   a thief only ever gets a row in [rep_start, R); the owner one in [0, R);
//   GrantOnRequest:   no grant without a request;
//   ThiefServed:      work conservation: a thief asking while a row is left for thieves after
//                     the owner's claim gets one (one of the two askers);
//   PrevWithinTwo / NextWithinTwo: round robin: a thief that asks in two consecutive cycles,
//                     with a row left for thieves after the owner's claim in both, is granted in
//                     one of them (the other side cannot win twice in a row);
//   AllOnceAtEnd:     once no row remains, every row of [0, R) was granted exactly once.
// Assumptions: reset in the first cycle; the arbiter's contract (rep_start <= rows at init, no
// request during init, the owner asks only with remaining_o > 0). Thief requests are otherwise
// free: the neighbours' view (stealable_o) is not assumed, so the arbiter is checked against
// thieves that ask at any time.
// Helper invariants for k-induction relate the ghost bitmap and shadow registers to the DUT's
// head/tail (visible as owner_row_o and thief_row_o + 1) and, through probe_* wires the proof
// script connects after flatten, to its latched R, rep_start and round-robin pointer.
module steal_arb_formal #(
  parameter int RowW = 3,
  localparam int NRows = 1 << RowW
) (
  input logic            clk_i,
  input logic            rst_ni,
  input logic            init_i,
  input logic [RowW-1:0] rows_i,
  input logic [RowW-1:0] rep_start_i,
  input logic            owner_req_i,
  input logic            thief_prev_req_i,
  input logic            thief_next_req_i
);

  logic            owner_gnt, prev_gnt, next_gnt, prev_refuse, next_refuse;
  logic            dual_thief, last_row_race;
  logic [RowW-1:0] owner_row, thief_row;
  logic [1:0]      refuse_reason;
  logic [RowW:0]   remaining, stealable;

  masr_steal_arb #(.RowW(RowW)) u_dut (
    .clk_i,
    .rst_ni,
    .init_i,
    .rows_i,
    .rep_start_i,
    .owner_req_i,
    .thief_prev_req_i,
    .thief_next_req_i,
    .owner_gnt_o         (owner_gnt),
    .owner_row_o         (owner_row),
    .thief_prev_gnt_o    (prev_gnt),
    .thief_next_gnt_o    (next_gnt),
    .thief_row_o         (thief_row),
    .thief_prev_refuse_o (prev_refuse),
    .thief_next_refuse_o (next_refuse),
    .refuse_reason_o     (refuse_reason),
    .remaining_o         (remaining),
    .stealable_o         (stealable),
    .dual_thief_o        (dual_thief),
    .last_row_race_o     (last_row_race)
  );

  // Probes (connected by the proof script).
  logic [RowW-1:0] probe_rows, probe_rep_start;
  logic            probe_rr;

  // ---- environment ----
  logic past_valid_q = 1'b0;
  always @(posedge clk_i) past_valid_q <= 1'b1;
  always @(*) begin
    if (!past_valid_q) assume (!rst_ni);
    if (init_i) assume (rep_start_i <= rows_i);
    assume (!(init_i && (owner_req_i || thief_prev_req_i || thief_next_req_i)));
    if (owner_req_i) assume (remaining != '0);
  end

  // ---- ghost state ----
  logic [NRows-1:0] granted_q;        // rows granted in this product
  logic [RowW-1:0]  rows_q, rep_q;    // the product's R and rep_start (harness copies)
  logic             prev_ask_q, next_ask_q;  // asked last cycle with a thief row left, refused
  logic             thief_gnt;
  logic [NRows-1:0] owner_bit, thief_bit;

  assign thief_gnt = prev_gnt || next_gnt;
  assign owner_bit = owner_gnt ? NRows'(1) << owner_row : '0;
  assign thief_bit = thief_gnt ? NRows'(1) << thief_row : '0;

  // head/tail as the outputs show them, and the rows left to thieves after the owner's claim
  // (the reference formula of docs/architecture.md section 5, step 2).
  logic [RowW:0] head, tail, head_after, lo_after, thief_left;
  assign head       = {1'b0, owner_row};
  assign tail       = {1'b0, RowW'(thief_row + 1'b1)};  // thief_row = tail - 1
  assign head_after = head + (RowW + 1)'(owner_gnt);
  assign lo_after   = (head_after > {1'b0, rep_q}) ? head_after : {1'b0, rep_q};
  assign thief_left = (tail > lo_after) ? tail - lo_after : '0;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      granted_q  <= '0;
      rows_q     <= '0;
      rep_q      <= '0;
      prev_ask_q <= 1'b0;
      next_ask_q <= 1'b0;
    end else if (init_i) begin
      granted_q  <= '0;
      rows_q     <= rows_i;
      rep_q      <= rep_start_i;
      prev_ask_q <= 1'b0;
      next_ask_q <= 1'b0;
    end else begin
      granted_q  <= granted_q | owner_bit | thief_bit;
      prev_ask_q <= thief_prev_req_i && thief_left != '0 && !prev_gnt;
      next_ask_q <= thief_next_req_i && thief_left != '0 && !next_gnt;
    end
  end

  // [0, head) U [tail, R): what must have been granted so far.
  logic [NRows-1:0] expect_set;
  assign expect_set = ((NRows'(1) << head) - 1'b1) |
                      (((NRows'(1) << rows_q) - 1'b1) & ~((NRows'(1) << tail) - 1'b1));

  // ---- properties ----
  always @(posedge clk_i) begin
    if (rst_ni) begin
      NoRowTwice: assert ((granted_q & (owner_bit | thief_bit)) == '0);
      OwnerThiefDiffer: assert (!(owner_gnt && thief_gnt) || owner_row != thief_row);
      OneThief: assert (!(prev_gnt && next_gnt));
      ThiefInReplica: assert (!thief_gnt || (thief_row >= rep_q && thief_row < rows_q));
      OwnerInRange: assert (!owner_gnt || owner_row < rows_q);
      GrantOnRequest: assert ((!prev_gnt || thief_prev_req_i) && (!next_gnt || thief_next_req_i)
                              && (!owner_gnt || owner_req_i));
      ThiefServed: assert (!((thief_prev_req_i || thief_next_req_i) && thief_left != '0)
                           || thief_gnt);
      PrevWithinTwo: assert (!(prev_ask_q && thief_prev_req_i && thief_left != '0) || prev_gnt);
      NextWithinTwo: assert (!(next_ask_q && thief_next_req_i && thief_left != '0) || next_gnt);
      AllOnceAtEnd: assert (remaining != '0 || granted_q == (NRows'(1) << rows_q) - 1'b1);
      // Helper invariants (k-induction).
      ShadowRows: assert (probe_rows == rows_q && probe_rep_start == rep_q);
      RepLeRows: assert (rep_q <= rows_q);
      HeadTailOrder: assert (head <= tail && tail <= {1'b0, rows_q});
      GrantedExact: assert (granted_q == expect_set);
      RrAfterRefusal: assert ((!prev_ask_q || !probe_rr) && (!next_ask_q || probe_rr));
    end
  end

endmodule
