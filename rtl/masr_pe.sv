// Activation register files of one PE (g, v): docs/architecture.md section 3.
//
// A PE is G neighbouring horizontal lanes sharing one activation mask RF (B bits, 3*KW_MAX
// words: segments own / v-1 / v+1) and one activation value RF (16 bits, 3*P_MAX entries).
// The mask RF has LANE_MP read ports per lane (the lane's address generator: word by word in v1,
// a segment's whole row of words in its claim cycle with CFG_FEAT.NULL_SKIP; with the row
// scanner built, KW_MAX more for it: LANE_MP = 2 * KW_MAX), the value RF one
// per lane (the lane's MAC); each RF has one frontdoor read port, and one write port shared by the frontdoor and the
// activation encoder of the GRU sequencer (docs/gru-layer.md): the frontdoor only writes while
// the engine is idle and the encoder only between the products of a GRU phase, so the two never
// write in the same cycle (asserted here and in masr_top).
//
// ACT_SETS = 2 (builds implementing CFG_FEAT.PREFETCH, docs/gru-layer.md 8.6): a second pair of
// RFs (set 1) so that the encoder writes x_{t+1} into one set while the lanes read x_t from the
// other. act_wset_i picks the set the encoder writes; act_mset_i / act_vset_i pick, per lane, the
// set its mask ports and its value port read (the same set, except under run-ahead, where a lane
// may already read the next product's masks while its MAC finishes the previous product's op).
// Set 1 has no frontdoor and no backdoor port: the host sees set 0 only.
`include "masr_assert.svh"

module masr_pe #(
  parameter int B      = 16,
  parameter int G      = 2,
  parameter int KW_MAX = 2,
  parameter int LANE_MP = KW_MAX,  // act mask read ports per lane (2 * KW_MAX: row scanner)
  parameter int P_MAX  = 32,
  parameter int ACT_SETS = 1,   // 2: a second set of activation RFs (PREFETCH)
  parameter int ENC_W    = 1,   // encoder value ports (B with WIDE_ENC: a mask word per cycle)
  // Derived, do not override.
  localparam int AmDepth = 3 * KW_MAX,
  localparam int AvDepth = 3 * P_MAX,
  localparam int AmAddrW = $clog2(AmDepth),
  localparam int AvAddrW = $clog2(AvDepth),
  localparam int OffW    = (ENC_W > 1) ? $clog2(ENC_W) : 1
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 bd_load_i,
  input  logic [7:0]           bd_g_i,   // my position, names the backdoor files
  input  logic [7:0]           bd_v_i,   // (amask_<g>_<v>, aval_<g>_<v>)

  // ---- lane read ports (lane h = g*G + j: mask ports j*LANE_MP .. j*LANE_MP+LANE_MP-1, value j)
  input  logic [G*LANE_MP-1:0]         amask_re_i,
  input  logic [G*LANE_MP*AmAddrW-1:0] amask_raddr_i,
  output logic [G*LANE_MP*B-1:0]       amask_rdata_o,
  input  logic [G-1:0]         aval_re_i,
  input  logic [G*AvAddrW-1:0] aval_raddr_i,
  output logic [G*16-1:0]      aval_rdata_o,

  // ---- frontdoor ----
  input  logic                 fd_amask_we_i,
  input  logic                 fd_aval_we_i,
  input  logic [15:0]          fd_waddr_i,
  input  logic [31:0]          fd_wdata_i,
  input  logic                 fd_amask_re_i,   // range already checked by the top
  input  logic                 fd_aval_re_i,
  input  logic [15:0]          fd_raddr_i,      // registered read address (see masr_top)
  output logic [31:0]          fd_amask_rdata_o,
  output logic [31:0]          fd_aval_rdata_o,

  // ---- activation encoder (masr_act_encoder column port of this PE's column) ----
  input  logic                 enc_amask_we_i,
  input  logic [AmAddrW-1:0]   enc_amask_waddr_i,
  input  logic [B-1:0]         enc_amask_wdata_i,
  input  logic                 enc_aval_we_i,
  input  logic [AvAddrW-1:0]   enc_aval_waddr_i,
  input  logic [ENC_W-1:0]     enc_aval_pwe_i,   // value port i writes at base + offset i
  input  logic [ENC_W*OffW-1:0] enc_aval_poff_i,
  input  logic [ENC_W*16-1:0]  enc_aval_wdata_i,
  input  logic                 act_wset_i,      // set the encoder writes (ACT_SETS = 2)
  input  logic [G-1:0]         act_mset_i,      // per lane: set its mask ports read
  input  logic [G-1:0]         act_vset_i       // per lane: set its value port read
);

  logic [(G*LANE_MP+1)*B-1:0] amask_rdata;
  logic [(G+1)*16-1:0] aval_rdata;

  // Write ports: the encoder or the frontdoor (never both in one cycle, asserted below). The
  // mask RF has one; the value RF one per encoder value port (port i writes its value at the
  // column's base address + offset i), port 0 shared with the frontdoor.
  logic                  am_we;
  logic [AmAddrW-1:0]    am_waddr;
  logic [B-1:0]          am_wdata;
  logic [ENC_W-1:0]      enc_av_pwe, av_we;
  logic [ENC_W*AvAddrW-1:0] enc_av_waddr, av_waddr;
  logic [ENC_W*16-1:0]   av_wdata;

  for (genvar i = 0; i < ENC_W; i++) begin : g_av_port
    assign enc_av_pwe[i] = enc_aval_we_i && enc_aval_pwe_i[i];
    assign enc_av_waddr[i*AvAddrW +: AvAddrW] =
        enc_aval_waddr_i + AvAddrW'(enc_aval_poff_i[i*OffW +: OffW]);
    if (i == 0) begin : g_fd
      assign av_we[i] = (enc_av_pwe[i] && !act_wset_i) || fd_aval_we_i;
      assign av_waddr[i*AvAddrW +: AvAddrW] = fd_aval_we_i ? fd_waddr_i[AvAddrW-1:0]
                                                           : enc_av_waddr[i*AvAddrW +: AvAddrW];
      assign av_wdata[i*16 +: 16] = fd_aval_we_i ? fd_wdata_i[15:0] : enc_aval_wdata_i[i*16 +: 16];
    end else begin : g_enc
      assign av_we[i] = enc_av_pwe[i] && !act_wset_i;
      assign av_waddr[i*AvAddrW +: AvAddrW] = enc_av_waddr[i*AvAddrW +: AvAddrW];
      assign av_wdata[i*16 +: 16] = enc_aval_wdata_i[i*16 +: 16];
    end
  end

  // Per read port: the set it reads (lane j's LANE_MP mask ports, its value port).
  logic enc_am_we0;
  logic [G*LANE_MP-1:0] mset;
  for (genvar j = 0; j < G; j++) begin : g_mset
    assign mset[j*LANE_MP +: LANE_MP] = {LANE_MP{act_mset_i[j]}};
  end
  assign enc_am_we0 = enc_amask_we_i && !act_wset_i;
  assign am_we    = fd_amask_we_i || enc_am_we0;
  assign am_waddr = enc_amask_we_i ? enc_amask_waddr_i : fd_waddr_i[AmAddrW-1:0];
  assign am_wdata = enc_amask_we_i ? enc_amask_wdata_i : fd_wdata_i[B-1:0];

  // The last port is the frontdoor.
  masr_sram #(
    .Width (B),
    .Depth (AmDepth),
    .NumRd (G * LANE_MP + 1),
    .BdName("amask"),
    .BdIndexed(1'b1)
  ) u_amask (
    .clk_i,
    .rst_ni,
    .we_i     (am_we),
    .waddr_i  (am_waddr),
    .wdata_i  (am_wdata),
    .re_i     ({fd_amask_re_i, amask_re_i & ~mset}),
    .raddr_i  ({fd_raddr_i[AmAddrW-1:0], amask_raddr_i}),
    .rdata_o  (amask_rdata),
    .bd_load_i,
    .bd_row_i (bd_g_i),
    .bd_col_i (bd_v_i)
  );

  masr_sram #(
    .Width (16),
    .Depth (AvDepth),
    .NumRd (G + 1),
    .NumWr (ENC_W),
    .BdName("aval"),
    .BdIndexed(1'b1)
  ) u_aval (
    .clk_i,
    .rst_ni,
    .we_i     (av_we),
    .waddr_i  (av_waddr),
    .wdata_i  (av_wdata),
    .re_i     ({fd_aval_re_i, aval_re_i & ~act_vset_i}),
    .raddr_i  ({fd_raddr_i[AvAddrW-1:0], aval_raddr_i}),
    .rdata_o  (aval_rdata),
    .bd_load_i,
    .bd_row_i (bd_g_i),
    .bd_col_i (bd_v_i)
  );

  if (ACT_SETS == 2) begin : g_set1
    logic [G*LANE_MP*B-1:0] am1_rdata;
    logic [G*16-1:0]       av1_rdata;

    masr_sram #(
      .Width (B),
      .Depth (AmDepth),
      .NumRd (G * LANE_MP),
      .BdName("")
    ) u_amask1 (
      .clk_i,
      .rst_ni,
      .we_i     (enc_amask_we_i && act_wset_i),
      .waddr_i  (enc_amask_waddr_i),
      .wdata_i  (enc_amask_wdata_i),
      .re_i     (amask_re_i & mset),
      .raddr_i  (amask_raddr_i),
      .rdata_o  (am1_rdata),
      .bd_load_i,
      .bd_row_i (bd_g_i),
      .bd_col_i (bd_v_i)
    );

    masr_sram #(
      .Width (16),
      .Depth (AvDepth),
      .NumRd (G),
      .NumWr (ENC_W),
      .BdName("")
    ) u_aval1 (
      .clk_i,
      .rst_ni,
      .we_i     (enc_av_pwe & {ENC_W{act_wset_i}}),
      .waddr_i  (enc_av_waddr),
      .wdata_i  (enc_aval_wdata_i),
      .re_i     (aval_re_i & act_vset_i),
      .raddr_i  (aval_raddr_i),
      .rdata_o  (av1_rdata),
      .bd_load_i,
      .bd_row_i (bd_g_i),
      .bd_col_i (bd_v_i)
    );

    for (genvar k = 0; k < G * LANE_MP; k++) begin : g_am_mux
      assign amask_rdata_o[k*B +: B] = mset[k] ? am1_rdata[k*B +: B] : amask_rdata[k*B +: B];
    end
    for (genvar j = 0; j < G; j++) begin : g_av_mux
      assign aval_rdata_o[j*16 +: 16] = act_vset_i[j] ? av1_rdata[j*16 +: 16]
                                                      : aval_rdata[j*16 +: 16];
    end
  end else begin : g_set0
    assign amask_rdata_o = amask_rdata[G*LANE_MP*B-1:0];
    assign aval_rdata_o  = aval_rdata[G*16-1:0];
  end
  assign fd_amask_rdata_o = 32'(amask_rdata[G*LANE_MP*B +: B]);
  assign fd_aval_rdata_o  = 32'(aval_rdata[G*16 +: 16]);

  `ASSERT_INIT(ActSetsOk_A, ACT_SETS == 1 || ACT_SETS == 2)
  // A one-set build never selects set 1.
  `ASSERT_NEVER(NoSet1WithoutRfs_A, ACT_SETS == 1 && (act_wset_i || act_mset_i != '0 ||
                                                     act_vset_i != '0))
  `ASSERT_NEVER(FrontdoorWritesOneRf, fd_amask_we_i && fd_aval_we_i)
  // The encoder and the frontdoor share the write ports: they must never collide.
  `ASSERT_NEVER(EncoderFrontdoorAmask_A, enc_amask_we_i && (fd_amask_we_i || fd_aval_we_i))
  `ASSERT_NEVER(EncoderFrontdoorAval_A, enc_aval_we_i && (fd_amask_we_i || fd_aval_we_i))

endmodule
