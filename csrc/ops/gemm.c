/* Drivers of the 8-bit GEMM family: tile one operator call into
 * (row tile, column tile) tasks on the thread pool.
 *
 * Rows go by the kernel's MR, one task per row tile (and per batch image and
 * group, folded into the row range).  Columns go in chunks of a multiple of
 * nr: with one thread a task covers all N, so a tile's activations stay in
 * registers/L1 while the packed weights stream once per row tile; with more
 * threads N is split until every thread has several tasks to balance. */
#include "qkernels/gemm.h"
#include "qkernels/threadpool.h"

/* Largest MR any kernel may declare (the plain-GEMM row-pointer array lives
 * on the stack). */
#define QK_GEMM_MAX_MR 16
/* Tasks per thread to aim for when splitting N. */
#define QK_GEMM_TASKS_PER_THREAD 4
/* Single thread: packed weights of one column chunk, kept in L2 while every
 * row tile runs over it (L2 is 512 KB per core on Zen 3, 1 MB on Zen 4; the
 * activations and output rows share it). */
#define QK_GEMM_L2_CHUNK_BYTES (256 * 1024)

struct gemm_job {
  qk_gemm_ukernel_fn fn;
  size_t mr, nr;
  size_t groups, m, n, kc, ks, m_tiles;
  /* plain GEMM */
  const uint8_t* a;
  size_t a_stride;
  /* indirect GEMM */
  const void* const* indirection;
  size_t a_offset, a_batch_stride;
  const void* zero;
  /* weights and output */
  const uint8_t* packed;
  size_t packed_group_stride, block_bytes;
  uint8_t* c;
  size_t c_stride, c_batch_stride;
  const qk_gemm_params* params;
};

static size_t column_tile(size_t row_tiles, size_t n, size_t nr, size_t threads) {
  size_t nc = n;
  if (threads > 1) {
    const size_t target = threads * QK_GEMM_TASKS_PER_THREAD;
    const size_t col_tiles = qk_divide_round_up(target, row_tiles); /* wanted splits of N */
    const size_t max_nc = qk_divide_round_up(n, col_tiles);
    nc = QK_MIN(nc, QK_MAX(qk_round_up(max_nc, nr), nr));
  }
  return qk_round_up(nc, nr);
}

/* One task: rows [tile*MR, +MR) of one (image, group), columns [j0, j0+nj). */
static void gemm_task(void* context, size_t start_i, size_t start_j, size_t count_i, size_t count_j) {
  const struct gemm_job* j = (const struct gemm_job*) context;
  (void) count_i;
  size_t g = 0, m0 = start_i; /* groups == 1: no divisions (they cost ~10% of small-K calls) */
  if (j->groups != 1) {
    const size_t tile = start_i / j->mr;
    g = tile / j->m_tiles;
    m0 = (tile - g * j->m_tiles) * j->mr;
  }
  const size_t rows = QK_MIN(j->mr, j->m - m0);
  const void* ptrs[QK_GEMM_MAX_MR];
  const uint8_t* a_row = j->a + m0 * j->a_stride + g * j->kc;
  for (size_t i = 0; i < j->mr; i++) ptrs[i] = a_row + QK_MIN(i, rows - 1) * j->a_stride;
  j->fn(rows, count_j, j->kc, 1, ptrs, j->packed + g * j->packed_group_stride + (start_j / j->nr) * j->block_bytes,
        j->c + m0 * j->c_stride + g * j->n + start_j, j->c_stride, j->nr, 0, NULL, j->params);
}

static void igemm_task(void* context, size_t start_i, size_t start_j, size_t count_i, size_t count_j) {
  const struct gemm_job* j = (const struct gemm_job*) context;
  (void) count_i;
  const size_t tile = start_i / j->mr;
  const size_t mt = tile % j->m_tiles;
  const size_t bg = tile / j->m_tiles;
  const size_t g = bg % j->groups;
  const size_t b = bg / j->groups;
  const size_t m0 = mt * j->mr;
  const size_t rows = QK_MIN(j->mr, j->m - m0);
  j->fn(rows, count_j, j->kc, j->ks, j->indirection + mt * j->ks * j->mr,
        j->packed + g * j->packed_group_stride + (start_j / j->nr) * j->block_bytes,
        j->c + b * j->c_batch_stride + m0 * j->c_stride + g * j->n + start_j, j->c_stride, j->nr,
        j->a_offset + b * j->a_batch_stride + g * j->kc, j->zero, j->params);
}

