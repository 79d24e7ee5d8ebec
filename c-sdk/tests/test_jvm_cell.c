/*
 * test_jvm_cell.c - the JVM's attach by plain stores (jvm_cell.c): the context Weft.enterNative
 * writes into the thread's cell is the parent of native spans begun inside the scope, is attached
 * where an attach at the enter would have put it, and leaves nothing behind after the scope,
 * whether or not the JVM detached. The JVM's side is played here by stores into the cell.
 */
#include "weft_test.h"

#include "context.h"
#include "thread.h"

#include <errno.h>

static const uint64_t HIGH = UINT64_C(0xA0A1A2A3A4A5A6A7), LOW = UINT64_C(0xA8A9AAABACADAEAF),
                      SPAN = UINT64_C(0x1011121314151617);

static weft_test_span_t *find(weft_test_spans_t *spans, const char *name) {
    for (size_t i = 0; i < spans->count; i++) {
        if (strcmp(spans->spans[i].name, name) == 0) {
            return &spans->spans[i];
        }
    }
    return NULL;
}

/** What AttachCell.enter does: the ids, then an odd gen. @return the scope's gen. */
static uint32_t jvm_enter(uint64_t high, uint64_t low, uint64_t span, uint32_t flags) {
    weft_jvm_cell_t *c = (weft_jvm_cell_t *)weft_jvm_cell();
    c->trace_id_high = high;
    c->trace_id_low = low;
    c->span_id = span;
    c->trace_flags = flags;
    weft_signal_fence();
    const uint32_t gen = c->gen + 1u;
    *(volatile uint32_t *)&c->gen = gen;
    return gen;
}

/** What AttachCell.close does: an even gen, then the detach if libweft attached for this scope. */
static int jvm_close(uint32_t gen, bool detach) {
    weft_jvm_cell_t *c = (weft_jvm_cell_t *)weft_jvm_cell();
    *(volatile uint32_t *)&c->gen = gen + 1u;
    weft_signal_fence();
    if (*(volatile uint32_t *)&c->done_gen != gen) {
        return 1; /* nothing was attached: no call */
    }
    return detach && c->result >= 0 ? weft_context_detach(c->result) : c->result;
}

static bool is_child_of(const weft_test_span_t *s, uint64_t span) {
    uint8_t expected[8];
    const uint64_t be = __builtin_bswap64(span);
    memcpy(expected, &be, 8);
    return s != NULL && memcmp(s->fixed.parent_span_id, expected, 8) == 0 && s->fixed.ctx.trace_id[0] == 0xA0 &&
           s->fixed.ctx.trace_id[15] == 0xAF;
}

static bool is_root(const weft_test_span_t *s) {
    static const uint8_t zero[8] = {0};
    return s != NULL && memcmp(s->fixed.parent_span_id, zero, 8) == 0;
}

