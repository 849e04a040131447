// Activation encoder: streams a dense vector (h_t, or any activation vector such as x_t) one
// element per cycle and produces the activation register-file writes of docs/architecture.md
// section 3 for every PE column: mask words at amask[seg*KW_MAX + k] and the packed non-zeros at
// aval[seg*P_MAX + j] (a running count per partition, i.e. a prefix-sum compaction). In vertical
// steal mode partition u is also written as segment 1 (SEG_PREV) of column u+1 and segment 2
// (SEG_NEXT) of column u-1, in the same cycle. After the RF writes, every PE of column v holds
// exactly golden.encode.encode_activations(x, hw, N, mode).amask/aval[(g, v)] in the words the
// engine reads (the K mask words of every filled segment and its non-zero values).
//
// Protocol
//   start_i (1 cycle, only while !busy_o): latches n_i (N, 1..N_MAX) and mode_i (CFG_MODE).
//   Then N elements in column order 0..N-1, each with valid_i (gaps allowed; ready_o is high
//   while elements are expected; no back-pressure). data_i != 0 is a non-zero (the threshold is
//   applied upstream, in masr_gru_cell).
//   Writes appear on the outputs one cycle after the element that causes them (outputs are flops):
//   a value write per non-zero element; a mask write when a word is complete (bit B-1, the end
//   of a partition, or the last element). After the last element the encoder pads with zero
//   mask words the rest of the last partition and every partition that got no element
//   (K words each), one word per cycle. done_o pulses in the cycle of the last write.
//   Latency: an element accepted at the edge ending cycle t has its writes in cycle t+1;
//   done_o is in cycle t_last + 1 + pad, pad = the number of partition words after the last
//   element's word = V*K - 1 - (u*K + k) for the last element (column N-1) in word k of
//   partition u. pad = 0 when N = V*P. The first element may come in the cycle after start_i.
//   Word mode (WIDE builds, wide_i = 1 at start_i; CFG_FEAT.WIDE_ENC in an X phase): each
//   accepted cycle takes the elements of one whole mask word, w = min(B, rest of the
//   partition, rest of the vector) columns starting at col_o, as data_i[16*i +: 16] for
//   i < w (slots i >= w are ignored). Its mask word and its up-to-B value writes (value port i:
//   slot i if non-zero, at base + av_poff_o[i], its rank among the word's non-zeros) appear one
//   cycle later, like an element's. The vector then takes W = u_last*K + k_last + 1 accepted cycles
//   and pad + W = V*K: done_o comes V*K + 1 cycles after start_i with no gaps. Element mode
//   uses slot 0 / value port 0 only.
//   col_o: the column of the next element (the word's first column in word mode); last_o: this
//   cycle accepts the vector's last element; nz_o: non-zero elements accepted this cycle.
//   clear_i (the GRU sequencer's ERR_WPTR abort) returns the encoder to idle at once, whatever it
//   was doing: no write request is made in the clear cycle and a new start may follow it.
//
// Write ports (one per PE column v; the top broadcasts column v's port to every PE (g, v)):
//   am_we_o[v], am_waddr_o[v*AmAddrW +: AmAddrW], shared am_wdata_o   (act mask RF)
//   av_we_o[v], av_waddr_o[v*AvAddrW +: AvAddrW] (column v's base address), shared value ports
//   av_pwe_o[i], av_poff_o[i*OffW +: OffW], av_wdata_o[16*i +: 16], i < EW: port i writes its
//   data at base + offset in every column with av_we_o set   (act value RF, EW write ports)
//   seg_o[2*v +: 2]: the segment column v is written in (masr_pkg SEG_*), informational; the
//   address already includes seg*KW_MAX / seg*P_MAX. A mask write and a value write in the same
//   cycle always come from the same partition, so the segment is the same for both.
// The encoder never writes anything else (no clearing of unused words: the engine never reads
// past K mask words or past the popcount of a segment, contract section 4).
`include "masr_assert.svh"

module masr_act_encoder #(
  parameter int V     = 2,    // vertical partitions (PE columns), power of two
  parameter int B     = 16,   // mask word width, power of two >= 2
  parameter int N_MAX = 64,   // max vector length
  parameter bit WIDE  = 1'b0, // word mode available (EW = B element slots and value ports)
  // Derived, do not override.
  localparam int P_MAX   = (N_MAX + V - 1) / V,
  localparam int KW_MAX  = (P_MAX + B - 1) / B,
  localparam int AmDepth = 3 * KW_MAX,
  localparam int AvDepth = 3 * P_MAX,
  localparam int AmAddrW = $clog2(AmDepth),
  localparam int AvAddrW = $clog2(AvDepth),
  localparam int NW      = $clog2(N_MAX + 1),
  localparam int VW      = (V > 1) ? $clog2(V) : 1,
  localparam int EW      = WIDE ? B : 1,                     // element slots / value ports
  localparam int OffW    = (EW > 1) ? $clog2(EW) : 1,        // value port offset (rank)
  localparam int CntW    = $clog2(EW + 1)                    // non-zeros per cycle 0..EW
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,

  input  logic                  start_i,
  input  logic                  clear_i,
  input  logic [NW-1:0]         n_i,
  input  logic [1:0]            mode_i,
  input  logic                  wide_i,     // word mode (WIDE builds only), latched at start_i
  input  logic                  valid_i,
  input  logic [EW*16-1:0]      data_i,
  output logic                  ready_o,
  output logic [NW-1:0]         col_o,
  output logic                  last_o,
  output logic [CntW-1:0]       nz_o,
  output logic                  busy_o,
  output logic                  done_o,

  output logic [V-1:0]          am_we_o,
  output logic [V*AmAddrW-1:0]  am_waddr_o,
  output logic [B-1:0]          am_wdata_o,
  output logic [V-1:0]          av_we_o,
  output logic [V*AvAddrW-1:0]  av_waddr_o,
  output logic [EW-1:0]         av_pwe_o,
  output logic [EW*OffW-1:0]    av_poff_o,
  output logic [EW*16-1:0]      av_wdata_o,
  output logic [2*V-1:0]        seg_o
);

  localparam int PW   = $clog2(P_MAX + 1);   // partition offsets / counts 0..P_MAX
  localparam int KW   = $clog2(KW_MAX + 1);  // word index 0..KW_MAX-1
  localparam int LogB = $clog2(B);
  localparam int LogV = $clog2(V);
  localparam int SumW = NW + LogV + 1;        // n + V - 1 without overflow
  localparam int KSumW = PW + LogB + 1;       // P + B - 1 without overflow

  localparam logic [AmAddrW-1:0] AmSeg1 = AmAddrW'(KW_MAX);
  localparam logic [AmAddrW-1:0] AmSeg2 = AmAddrW'(2 * KW_MAX);
  localparam logic [AvAddrW-1:0] AvSeg1 = AvAddrW'(P_MAX);
  localparam logic [AvAddrW-1:0] AvSeg2 = AvAddrW'(2 * P_MAX);
  localparam logic [VW-1:0] ULast = VW'(V - 1);

  localparam logic [1:0] StIdle   = 2'd0;
  localparam logic [1:0] StStream = 2'd1;
  localparam logic [1:0] StFlush  = 2'd2;

  // -- run configuration, latched at start ----------------------------------------------------------
  logic [NW-1:0] n_last_q;          // N - 1
  logic [PW-1:0] p_q;               // P = ceil(N / V)
  logic [KW-1:0] k_last_q;          // K - 1, K = ceil(P / B)
  logic          vert_q;
  logic          wide_q;            // word mode (0 in builds without WIDE)

  logic [SumW-1:0]  p_sum;
  logic [PW-1:0]    p_start;
  logic [KSumW-1:0] k_sum;
  logic [KW-1:0]    k_last_start;

  assign p_sum        = SumW'(n_i) + SumW'(V - 1);
  assign p_start      = PW'(p_sum >> LogV);
  assign k_sum        = KSumW'(p_start) + KSumW'(B - 1);
  assign k_last_start = KW'((k_sum >> LogB) - KSumW'(1));

  // -- position state -------------------------------------------------------------------------------
  logic [1:0]      state_q, state_d;
  logic [NW-1:0]   c_q, c_d;          // column index of the next element
  logic [VW-1:0]   u_q, u_d;          // partition of the next element / next pad word
  logic [PW-1:0]   o_q, o_d;          // offset of the next element in its partition
  logic [KW-1:0]   k_q, k_d;          // mask word of the next element / next pad word
  logic [LogB-1:0] b_q, b_d;          // bit in that word
  logic [PW-1:0]   j_q, j_d;          // non-zeros so far in the partition (next value slot)
  logic [B-1:0]    word_q, word_d;    // mask bits of the current word so far

  // -- this cycle's write request (one partition) ---------------------------------------------------
  logic            req_am, req_av, req_done;
  logic [VW-1:0]   req_u;
  logic [KW-1:0]   req_k;
  logic [PW-1:0]   req_j;
  logic [B-1:0]    req_word;

  logic            accept, last_col, part_end, word_end, last_word;
  logic [B-1:0]    word_new;

  // The elements this cycle takes: 1, or (word mode) the rest of the word, w = min(B, P - o,
  // N - c); slot i holds column c + i. nz: the non-zero ones; rank: position among them.
  logic [31:0]     rem_p, rem_n, w;
  logic [EW-1:0]   nz;
  logic [EW*OffW-1:0] rank;
  logic [CntW-1:0] nz_cnt;

  assign accept = valid_i && (state_q == StStream);
  assign rem_p  = 32'(p_q) - 32'(o_q);
  assign rem_n  = 32'(n_last_q) + 32'd1 - 32'(c_q);
  always_comb begin
    w = 32'd1;
    if (wide_q) begin
      w = 32'(B);
      if (rem_p < w) w = rem_p;
      if (rem_n < w) w = rem_n;
    end
  end

  always_comb begin
    logic [CntW-1:0] cnt;
    cnt = '0;
    for (int i = 0; i < EW; i++) begin
      nz[i] = (32'(i) < w) && (data_i[16*i +: 16] != '0);
      rank[i*OffW +: OffW] = OffW'(cnt);
      cnt = cnt + CntW'(nz[i]);
    end
    nz_cnt = cnt;
  end

  if (WIDE) begin : g_wide_word
    assign word_new = wide_q ? B'(nz) : (word_q | (B'(nz[0]) << b_q));
  end else begin : g_elem_word
    assign word_new = word_q | (B'(nz[0]) << b_q);
  end
  assign last_col  = (32'(c_q) + w == 32'(n_last_q) + 32'd1);
  assign part_end  = (32'(o_q) + w == 32'(p_q));
  assign word_end  = wide_q || (b_q == LogB'(B - 1)) || part_end || last_col;
  assign last_word = (k_q == k_last_q);      // (u_q, k_q) is the last word of its partition

  always_comb begin
    state_d  = state_q;
    c_d      = c_q;
    u_d      = u_q;
    o_d      = o_q;
    k_d      = k_q;
    b_d      = b_q;
    j_d      = j_q;
    word_d   = word_q;
    req_am   = 1'b0;
    req_av   = 1'b0;
    req_done = 1'b0;
    req_u    = u_q;
    req_k    = k_q;
    req_j    = j_q;
    req_word = word_new;

    case (state_q)
      StIdle: begin
        if (start_i) begin
          state_d = StStream;
          c_d     = '0;
          u_d     = '0;
          o_d     = '0;
          k_d     = '0;
          b_d     = '0;
          j_d     = '0;
          word_d  = '0;
        end
      end

      StStream: begin
        if (accept) begin
          req_av = (nz != '0);
          req_am = word_end;
          c_d    = c_q + NW'(w);
          j_d    = j_q + PW'(nz_cnt);
          word_d = word_end ? '0 : word_new;
          // Next bit position (the partition end resets it below); a word-mode cycle ends its
          // word.
          b_d    = wide_q ? '0 : b_q + LogB'(1);
          if (wide_q || b_q == LogB'(B - 1)) begin
            k_d = k_q + KW'(1);
          end
          o_d = o_q + PW'(w);
          if (part_end) begin
            u_d = u_q + VW'(1);
            o_d = '0;
            k_d = '0;
            b_d = '0;
            j_d = '0;
          end
          if (last_col) begin
            // Pad the words after this one with zeros: the rest of this partition (if this is
            // not its last word), then every later partition. Nothing to pad: done now.
            if (last_word && u_q == ULast) begin
              state_d  = StIdle;
              req_done = 1'b1;
            end else begin
              state_d = StFlush;
              u_d     = last_word ? u_q + VW'(1) : u_q;
              k_d     = last_word ? '0 : k_q + KW'(1);
            end
          end
        end
      end

      StFlush: begin
        req_am   = 1'b1;
        req_word = '0;
        if (last_word) begin
          k_d = '0;
          u_d = u_q + VW'(1);
          if (u_q == ULast) begin
            state_d  = StIdle;
            req_done = 1'b1;
          end
        end else begin
          k_d = k_q + KW'(1);
        end
      end

      default: state_d = StIdle;
    endcase
    if (clear_i) begin
      state_d  = StIdle;
      req_am   = 1'b0;
      req_av   = 1'b0;
      req_done = 1'b0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q  <= StIdle;
      n_last_q <= '0;
      p_q      <= '0;
      k_last_q <= '0;
      vert_q   <= 1'b0;
      wide_q   <= 1'b0;
      c_q      <= '0;
      u_q      <= '0;
      o_q      <= '0;
      k_q      <= '0;
      b_q      <= '0;
      j_q      <= '0;
      word_q   <= '0;
    end else begin
      state_q <= state_d;
      c_q     <= c_d;
      u_q     <= u_d;
      o_q     <= o_d;
      k_q     <= k_d;
      b_q     <= b_d;
      j_q     <= j_d;
      word_q  <= word_d;
      if (start_i && state_q == StIdle) begin
        n_last_q <= n_i - NW'(1);
        p_q      <= p_start;
        k_last_q <= k_last_start;
        vert_q   <= (mode_i == masr_pkg::MODE_VERTICAL);
        wide_q   <= WIDE && wide_i;
      end
    end
  end

  // -- fan-out to the PE columns: partition u -> column u (seg 0), u+1 (seg 1), u-1 (seg 2) ------
  logic [V-1:0]         am_we_d, av_we_d;
  logic [V*AmAddrW-1:0] am_waddr_d;
  logic [V*AvAddrW-1:0] av_waddr_d;
  logic [2*V-1:0]       seg_d;

  for (genvar v = 0; v < V; v++) begin : g_col
    logic own, prv, nxt;   // column v holds partition req_u as segment 0 / 1 (v-1) / 2 (v+1)
    assign own = (req_u == VW'(v));
    if (v > 0) begin : g_prv
      assign prv = vert_q && (req_u == VW'(v - 1));
    end else begin : g_no_prv
      assign prv = 1'b0;
    end
    if (v + 1 < V) begin : g_nxt
      assign nxt = vert_q && (req_u == VW'(v + 1));
    end else begin : g_no_nxt
      assign nxt = 1'b0;
    end
    assign am_we_d[v] = req_am && (own || prv || nxt);
    assign av_we_d[v] = req_av && (own || prv || nxt);
    assign seg_d[2*v +: 2] = prv ? masr_pkg::SEG_PREV :
                             nxt ? masr_pkg::SEG_NEXT : masr_pkg::SEG_OWN;
    assign am_waddr_d[v*AmAddrW +: AmAddrW] =
        (prv ? AmSeg1 : (nxt ? AmSeg2 : '0)) + AmAddrW'(req_k);
    assign av_waddr_d[v*AvAddrW +: AvAddrW] =
        (prv ? AvSeg1 : (nxt ? AvSeg2 : '0)) + AvAddrW'(req_j);
  end

  if (V == 1) begin : g_single_col
    // A single column has no neighbours: vertical mode writes nothing extra.
    logic unused_vert;
    assign unused_vert = vert_q;
  end

  logic [V-1:0]         am_we_q, av_we_q;
  logic [V*AmAddrW-1:0] am_waddr_q;
  logic [V*AvAddrW-1:0] av_waddr_q;
  logic [2*V-1:0]       seg_q;
  logic [B-1:0]         am_wdata_q;
  logic [EW-1:0]        av_pwe_q;
  logic [EW*OffW-1:0]   av_poff_q;
  logic [EW*16-1:0]     av_wdata_q;
  logic                 done_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      am_we_q    <= '0;
      av_we_q    <= '0;
      am_waddr_q <= '0;
      av_waddr_q <= '0;
      seg_q      <= '0;
      am_wdata_q <= '0;
      av_pwe_q   <= '0;
      av_poff_q  <= '0;
      av_wdata_q <= '0;
      done_q     <= 1'b0;
    end else begin
      am_we_q <= am_we_d;
      av_we_q <= av_we_d;
      done_q  <= req_done;
      if (req_am || req_av) begin
        am_waddr_q <= am_waddr_d;
        av_waddr_q <= av_waddr_d;
        seg_q      <= seg_d;
        am_wdata_q <= req_word;
        av_pwe_q   <= req_av ? nz : '0;
        av_poff_q  <= rank;
        av_wdata_q <= data_i;
      end
    end
  end

  assign ready_o    = (state_q == StStream);
  assign busy_o     = (state_q != StIdle);
  assign done_o     = done_q;
  assign am_we_o    = am_we_q;
  assign am_waddr_o = am_waddr_q;
  assign am_wdata_o = am_wdata_q;
  assign av_we_o    = av_we_q;
  assign av_waddr_o = av_waddr_q;
  assign av_pwe_o   = av_pwe_q;
  assign av_poff_o  = av_poff_q;
  assign av_wdata_o = av_wdata_q;
  assign col_o      = c_q;
  assign last_o     = accept && last_col;
  assign nz_o       = accept ? nz_cnt : '0;
  assign seg_o      = seg_q;

  // -- checks ---------------------------------------------------------------------------------------
  `ASSERT_INIT(ParamsPow2_A, V >= 1 && (V & (V - 1)) == 0 && B >= 2 && (B & (B - 1)) == 0)
  `ASSERT_INIT(NMaxPositive_A, N_MAX >= 1)

  // Helper terms (the Icarus expansion of the macros cannot take braces with commas).
  logic n_legal, n_le_max, geometry_ok, p_le_max, u_legal, pos_ok;
  // (When N_MAX / P_MAX is the largest value of its width the upper bound holds by construction;
  // comparing anyway would be a constant comparison, which Verilator flags.)
  if (N_MAX < (1 << NW) - 1) begin : g_n_cmp
    assign n_le_max = NW'(n_i) <= NW'(N_MAX);
  end else begin : g_n_all
    assign n_le_max = 1'b1;
  end
  if (P_MAX < (1 << PW) - 1) begin : g_p_cmp
    assign p_le_max = p_q <= PW'(P_MAX);
  end else begin : g_p_all
    assign p_le_max = 1'b1;
  end
  assign n_legal     = (n_i != '0) && n_le_max;
  assign geometry_ok = (p_q != '0) && p_le_max && ((KW + 1)'(k_last_q) < (KW + 1)'(KW_MAX));
  assign u_legal     = (VW + 1)'(req_u) < (VW + 1)'(V);
  // The element's offset is k*B + b and lies inside the partition.
  assign pos_ok      = (o_q < p_q) &&
                       ((PW + KW + LogB)'(o_q) ==
                        (((PW + KW + LogB)'(k_q) << LogB) | (PW + KW + LogB)'(b_q)));

  // Protocol: start only while idle, with a legal N and mode; elements only while streaming.
  `ASSERT(StartWhenIdle_A, !start_i || state_q == StIdle)
  `ASSERT(NoStartWithClear_A, !(start_i && clear_i))
  `ASSERT(StartLegalN_A, !start_i || n_legal)
  `ASSERT(StartLegalMode_A, !start_i || mode_i <= masr_pkg::MODE_MAX)
  `ASSERT(ValidOnlyStreaming_A, !valid_i || state_q == StStream)

  // Addresses stay inside the run's partition geometry and the RF depths.
  `ASSERT(RunGeometry_A, state_q == StIdle || geometry_ok)
  `ASSERT(ReqPartition_A, !(req_am || req_av) || u_legal)
  `ASSERT(ReqWordInRange_A, !req_am || req_k <= k_last_q)
  `ASSERT(ReqValueInRange_A, !req_av || req_j < p_q)
  `ASSERT(ElemPosition_A, !accept || pos_ok)
  // Word mode: only in WIDE builds; a word starts at bit 0, takes 1..B elements and its values
  // fit the partition (j + non-zeros <= P).
  `ASSERT(StartWideOnlyIfBuilt_A, !start_i || WIDE || !wide_i)
  `ASSERT(WordAligned_A, !(accept && wide_q) || (b_q == '0 && w >= 32'd1 && w <= 32'(B)))
  `ASSERT(ReqValuesFit_A, !accept || 32'(j_q) + 32'(nz_cnt) <= 32'(p_q))

  for (genvar v = 0; v < V; v++) begin : g_chk
    logic am_ok, av_ok;
    assign am_ok = (AmAddrW + 1)'(am_waddr_q[v*AmAddrW +: AmAddrW]) < (AmAddrW + 1)'(AmDepth);
    assign av_ok = (AvAddrW + 1)'(av_waddr_q[v*AvAddrW +: AvAddrW]) < (AvAddrW + 1)'(AvDepth);
    `ASSERT(AmAddrInRange_A, !am_we_q[v] || am_ok)
    `ASSERT(AvAddrInRange_A, !av_we_q[v] || av_ok)
  end

endmodule
