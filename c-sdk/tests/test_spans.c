/*
 * test_spans.c - what one thread records: fields, attributes of every type,
 * events, status rules, nesting, unwinding, explicit parents, attached
 * contexts, truncation, the OTEP 4947 thread context, sampling.
 */
#include "weft_test.h"

#include <math.h>
#include <pthread.h>

static weft_test_span_t *find(weft_test_spans_t *spans, const char *name) {
    for (size_t i = 0; i < spans->count; i++) {
        if (strcmp(spans->spans[i].name, name) == 0) {
            return &spans->spans[i];
        }
    }
    return NULL;
}

static const weft_item_view_t *find_item(const weft_test_span_t *s, const char *key_prefix, int *index) {
    for (int i = 0; i < s->item_count; i++) {
        if (strncmp(s->strings[i], key_prefix, strlen(key_prefix)) == 0) {
            if (index != NULL) {
                *index = i;
            }
            return &s->items[i];
        }
    }
    return NULL;
}

static void one_span_has_every_field(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    uint64_t before = weft_now_unix_nanos();
    weft_span_t *span = weft_span_begin(tracer, "decode", WEFT_SPAN_KIND_CLIENT);
    CHECK(span != NULL);
    CHECK(weft_span_is_recording(span));
    weft_span_set_string(span, "codec", "h264");
    weft_span_set_int64(span, "frames", -42);
    weft_span_set_double(span, "ratio", 0.25);
    weft_span_set_bool(span, "keyframe", true);
    weft_attr_t event_attrs[] = {WEFT_ATTR_STR("reason", "timeout"), WEFT_ATTR_I64("attempt", 2),
                                 WEFT_ATTR_F64("backoff", 1.5), WEFT_ATTR_BOOL_("last", false)};
    weft_span_add_event(span, "retry", event_attrs, 4);
    weft_span_set_status(span, WEFT_STATUS_ERROR, "decoder failed");
    weft_span_end(span);
    uint64_t after = weft_now_unix_nanos();

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    weft_test_span_t *s = &spans.spans[0];
    CHECK(strcmp(s->name, "decode") == 0);
    CHECK_EQ(s->fixed.kind, WEFT_SPAN_KIND_CLIENT);
    CHECK_EQ(s->fixed.status_code, WEFT_STATUS_ERROR);
    CHECK(s->has_status_message && strcmp(s->status_message, "decoder failed") == 0);
    CHECK_EQ(s->fixed.ctx.trace_flags, 1);
    CHECK_EQ(s->fixed.ctx.valid, 1);
    CHECK(s->fixed.start_unix_nanos >= before && s->fixed.end_unix_nanos <= after);
    CHECK(s->fixed.end_unix_nanos >= s->fixed.start_unix_nanos);
    CHECK_EQ(s->fixed.attr_count, 4);
    CHECK_EQ(s->fixed.event_count, 1);
    CHECK_EQ(s->fixed.dropped_attr_count, 0);
    CHECK_EQ(s->fixed.truncated_count, 0);
    CHECK_EQ(s->fixed.tid, gettid());
    static const uint8_t zero[8] = {0};
    CHECK_MEM(s->fixed.parent_span_id, zero, 8);

    const weft_item_view_t *item = find_item(s, "codec=", NULL);
    CHECK(item != NULL && item->tag == WEFT_ABI_ITEM_ATTR_STRING && !item->in_event);
    int i;
    item = find_item(s, "frames", &i);
    CHECK(item != NULL && item->tag == WEFT_ABI_ITEM_ATTR_INT64 && item->int64_value == -42);
    item = find_item(s, "ratio", NULL);
    CHECK(item != NULL && item->tag == WEFT_ABI_ITEM_ATTR_DOUBLE && item->double_value == 0.25);
    item = find_item(s, "keyframe", NULL);
    CHECK(item != NULL && item->tag == WEFT_ABI_ITEM_ATTR_BOOL && item->bool_value);
    item = find_item(s, "retry", NULL);
    CHECK(item != NULL && item->tag == WEFT_ABI_ITEM_EVENT && item->event_attr_count == 4);
    CHECK(item != NULL && item->event_time_unix_nanos >= s->fixed.start_unix_nanos &&
          item->event_time_unix_nanos <= s->fixed.end_unix_nanos);
    item = find_item(s, "reason=timeout", NULL);
    CHECK(item != NULL && item->in_event);
    item = find_item(s, "attempt", NULL);
    CHECK(item != NULL && item->in_event && item->int64_value == 2);
    item = find_item(s, "backoff", NULL);
    CHECK(item != NULL && item->in_event && item->double_value == 1.5);
    item = find_item(s, "last", NULL);
    CHECK(item != NULL && item->in_event && !item->bool_value);

    weft_stats_t stats;
    CHECK_EQ(weft_get_stats(&stats), 0);
    CHECK_EQ(stats.spans_committed, 1);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    CHECK_EQ(weft_shutdown(), 0);
}

