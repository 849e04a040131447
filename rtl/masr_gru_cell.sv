// Element-wise GRU unit: one hidden neuron per cycle, 3-stage pipeline (latency 3, throughput 1).
//
// Bit-exact to golden.gru.gru_gates_q for one element j (docs/numerics.md section 4, PyTorch gate
// order r, z, n). Inputs are the two matvec results for neuron j, already requantized to Q8.8 by
// the lane array's output stage (y = sat16(wrap32(acc + (bias << S)) >>> S)):
//   gx_{r,z,n} = (W_ih x_t + b_ih)[j], [H+j], [2H+j]      (product 1)
//   gh_{r,z,n} = (W_hh h_{t-1} + b_hh)[j], [H+j], [2H+j]  (product 2)
// and computes, with rnd8(p) = (p + 128) >>> 8 and sat16 = clamp to int16:
//   stage 1:  r = sigmoid(sat16(gx_r + gh_r)),  z = sigmoid(sat16(gx_z + gh_z))
//   stage 2:  n = tanh(sat16(gx_n + rnd8(r * gh_n)))
//   stage 3:  h = sat16(n + rnd8(z * (h_prev - n)));  h_t = (|h| < thr) ? 0 : h
// Each stage ends in a register: an element presented with valid_i in cycle t appears on the
// outputs with valid_o in cycle t+3 (outputs are flops). Elements keep their order; there is no
// back-pressure (every downstream consumer, i.e. the activation encoder and the dense h buffer,
// takes one element per cycle). Data registers only load on valid (they hold otherwise).
//
// thr_i is sampled with the element (it travels down the pipeline), so it may change per element;
// in a layer it is the constant CFG threshold (Q8.8, 0..32767; 0 keeps every value).
`include "masr_assert.svh"

module masr_gru_cell (
  input  logic        clk_i,
  input  logic        rst_ni,

  input  logic        valid_i,
  input  logic [15:0] gx_r_i,     // all data ports: Q8.8 two's complement
  input  logic [15:0] gx_z_i,
  input  logic [15:0] gx_n_i,
  input  logic [15:0] gh_r_i,
  input  logic [15:0] gh_z_i,
  input  logic [15:0] gh_n_i,
  input  logic [15:0] h_prev_i,   // h_{t-1}[j] (the thresholded state of the previous step)
  input  logic [15:0] thr_i,      // threshold, 0..32767

  output logic        valid_o,
  output logic [15:0] h_o,        // h_t[j] after the threshold (the new state)
  output logic [15:0] r_o,        // gate values of the same element, for scoreboards/debug
  output logic [15:0] z_o,
  output logic [15:0] n_o
);

  localparam int AccW = 34;  // wide enough for every intermediate (r*gh: 25 bits, z*d: 26 bits)

  // -- fixed-point helpers (golden.numerics: sat16, round_shift(., 8)) ----------------------------
  function automatic logic signed [AccW-1:0] sx16(input logic [15:0] v);
    sx16 = AccW'($signed(v));
  endfunction

  // The arms set r, the result is assigned once at the end (see masr_top reg_value).
  function automatic logic [15:0] sat16(input logic signed [AccW-1:0] v);
    logic [15:0] r;
    if (v > AccW'(32767)) begin
      r = 16'h7fff;
    end else if (v < -AccW'(32768)) begin
      r = 16'h8000;
    end else begin
      r = v[15:0];
    end
    sat16 = r;
  endfunction

  function automatic logic signed [AccW-1:0] rnd8(input logic signed [AccW-1:0] p);
    rnd8 = (p + AccW'(128)) >>> 8;
  endfunction

  // -- stage 1: r and z ----------------------------------------------------------------------------
  logic [15:0] pre_r, pre_z, r_d, z_d;

  assign pre_r = sat16(sx16(gx_r_i) + sx16(gh_r_i));
  assign pre_z = sat16(sx16(gx_z_i) + sx16(gh_z_i));

  masr_sigmoid u_sig_r (.x_i(pre_r), .y_o(r_d));
  masr_sigmoid u_sig_z (.x_i(pre_z), .y_o(z_d));

  logic        v1_q;
  logic [15:0] r1_q, z1_q, gx_n1_q, gh_n1_q, h1_q, thr1_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q    <= 1'b0;
      r1_q    <= '0;
      z1_q    <= '0;
      gx_n1_q <= '0;
      gh_n1_q <= '0;
      h1_q    <= '0;
      thr1_q  <= '0;
    end else begin
      v1_q <= valid_i;
      if (valid_i) begin
        r1_q    <= r_d;
        z1_q    <= z_d;
        gx_n1_q <= gx_n_i;
        gh_n1_q <= gh_n_i;
        h1_q    <= h_prev_i;
        thr1_q  <= thr_i;
      end
    end
  end

  // -- stage 2: n ----------------------------------------------------------------------------------
  logic [15:0] pre_n, n_d;

  assign pre_n = sat16(sx16(gx_n1_q) + rnd8(sx16(r1_q) * sx16(gh_n1_q)));

  masr_tanh u_tanh_n (.x_i(pre_n), .y_o(n_d));

  logic        v2_q;
  logic [15:0] r2_q, z2_q, n2_q, h2_q, thr2_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v2_q   <= 1'b0;
      r2_q   <= '0;
      z2_q   <= '0;
      n2_q   <= '0;
      h2_q   <= '0;
      thr2_q <= '0;
    end else begin
      v2_q <= v1_q;
      if (v1_q) begin
        r2_q   <= r1_q;
        z2_q   <= z1_q;
        n2_q   <= n_d;
        h2_q   <= h1_q;
        thr2_q <= thr1_q;
      end
    end
  end

  // -- stage 3: blend and threshold ----------------------------------------------------------------
  logic signed [AccW-1:0] blend;
  logic [15:0] h_new, h_d;
  logic [16:0] h_abs;

  // n + z*(h-n) lies between n and h_prev (0 <= z <= 256), so the sat16 never clips (asserted).
  assign blend = sx16(n2_q) + rnd8(sx16(z2_q) * (sx16(h2_q) - sx16(n2_q)));
  assign h_new = sat16(blend);
  assign h_abs = h_new[15] ? (17'd0 - {1'b1, h_new}) : {1'b0, h_new};
  assign h_d   = (h_abs < {1'b0, thr2_q}) ? 16'd0 : h_new;

  logic        v3_q;
  logic [15:0] h3_q, r3_q, z3_q, n3_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v3_q <= 1'b0;
      h3_q <= '0;
      r3_q <= '0;
      z3_q <= '0;
      n3_q <= '0;
    end else begin
      v3_q <= v2_q;
      if (v2_q) begin
        h3_q <= h_d;
        r3_q <= r2_q;
        z3_q <= z2_q;
        n3_q <= n2_q;
      end
    end
  end

  assign valid_o = v3_q;
  assign h_o     = h3_q;
  assign r_o     = r3_q;
  assign z_o     = z3_q;
  assign n_o     = n3_q;

  // -- checks --------------------------------------------------------------------------------------
  // The threshold is a Q8.8 magnitude in [0, 32767] (golden.gru.check_threshold).
  `ASSERT(ThrInRange_A, !valid_i || !thr_i[15])
  // sigmoid in [0, 256], tanh in [-256, 256] (the multipliers rely on it).
  `ASSERT(GateRange_A, !v1_q || (r1_q <= 16'd256 && z1_q <= 16'd256))
  `ASSERT(TanhRange_A, !v2_q || ($signed(n2_q) >= -16'sd256 && $signed(n2_q) <= 16'sd256))
  // docs/numerics.md: the blend never clips.
  `ASSERT(BlendNoClip_A, !v2_q || (blend == sx16(h_new)))

endmodule