static void a_scope_that_records_nothing_attaches_nothing(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_span_end(weft_span_begin(tracer, "binds-the-thread", WEFT_SPAN_KIND_INTERNAL));

    uint32_t gen = jvm_enter(HIGH, LOW, SPAN, 1);
    CHECK_EQ(weft_self()->depth, 0u);           /* nothing pushed by the enter itself */
    CHECK_EQ(jvm_close(gen, true), 1);          /* and nothing to detach */
    CHECK_EQ(weft_self()->depth, 0u);
    weft_context_t current;
    CHECK_EQ(weft_current_context(&current), -ENOENT);

    /* the current context inside a scope is the scope's, attached by the look */
    gen = jvm_enter(HIGH, LOW, SPAN, 1);
    CHECK_EQ(weft_current_context(&current), 0);
    CHECK_EQ(current.trace_id[0], 0xA0);
    CHECK_EQ(current.span_id[7], 0x17);
    CHECK_EQ(weft_self()->depth, 1u);
    CHECK_EQ(jvm_close(gen, true), 0);
    CHECK_EQ(weft_self()->depth, 0u);
    CHECK_EQ(weft_current_context(&current), -ENOENT);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void native_spans_inside_a_scope_are_its_children(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    uint32_t gen = jvm_enter(HIGH, LOW, SPAN, 1);
    weft_span_t *child = weft_span_begin(tracer, "child", WEFT_SPAN_KIND_INTERNAL);
    weft_span_t *grandchild = weft_span_begin(tracer, "grandchild", WEFT_SPAN_KIND_INTERNAL);
    weft_span_end(grandchild);
    weft_span_end(child);
    weft_span_record(tracer, "recorded", WEFT_SPAN_KIND_INTERNAL, weft_now_unix_nanos(), weft_now_unix_nanos(),
                     NULL, 0);
    CHECK_EQ(weft_self()->depth, 1u); /* the scope's context */
    CHECK_EQ(jvm_close(gen, true), 0);
    CHECK_EQ(weft_self()->depth, 0u);
    weft_span_end(weft_span_begin(tracer, "after", WEFT_SPAN_KIND_INTERNAL));

    /* a span left open inside the scope is ended by the JVM's detach, as with an attach */
    gen = jvm_enter(HIGH, LOW, SPAN + 1, 1);
    CHECK(weft_span_begin(tracer, "left-open", WEFT_SPAN_KIND_INTERNAL) != NULL);
    CHECK_EQ(jvm_close(gen, true), 0);
    CHECK_EQ(weft_self()->depth, 0u);

    /* an unsampled JVM span: its native children are not recorded */
    gen = jvm_enter(HIGH, LOW, SPAN, 0);
    weft_span_t *quiet = weft_span_begin(tracer, "unsampled", WEFT_SPAN_KIND_INTERNAL);
    CHECK(quiet != NULL && !weft_span_is_recording(quiet));
    weft_span_end(quiet);
    CHECK_EQ(jvm_close(gen, true), 0);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 5);
    weft_test_span_t *c = find(&spans, "child"), *g = find(&spans, "grandchild"), *r = find(&spans, "recorded"),
                     *a = find(&spans, "after"), *l = find(&spans, "left-open");
    CHECK(is_child_of(c, SPAN));
    CHECK(is_child_of(r, SPAN));
    CHECK(g != NULL && c != NULL && memcmp(g->fixed.parent_span_id, c->fixed.ctx.span_id, 8) == 0);
    CHECK(is_root(a));
    CHECK(is_child_of(l, SPAN + 1));
    CHECK(l != NULL && (l->fixed.flags & WEFT_ABI_SPAN_ENDED_BY_UNWIND));
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

/** A scope entered inside a native span (an upcall) goes above it; an attach inside a scope above it. */
static void the_scope_is_attached_where_an_attach_at_the_enter_would_be(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    weft_span_t *outer = weft_span_begin(tracer, "native-outer", WEFT_SPAN_KIND_INTERNAL);
    uint32_t gen = jvm_enter(HIGH, LOW, SPAN, 1); /* a JNI upcall enters a scope */
    /* a nested scope of the JVM (a callback inside the scope) goes through the JNI attach */
    const int nested = weft_context_attach_ids(HIGH, LOW, SPAN + 7, 1);
    CHECK_EQ(nested, 2); /* above native-outer (0) and the scope's context (1) */
    weft_span_end(weft_span_begin(tracer, "under-nested", WEFT_SPAN_KIND_INTERNAL));
    CHECK_EQ(weft_context_detach(nested), 0);
    weft_span_end(weft_span_begin(tracer, "under-scope", WEFT_SPAN_KIND_INTERNAL));
    /* the same context again (a stitched method inside the scope): shared with the scope's */
    const int same = weft_context_attach_ids(HIGH, LOW, SPAN, 1);
    CHECK(same >= 0 && (same & 0x40000000) != 0);
    CHECK_EQ(weft_context_detach(same), 0);
    CHECK_EQ(weft_self()->depth, 2u);
    CHECK_EQ(jvm_close(gen, true), 0);
    CHECK_EQ(weft_self()->depth, 1u);
    weft_span_end(outer);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 3);
    CHECK(is_child_of(find(&spans, "under-nested"), SPAN + 7));
    CHECK(is_child_of(find(&spans, "under-scope"), SPAN));
    CHECK(is_root(find(&spans, "native-outer")));
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

/** A scope closed without the detach (a signal handler attached it between the JVM's two steps). */
static void a_scope_closed_without_its_detach_is_dropped_at_the_next_look(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    uint32_t gen = jvm_enter(HIGH, LOW, SPAN, 1);
    weft_span_end(weft_span_begin(tracer, "inside", WEFT_SPAN_KIND_INTERNAL));
    CHECK_EQ(((weft_jvm_cell_t *)weft_jvm_cell())->done_gen, gen);
    CHECK(jvm_close(gen, false) >= 0); /* no detach */
    CHECK_EQ(weft_self()->depth, 1u);  /* the context is still there... */
    weft_span_end(weft_span_begin(tracer, "after", WEFT_SPAN_KIND_INTERNAL));
    CHECK_EQ(weft_self()->depth, 0u); /* ...until the next begin looked */

    /* and the next scope starts from a clean stack */
    gen = jvm_enter(HIGH, LOW, SPAN + 2, 1);
    weft_span_end(weft_span_begin(tracer, "next-scope", WEFT_SPAN_KIND_INTERNAL));
    CHECK_EQ(jvm_close(gen, true), 0);
    CHECK_EQ(weft_self()->depth, 0u);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 3);
    CHECK(is_child_of(find(&spans, "inside"), SPAN));
    CHECK(is_root(find(&spans, "after")));
    CHECK(is_child_of(find(&spans, "next-scope"), SPAN + 2));
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void a_failed_attach_is_answered_in_the_cell(void) {
    weft_config_t config = weft_test_config();
    config.stack_depth = 2;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    weft_span_t *a = weft_span_begin(tracer, "a", WEFT_SPAN_KIND_INTERNAL);
    weft_span_t *b = weft_span_begin(tracer, "b", WEFT_SPAN_KIND_INTERNAL);
    uint32_t gen = jvm_enter(HIGH, LOW, SPAN, 1);
    CHECK(weft_span_begin(tracer, "too-deep", WEFT_SPAN_KIND_INTERNAL) == NULL);
    CHECK_EQ(jvm_close(gen, true), -ENOSPC); /* the JVM reports it: attach-too-deep */
    weft_span_end(b);
    weft_span_end(a);

    /* invalid ids in the cell: no context, -EINVAL for the JVM */
    gen = jvm_enter(0, 0, SPAN, 1);
    weft_span_end(weft_span_begin(tracer, "zero-trace", WEFT_SPAN_KIND_INTERNAL));
    CHECK_EQ(jvm_close(gen, true), -EINVAL);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 3);
    CHECK(is_root(find(&spans, "zero-trace")));
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

/** Weft restarted inside a scope: the new binding attaches the open scope afresh. */
static void a_new_binding_attaches_an_open_scope_again(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    uint32_t gen = jvm_enter(HIGH, LOW, SPAN, 1);
    weft_span_end(weft_span_begin(tracer, "first-run", WEFT_SPAN_KIND_INTERNAL));
    weft_shutdown();

    tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_span_end(weft_span_begin(tracer, "second-run", WEFT_SPAN_KIND_INTERNAL));
    CHECK_EQ(jvm_close(gen, true), 0); /* the detach of the new binding's context */
    CHECK_EQ(weft_self()->depth, 0u);
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    CHECK(is_child_of(find(&spans, "second-run"), SPAN));
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(a_scope_that_records_nothing_attaches_nothing),
        TEST_CASE(native_spans_inside_a_scope_are_its_children),
        TEST_CASE(the_scope_is_attached_where_an_attach_at_the_enter_would_be),
        TEST_CASE(a_scope_closed_without_its_detach_is_dropped_at_the_next_look),
        TEST_CASE(a_failed_attach_is_answered_in_the_cell),
        TEST_CASE(a_new_binding_attaches_an_open_scope_again),
    };
    return weft_test_run("jvm_cell", cases, sizeof cases / sizeof cases[0]);
}
