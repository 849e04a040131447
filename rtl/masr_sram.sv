// Behavioural SRAM / register file used for every MASR memory (mask, rowptr, weight, act mask,
// act value, bias, y).
//
// Contract (docs/architecture.md section 5): synchronous write, COMBINATIONAL read. NumWr write
// ports (never two on one address in a cycle: asserted), NumRd read ports. A read of an address >= Depth returns 0 (the lane's address generator
// may point one past a short memory while idle; the host port range-checks separately). In
// simulation a port whose read enable re_i is low returns the poison pattern 0xAAAA... instead
// of the data: its data must not be used.
//
// The storage has no reset (it is an SRAM) but reads 0 from time 0 in simulation, so the 4-state
// simulator never sees X from an unwritten word.
//
// Simulation-only backdoor (section 6): a rising edge of bd_load_i clears the array and loads
// `<dir>/<BdName>.hex` with $readmemh if that file exists. `<dir>` comes from the plusarg
// `+masr_bd_dir=<dir>`, read once at time 0; without the plusarg, or with BdName == "", the
// backdoor does nothing (a missing file is not an error: that memory is simply all zero).
// With BdIndexed the file is `<dir>/<BdName>_<bd_row_i>_<bd_col_i>.hex`: a lane or PE gets its
// position as an input, not a parameter, so every lane of an array is the same module (one
// C++ class in Verilator instead of H*V copies: docs/scaling.md).

`include "masr_assert.svh"

module masr_sram #(
  parameter int Width  = 16,
  parameter int Depth  = 64,
  parameter int NumRd  = 1,
  parameter int NumWr  = 1,
  // Backdoor file stem (string), "" disables the backdoor.
  parameter     BdName = "",
  parameter bit BdIndexed = 1'b0,
  // Derived, do not override.
  localparam int AddrW = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,     // only used by the assertions (the array has no reset)
  input  logic [NumWr-1:0]       we_i,
  input  logic [NumWr*AddrW-1:0] waddr_i,
  input  logic [NumWr*Width-1:0] wdata_i,
  input  logic [NumRd-1:0]       re_i,       // marks a read as meaningful (for the range check)
  input  logic [NumRd*AddrW-1:0] raddr_i,
  output logic [NumRd*Width-1:0] rdata_o,
  input  logic                   bd_load_i,  // simulation-only backdoor load, rising edge
  input  logic [7:0]             bd_row_i,   // position in the backdoor file name (BdIndexed)
  input  logic [7:0]             bd_col_i
);

  // Depth in the address width plus one bit, so that "addr < Depth" is a same-width compare
  // (no WIDTH warning, and no constant-compare warning when Depth is a power of two).
  localparam logic [AddrW:0] DepthA = (AddrW + 1)'(Depth);

  function automatic logic addr_ok(input logic [AddrW-1:0] addr);
    addr_ok = {1'b0, addr} < DepthA;
  endfunction

  logic [Width-1:0] mem_q [0:Depth-1];

  // Alternating bits (0xAAAA...): the simulation-only read data of a port without its enable.
  localparam logic [Width-1:0] Poison = Width'({32{2'b10}});

  // Writes to an address >= Depth are dropped (and flagged by the assertion below).
  always_ff @(posedge clk_i) begin
    for (int p = 0; p < NumWr; p++) begin
      if (we_i[p] && addr_ok(waddr_i[p*AddrW +: AddrW])) begin
        mem_q[waddr_i[p*AddrW +: AddrW]] <= wdata_i[p*Width +: Width];
      end
    end
  end

  for (genvar j = 0; j < NumRd; j++) begin : g_rd
    logic [AddrW-1:0] raddr;
    assign raddr = raddr_i[j*AddrW +: AddrW];
`ifndef SYNTHESIS
    // A real macro's read data is undefined while its read enable is low; the model returns a
    // poison pattern then, so a consumer that uses data it never enabled fails in simulation
    // instead of being forgiven (issue #16: an enable wired to the wrong select went unnoticed).
    assign rdata_o[j*Width +: Width] = !re_i[j] ? Poison :
                                       addr_ok(raddr) ? mem_q[raddr] : '0;
`else
    assign rdata_o[j*Width +: Width] = addr_ok(raddr) ? mem_q[raddr] : '0;
`endif

    `ASSERT_IMPL(RaddrInRange_A, re_i[j], addr_ok(raddr))
  end

  for (genvar p = 0; p < NumWr; p++) begin : g_wr
    logic [AddrW-1:0] waddr;
    assign waddr = waddr_i[p*AddrW +: AddrW];
    `ASSERT_IMPL(WaddrInRange_A, we_i[p], addr_ok(waddr))
    for (genvar q = p + 1; q < NumWr; q++) begin : g_pair
      logic clash;
      assign clash = we_i[p] && we_i[q] && (waddr == waddr_i[q*AddrW +: AddrW]);
      `ASSERT_NEVER(OneWritePerAddress_A, clash)
    end
  end
  `ASSERT_INIT(ParamsOk_A, Width >= 1 && Depth >= 1 && NumRd >= 1 && NumWr >= 1)

`ifndef SYNTHESIS
`ifndef FORMAL  // simulator services (plusargs, strings, files): none in a formal model
  string bd_dir;
  logic  bd_dir_set;

  // Clear and load the array. A task (not a second always block assigning mem_q) keeps the
  // array single-driven for Verilator.
  task automatic bd_clear;
    for (int i = 0; i < Depth; i++) begin
      mem_q[i] = '0;
    end
  endtask

  task automatic bd_load;
    string  fname;
    integer fd;
`ifdef __ICARUS__
    int             nwords;
    int             code;
    logic           plain;
    logic [Width-1:0] word;
`endif
    bd_clear;
    fname = BdIndexed ? $sformatf("%0s/%0s_%0d_%0d.hex", bd_dir, BdName, bd_row_i, bd_col_i)
                      : $sformatf("%0s/%0s.hex", bd_dir, BdName);
    fd = $fopen(fname, "r");
    if (fd != 0) begin
`ifdef __ICARUS__
      // Icarus warns "Not enough words in the file" for every file shorter than the array.
      // Count the words of a plain file (only hex tokens) and give $readmemh the exact range;
      // anything else ("@addr", comments) falls back to the plain call.
      // (Icarus' $fscanf returns 0, not EOF, at the end of the file: ask $feof.)
      nwords = 0;
      code = $fscanf(fd, "%h", word);
      while (code == 1) begin
        nwords++;
        code = $fscanf(fd, "%h", word);
      end
      plain = $feof(fd) != 0;
      $fclose(fd);
      if (plain && nwords > 0 && nwords <= Depth) begin
        $readmemh(fname, mem_q, 0, nwords - 1);
      end else if (!plain || nwords != 0) begin
        $readmemh(fname, mem_q);
      end
`else
      $fclose(fd);
      $readmemh(fname, mem_q);
`endif
    end
  endtask

  initial begin
    bd_clear;
    bd_dir_set = $value$plusargs("masr_bd_dir=%s", bd_dir);
  end

  always @(posedge bd_load_i) begin
    if (BdName != "" && bd_dir_set) begin
      bd_load;
    end
  end
`endif  // FORMAL
`endif  // SYNTHESIS

endmodule
