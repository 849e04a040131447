// Test harness for tests/test_rtl_gru_leaf.py: masr_sigmoid and masr_tanh side by side on one
// input (x_i -> sig_o, tanh_o), next to a masr_gru_cell whose ports keep their own names, so
// that one simulator build serves both the exhaustive function sweep (tb/leaf/gru_fn_cocotb.py)
// and the cell tests (tb/leaf/gru_cell_cocotb.py): a build costs far more than either run.
module gru_leaf_tb (
  // sigmoid / tanh (combinational)
  input  logic [15:0] x_i,
  output logic [15:0] sig_o,
  output logic [15:0] tanh_o,
  // masr_gru_cell
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        valid_i,
  input  logic [15:0] gx_r_i,
  input  logic [15:0] gx_z_i,
  input  logic [15:0] gx_n_i,
  input  logic [15:0] gh_r_i,
  input  logic [15:0] gh_z_i,
  input  logic [15:0] gh_n_i,
  input  logic [15:0] h_prev_i,
  input  logic [15:0] thr_i,
  output logic        valid_o,
  output logic [15:0] h_o,
  output logic [15:0] r_o,
  output logic [15:0] z_o,
  output logic [15:0] n_o
);

  masr_sigmoid u_sigmoid (.x_i(x_i), .y_o(sig_o));
  masr_tanh    u_tanh    (.x_i(x_i), .y_o(tanh_o));

  masr_gru_cell u_cell (
    .clk_i, .rst_ni, .valid_i, .gx_r_i, .gx_z_i, .gx_n_i, .gh_r_i, .gh_z_i, .gh_n_i,
    .h_prev_i, .thr_i, .valid_o, .h_o, .r_o, .z_o, .n_o
  );

endmodule
