// Assertion macros for the MASR RTL, modelled on lowRISC's prim_assert.sv.
//
// Why our own header: the RTL must be checked by BOTH Verilator 5 (2-state, supports concurrent
// assertions) and Icarus Verilog 11 (4-state, no SVA at all), and read by Yosys for proofs
// (read_verilog -formal: immediate assertions only). Every macro therefore has three expansions
// with the same meaning, so an assertion that fires stops the simulation on either simulator
// (Verilator: $error -> "$stop" -> non-zero exit; Icarus: $error + $fatal; cocotb then reports
// the running test as failed, "simulation ended prematurely") and is a property for a prover.
//
// Rules for users (needed for the Icarus and Yosys expansions):
//  - `__prop` / `__a` / `__c` are plain boolean expressions sampled at the clock edge. Do not
//    write sequence operators (|->, |=>, ##, $past) in them: use ASSERT_IMPL / ASSERT_NEXT.
//  - `$countones` and `$onehot0` work in both tools (checked with Icarus 11 and Verilator 5.48);
//    `(x & (x - 1)) == 0` is an equivalent of `$onehot0(x)` if a tool ever objects.
//  - Icarus 11 has no `$past`, no SVA and no `##`: multi-cycle checks need ASSERT_NEXT or an
//    explicit helper register.
//  - The default clock is `clk_i`, the default disable (reset) condition is `!rst_ni`, as in
//    lowRISC. Pass others as the optional trailing macro arguments.
//  - `__name` must be a unique identifier in its scope (it names the assertion, a block and,
//    for ASSERT_NEXT, a helper register).
//  - Everything vanishes under `SYNTHESIS` (and under `MASR_NO_ASSERT`, for speed experiments).
//    Yosys defines SYNTHESIS for a plain read_verilog, FORMAL (and not SYNTHESIS) for
//    read_verilog -formal; YOSYS always. So simulation-only checker logic behind
//    `ifndef SYNTHESIS` is part of a proof too; simulator services (plusargs, files, strings)
//    are additionally behind `ifndef FORMAL`.

`ifndef MASR_ASSERT_SVH
`define MASR_ASSERT_SVH

`define MASR_ASSERT_STR(__x) `"__x`"

`ifdef SYNTHESIS
  `define MASR_ASSERT_OFF
`elsif MASR_NO_ASSERT
  `define MASR_ASSERT_OFF
`endif

`ifdef MASR_ASSERT_OFF

`define ASSERT(__name, __prop, __clk = clk_i, __rst = !rst_ni)
`define ASSERT_NEVER(__name, __prop, __clk = clk_i, __rst = !rst_ni)
`define ASSERT_IMPL(__name, __a, __c, __clk = clk_i, __rst = !rst_ni)
`define ASSERT_NEXT(__name, __a, __c, __clk = clk_i, __rst = !rst_ni)
`define ASSERT_KNOWN(__name, __sig, __clk = clk_i, __rst = !rst_ni)
`define ASSERT_INIT(__name, __prop)
`define COVER(__name, __prop, __clk = clk_i, __rst = !rst_ni)

`elsif __ICARUS__

