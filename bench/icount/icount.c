/*
 * qkernels icount: a qemu-user TCG plugin that counts executed guest
 * instructions, with markers so one guest process can time many regions.
 *
 * Counting: every translated block adds its instruction count to a counter
 * when it executes (an inline add, no callback), so the total is exact and
 * deterministic for a given binary, input and -cpu model.  It is not a cycle
 * count: latency, dual issue and caches are ignored.
 *
 * Markers: the guest calls getpid through syscall(2) with two magic extra
 * arguments (getpid ignores them):  syscall(SYS_getpid, 0x514B4943, label).
 * On such a call the plugin records (label, count of the calling thread so
 * far).  bench/icount_driver.py places markers around R1 and then R2 calls of
 * an operator; (d2 - d1) / (R2 - R1) is the cost of one call with the
 * interpreter's start-up and the loop overhead cancelled out.
 *
 * Output (to out=PATH, default stderr), at exit:
 *     guest_insns N
 *     mark LABEL COUNT        one line per marker, in order
 *
 * Arguments (after the plugin path, comma separated):  out=PATH
 *
 * Builds against the qemu-plugin.h of the installed QEMU: API version 1
 * (QEMU <= 8.2: one global counter) or >= 2 (QEMU 9+: per-vCPU scoreboard).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define QKIC_MAGIC 0x514B4943u /* "QKIC" */
#define MAX_MARKS 65536

static const char *out_path;
static uint64_t mark_label[MAX_MARKS];
static uint64_t mark_count[MAX_MARKS];
static unsigned n_marks;
static int marks_overflowed;

#if QEMU_PLUGIN_VERSION >= 2
static struct qemu_plugin_scoreboard *board;
static qemu_plugin_u64 counter;

static uint64_t count_of(unsigned int vcpu) { return qemu_plugin_u64_get(counter, vcpu); }
static uint64_t count_total(void) { return qemu_plugin_u64_sum(counter); }

static void on_tb_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, counter,
                                                      qemu_plugin_tb_n_insns(tb));
}
#else
/* API 1 has no per-vCPU storage: one counter (exact for a single guest thread,
 * which is how the benchmark driver runs). */
static uint64_t insns;

static uint64_t count_of(unsigned int vcpu) { (void)vcpu; return insns; }
static uint64_t count_total(void) { return insns; }

static void on_tb_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns,
                                             qemu_plugin_tb_n_insns(tb));
}
#endif

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2,
                       uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8)
{
    (void)id; (void)num; (void)a3; (void)a4; (void)a5; (void)a6; (void)a7; (void)a8;
    if ((uint32_t)a1 != QKIC_MAGIC) {
        return;
    }
    if (n_marks < MAX_MARKS) {
        mark_label[n_marks] = a2;
        mark_count[n_marks] = count_of(vcpu);
        n_marks++;
    } else {
        marks_overflowed = 1;
    }
}

static void on_plugin_exit(qemu_plugin_id_t id, void *unused)
{
    (void)id; (void)unused;
    FILE *f = out_path ? fopen(out_path, "w") : NULL;
    if (!f) {
        if (out_path) {
            fprintf(stderr, "icount: cannot write %s, printing here\n", out_path);
        }
        f = stderr;
    }
    fprintf(f, "guest_insns %" PRIu64 "\n", count_total());
    for (unsigned i = 0; i < n_marks; i++) {
        fprintf(f, "mark %" PRIu64 " %" PRIu64 "\n", mark_label[i], mark_count[i]);
    }
    if (marks_overflowed) {
        fprintf(f, "error more than %d markers; the rest were dropped\n", MAX_MARKS);
    }
    if (f != stderr) {
        fclose(f);
    }
#if QEMU_PLUGIN_VERSION >= 2
    qemu_plugin_scoreboard_free(board);
#endif
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            out_path = argv[i] + 4;
        } else {
            fprintf(stderr, "icount: unknown argument '%s' (want out=PATH)\n", argv[i]);
            return -1;
        }
    }
#if QEMU_PLUGIN_VERSION >= 2
    board = qemu_plugin_scoreboard_new(sizeof(uint64_t));
    counter = qemu_plugin_scoreboard_u64(board);
#endif
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_translate);
    qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
    qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
    return 0;
}
