/* Depthwise 9-tap kernels on the int8-weight layout (dwconv.h, family
 * qs8_dwconv9_mul8), NEON armv7 and aarch64 (included only by the
 * mul8-*-neon.c files).
 *
 * Why: the int16 kernels (dwconv-neon.h) widen every input and multiply
 * 4 lanes per vmlal_s16.  Here int8 inputs meet int8 weights directly:
 * vmull_s8 gives 8 products per instruction, vmlal_s8 adds a second tap's
 * products in the same int16 lanes, and only the pair sum is widened into
 * the int32 accumulators (vaddw).  The pair sum is exact because the packer
 * admits only weights in [-127, 127] (|x*w| <= 16256, two <= 32512).  Per 16
 * channels and pixel (144 MACs): 18 multiply instructions + 5 pair sums x 4
 * widening adds, no input widening, and the weights take 9 registers (int8)
 * instead of 18.
 *
 * Why a range check rather than the complement trick of gemm-c16-neon.inc
 * (a0*w0 + a1*w1 = a0*w0 - a1*~w1 - a1, exact for w1 = -128 too): there the
 * -a1 term depends on the input, so each pixel would also sum its 4 pairs'
 * a1 rows (into int16, ~6 instructions per 16 channels) and subtract them
 * from the int32 accumulators (4 more), about +25% on the 38 instructions
 * above; TFLite's int8 weights are symmetric ([-127, 127]), so the pack-time
 * check keeps the common case at full speed and -128 keeps the int16 kernels.
 *
 * Taps are paired by window column: (kx, 0) with (kx, 1) for every kx, then
 * (0, 2) with (1, 2), leaving (2, 2) alone -- so in the multi-pixel kernel
 * every input row is used right after its load (one 16-byte load shared by
 * all the pixels whose window contains it).
 *
 * Multi-pixel (aarch64, 32 vector registers): P adjacent output pixels of
 * stride S read a 3 x (S*(P-1)+3) window of the compact indirection row
 * (dwconv.h) and share the block's 9 weight registers, as in
 * dwconv-neon-x3.h.  armv7 (16 q registers): one pixel at a time here; the
 * 3-pixel stride-1 kernel (8-channel halves, inline assembly) is
 * mul8-up16x9x3-aarch32-neon.c. */
#ifndef QKERNELS_DWCONV_MUL8_NEON_H
#define QKERNELS_DWCONV_MUL8_NEON_H

#include "qkernels/dwconv-neon.h"

#define QK_DW8_CR 16
#define QK_DW8_COLS(P, S) ((S) * ((P) - 1) + 3)

/* int32 accumulators of 16 channels: v[i] holds channels 4i .. 4i+3. */
typedef struct qk_dw8_acc {
  int32x4_t v[4];
} qk_dw8_acc;

/* lo/hi = x * k for channels 0-7 / 8-15 (int16, exact). */
QK_DW_ALWAYS_INLINE void qk_dw8_mul(int16x8_t* lo, int16x8_t* hi, int8x16_t x, int8x16_t k) {
  *lo = vmull_s8(vget_low_s8(x), vget_low_s8(k));
#if defined(__aarch64__)
  *hi = vmull_high_s8(x, k);
#else
  *hi = vmull_s8(vget_high_s8(x), vget_high_s8(k));
#endif
}

/* lo/hi += x * k: the second tap of a pair (exact, see above). */
QK_DW_ALWAYS_INLINE void qk_dw8_mla(int16x8_t* lo, int16x8_t* hi, int8x16_t x, int8x16_t k) {
  *lo = vmlal_s8(*lo, vget_low_s8(x), vget_low_s8(k));
#if defined(__aarch64__)
  *hi = vmlal_high_s8(*hi, x, k);
#else
  *hi = vmlal_s8(*hi, vget_high_s8(x), vget_high_s8(k));
#endif
}

/* acc += widen(lo, hi). */
QK_DW_ALWAYS_INLINE void qk_dw8_add(qk_dw8_acc* a, int16x8_t lo, int16x8_t hi) {
  a->v[0] = vaddw_s16(a->v[0], vget_low_s16(lo));
  a->v[2] = vaddw_s16(a->v[2], vget_low_s16(hi));
#if defined(__aarch64__)
  a->v[1] = vaddw_high_s16(a->v[1], lo);
  a->v[3] = vaddw_high_s16(a->v[3], hi);
#else
  a->v[1] = vaddw_s16(a->v[1], vget_high_s16(lo));
  a->v[3] = vaddw_s16(a->v[3], vget_high_s16(hi));
#endif
}