// Icarus 11: no SVA. An always block sampling at the clock edge sees the same pre-edge values a
// concurrent assertion would (flops update in the NBA region afterwards). $fatal makes vvp exit
// non-zero and cocotb fail the running test.
`define ASSERT(__name, __prop, __clk = clk_i, __rst = !rst_ni)                        \
  always @(posedge __clk) begin : __name                                               \
    if (!(__rst) && !(__prop)) begin                                                   \
      $error("[ASSERT FAILED] [%m] %s: %s", `MASR_ASSERT_STR(__name),                  \
             `MASR_ASSERT_STR(__prop));                                                \
      $fatal(1);                                                                       \
    end                                                                                \
  end

`define ASSERT_NEVER(__name, __prop, __clk = clk_i, __rst = !rst_ni)                  \
  `ASSERT(__name, !(__prop), __clk, __rst)

`define ASSERT_IMPL(__name, __a, __c, __clk = clk_i, __rst = !rst_ni)                 \
  `ASSERT(__name, !(__a) || (__c), __clk, __rst)

// `__a |=> __c`: remember the antecedent for one cycle in a helper register.
`define ASSERT_NEXT(__name, __a, __c, __clk = clk_i, __rst = !rst_ni)                 \
  reg __name``_armed_q = 1'b0;                                                         \
  always @(posedge __clk) begin : __name                                               \
    if (__rst) begin                                                                   \
      __name``_armed_q <= 1'b0;                                                        \
    end else begin                                                                     \
      if (__name``_armed_q && !(__c)) begin                                            \
        $error("[ASSERT FAILED] [%m] %s: %s |=> %s", `MASR_ASSERT_STR(__name),         \
               `MASR_ASSERT_STR(__a), `MASR_ASSERT_STR(__c));                          \
        $fatal(1);                                                                     \
      end                                                                              \
      __name``_armed_q <= (__a);                                                       \
    end                                                                                \
  end

// Only meaningful in a 4-state simulator: this is where X/Z from missing resets shows up.
`define ASSERT_KNOWN(__name, __sig, __clk = clk_i, __rst = !rst_ni)                   \
  `ASSERT(__name, (^(__sig) !== 1'bx), __clk, __rst)

`define ASSERT_INIT(__name, __prop)                                                    \
  initial begin : __name                                                               \
    if (!(__prop)) begin                                                               \
      $error("[ASSERT_INIT FAILED] [%m] %s: %s", `MASR_ASSERT_STR(__name),             \
             `MASR_ASSERT_STR(__prop));                                                \
      $fatal(1);                                                                       \
    end                                                                                \
  end

// Icarus has no functional coverage: covers are Verilator-only (coverage runs use Verilator).
`define COVER(__name, __prop, __clk = clk_i, __rst = !rst_ni)

`elsif YOSYS

// Yosys read_verilog -formal (Yosys defines YOSYS always, and FORMAL instead of SYNTHESIS under
// -formal). Its own frontend reads immediate assertions only: no `@(...)` or `disable iff` in a
// property, no |-> / |=>, no action block, no $error in an always block (all need Verific). So,
// as for Icarus, an always block samples the pre-edge values at the clock edge, but it holds an
// immediate assert/cover, which becomes a $assert/$cover cell that a proof can use. The
// assertions carry no label: Yosys names the cell from the label alone, and two iterations of a
// generate loop would then clash (the block name and the source line identify it).
`define ASSERT(__name, __prop, __clk = clk_i, __rst = !rst_ni)                        \
  always @(posedge __clk) begin : __name                                               \
    if (!(__rst)) assert (__prop);                                                     \
  end

`define ASSERT_NEVER(__name, __prop, __clk = clk_i, __rst = !rst_ni)                  \
  `ASSERT(__name, !(__prop), __clk, __rst)

`define ASSERT_IMPL(__name, __a, __c, __clk = clk_i, __rst = !rst_ni)                 \
  `ASSERT(__name, !(__a) || (__c), __clk, __rst)

// `__a |=> __c`: the antecedent remembered for one cycle in a helper register (as for Icarus).
`define ASSERT_NEXT(__name, __a, __c, __clk = clk_i, __rst = !rst_ni)                 \
  reg __name``_armed_q = 1'b0;                                                         \
  always @(posedge __clk) begin : __name                                               \
    if (__rst) begin                                                                   \
      __name``_armed_q <= 1'b0;                                                        \
    end else begin                                                                     \
      if (__name``_armed_q) assert (__c);                                              \
      __name``_armed_q <= (__a);                                                       \
    end                                                                                \
  end

// A formal model is 2-state: there is nothing unknown to check.
`define ASSERT_KNOWN(__name, __sig, __clk = clk_i, __rst = !rst_ni)

`define ASSERT_INIT(__name, __prop)                                                    \
  initial begin : __name                                                               \
    assert (__prop);                                                                   \
  end

`define COVER(__name, __prop, __clk = clk_i, __rst = !rst_ni)                         \
  always @(posedge __clk) begin : __name                                               \
    if (!(__rst)) cover (__prop);                                                      \
  end

`else  // SVA-capable simulators (Verilator)

`define ASSERT(__name, __prop, __clk = clk_i, __rst = !rst_ni)                        \
  __name: assert property (@(posedge __clk) disable iff (__rst) (__prop))              \
    else $error("[ASSERT FAILED] %s: %s", `MASR_ASSERT_STR(__name),                    \
                `MASR_ASSERT_STR(__prop));

`define ASSERT_NEVER(__name, __prop, __clk = clk_i, __rst = !rst_ni)                  \
  `ASSERT(__name, !(__prop), __clk, __rst)

`define ASSERT_IMPL(__name, __a, __c, __clk = clk_i, __rst = !rst_ni)                 \
  __name: assert property (@(posedge __clk) disable iff (__rst) (__a) |-> (__c))       \
    else $error("[ASSERT FAILED] %s: %s |-> %s", `MASR_ASSERT_STR(__name),             \
                `MASR_ASSERT_STR(__a), `MASR_ASSERT_STR(__c));

`define ASSERT_NEXT(__name, __a, __c, __clk = clk_i, __rst = !rst_ni)                 \
  __name: assert property (@(posedge __clk) disable iff (__rst) (__a) |=> (__c))       \
    else $error("[ASSERT FAILED] %s: %s |=> %s", `MASR_ASSERT_STR(__name),             \
                `MASR_ASSERT_STR(__a), `MASR_ASSERT_STR(__c));

// 2-state Verilator: there is nothing unknown to check.
`define ASSERT_KNOWN(__name, __sig, __clk = clk_i, __rst = !rst_ni)

`define ASSERT_INIT(__name, __prop)                                                    \
  initial begin : __name                                                               \
    if (!(__prop)) begin                                                               \
      $error("[ASSERT_INIT FAILED] %s: %s", `MASR_ASSERT_STR(__name),                  \
             `MASR_ASSERT_STR(__prop));                                                \
      $fatal(1);                                                                       \
    end                                                                                \
  end

`define COVER(__name, __prop, __clk = clk_i, __rst = !rst_ni)                         \
  __name: cover property (@(posedge __clk) disable iff (__rst) (__prop));

`endif

`endif  // MASR_ASSERT_SVH
