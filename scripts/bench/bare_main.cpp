// Bare Verilator harness for the simulation-speed benchmark (scripts/bench_sim.py):
// no cocotb, no Python, no VPI.  It loads a layer through the backdoor, runs the same product
// REPS times back to back and prints the busy cycles and wall time, so the benchmark can compare
// cycles/s against the cocotb and pyuvm environments on the identical layer.
//
// usage: bare +masr_bd_dir=<dir> <M> <N> <mode> <rep_rows> <shift> <reps>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "Vmasr_top.h"
#include "verilated.h"

namespace {
constexpr int kRegCtrl = 0x00, kRegStatus = 0x01, kRegErr = 0x02, kRegM = 0x03, kRegN = 0x04,
              kRegMode = 0x05, kRegRep = 0x06, kRegShift = 0x07, kRegCycles = 0x08;

struct Harness {
  std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
  std::unique_ptr<Vmasr_top> top;
  unsigned long long edges = 0;

  explicit Harness(int argc, char** argv) {
    ctx->commandArgs(argc, argv);
    top.reset(new Vmasr_top{ctx.get()});
  }
  void tick() {  // one full clock cycle
    top->clk_i = 0; top->eval(); ctx->timeInc(5);
    top->clk_i = 1; top->eval(); ctx->timeInc(5);
    ++edges;
  }
  void write_reg(int addr, unsigned data) {
    top->reg_addr_i = addr; top->reg_wdata_i = data; top->reg_we_i = 1; tick();
    top->reg_we_i = 0;
  }
  unsigned read_reg(int addr) { top->reg_addr_i = addr; top->eval(); return top->reg_rdata_o; }
};
}  // namespace

int main(int argc, char** argv) {
  if (argc < 8) { std::fprintf(stderr, "usage: bare +masr_bd_dir=DIR M N mode rep shift reps\n"); return 2; }
  Harness h(argc, argv);
  const unsigned M = std::atoi(argv[2]), N = std::atoi(argv[3]), mode = std::atoi(argv[4]);
  const unsigned rep = std::atoi(argv[5]), shift = std::atoi(argv[6]);
  const int reps = std::atoi(argv[7]);
  auto* t = h.top.get();
  t->rst_ni = 0; t->reg_we_i = 0; t->mem_we_i = 0; t->mem_re_i = 0; t->bd_load_i = 0; t->bd_dump_i = 0;
  t->bd_dump_gru_i = 0;
  for (int i = 0; i < 5; ++i) h.tick();
  t->rst_ni = 1; h.tick();
  t->bd_load_i = 1; h.tick(); t->bd_load_i = 0; h.tick();
  h.write_reg(kRegM, M); h.write_reg(kRegN, N); h.write_reg(kRegMode, mode);
  h.write_reg(kRegRep, rep); h.write_reg(kRegShift, shift);
  unsigned long long busy_cycles = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const unsigned long long e0 = h.edges;
  for (int r = 0; r < reps; ++r) {
    h.write_reg(kRegCtrl, 1);
    while (!t->done_o) {
      h.tick();
      if (h.edges - e0 > 500000000ULL) { std::fprintf(stderr, "bare: no done\n"); return 1; }
    }
    busy_cycles += h.read_reg(kRegCycles);
    if (h.read_reg(kRegErr) != 0) { std::fprintf(stderr, "bare: error code %u\n", h.read_reg(kRegErr)); return 1; }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"busy_cycles\": %llu, \"clock_cycles\": %llu, \"seconds\": %.6f}\n", busy_cycles,
              h.edges - e0, secs);
  t->final();
  return 0;
}