/* Requantization constants of the two 8-channel halves of a 16-channel block
 * (fp32: scale[16]; gemmlowp: multiplier[16], shift[16], ...). */
QK_DW_ALWAYS_INLINE void qk_dw8_rq_load(const uint8_t* rq, int mode, qk_dw_neon_rq* r0, qk_dw_neon_rq* r1) {
  if (mode == QK_DWCONV_FP32) {
    const float* s = (const float*) rq;
#if defined(__aarch64__)
    const float32x4x4_t s4 = vld1q_f32_x4(s);
    r0->s_lo = s4.val[0], r0->s_hi = s4.val[1], r1->s_lo = s4.val[2], r1->s_hi = s4.val[3];
#else
    r0->s_lo = vld1q_f32(s);
    r0->s_hi = vld1q_f32(s + 4);
    r1->s_lo = vld1q_f32(s + 8);
    r1->s_hi = vld1q_f32(s + 12);
#endif
    r0->m_lo = r0->m_hi = r0->sh_lo = r0->sh_hi = vdupq_n_s32(0);
    r1->m_lo = r1->m_hi = r1->sh_lo = r1->sh_hi = vdupq_n_s32(0);
  } else {
    const int32_t* p = (const int32_t*) rq;
    r0->m_lo = vld1q_s32(p);
    r0->m_hi = vld1q_s32(p + 4);
    r1->m_lo = vld1q_s32(p + 8);
    r1->m_hi = vld1q_s32(p + 12);
    r0->sh_lo = vnegq_s32(vld1q_s32(p + 16));
    r0->sh_hi = vnegq_s32(vld1q_s32(p + 20));
    r1->sh_lo = vnegq_s32(vld1q_s32(p + 24));
    r1->sh_hi = vnegq_s32(vld1q_s32(p + 28));
    r0->s_lo = r0->s_hi = r1->s_lo = r1->s_hi = vdupq_n_f32(0.0f);
  }
}

/* 16 channels of P adjacent output pixels of stride S; r[j*3 + y] is window
 * column j, kernel row y (for P = 1: the 9 tap rows, t = kx*3 + y).  P and S
 * are constants after inlining, so every loop unrolls completely. */
