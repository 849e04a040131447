// Fixed-point tanh, Q8.8 in -> Q8.8 out in [-256, 256]. Combinational.
//
// Bit-exact to golden.numerics.tanh_q88 (docs/numerics.md section 3):
//   a = |x|                                  (17 bits: |-32768| = 32768)
//   a >= 1024 (|x| >= 4.0)  ->  t = 256
//   else i = a[9:5], f = a[4:0],
//        t = T[i] + ((T[i+1] - T[i]) * f + 16) >> 5
//   y = (x < 0) ? -t : t                     (odd symmetry, exact)
// T is the 33-knot table round_half_up(256 * tanh(j / 8)), j = 0..32
// (golden.numerics.TANH_KNOTS). Knot differences are 0..32, so the multiply is 6 x 5 bits
// (synthesis trims the 15-bit product) and the sum is never negative.
//
// Timing: one table read, a 6x5 multiply, two adds and a negate; no state.
module masr_tanh (
  input  logic [15:0] x_i,   // Q8.8, two's complement
  output logic [15:0] y_o    // Q8.8 in [-256, 256], two's complement
);

  localparam int StepBits = 5;                  // knot spacing 32 LSB = 0.125
  localparam logic [8:0] One = 9'd256;          // 1.0 in Q8.8

  function automatic logic [8:0] knot(input logic [5:0] j);
    case (j)
      6'd0 : knot = 9'd0;   6'd1 : knot = 9'd32;  6'd2 : knot = 9'd63;  6'd3 : knot = 9'd92;
      6'd4 : knot = 9'd118; 6'd5 : knot = 9'd142; 6'd6 : knot = 9'd163; 6'd7 : knot = 9'd180;
      6'd8 : knot = 9'd195; 6'd9 : knot = 9'd207; 6'd10: knot = 9'd217; 6'd11: knot = 9'd225;
      6'd12: knot = 9'd232; 6'd13: knot = 9'd237; 6'd14: knot = 9'd241; 6'd15: knot = 9'd244;
      6'd16: knot = 9'd247; 6'd17: knot = 9'd249; 6'd18: knot = 9'd250; 6'd19: knot = 9'd252;
      6'd20: knot = 9'd253; 6'd21: knot = 9'd253; 6'd22: knot = 9'd254; 6'd23: knot = 9'd254;
      6'd24: knot = 9'd255; 6'd25: knot = 9'd255; 6'd26: knot = 9'd255; 6'd27: knot = 9'd255;
      6'd28: knot = 9'd256; 6'd29: knot = 9'd256; 6'd30: knot = 9'd256; 6'd31: knot = 9'd256;
      default: knot = 9'd256;  // 6'd32 (the last knot); 33..63 are never addressed
    endcase
  endfunction

  logic [16:0] x_ext, a;
  logic        neg, sat;
  logic [4:0]  idx;
  logic [StepBits-1:0] frac;
  logic [8:0]  lo, hi, diff;
  logic [8:0]  interp, t;
  logic [15:0] t_ext;

  assign x_ext  = {x_i[15], x_i};
  assign neg    = x_i[15];
  assign a      = neg ? (17'd0 - x_ext) : x_ext;
  assign sat    = |a[16:10];                    // a >= 1024
  assign idx    = a[9:5];
  assign frac   = a[4:0];
  assign lo     = knot({1'b0, idx});
  assign hi     = knot({1'b0, idx} + 6'd1);
  assign diff   = hi - lo;
  // diff * frac + 16 < 2^11: exact in 15 bits (synthesis trims the unused width).
  assign interp = lo + 9'((15'(diff) * 15'(frac) + 15'd16) >> 5);
  assign t      = sat ? One : interp;
  assign t_ext  = {7'd0, t};
  assign y_o    = neg ? (16'd0 - t_ext) : t_ext;

endmodule
