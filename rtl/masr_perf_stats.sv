// PERF_* sums of a product (docs/architecture.md section 6), counted as the events happen.
//
// Every lane reports each cycle which of its statistics count up and the parity of the product
// each event belongs to (masr_lane stat_ev_o / stat_ev_par_o). One bank per product in flight
// (two in a RUN_AHEAD build, else one) adds, per event, how many lanes reported it for that
// bank's parity. So a product's sums are final when its compute ends, while the lanes already
// count for the next product, and no lane needs a statistics bank per product in flight, nor the
// top an adder tree over every lane's 32-bit counters.
//
// A row-scanner retire (CFG_FEAT.SCAN) is a ROWS_OWN event that a lane can report for several
// rows in one cycle: retired_i carries each lane's count, added to STAT_EV_OWN's sum with the
// parity of that lane's STAT_EV_OWN.
//
// clear_i (a product start) empties every bank and drops the cycle's events, as a start clears
// the lanes' counters. restart_i: bank restart_bank_i has been read this cycle (its product's
// sums are latched); from the next cycle it holds only the events of this cycle on.
`include "masr_assert.svh"

module masr_perf_stats #(
  parameter int NL    = 8,
  parameter int BANKS = 1,
  parameter int RetW  = 1,        // bits of a lane's retired-row count
  // Derived, do not override.
  localparam int NumEv = masr_pkg::STAT_EV_NUM,
  localparam int CntW  = $clog2(NL + 1),
  localparam int SumW  = 32
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   clear_i,
  input  logic                   restart_i,
  input  logic                   restart_bank_i,
  input  logic [NL*NumEv-1:0]    ev_i,           // lane l's event e at bit l*NumEv + e
  input  logic [NL*NumEv-1:0]    ev_par_i,       // ... and the parity of its product
  input  logic [NL*RetW-1:0]     retired_i,      // lane l's retired rows (ROWS_OWN) at l*RetW
  input  logic                   rd_bank_i,
  output logic [NumEv*SumW-1:0]  sum_o           // event e's sum at e*SumW, bank rd_bank_i
);

  logic [BANKS*NumEv*SumW-1:0] sum_q;

  for (genvar b = 0; b < BANKS; b++) begin : g_bank
    for (genvar e = 0; e < NumEv; e++) begin : g_event
      logic [NL-1:0]   hit, mine;
      logic [CntW-1:0] hits;
      logic [SumW-1:0] cnt, extra;
      logic            restart;
      for (genvar l = 0; l < NL; l++) begin : g_lane
        assign mine[l] = (BANKS == 1) || (32'(ev_par_i[l*NumEv + e]) == b);
        assign hit[l]  = ev_i[l*NumEv + e] && mine[l];
      end
      masr_popcount #(.Width(NL)) u_cnt (
        .in_i  (hit),
        .cnt_o (hits)
      );
      if (e == masr_pkg::STAT_EV_OWN) begin : g_retired
        always_comb begin
          extra = '0;
          for (int l = 0; l < NL; l++) begin
            extra = extra + (mine[l] ? SumW'(retired_i[l*RetW +: RetW]) : '0);
          end
        end
      end else begin : g_plain
        assign extra = '0;
      end
      assign cnt = SumW'(hits) + extra;
      assign restart = restart_i && ((BANKS == 1) || (32'(restart_bank_i) == b));
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          sum_q[(b*NumEv + e)*SumW +: SumW] <= '0;
        end else if (clear_i) begin
          sum_q[(b*NumEv + e)*SumW +: SumW] <= '0;
        end else if (restart) begin
          sum_q[(b*NumEv + e)*SumW +: SumW] <= cnt;
        end else begin
          sum_q[(b*NumEv + e)*SumW +: SumW] <= sum_q[(b*NumEv + e)*SumW +: SumW] + cnt;
        end
      end
    end
  end

  logic rb;
  assign rb = (BANKS > 1) && rd_bank_i;
  assign sum_o = sum_q[32'(rb)*NumEv*SumW +: NumEv*SumW];

  // A one-bank build has no second parity: every event is of parity 0.
  if (BANKS == 1) begin : g_one_bank
    `ASSERT(OneBankOneParity, (ev_i & ev_par_i) == '0)
  end

endmodule