QK_DW_ALWAYS_INLINE void qk_dw8_block(int P, int S, int mode, const uint8_t* const* r, size_t c,
                                      const uint8_t* w, const qk_dw_neon_out* o, uint8_t* const* outs) {
  const int8_t* wt = (const int8_t*) (w + QK_DW8_CR * sizeof(int32_t));
  int8x16_t k[9];
#if defined(__aarch64__)
  /* three loads of 4, 4 and 1 registers */
  const int8x16x4_t k03 = vld1q_s8_x4(wt), k47 = vld1q_s8_x4(wt + 4 * QK_DW8_CR);
  k[0] = k03.val[0], k[1] = k03.val[1], k[2] = k03.val[2], k[3] = k03.val[3];
  k[4] = k47.val[0], k[5] = k47.val[1], k[6] = k47.val[2], k[7] = k47.val[3];
  k[8] = vld1q_s8(wt + 8 * QK_DW8_CR);
#else
#pragma GCC unroll 9
  for (int t = 0; t < 9; t++) k[t] = vld1q_s8(wt + QK_DW8_CR * t);
#endif
  qk_dw8_acc acc[4];
  int16x8_t pend_lo[4], pend_hi[4]; /* product of tap (0, 2), waiting for (1, 2) */
#pragma GCC unroll 12
  for (int j = 0; j < QK_DW8_COLS(P, S); j++) {
    const int8x16_t x0 = vld1q_s8((const int8_t*) r[j * 3 + 0] + c);
    const int8x16_t x1 = vld1q_s8((const int8_t*) r[j * 3 + 1] + c);
    const int8x16_t x2 = vld1q_s8((const int8_t*) r[j * 3 + 2] + c);
#pragma GCC unroll 4
    for (int p = 0; p < P; p++) {
      const int kx = j - S * p; /* column j is tap column kx of pixel p */
      if (kx < 0 || kx > 2) continue;
      if (kx == 0) {
        /* a fresh copy of the bias per pixel: loads, no register moves */
        const int32_t* b = (const int32_t*) w;
#if defined(__aarch64__)
        const int32x4x4_t b4 = vld1q_s32_x4(b);
        acc[p].v[0] = b4.val[0], acc[p].v[1] = b4.val[1], acc[p].v[2] = b4.val[2], acc[p].v[3] = b4.val[3];
#else
        acc[p].v[0] = vld1q_s32(b);
        acc[p].v[1] = vld1q_s32(b + 4);
        acc[p].v[2] = vld1q_s32(b + 8);
        acc[p].v[3] = vld1q_s32(b + 12);
#endif
      }
      int16x8_t lo, hi;
      qk_dw8_mul(&lo, &hi, x0, k[kx * 3 + 0]);
      qk_dw8_mla(&lo, &hi, x1, k[kx * 3 + 1]);
      qk_dw8_add(&acc[p], lo, hi);
      if (kx == 0) {
        qk_dw8_mul(&pend_lo[p], &pend_hi[p], x2, k[2]);
      } else if (kx == 1) {
        qk_dw8_mla(&pend_lo[p], &pend_hi[p], x2, k[5]);
        qk_dw8_add(&acc[p], pend_lo[p], pend_hi[p]);
      } else {
        qk_dw8_mul(&lo, &hi, x2, k[8]);
        qk_dw8_add(&acc[p], lo, hi);
      }
    }
  }
  qk_dw_neon_rq r0, r1;
  qk_dw8_rq_load(w + QK_DW8_CR * sizeof(int32_t) + 9 * QK_DW8_CR, mode, &r0, &r1);
#pragma GCC unroll 4
  for (int p = 0; p < P; p++) {
#if defined(__aarch64__)
    const int16x8_t v0 = qk_dw_neon_requant_s16(acc[p].v[0], acc[p].v[1], &r0, o, mode);
    const int16x8_t v1 = qk_dw_neon_requant_s16(acc[p].v[2], acc[p].v[3], &r1, o, mode);
    vst1q_u8(outs[p] + c, qk_dw_neon_narrow16(v0, v1, o, /*is_signed=*/1));
#else
    const uint8x8_t q0 = qk_dw_neon_requant8(acc[p].v[0], acc[p].v[1], &r0, o, /*is_signed=*/1, mode);
    const uint8x8_t q1 = qk_dw_neon_requant8(acc[p].v[2], acc[p].v[3], &r1, o, /*is_signed=*/1, mode);
    vst1q_u8(outs[p] + c, vcombine_u8(q0, q1));
#endif
  }
}

/* All channels of P pixels whose rows are r[0 .. 3*COLS): whole blocks in
 * place, the last (< 16) channels through a zeroed stack copy (exactly n
 * bytes read from each row, n written to each output). */
QK_DW_ALWAYS_INLINE void qk_dw8_pass(int P, int S, int mode, size_t channels, const uint8_t* const* r,
                                     const uint8_t* w, size_t block, uint8_t* const* outs,
                                     const qk_dw_neon_out* o) {
  enum { MAXR = 3 * QK_DW8_COLS(4, 2) };
  const int nr = 3 * QK_DW8_COLS(P, S);
  size_t c = 0;
  for (; c + QK_DW8_CR <= channels; c += QK_DW8_CR, w += block) {
    qk_dw8_block(P, S, mode, r, c, w, o, outs);
  }
  if (c < channels) {
    const size_t n = channels - c;
    uint8_t buf[MAXR * QK_DW8_CR], tmp[4][QK_DW8_CR];
    const uint8_t* br[MAXR];
    uint8_t* touts[4] = {tmp[0], tmp[1], tmp[2], tmp[3]};
    memset(buf, 0, (size_t) nr * QK_DW8_CR);
    for (int i = 0; i < nr; i++) {
      memcpy(buf + i * QK_DW8_CR, r[i] + c, n);
      br[i] = buf + i * QK_DW8_CR;
    }
    qk_dw8_block(P, S, mode, br, 0, w, o, touts);
    for (int p = 0; p < P; p++) memcpy(outs[p] + c, tmp[p], n);
  }
}

/* Passes of P pixels of stride S over a compact row (step == 3*S) while P
 * pixels remain; advances *indirection and *out, returns the pixels done. */
