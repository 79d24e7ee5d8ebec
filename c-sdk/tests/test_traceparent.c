/*
 * test_traceparent.c - W3C traceparent round trips and the rejection of
 * every malformed form, without reading past the given length.
 */
#include "weft_test.h"

static void round_trips(void) {
    const char *text = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    weft_context_t ctx;
    CHECK_EQ(weft_traceparent_parse(text, strlen(text), &ctx), 0);
    CHECK_EQ(ctx.trace_id[0], 0x0a);
    CHECK_EQ(ctx.trace_id[15], 0x9c);
    CHECK_EQ(ctx.span_id[0], 0xb7);
    CHECK_EQ(ctx.trace_flags, 1);
    CHECK_EQ(ctx.is_remote, 1);
    char out[WEFT_TRACEPARENT_LENGTH + 1];
    CHECK_EQ(weft_traceparent_format(&ctx, out, sizeof out), WEFT_TRACEPARENT_LENGTH);
    CHECK(strcmp(out, text) == 0);
    CHECK_EQ(weft_traceparent_format(&ctx, out, sizeof out - 1), -ERANGE);

    const char *unsampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    CHECK_EQ(weft_traceparent_parse(unsampled, strlen(unsampled), &ctx), 0);
    CHECK_EQ(ctx.trace_flags, 0);
    /* a future version may append fields */
    const char *future = "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-ever";
    CHECK_EQ(weft_traceparent_parse(future, strlen(future), &ctx), 0);
    /* the length is honoured: no terminator needed */
    char buffer[80];
    memcpy(buffer, text, 55);
    memset(buffer + 55, 'x', sizeof buffer - 55);
    CHECK_EQ(weft_traceparent_parse(buffer, 55, &ctx), 0);
}

static void malformed_inputs_are_rejected(void) {
    const char *bad[] = {
        "",
        "00",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",     /* no flags */
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-", /* version 00 has exactly 55 chars */
        "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",  /* upper case */
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  /* zero trace id */
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  /* zero span id */
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  /* version ff */
        "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  /* separator */
        "00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331_01",
        "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",  /* not hex */
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333z-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0x",
        "0x-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x", /* later version: extra must start with - */
        " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        weft_context_t ctx;
        memset(&ctx, 0x55, sizeof ctx);
        int rc = weft_traceparent_parse(bad[i], strlen(bad[i]), &ctx);
        if (rc != -EINVAL) {
            fprintf(stderr, "accepted: '%s'\n", bad[i]);
        }
        CHECK_EQ(rc, -EINVAL);
        static const weft_context_t zero = {0};
        CHECK_MEM(&ctx, &zero, sizeof ctx); /* out is zeroed on failure */
    }
    weft_context_t ctx;
    CHECK_EQ(weft_traceparent_parse(NULL, 55, &ctx), -EINVAL);
    CHECK_EQ(weft_traceparent_parse("00", 2, NULL), -EINVAL);
    weft_context_t zero = {0};
    char out[64];
    CHECK_EQ(weft_traceparent_format(&zero, out, sizeof out), -EINVAL);
}

static void random_bytes_never_crash_the_parser(void) {
    uint64_t state = 0x9E3779B97F4A7C15u;
    char buffer[64];
    int accepted = 0;
    for (int i = 0; i < 200000; i++) {
        size_t length = (size_t)(state % 64);
        for (size_t j = 0; j < length; j++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            /* mostly valid characters, so that some inputs get deep into the parser */
            static const char alphabet[] = "0123456789abcdef-0123456789abcdef-Xx";
            buffer[j] = alphabet[state % (sizeof alphabet - 1)];
        }
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        weft_context_t ctx;
        if (weft_traceparent_parse(buffer, length, &ctx) == 0) {
            accepted++;
            /* whatever is accepted re-formats to the same ids and flags */
            char out[WEFT_TRACEPARENT_LENGTH + 1];
            CHECK_EQ(weft_traceparent_format(&ctx, out, sizeof out), WEFT_TRACEPARENT_LENGTH);
            CHECK(memcmp(out + 2, buffer + 2, WEFT_TRACEPARENT_LENGTH - 2) == 0);
        }
    }
    /* A planted valid header inside random noise is found: the loop above did reach the parser's end. */
    memcpy(buffer, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 55);
    weft_context_t ctx;
    CHECK_EQ(weft_traceparent_parse(buffer, 55, &ctx), 0);
    (void)accepted;
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(round_trips),
        TEST_CASE(malformed_inputs_are_rejected),
        TEST_CASE(random_bytes_never_crash_the_parser),
    };
    return weft_test_run("traceparent", cases, sizeof cases / sizeof cases[0]);
}