static void status_follows_opentelemetry_rules(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    weft_span_t *a = weft_span_begin(tracer, "ok-is-final", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_status(a, WEFT_STATUS_OK, NULL);
    weft_span_set_status(a, WEFT_STATUS_ERROR, "too late");
    weft_span_end(a);
    weft_span_t *b = weft_span_begin(tracer, "unset-is-ignored", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_status(b, WEFT_STATUS_ERROR, "first");
    weft_span_set_status(b, WEFT_STATUS_UNSET, NULL);
    weft_span_set_status(b, WEFT_STATUS_ERROR, "second");
    weft_span_end(b);
    weft_span_t *c = weft_span_begin(tracer, "errno", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_errno(c, ENOENT);
    weft_span_end(c);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 3);
    weft_test_span_t *s = find(&spans, "ok-is-final");
    CHECK(s != NULL && s->fixed.status_code == WEFT_STATUS_OK && !s->has_status_message);
    s = find(&spans, "unset-is-ignored");
    CHECK(s != NULL && s->fixed.status_code == WEFT_STATUS_ERROR && strcmp(s->status_message, "second") == 0);
    s = find(&spans, "errno");
    CHECK(s != NULL && s->fixed.status_code == WEFT_STATUS_ERROR);
    CHECK(s != NULL && strcmp(s->status_message, strerror(ENOENT)) == 0);
    CHECK(s != NULL && find_item(s, "error.type=ENOENT", NULL) != NULL);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void nested_spans_are_children_and_unwind(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    weft_span_t *outer = weft_span_begin(tracer, "outer", WEFT_SPAN_KIND_SERVER);
    weft_context_t outer_ctx;
    CHECK_EQ(weft_span_context(outer, &outer_ctx), 0);
    weft_span_t *middle = weft_span_begin(tracer, "middle", WEFT_SPAN_KIND_INTERNAL);
    weft_span_t *inner = weft_span_begin(tracer, "inner", WEFT_SPAN_KIND_INTERNAL);
    weft_context_t current;
    CHECK_EQ(weft_current_context(&current), 0);
    weft_context_t inner_ctx;
    weft_span_context(inner, &inner_ctx);
    CHECK_MEM(current.span_id, inner_ctx.span_id, 8);
    /* ending the outer span first ends the two inner ones, flagged */
    weft_span_end(outer);
    CHECK(!weft_span_is_recording(inner));
    weft_span_end(middle); /* already ended: a no-op */
    CHECK_EQ(weft_current_context(&current), -ENOENT);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 3);
    weft_test_span_t *o = find(&spans, "outer"), *m = find(&spans, "middle"), *i = find(&spans, "inner");
    CHECK(o != NULL && m != NULL && i != NULL);
    if (o && m && i) {
        CHECK_MEM(m->fixed.ctx.trace_id, o->fixed.ctx.trace_id, 16);
        CHECK_MEM(i->fixed.ctx.trace_id, o->fixed.ctx.trace_id, 16);
        CHECK_MEM(m->fixed.parent_span_id, o->fixed.ctx.span_id, 8);
        CHECK_MEM(i->fixed.parent_span_id, m->fixed.ctx.span_id, 8);
        CHECK(i->fixed.flags & WEFT_ABI_SPAN_ENDED_BY_UNWIND);
        CHECK(m->fixed.flags & WEFT_ABI_SPAN_ENDED_BY_UNWIND);
        CHECK(!(o->fixed.flags & WEFT_ABI_SPAN_ENDED_BY_UNWIND));
        /* children end before (or when) their parent ends, and start after it */
        CHECK(i->fixed.start_unix_nanos >= m->fixed.start_unix_nanos);
        CHECK(i->fixed.end_unix_nanos <= o->fixed.end_unix_nanos);
        /* ring order: innermost first */
        CHECK(strcmp(spans.spans[0].name, "inner") == 0 && strcmp(spans.spans[2].name, "outer") == 0);
    }
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

/* Another thread's open span, for handles_of_outer_and_foreign_spans. */
typedef struct {
    weft_tracer_t *tracer;
    pthread_barrier_t begun, used;
    weft_span_t *span;
} foreign_span_t;

static void *foreign_span_thread(void *arg) {
    foreign_span_t *f = arg;
    f->span = weft_span_begin(f->tracer, "foreign", WEFT_SPAN_KIND_INTERNAL);
    pthread_barrier_wait(&f->begun);
    pthread_barrier_wait(&f->used); /* the main thread tried its handle */
    weft_span_set_string(f->span, "own", "yes");
    weft_span_end(f->span);
    return NULL;
}

/* The setters and end find the innermost span with one compare; every other handle takes the general
 * check: an outer span of this thread is found (and its end unwinds), another thread's span is not. */
static void handles_of_outer_and_foreign_spans(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    weft_span_t *outer = weft_span_begin(tracer, "outer", WEFT_SPAN_KIND_INTERNAL);
    weft_span_t *inner = weft_span_begin(tracer, "inner", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_string(outer, "where", "outer");
    weft_span_set_int64(outer, "n", 7);
    weft_span_set_double(outer, "d", 0.5);
    weft_span_set_bool(outer, "b", true);
    weft_span_set_string(inner, "where", "inner");

    foreign_span_t f = {.tracer = tracer};
    pthread_barrier_init(&f.begun, NULL, 2);
    pthread_barrier_init(&f.used, NULL, 2);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, foreign_span_thread, &f), 0);
    pthread_barrier_wait(&f.begun);
    CHECK(f.span != NULL);
    weft_span_set_string(f.span, "from", "main"); /* not this thread's span: ignored */
    weft_span_set_int64(f.span, "from", 1);
    weft_span_end(f.span);
    CHECK(!weft_span_is_recording(f.span)); /* not ours */
    weft_span_end(outer); /* ends inner too, by unwinding */
    weft_span_set_string(f.span, "from", "main, at depth 0");
    weft_span_end(f.span);
    pthread_barrier_wait(&f.used);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    pthread_barrier_destroy(&f.begun);
    pthread_barrier_destroy(&f.used);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 3);
    weft_test_span_t *o = find(&spans, "outer"), *i = find(&spans, "inner"), *x = find(&spans, "foreign");
    CHECK(o != NULL && i != NULL && x != NULL);
    if (o != NULL && i != NULL && x != NULL) {
        CHECK_EQ(o->fixed.attr_count, 4);
        CHECK(find_item(o, "where=outer", NULL) != NULL && find_item(o, "n", NULL) != NULL);
        const weft_item_view_t *d = find_item(o, "d", NULL), *b = find_item(o, "b", NULL);
        CHECK(d != NULL && d->tag == WEFT_ABI_ITEM_ATTR_DOUBLE && d->double_value == 0.5);
        CHECK(b != NULL && b->tag == WEFT_ABI_ITEM_ATTR_BOOL && b->bool_value);
        CHECK_EQ(i->fixed.attr_count, 1);
        CHECK(find_item(i, "where=inner", NULL) != NULL);
        CHECK(i->fixed.flags & WEFT_ABI_SPAN_ENDED_BY_UNWIND);
        CHECK(!(o->fixed.flags & WEFT_ABI_SPAN_ENDED_BY_UNWIND));
        CHECK_EQ(x->fixed.attr_count, 1); /* only its own thread's */
        CHECK(find_item(x, "own=yes", NULL) != NULL && find_item(x, "from", NULL) == NULL);
        CHECK(!(x->fixed.flags & WEFT_ABI_SPAN_ENDED_BY_UNWIND));
    }
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void explicit_parent_and_end_time(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    weft_context_t parent;
    CHECK_EQ(weft_traceparent_parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 55, &parent), 0);
    weft_span_t *span = weft_span_begin_with_parent(tracer, "child-of-remote", WEFT_SPAN_KIND_SERVER, &parent);
    uint64_t start_floor = weft_now_unix_nanos();
    weft_span_end_at(span, 1); /* before the start: clamped to a zero duration */
    weft_span_t *root = weft_span_begin_with_parent(tracer, "new-root", WEFT_SPAN_KIND_INTERNAL, NULL);
    weft_span_end_at(root, start_floor + 1000000000u);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 2);
    weft_test_span_t *c = find(&spans, "child-of-remote"), *r = find(&spans, "new-root");
    CHECK(c != NULL && r != NULL);
    if (c && r) {
        CHECK_MEM(c->fixed.ctx.trace_id, parent.trace_id, 16);
        CHECK_MEM(c->fixed.parent_span_id, parent.span_id, 8);
        CHECK(c->fixed.flags & WEFT_ABI_SPAN_PARENT_REMOTE);
        CHECK_EQ(c->fixed.end_unix_nanos, c->fixed.start_unix_nanos);
        static const uint8_t zero[8] = {0};
        CHECK_MEM(r->fixed.parent_span_id, zero, 8);
        CHECK(memcmp(r->fixed.ctx.trace_id, parent.trace_id, 16) != 0);
        CHECK_EQ(r->fixed.end_unix_nanos, start_floor + 1000000000u);
    }
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

/** The ids form the JVM uses, and attaching the innermost context again (a stitched native method
 * inside an enterNative scope of the same span): shared, not pushed twice. */
static void attaching_the_innermost_context_again_shares_it(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    const uint64_t high = UINT64_C(0xA0A1A2A3A4A5A6A7), low = UINT64_C(0xA8A9AAABACADAEAF),
                   span = UINT64_C(0x1011121314151617);
    const int outer = weft_context_attach_ids(high, low, span, 1);
    CHECK_EQ(outer, 0);
    weft_context_t current;
    CHECK_EQ(weft_current_context(&current), 0);
    CHECK_EQ(current.trace_id[0], 0xA0); /* big-endian: the hex form's order */
    CHECK_EQ(current.trace_id[15], 0xAF);
    CHECK_EQ(current.span_id[7], 0x17);
    const int again = weft_context_attach_ids(high, low, span, 1);
    CHECK(again >= 0 && again != outer);
    weft_span_t *left_open = weft_span_begin(tracer, "left-open", WEFT_SPAN_KIND_INTERNAL);
    CHECK(left_open != NULL);
    CHECK_EQ(weft_context_detach(again), 0); /* ends the span above it, keeps the context */
    CHECK_EQ(weft_current_context(&current), 0);
    CHECK_EQ(current.span_id[7], 0x17);
    weft_span_t *after = weft_span_begin(tracer, "after-inner-detach", WEFT_SPAN_KIND_INTERNAL);
    weft_span_end(after);
    /* another span or other flags: a real push */
    const int other = weft_context_attach_ids(high, low, span + 1, 1);
    CHECK_EQ(other, 1);
    CHECK_EQ(weft_context_detach(other), 0);
    const int unsampled = weft_context_attach_ids(high, low, span, 0);
    CHECK_EQ(unsampled, 1);
    CHECK_EQ(weft_context_detach(unsampled), 0);
    CHECK_EQ(weft_context_detach(outer), 0);
    CHECK_EQ(weft_current_context(&current), -ENOENT);
    CHECK_EQ(weft_context_attach_ids(0, 0, span, 1), -EINVAL);
    CHECK_EQ(weft_context_attach_ids(high, low, 0, 1), -EINVAL);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 2);
    weft_test_span_t *l = find(&spans, "left-open"), *a = find(&spans, "after-inner-detach");
    CHECK(l != NULL && a != NULL);
    if (l != NULL && a != NULL) {
        CHECK(l->fixed.flags & WEFT_ABI_SPAN_ENDED_BY_UNWIND);
        CHECK_EQ(l->fixed.parent_span_id[7], 0x17);
        CHECK_EQ(a->fixed.parent_span_id[7], 0x17);
        CHECK_EQ(a->fixed.ctx.trace_id[0], 0xA0);
    }
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void attached_context_is_the_parent_and_detach_unwinds(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    weft_context_t jvm = {.trace_flags = 1};
    for (int i = 0; i < 16; i++) {
        jvm.trace_id[i] = (uint8_t)(0xA0 + i);
    }
    for (int i = 0; i < 8; i++) {
        jvm.span_id[i] = (uint8_t)(0x10 + i);
    }
    weft_span_t *outer = weft_span_begin(tracer, "native-outer", WEFT_SPAN_KIND_INTERNAL);
    int token = weft_context_attach(&jvm); /* e.g. an upcall's Java span, then a call back into native */
    CHECK(token >= 0);
    weft_span_t *inner = weft_span_begin(tracer, "native-inner", WEFT_SPAN_KIND_INTERNAL);
    (void)inner; /* never ended: the exception path */
    CHECK_EQ(weft_context_detach(token), 0);
    CHECK_EQ(weft_context_detach(token), -EINVAL); /* already detached */
    weft_span_end(outer);

    weft_context_t unsampled = jvm;
    unsampled.trace_flags = 0;
    token = weft_context_attach(&unsampled);
    weft_span_t *quiet = weft_span_begin(tracer, "under-unsampled", WEFT_SPAN_KIND_INTERNAL);
    CHECK(quiet != NULL && !weft_span_is_recording(quiet));
    weft_span_set_string(quiet, "ignored", "yes");
    weft_span_end(quiet);
    weft_context_detach(token);
    CHECK_EQ(weft_context_attach(NULL), -EINVAL);
    weft_context_t zero = {0};
    CHECK_EQ(weft_context_attach(&zero), -EINVAL);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 2);
    weft_test_span_t *o = find(&spans, "native-outer"), *i = find(&spans, "native-inner");
    CHECK(o != NULL && i != NULL);
    if (o && i) {
        CHECK_MEM(i->fixed.ctx.trace_id, jvm.trace_id, 16);
        CHECK_MEM(i->fixed.parent_span_id, jvm.span_id, 8);
        CHECK(!(i->fixed.flags & WEFT_ABI_SPAN_PARENT_REMOTE));
        CHECK(i->fixed.flags & WEFT_ABI_SPAN_ENDED_BY_UNWIND);
        CHECK(!(o->fixed.flags & WEFT_ABI_SPAN_ENDED_BY_UNWIND));
    }
    weft_stats_t stats;
    weft_get_stats(&stats);
    CHECK_EQ(stats.spans_committed, 2); /* the unsampled span was not recorded */
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void long_strings_are_cut_at_character_boundaries(void) {
    weft_config_t config = weft_test_config();
    config.max_value_length = 10;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    char name[400];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    weft_span_t *span = weft_span_begin(tracer, name, WEFT_SPAN_KIND_INTERNAL);
    /* "aaaaaaaaa" + "é" (2 bytes) = 11 bytes; a cut at 10 would split the é */
    weft_span_set_string(span, "text", "aaaaaaaaa\xc3\xa9");
    char key[200];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    weft_span_set_int64(span, key, 7);
    weft_span_set_string(span, "exact", "0123456789");
    weft_span_end(span);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    weft_test_span_t *s = &spans.spans[0];
    CHECK_EQ(strlen(s->name), 256);
    CHECK(s->fixed.flags & WEFT_ABI_SPAN_NAME_TRUNCATED);
    int i;
    const weft_item_view_t *text = find_item(s, "text=", &i);
    CHECK(text != NULL && strcmp(s->strings[i], "text=aaaaaaaaa") == 0 && (text->flags & WEFT_ABI_ITEM_TRUNCATED));
    const weft_item_view_t *k = find_item(s, "kkkk", &i);
    CHECK(k != NULL && strlen(s->strings[i]) == 128 && (k->flags & WEFT_ABI_ITEM_TRUNCATED));
    const weft_item_view_t *exact = find_item(s, "exact=", &i);
    CHECK(exact != NULL && !(exact->flags & WEFT_ABI_ITEM_TRUNCATED) && strcmp(s->strings[i], "exact=0123456789") == 0);
    CHECK_EQ(s->fixed.truncated_count, 3);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void a_full_frame_drops_and_counts_attributes(void) {
    weft_config_t config = weft_test_config();
    config.frame_size = 512;
    config.ring_size = 4096;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    weft_span_t *span = weft_span_begin(tracer, "busy", WEFT_SPAN_KIND_INTERNAL);
    int stored = 0;
    for (int i = 0; i < 100; i++) {
        weft_span_set_int64(span, "attribute.key", i); /* 6 + 13 + 8 = 27 bytes each */
    }
    weft_span_add_event(span, "too-late", NULL, 0);
    weft_span_set_status(span, WEFT_STATUS_ERROR, "this message does not fit at all in what is left");
    weft_span_end(span);
    stored = (512 - 80 - 2 - 4) / 27;

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    weft_test_span_t *s = &spans.spans[0];
    CHECK_EQ(s->fixed.attr_count, stored);
    CHECK_EQ(s->fixed.dropped_attr_count, 100 - stored);
    CHECK_EQ(s->fixed.dropped_event_count, 1);
    CHECK_EQ(s->fixed.status_code, WEFT_STATUS_ERROR);
    CHECK(s->fixed.header.length <= 512);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void otel_thread_ctx_points_at_the_current_span(void) {
    extern __thread weft_abi_thread_ctx_t *otel_thread_ctx_v1;
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);

    CHECK(otel_thread_ctx_v1 == NULL);
    weft_span_t *a = weft_span_begin(tracer, "a", WEFT_SPAN_KIND_INTERNAL);
    weft_context_t ctx;
    weft_span_context(a, &ctx);
    CHECK(otel_thread_ctx_v1 != NULL);
    if (otel_thread_ctx_v1 != NULL) {
        CHECK_MEM(otel_thread_ctx_v1->trace_id, ctx.trace_id, 16);
        CHECK_MEM(otel_thread_ctx_v1->span_id, ctx.span_id, 8);
        CHECK_EQ(otel_thread_ctx_v1->valid, 1);
        CHECK_EQ(otel_thread_ctx_v1->trace_flags, 1);
        CHECK_EQ(otel_thread_ctx_v1->attrs_size, 0);
        CHECK_EQ((uintptr_t)otel_thread_ctx_v1 % 2, 0);
    }
    weft_span_t *b = weft_span_begin(tracer, "b", WEFT_SPAN_KIND_INTERNAL);
    weft_context_t bctx;
    weft_span_context(b, &bctx);
    CHECK(otel_thread_ctx_v1 != NULL && memcmp(otel_thread_ctx_v1->span_id, bctx.span_id, 8) == 0);
    weft_span_end(b);
    CHECK(otel_thread_ctx_v1 != NULL && memcmp(otel_thread_ctx_v1->span_id, ctx.span_id, 8) == 0);
    weft_span_end(a);
    CHECK(otel_thread_ctx_v1 == NULL);
    weft_shutdown();

    config.otel_thread_ctx = false;
    tracer = weft_test_start(&config);
    a = weft_span_begin(tracer, "a", WEFT_SPAN_KIND_INTERNAL);
    CHECK(otel_thread_ctx_v1 == NULL);
    weft_span_end(a);
    weft_shutdown();
}

static void samplers_decide_roots_and_follow_parents(void) {
    weft_config_t config = weft_test_config();
    config.sampler = WEFT_SAMPLER_PARENTBASED_ALWAYS_OFF;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_span_t *root = weft_span_begin(tracer, "root", WEFT_SPAN_KIND_INTERNAL);
    CHECK(root != NULL && !weft_span_is_recording(root));
    weft_span_t *child = weft_span_begin(tracer, "child", WEFT_SPAN_KIND_INTERNAL);
    CHECK(!weft_span_is_recording(child));
    weft_context_t root_ctx, child_ctx;
    weft_span_context(root, &root_ctx);
    weft_span_context(child, &child_ctx);
    CHECK_MEM(root_ctx.trace_id, child_ctx.trace_id, 16); /* ids still propagate */
    CHECK_EQ(child_ctx.trace_flags, 0);
    weft_span_end(child);
    weft_span_end(root);
    weft_context_t sampled_parent;
    weft_traceparent_parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 55, &sampled_parent);
    weft_span_t *kept = weft_span_begin_with_parent(tracer, "kept", WEFT_SPAN_KIND_INTERNAL, &sampled_parent);
    CHECK(weft_span_is_recording(kept));
    weft_span_end(kept);
    weft_stats_t stats;
    weft_get_stats(&stats);
    CHECK_EQ(stats.spans_committed, 1);
    weft_shutdown();

    /* traceidratio: the decision is the OpenTelemetry Java SDK's rule on the trace id's low 64 bits */
    config.sampler = WEFT_SAMPLER_TRACEIDRATIO;
    config.sampler_ratio = 0.25;
    tracer = weft_test_start(&config);
    int recorded = 0, agree = 0;
    const int n = 4000;
    for (int i = 0; i < n; i++) {
        weft_span_t *s = weft_span_begin(tracer, "r", WEFT_SPAN_KIND_INTERNAL);
        weft_context_t ctx;
        weft_span_context(s, &ctx);
        int64_t low = 0;
        for (int b = 8; b < 16; b++) {
            low = (int64_t)((uint64_t)low << 8 | ctx.trace_id[b]);
        }
        uint64_t magnitude = low < 0 ? (uint64_t)0 - (uint64_t)low : (uint64_t)low;
        bool expected = magnitude < (uint64_t)(0.25 * (double)INT64_MAX);
        recorded += weft_span_is_recording(s);
        agree += weft_span_is_recording(s) == expected;
        weft_span_end(s);
    }
    CHECK_EQ(agree, n);
    CHECK(recorded > n / 8 && recorded < n / 2); /* 0.25 of 4000, with room for chance */
    weft_shutdown();

    config.sampler = WEFT_SAMPLER_ALWAYS_OFF;
    tracer = weft_test_start(&config);
    kept = weft_span_begin_with_parent(tracer, "ignores-parent", WEFT_SPAN_KIND_INTERNAL, &sampled_parent);
    CHECK(!weft_span_is_recording(kept));
    weft_span_end(kept);
    weft_shutdown();

    /* always_on records a child of an unsampled parent; parentbased_traceidratio follows the parent
     * whatever the ratio, and applies the ratio to roots only */
    weft_context_t unsampled_parent = sampled_parent;
    unsampled_parent.trace_flags = 0;
    config.sampler = WEFT_SAMPLER_ALWAYS_ON;
    tracer = weft_test_start(&config);
    kept = weft_span_begin_with_parent(tracer, "ignores-unsampled-parent", WEFT_SPAN_KIND_INTERNAL, &unsampled_parent);
    CHECK(weft_span_is_recording(kept));
    weft_span_end(kept);
    weft_shutdown();
    config.sampler = WEFT_SAMPLER_PARENTBASED_TRACEIDRATIO;
    config.sampler_ratio = 0.0;
    tracer = weft_test_start(&config);
    root = weft_span_begin(tracer, "ratio-0-root", WEFT_SPAN_KIND_INTERNAL);
    CHECK(root != NULL && !weft_span_is_recording(root));
    weft_span_end(root);
    kept = weft_span_begin_with_parent(tracer, "follows-sampled-parent", WEFT_SPAN_KIND_INTERNAL, &sampled_parent);
    CHECK(weft_span_is_recording(kept));
    child = weft_span_begin(tracer, "child-of-sampled", WEFT_SPAN_KIND_INTERNAL);
    CHECK(weft_span_is_recording(child));
    weft_span_end(child);
    weft_span_end(kept);
    kept = weft_span_begin_with_parent(tracer, "follows-unsampled-parent", WEFT_SPAN_KIND_INTERNAL, &unsampled_parent);
    CHECK(kept != NULL && !weft_span_is_recording(kept));
    weft_span_end(kept);
    weft_shutdown();
}

static void traceparent_from_the_environment_parents_roots(void) {
    setenv("TRACEPARENT", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 1);
    weft_config_t config = weft_test_config();
    unsetenv("TRACEPARENT");
    CHECK(config.has_env_parent);
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_context_t current;
    CHECK_EQ(weft_current_context(&current), 0);
    CHECK_EQ(current.is_remote, 1);
    weft_span_end(weft_span_begin(tracer, "launched", WEFT_SPAN_KIND_SERVER));
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    static const uint8_t parent[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
    CHECK_MEM(spans.spans[0].fixed.parent_span_id, parent, 8);
    CHECK(spans.spans[0].fixed.flags & WEFT_ABI_SPAN_PARENT_REMOTE);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();

    /* an unsampled TRACEPARENT: roots are its unsampled children */
    setenv("TRACEPARENT", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", 1);
    config = weft_test_config();
    unsetenv("TRACEPARENT");
    tracer = weft_test_start(&config);
    weft_span_t *quiet = weft_span_begin(tracer, "launched-unsampled", WEFT_SPAN_KIND_SERVER);
    CHECK(quiet != NULL && !weft_span_is_recording(quiet));
    weft_span_end(quiet);
    weft_shutdown();

    setenv("TRACEPARENT", "00-not-a-valid-header", 1);
    config = weft_test_config();
    unsetenv("TRACEPARENT");
    CHECK(!config.has_env_parent);
}

static void null_and_stale_handles_are_no_ops(void) {
    weft_span_set_string(NULL, "k", "v");
    weft_span_set_int64(NULL, "k", 1);
    weft_span_add_event(NULL, "e", NULL, 0);
    weft_span_set_status(NULL, WEFT_STATUS_ERROR, "x");
    weft_span_end(NULL);
    CHECK(!weft_span_is_recording(NULL));
    CHECK(weft_span_begin(NULL, "no tracer", WEFT_SPAN_KIND_INTERNAL) == NULL);

    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_span_t *span = weft_span_begin(tracer, "outlives-shutdown", WEFT_SPAN_KIND_INTERNAL);
    CHECK_EQ(weft_shutdown(), 0);
    weft_span_set_string(span, "after", "shutdown"); /* stale: ignored, never a fault */
    weft_span_end(span);
    CHECK(weft_span_begin(tracer, "after-shutdown", WEFT_SPAN_KIND_INTERNAL) == NULL);
    CHECK_EQ(weft_shutdown(), -EINVAL);
}

static void disabled_records_nothing(void) {
    weft_config_t config = weft_test_config();
    config.enabled = false;
    weft_tracer_t *tracer = NULL;
    CHECK_EQ(weft_init_with_config(&config, "weft-test", "1", &tracer), -ECANCELED);
    CHECK(tracer != NULL);
    CHECK(weft_span_begin(tracer, "nothing", WEFT_SPAN_KIND_INTERNAL) == NULL);
    char path[64];
    CHECK_EQ(weft_segment_path(path, sizeof path), -ENOENT);
}

static void bad_configuration_is_rejected(void) {
    weft_tracer_t *tracer;
    weft_config_t config = weft_test_config();
    config.ring_size = 100000; /* not a power of two */
    CHECK_EQ(weft_init_with_config(&config, "weft-test", "1", &tracer), -EINVAL);
    CHECK(strstr(weft_last_error(), "ring_size") != NULL);
    config = weft_test_config();
    config.frame_size = 1000;
    CHECK_EQ(weft_init_with_config(&config, "weft-test", "1", &tracer), -EINVAL);
    config = weft_test_config();
    CHECK_EQ(weft_init_with_config(&config, "", "1", &tracer), -EINVAL);

    setenv("WEFT_RING_SIZE", "lots", 1);
    CHECK_EQ(weft_config_from_env(&config), -EINVAL);
    CHECK(strstr(weft_last_error(), "WEFT_RING_SIZE") != NULL);
    setenv("WEFT_RING_SIZE", "512k", 1);
    CHECK_EQ(weft_config_from_env(&config), 0);
    CHECK_EQ(config.ring_size, 512 * 1024);
    unsetenv("WEFT_RING_SIZE");
    setenv("WEFT_SHM_NAME", "../escape", 1);
    CHECK_EQ(weft_config_from_env(&config), -EINVAL);
    unsetenv("WEFT_SHM_NAME");
    setenv("OTEL_TRACES_SAMPLER", "jaeger_remote", 1);
    CHECK_EQ(weft_config_from_env(&config), -EINVAL);
    setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio", 1);
    setenv("OTEL_TRACES_SAMPLER_ARG", "1.5", 1);
    CHECK_EQ(weft_config_from_env(&config), -EINVAL);
    setenv("OTEL_TRACES_SAMPLER_ARG", "0.1", 1);
    CHECK_EQ(weft_config_from_env(&config), 0);
    CHECK_EQ(config.sampler, WEFT_SAMPLER_PARENTBASED_TRACEIDRATIO);
    CHECK(fabs(config.sampler_ratio - 0.1) < 1e-12);
    unsetenv("OTEL_TRACES_SAMPLER");
    unsetenv("OTEL_TRACES_SAMPLER_ARG");
    setenv("WEFT_SEGMENT_SIZE", "8m", 1);
    CHECK_EQ(weft_config_from_env(&config), 0);
    CHECK(config.max_threads >= 1 && config.max_threads < 64);
    unsetenv("WEFT_SEGMENT_SIZE");
}

static void scopes_are_published_and_shared(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *a = weft_test_start(&config);
    weft_tracer_t *b = NULL, *a_again = NULL;
    CHECK_EQ(weft_init_with_config(&config, "libother", "2.0", &b), 0);
    CHECK_EQ(weft_init_with_config(&config, "weft-test", "1.0.0", &a_again), 0);
    CHECK(a == a_again && a != b);
    weft_reader_t *reader = weft_test_reader();
    weft_span_end(weft_span_begin(b, "from-other", WEFT_SPAN_KIND_INTERNAL));
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    const weft_abi_header_t *h = reader->header;
    uint16_t index = spans.spans[0].fixed.scope_index;
    CHECK(index < h->scope_count);
    CHECK(h->scopes[index].name_length == 8 && memcmp(h->scopes[index].name, "libother", 8) == 0);
    CHECK(h->scopes[index].version_length == 3 && memcmp(h->scopes[index].version, "2.0", 3) == 0);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    CHECK_EQ(weft_shutdown(), 0);
    CHECK_EQ(weft_shutdown(), 0);
    char path[4096];
    CHECK(weft_segment_path(path, sizeof path) > 0); /* still one reference */
    CHECK_EQ(weft_shutdown(), 0);
    CHECK(access(path, F_OK) != 0); /* the last shutdown removed the file */
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(one_span_has_every_field),
        TEST_CASE(status_follows_opentelemetry_rules),
        TEST_CASE(nested_spans_are_children_and_unwind),
        TEST_CASE(handles_of_outer_and_foreign_spans),
        TEST_CASE(explicit_parent_and_end_time),
        TEST_CASE(attached_context_is_the_parent_and_detach_unwinds),
        TEST_CASE(attaching_the_innermost_context_again_shares_it),
        TEST_CASE(long_strings_are_cut_at_character_boundaries),
        TEST_CASE(a_full_frame_drops_and_counts_attributes),
        TEST_CASE(otel_thread_ctx_points_at_the_current_span),
        TEST_CASE(samplers_decide_roots_and_follow_parents),
        TEST_CASE(traceparent_from_the_environment_parents_roots),
        TEST_CASE(null_and_stale_handles_are_no_ops),
        TEST_CASE(disabled_records_nothing),
        TEST_CASE(bad_configuration_is_rejected),
        TEST_CASE(scopes_are_published_and_shared),
    };
    return weft_test_run("spans", cases, sizeof cases / sizeof cases[0]);
}