QK_DW_ALWAYS_INLINE size_t qk_dw8_multi(int P, int S, int mode, size_t channels, size_t output_width,
                                        const size_t** indirection, const void* input, const void* zero,
                                        const void* weights, size_t block, uint8_t** out, size_t output_stride,
                                        const qk_dw_neon_out* o) {
  const int nr = 3 * QK_DW8_COLS(P, S);
  size_t px = 0;
  for (; px + P <= output_width; px += P) {
    const uint8_t* r[3 * QK_DW8_COLS(4, 2)];
#pragma GCC unroll 27
    for (int i = 0; i < nr; i++) r[i] = qk_dwconv_tap((*indirection)[i], input, zero);
    uint8_t* outs[4];
    for (int p = 0; p < P; p++) outs[p] = *out + p * output_stride;
    qk_dw8_pass(P, S, mode, channels, r, (const uint8_t*) weights, block, outs, o);
    *indirection += 3 * S * P;
    *out += P * output_stride;
  }
  return px;
}

#if !defined(__aarch64__)
/* armv7, one pixel, 16 channels: the 9 tap rows p[t] and the packed weights
 * *wp are walked with post-incremented loads (armv7 loads have no
 * register-offset form; adding the channel offset to each row would cost an
 * add per load). */
/* w += n, opaque to GCC, so that it emits post-incremented loads instead of
 * one address computation per load at constant offsets from a base */
#define QK_DW8_STEP(w, n) \
  do {                     \
    (w) += (n);            \
    __asm__("" : "+r"(w)); \
  } while (0)

QK_DW_ALWAYS_INLINE uint8x16_t qk_dw8_block_v7(int mode, const uint8_t** p, const uint8_t** wp,
                                               const qk_dw_neon_out* o) {
  const uint8_t* w = *wp;
  qk_dw8_acc acc;
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    acc.v[i] = vld1q_s32((const int32_t*) w);
    QK_DW8_STEP(w, 16);
  }
  /* taps in memory order, paired (0,1) (2,3) (4,5) (6,7), 8 alone: any pairing
   * is exact, and this one keeps every load a post-increment */
#pragma GCC unroll 5
  for (int t = 0; t < 9; t += 2) {
    const int8x16_t xa = vld1q_s8((const int8_t*) p[t]);
    p[t] += 16;
    const int8x16_t ka = vld1q_s8((const int8_t*) w);
    QK_DW8_STEP(w, 16);
    int16x8_t lo, hi;
    qk_dw8_mul(&lo, &hi, xa, ka);
    if (t + 1 < 9) {
      const int8x16_t xb = vld1q_s8((const int8_t*) p[t + 1]);
      p[t + 1] += 16;
      const int8x16_t kb = vld1q_s8((const int8_t*) w);
      QK_DW8_STEP(w, 16);
      qk_dw8_mla(&lo, &hi, xb, kb);
    }
    qk_dw8_add(&acc, lo, hi);
  }
  uint8x16_t y;
  if (mode == QK_DWCONV_FP32) {
    /* clamp in float to [qmin - zp, qmax - zp], round with the 1.5*2^23
     * addition (requant.h); the low bits of the float's bit pattern are then
     * rint(x) (the constant's low 16 bits are 0), so truncating narrows and a
     * byte add of the zero point give clamp(rint(x) + zp) exactly (the result
     * is in [qmin, qmax], so the modulo-256 add does not wrap) */
    int16x8_t h[2];
#pragma GCC unroll 2
    for (int i = 0; i < 2; i++) {
      const float32x4_t s0 = vld1q_f32((const float*) w), s1 = vld1q_f32((const float*) w + 4);
      QK_DW8_STEP(w, 32);
      float32x4_t f0 = vmulq_f32(vcvtq_f32_s32(acc.v[2 * i]), s0);
      float32x4_t f1 = vmulq_f32(vcvtq_f32_s32(acc.v[2 * i + 1]), s1);
      f0 = vaddq_f32(vminq_f32(vmaxq_f32(f0, o->fmin), o->fmax), o->magic);
      f1 = vaddq_f32(vminq_f32(vmaxq_f32(f1, o->fmin), o->fmax), o->magic);
      h[i] = vcombine_s16(vmovn_s32(vreinterpretq_s32_f32(f0)), vmovn_s32(vreinterpretq_s32_f32(f1)));
    }
    const int8x16_t b = vcombine_s8(vmovn_s16(h[0]), vmovn_s16(h[1]));
    y = vreinterpretq_u8_s8(vaddq_s8(b, vdupq_n_s8((int8_t) vgetq_lane_s16(o->zp, 0))));
  } else {
    qk_dw_neon_rq r0, r1;
    qk_dw8_rq_load(w, mode, &r0, &r1);
    w += 16 * 16;
    y = vcombine_u8(qk_dw_neon_requant8(acc.v[0], acc.v[1], &r0, o, /*is_signed=*/1, mode),
                    qk_dw_neon_requant8(acc.v[2], acc.v[3], &r1, o, /*is_signed=*/1, mode));
  }
  *wp = w;
  return y;
}
#endif

