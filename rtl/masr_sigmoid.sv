// Fixed-point sigmoid, Q8.8 in -> Q8.8 out in [0, 256]. Combinational.
//
// Bit-exact to golden.numerics.sigmoid_q88 (docs/numerics.md section 3):
//   a = |x|                                  (17 bits: |-32768| = 32768)
//   a >= 2048 (|x| >= 8.0)  ->  s = 256
//   else i = a[10:6], f = a[5:0],
//        s = S[i] + ((S[i+1] - S[i]) * f + 32) >> 6
//   y = (x < 0) ? 256 - s : s                (sigmoid(-x) = 1 - sigmoid(x), exact)
// S is the 33-knot table round_half_up(256 * sigmoid(j / 4)), j = 0..32
// (golden.numerics.SIGMOID_KNOTS). Knot differences are 0..16, so the multiply is 5 x 6 bits
// (synthesis trims the 15-bit product) and the sum is never negative (a logical shift is exact).
//
// Timing: one table read, a 5x6 multiply, two adds and a subtract; no state.
module masr_sigmoid (
  input  logic [15:0] x_i,   // Q8.8, two's complement
  output logic [15:0] y_o    // Q8.8 in [0, 256]
);

  localparam int StepBits = 6;                  // knot spacing 64 LSB = 0.25
  localparam logic [8:0] One = 9'd256;          // 1.0 in Q8.8

  function automatic logic [8:0] knot(input logic [5:0] j);
    case (j)
      6'd0 : knot = 9'd128; 6'd1 : knot = 9'd144; 6'd2 : knot = 9'd159; 6'd3 : knot = 9'd174;
      6'd4 : knot = 9'd187; 6'd5 : knot = 9'd199; 6'd6 : knot = 9'd209; 6'd7 : knot = 9'd218;
      6'd8 : knot = 9'd225; 6'd9 : knot = 9'd232; 6'd10: knot = 9'd237; 6'd11: knot = 9'd241;
      6'd12: knot = 9'd244; 6'd13: knot = 9'd246; 6'd14: knot = 9'd248; 6'd15: knot = 9'd250;
      6'd16: knot = 9'd251; 6'd17: knot = 9'd252; 6'd18: knot = 9'd253; 6'd19: knot = 9'd254;
      6'd20: knot = 9'd254; 6'd21: knot = 9'd255; 6'd22: knot = 9'd255; 6'd23: knot = 9'd255;
      6'd24: knot = 9'd255; 6'd25: knot = 9'd256; 6'd26: knot = 9'd256; 6'd27: knot = 9'd256;
      6'd28: knot = 9'd256; 6'd29: knot = 9'd256; 6'd30: knot = 9'd256; 6'd31: knot = 9'd256;
      default: knot = 9'd256;  // 6'd32 (the last knot); 33..63 are never addressed
    endcase
  endfunction

  logic [16:0] x_ext, a;
  logic        neg, sat;
  logic [4:0]  idx;
  logic [StepBits-1:0] frac;
  logic [8:0]  lo, hi, diff;
  logic [8:0]  interp, s, y;

  assign x_ext  = {x_i[15], x_i};
  assign neg    = x_i[15];
  assign a      = neg ? (17'd0 - x_ext) : x_ext;
  assign sat    = |a[16:11];                    // a >= 2048
  assign idx    = a[10:6];
  assign frac   = a[5:0];
  assign lo     = knot({1'b0, idx});
  assign hi     = knot({1'b0, idx} + 6'd1);
  assign diff   = hi - lo;
  // diff * frac + 32 < 2^11: exact in 15 bits (synthesis trims the unused width).
  assign interp = lo + 9'((15'(diff) * 15'(frac) + 15'd32) >> 6);
  assign s      = sat ? One : interp;
  assign y      = neg ? (One - s) : s;
  assign y_o    = {7'd0, y};

endmodule
