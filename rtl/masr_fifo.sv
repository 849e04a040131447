// Decoupling queue between a lane's address generator and its MAC (docs/architecture.md
// section 5, "Queue and MAC").
//
// Registered storage with a combinational head: an entry pushed at the end of cycle t is visible
// on rdata_o (and empty_o falls) in cycle t+1, never in t. Push and pop in the same cycle are
// allowed (also when the queue holds one entry: the pop takes the old head). A push while full
// is illegal even if a pop happens in the same cycle: the contract stalls the address generator
// whenever the queue is full, and the performance model counts it, so the RTL must not be
// "smarter" than the model. clr_i empties the queue (product abort/start).
//
// Any Depth >= 1 works (pointers wrap explicitly, no power-of-two requirement).

`include "masr_assert.svh"

module masr_fifo #(
  parameter int Width = 32,
  parameter int Depth = 8,
  // Derived, do not override.
  localparam int CntW = $clog2(Depth + 1)
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             clr_i,
  input  logic             push_i,
  input  logic [Width-1:0] wdata_i,
  input  logic             pop_i,
  output logic [Width-1:0] rdata_o,
  output logic             empty_o,
  output logic             full_o,
  output logic [CntW-1:0]  count_o
);

  localparam int PtrW = (Depth > 1) ? $clog2(Depth) : 1;
  localparam logic [PtrW-1:0] LastPtr = PtrW'(Depth - 1);
  localparam logic [CntW-1:0] DepthC  = CntW'(Depth);

  // The storage is reset too: it costs a few flops per lane and keeps rdata_o free of X in the
  // 4-state simulator when the queue is empty (the consumer ignores it, but X must not leak).
  logic [Width-1:0] mem_q [0:Depth-1];
  logic [PtrW-1:0]  wptr_q, rptr_q;
  logic [CntW-1:0]  count_q;

  logic push, pop;

  // Internally guarded so that an illegal request (flagged below) cannot corrupt the state.
  assign push = push_i && (count_q != DepthC);
  assign pop  = pop_i && (count_q != '0);

  function automatic logic [PtrW-1:0] ptr_inc(input logic [PtrW-1:0] ptr);
    ptr_inc = (ptr == LastPtr) ? '0 : ptr + 1'b1;
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q  <= '0;
      rptr_q  <= '0;
      count_q <= '0;
    end else if (clr_i) begin
      wptr_q  <= '0;
      rptr_q  <= '0;
      count_q <= '0;
    end else begin
      if (push) begin
        wptr_q <= ptr_inc(wptr_q);
      end
      if (pop) begin
        rptr_q <= ptr_inc(rptr_q);
      end
      if (push && !pop) begin
        count_q <= count_q + 1'b1;
      end else if (pop && !push) begin
        count_q <= count_q - 1'b1;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int i = 0; i < Depth; i++) begin
        mem_q[i] <= '0;
      end
    end else if (push && !clr_i) begin
      mem_q[wptr_q] <= wdata_i;
    end
  end

  assign rdata_o = mem_q[rptr_q];
  assign empty_o = (count_q == '0);
  assign full_o  = (count_q == DepthC);
  assign count_o = count_q;

  `ASSERT_INIT(ParamsOk_A, Width >= 1 && Depth >= 1)
  `ASSERT_IMPL(NoPushWhenFull_A, push_i && !clr_i, !full_o)
  `ASSERT_IMPL(NoPopWhenEmpty_A, pop_i && !clr_i, !empty_o)
  `ASSERT(CountInRange_A, count_q <= DepthC)
  // Pointers and count agree: (wptr - rptr) mod Depth == count mod Depth.
  `ASSERT(PtrsMatchCount_A,
          ((32'(wptr_q) + 32'(Depth) - 32'(rptr_q)) % 32'(Depth)) == (32'(count_q) % 32'(Depth)))
  `ASSERT_KNOWN(RdataKnown_A, rdata_o)

endmodule