static void init_job(struct gemm_job* j, const qk_ukernel* ukernel, size_t groups, size_t m, size_t n, size_t kc,
                     size_t ks, const void* packed, size_t packed_group_stride, void* c, size_t c_stride,
                     const qk_gemm_params* params) {
  memset(j, 0, sizeof *j);
  j->fn = (qk_gemm_ukernel_fn) ukernel->fn;
  j->mr = ukernel->mr;
  j->nr = ukernel->nr;
  j->groups = groups;
  j->m = m;
  j->n = n;
  j->kc = kc;
  j->ks = ks;
  j->m_tiles = qk_divide_round_up(m, ukernel->mr);
  j->packed = (const uint8_t*) packed;
  j->packed_group_stride = packed_group_stride;
  j->block_bytes = qk_gemm_block_bytes(kc, ks, ukernel->nr, ukernel->kr, ukernel->pack, params->requantization);
  j->c = (uint8_t*) c;
  j->c_stride = c_stride;
  j->params = params;
}

/* Run the (row tile, column tile) tasks of range_i rows x n columns: on the
 * pool, or, with one thread, in a loop here (no per-task index divisions) that
 * walks column chunks of at most QK_GEMM_L2_CHUNK_BYTES of packed weights in
 * the outer loop, so large weight matrices are read from L2 by every row
 * tile instead of from L3. */
static void run_tasks(qk_task_2d_fn task, struct gemm_job* j, size_t row_tiles,
                      size_t threads) {
  const size_t range_i = row_tiles * j->mr;
  if (threads == 0) threads = qk_get_num_threads();
  if (threads > 1 && row_tiles * qk_divide_round_up(j->n, j->nr) > 1) {
    qk_parallelize_2d_tile(task, j, range_i, j->n, j->mr, column_tile(row_tiles, j->n, j->nr, threads), threads);
    return;
  }
  size_t chunk = j->n;
  if (row_tiles > 1 && qk_divide_round_up(j->n, j->nr) * j->block_bytes > QK_GEMM_L2_CHUNK_BYTES)
    chunk = QK_MAX((size_t) 1, QK_GEMM_L2_CHUNK_BYTES / j->block_bytes) * j->nr;
  for (size_t j0 = 0; j0 < j->n; j0 += chunk) {
    const size_t nj = QK_MIN(chunk, j->n - j0);
    for (size_t i0 = 0; i0 < range_i; i0 += j->mr) task(j, i0, j0, j->mr, nj);
  }
}

void qk_run_gemm(const qk_ukernel* ukernel, size_t groups, size_t m, size_t n, size_t kc, const void* a,
                 size_t a_stride, const void* packed, size_t packed_group_stride, void* c, size_t c_stride,
                 const qk_gemm_params* params, size_t threads) {
  if (m == 0 || n == 0 || groups == 0 || ukernel->mr > QK_GEMM_MAX_MR) return;
  struct gemm_job j;
  init_job(&j, ukernel, groups, m, n, kc, 1, packed, packed_group_stride, c, c_stride, params);
  j.a = (const uint8_t*) a;
  j.a_stride = a_stride;
  run_tasks(gemm_task, &j, groups * j.m_tiles, threads);
}

void qk_run_igemm(const qk_ukernel* ukernel, size_t batch, size_t groups, size_t m, size_t n, size_t kc,
                  size_t ks, const void* const* indirection, size_t a_offset, size_t a_batch_stride,
                  const void* zero, const void* packed, size_t packed_group_stride, void* c, size_t c_stride,
                  size_t c_batch_stride, const qk_gemm_params* params, size_t threads) {
  if (batch == 0 || m == 0 || n == 0 || groups == 0) return;
  struct gemm_job j;
  init_job(&j, ukernel, groups, m, n, kc, ks, packed, packed_group_stride, c, c_stride, params);
  j.indirection = indirection;
  j.a_offset = a_offset;
  j.a_batch_stride = a_batch_stride;
  j.zero = zero;
  j.c_batch_stride = c_batch_stride;
  run_tasks(igemm_task, &j, batch * groups * j.m_tiles, threads);
}
