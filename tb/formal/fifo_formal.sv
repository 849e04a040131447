// Formal harness of masr_fifo (make formal, docs/formal.md).
//
// Properties (asserts), over every legal push/pop/clear sequence:
//   NoOverflow / NoUnderflow: the occupancy the harness counts from the accepted requests stays
//     in [0, Depth] and equals count_o; full_o / empty_o say exactly that;
//   InOrder: the head is always the oldest entry not yet popped (data out in order).
// Data independence: the FIFO never looks at its data, so it suffices that every pushed word is
// the sequence number of its push (mod 2^Width, with 2^Width > Depth so the queued words are all
// distinct); a lost, duplicated or reordered entry then shows up as a wrong number at the head.
// Assumptions: reset in the first cycle; the queue's contract (no push while full, no pop while
// empty: the address generator stalls, the MAC pops only a non-empty queue).
// White-box probes (probe_*) are driven by the proof script after `flatten` (Yosys has no
// hierarchical references); they carry the helper invariants k-induction needs.
module fifo_formal #(
  parameter int Width = 3,
  parameter int Depth = 3,
  localparam int CntW = $clog2(Depth + 1),
  localparam int PtrW = (Depth > 1) ? $clog2(Depth) : 1
) (
  input logic             clk_i,
  input logic             rst_ni,
  input logic             clr_i,
  input logic             push_i,
  input logic             pop_i
);

  logic [Width-1:0] wr_seq_q, rd_seq_q;  // sequence numbers of the next push / pop
  logic [Width-1:0] rdata;
  logic             empty, full;
  logic [CntW-1:0]  count;

  masr_fifo #(.Width(Width), .Depth(Depth)) u_dut (
    .clk_i,
    .rst_ni,
    .clr_i,
    .push_i,
    .wdata_i (wr_seq_q),
    .pop_i,
    .rdata_o (rdata),
    .empty_o (empty),
    .full_o  (full),
    .count_o (count)
  );

  // Probes (connected by the .sby script).
  logic [Width*Depth-1:0] probe_mem;
  logic [PtrW-1:0]        probe_rptr, probe_wptr;

  // ---- environment ----
  logic past_valid_q = 1'b0;
  always @(posedge clk_i) past_valid_q <= 1'b1;
  always @(*) begin
    if (!past_valid_q) assume (!rst_ni);
    assume (!(push_i && full && !clr_i));
    assume (!(pop_i && empty && !clr_i));
  end

  // ---- ghost state: occupancy and sequence numbers from the accepted requests ----
  logic [CntW:0] occ_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      occ_q    <= '0;
      wr_seq_q <= '0;
      rd_seq_q <= '0;
    end else if (clr_i) begin
      occ_q    <= '0;
      rd_seq_q <= wr_seq_q;  // what was queued is dropped; numbering goes on
    end else begin
      occ_q    <= occ_q + (CntW + 1)'(push_i) - (CntW + 1)'(pop_i);
      wr_seq_q <= wr_seq_q + Width'(push_i);
      rd_seq_q <= rd_seq_q + Width'(pop_i);
    end
  end

  // ---- properties ----
  always @(posedge clk_i) begin
    if (rst_ni) begin
      NoOverflow: assert (occ_q <= (CntW + 1)'(Depth));
      NoUnderflow: assert (!occ_q[CntW]);  // never wrapped below zero
      CountMatches: assert ((CntW + 1)'(count) == occ_q);
      FullExact: assert (full == (occ_q == (CntW + 1)'(Depth)));
      EmptyExact: assert (empty == (occ_q == '0));
      InOrder: assert (empty || rdata == rd_seq_q);
      PtrsInRange: assert (32'(probe_rptr) < Depth && 32'(probe_wptr) < Depth);
      SeqDistance: assert (Width'(wr_seq_q - rd_seq_q) == Width'(occ_q));
    end
  end

  // Helper invariant: the i-th queued entry (from the head) holds sequence number rd_seq + i.
  for (genvar i = 0; i < Depth; i++) begin : g_entry
    logic [PtrW-1:0] slot;
    assign slot = PtrW'((32'(probe_rptr) + i) % Depth);
    always @(posedge clk_i) begin
      if (rst_ni && (CntW + 1)'(i) < occ_q) begin
        assert (probe_mem[32'(slot) * Width +: Width] == rd_seq_q + Width'(i));
      end
    end
  end

endmodule
