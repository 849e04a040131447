// Population count of a Width-bit vector (combinational).
//
// Used by the prefix-sum address unit (section 4 of docs/architecture.md) for the running
// prefixes and the "set bits below b" offsets, and by checkers. A plain accumulate loop: synthesis
// turns it into an adder tree; a hand-built tree would only obscure the intent.
module masr_popcount #(
  parameter int Width = 16,
  // Derived, do not override: enough bits for the value Width itself.
  localparam int CntW = $clog2(Width + 1)
) (
  input  logic [Width-1:0] in_i,
  output logic [CntW-1:0]  cnt_o
);

  logic [CntW-1:0] cnt;

  // A local accumulator (not a chain of packed partial sums) keeps Verilator free of
  // ALWCOMBORDER/UNOPTFLAT.
  always_comb begin
    cnt = '0;
    for (int i = 0; i < Width; i++) begin
      cnt = cnt + CntW'(in_i[i]);
    end
  end

  assign cnt_o = cnt;

endmodule