/* One pixel at a time, any layout (the 9 entries at indirection + i*step). */
QK_DW_ALWAYS_INLINE void qk_dw8_single(int mode, size_t channels, size_t n, const size_t* indirection, size_t step,
                                       const void* input, const void* zero, const void* weights, size_t block,
                                       uint8_t* out, size_t output_stride, const qk_dw_neon_out* o) {
#if !defined(__aarch64__)
  for (size_t px = 0; px < n; px++) {
    const uint8_t* p[9];
#pragma GCC unroll 9
    for (int t = 0; t < 9; t++) p[t] = qk_dwconv_tap(indirection[t], input, zero);
    const uint8_t* w = (const uint8_t*) weights;
    uint8_t* dst = out;
    size_t c = channels;
    for (; c >= QK_DW8_CR; c -= QK_DW8_CR) {
      vst1q_u8(dst, qk_dw8_block_v7(mode, p, &w, o));
      dst += QK_DW8_CR;
    }
    if (c != 0) {
      uint8_t buf[9 * QK_DW8_CR], tmp[QK_DW8_CR];
      const uint8_t* bp[9];
      memset(buf, 0, sizeof buf);
      for (int t = 0; t < 9; t++) {
        memcpy(buf + t * QK_DW8_CR, p[t], c);
        bp[t] = buf + t * QK_DW8_CR;
      }
      vst1q_u8(tmp, qk_dw8_block_v7(mode, bp, &w, o));
      memcpy(dst, tmp, c);
    }
    indirection += step;
    out += output_stride;
  }
  (void) block;
  return;
#endif
  for (size_t px = 0; px < n; px++) {
    const uint8_t* r[9];
#pragma GCC unroll 9
    for (int t = 0; t < 9; t++) r[t] = qk_dwconv_tap(indirection[t], input, zero);
    uint8_t* outs[1] = {out};
    qk_dw8_pass(1, 1, mode, channels, r, (const uint8_t*) weights, block, outs, o);
    indirection += step;
    out += output_stride;
  }
}

/* One row: P1 pixels per pass for compact stride-1 rows, P2 for stride 2
 * (0: no multi-pixel passes), then single pixels. */
QK_DW_ALWAYS_INLINE void qk_dw8_row(int P1, int P2, int mode, size_t channels, size_t output_width,
                                    const size_t* indirection, size_t step, const void* input, const void* zero,
                                    const void* weights, void* output, size_t output_stride,
                                    const qk_dwconv_params* params) {
  const size_t block = qk_dwconv_mul8_block_bytes(QK_DW8_CR, 9, mode);
  const qk_dw_neon_out o = qk_dw_neon_out_init(params);
  uint8_t* out = (uint8_t*) output;
  size_t px = 0;
  if (P1 > 1 && step == 3) {
    px = qk_dw8_multi(P1, 1, mode, channels, output_width, &indirection, input, zero, weights, block, &out,
                      output_stride, &o);
  } else if (P2 > 1 && step == 6) {
    px = qk_dw8_multi(P2, 2, mode, channels, output_width, &indirection, input, zero, weights, block, &out,
                      output_stride, &o);
  }
  qk_dw8_single(mode, channels, output_width - px, indirection, step, input, zero, weights, block, out,
                output_stride, &o);
}

/* The mode is a template constant: one specialized copy per requantization. */
#define QK_DW8_KERNEL(name, P1, P2)                                                                             \
  void name(size_t channels, size_t output_width, const size_t* indirection, size_t step, const void* input,   \
            const void* zero, const void* weights, void* output, size_t output_stride,                         \
            const qk_dwconv_params* params) {                                                                  \
    if (params->mode == QK_DWCONV_FP32) {                                                                      \
      qk_dw8_row(P1, P2, QK_DWCONV_FP32, channels, output_width, indirection, step, input, zero, weights,      \
                 output, output_stride, params);                                                               \
    } else {                                                                                                   \
      qk_dw8_row(P1, P2, QK_DWCONV_GEMMLOWP, channels, output_width, indirection, step, input, zero, weights,  \
                 output, output_stride, params);                                                               \
    }                                                                                                          \
  }

#endif
