/*
 * test_resource.c - the creator's Resource (ABI 1.1 RESOURCE record): what weft_init writes from the
 * environment and the process, and how OTEL_RESOURCE_ATTRIBUTES is parsed (percent-decoding, bad
 * pairs skipped and counted, the precedence of service.name, truncation, the 4096-byte bound),
 * read back through the C reference reader.
 */
#include "weft_test.h"

#include "resource.h"

#include <limits.h>

/** The Resource's attributes, as "key=value" (int64 as decimal), in record order. */
typedef struct decoded {
    int rc;
    uint16_t attr_count, dropped;
    int count;
    char attrs[64][1200];
    uint8_t flags[64];
} decoded_t;

static void decode_view(const weft_resource_view_t *view, decoded_t *out) {
    out->attr_count = view->attr_count;
    out->dropped = view->dropped_attr_count;
    weft_item_cursor_t cursor = {0};
    weft_item_view_t item;
    while (out->count < 64 && weft_resource_item_next(view, &cursor, &item)) {
        char *a = out->attrs[out->count];
        out->flags[out->count] = item.flags;
        if (item.tag == WEFT_ABI_ITEM_ATTR_STRING) {
            snprintf(a, sizeof out->attrs[0], "%.*s=%.*s", item.key_length, item.key, (int)item.string_length,
                     item.string_value);
        } else if (item.tag == WEFT_ABI_ITEM_ATTR_INT64) {
            snprintf(a, sizeof out->attrs[0], "%.*s=%" PRId64, item.key_length, item.key, item.int64_value);
        } else {
            snprintf(a, sizeof out->attrs[0], "%.*s=?", item.key_length, item.key);
        }
        out->count++;
    }
}

/** Encode with `in` (max value length 1024) and decode with the reader's validation. */
static decoded_t encode(const weft_resource_inputs_t *in, uint16_t max_value_length) {
    static uint64_t buffer[WEFT_ABI_RESOURCE_MAX / 8];
    decoded_t out;
    memset(&out, 0, sizeof out);
    uint32_t length = weft_resource_encode((uint8_t *)buffer, sizeof buffer, in, max_value_length);
    CHECK(length >= WEFT_ABI_RESOURCE_FIXED_SIZE && length <= WEFT_ABI_RESOURCE_MAX);
    weft_resource_view_t view;
    out.rc = weft_resource_validate((const uint8_t *)buffer, length, &view);
    CHECK_EQ(out.rc, 0);
    if (out.rc == 0) {
        decode_view(&view, &out);
    }
    return out;
}

static int find(const decoded_t *d, const char *attr) {
    for (int i = 0; i < d->count; i++) {
        if (strcmp(d->attrs[i], attr) == 0) {
            return i;
        }
    }
    fprintf(stderr, "  no attribute %s among %d:", attr, d->count);
    for (int i = 0; i < d->count; i++) {
        fprintf(stderr, " [%s]", d->attrs[i]);
    }
    fprintf(stderr, "\n");
    return -1;
}

static int count_key(const decoded_t *d, const char *key) {
    int n = 0;
    size_t length = strlen(key);
    for (int i = 0; i < d->count; i++) {
        n += strncmp(d->attrs[i], key, length) == 0 && d->attrs[i][length] == '=';
    }
    return n;
}

static const weft_resource_inputs_t base_inputs = {
    .pid = 77, .executable_name = "app", .executable_path = "/usr/bin/app", .host_name = "box"};

static void weft_init_writes_this_process_resource(void) {
    setenv("OTEL_SERVICE_NAME", "billing", 1);
    setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=prod,team=pay%2Cments", 1);
    weft_config_t config = weft_test_config();
    weft_test_start(&config);
    unsetenv("OTEL_SERVICE_NAME");
    unsetenv("OTEL_RESOURCE_ATTRIBUTES");
    weft_reader_t *reader = weft_test_reader();
    const weft_abi_header_t *h = reader->header;
    CHECK_EQ(h->version_minor, 1);
    CHECK_EQ(h->header_size, WEFT_ABI_HEADER_SIZE_V1_1);
    CHECK_EQ(h->resource_offset, WEFT_ABI_RESOURCE_OFFSET);
    CHECK(h->resource_length >= WEFT_ABI_RESOURCE_FIXED_SIZE && h->resource_length <= WEFT_ABI_RESOURCE_MAX);
    weft_resource_view_t view;
    CHECK_EQ(weft_reader_resource(reader, &view), 0);
    CHECK_EQ(reader->counters.corrupt_resource, 0);
    decoded_t d;
    memset(&d, 0, sizeof d);
    decode_view(&view, &d);
    CHECK_EQ(find(&d, "service.name=billing"), 0); /* first, so it always fits */
    CHECK(find(&d, "deployment.environment.name=prod") > 0);
    CHECK(find(&d, "team=pay,ments") > 0);
    char expected[600];
    snprintf(expected, sizeof expected, "process.pid=%d", (int)getpid());
    CHECK(find(&d, expected) > 0);
    char exe[PATH_MAX] = {0};
    CHECK(readlink("/proc/self/exe", exe, sizeof exe - 1) > 0);
    snprintf(expected, sizeof expected, "process.executable.path=%s", exe);
    CHECK(find(&d, expected) > 0);
    snprintf(expected, sizeof expected, "process.executable.name=%s", strrchr(exe, '/') + 1);
    CHECK(find(&d, expected) > 0);
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    snprintf(expected, sizeof expected, "host.name=%s", host);
    CHECK(find(&d, expected) > 0);
    CHECK(find(&d, "telemetry.sdk.name=weft") > 0);
    CHECK(find(&d, "telemetry.sdk.language=cpp") > 0);
    snprintf(expected, sizeof expected, "telemetry.sdk.version=%d.%d.%d", WEFT_VERSION_MAJOR, WEFT_VERSION_MINOR,
             WEFT_VERSION_PATCH);
    CHECK(find(&d, expected) > 0);
    CHECK_EQ(d.count, view.attr_count);
    CHECK_EQ(d.count, 10);
    CHECK_EQ(view.dropped_attr_count, 0);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void service_name_comes_from_the_env_var_then_the_attributes_then_the_executable(void) {
    weft_resource_inputs_t in = base_inputs;
    in.service_name = "from-var";
    in.resource_attributes = "service.name=from-attrs";
    decoded_t d = encode(&in, 1024);
    CHECK_EQ(find(&d, "service.name=from-var"), 0);
    CHECK_EQ(count_key(&d, "service.name"), 1);

    in.service_name = "";
    in.resource_attributes = "service.name=first,service.name=from-attrs";
    d = encode(&in, 1024);
    CHECK_EQ(find(&d, "service.name=from-attrs"), 0); /* the last one wins */
    CHECK_EQ(count_key(&d, "service.name"), 1);

    in.service_name = NULL;
    in.resource_attributes = NULL;
    d = encode(&in, 1024);
    CHECK_EQ(find(&d, "service.name=unknown_service:app"), 0);

    in.executable_name = NULL;
    d = encode(&in, 1024);
    CHECK_EQ(find(&d, "service.name=unknown_service"), 0);
}

static void attributes_are_percent_decoded_and_trimmed(void) {
    weft_resource_inputs_t in = base_inputs;
    in.resource_attributes = " a = 1 ,b=x%20y%2Cz,c=caf%C3%A9,d=100%25,e=a+b,f=,g=x=y ";
    decoded_t d = encode(&in, 1024);
    CHECK(find(&d, "a=1") > 0);
    CHECK(find(&d, "b=x y,z") > 0);
    CHECK(find(&d, "c=caf\xc3\xa9") > 0);
    CHECK(find(&d, "d=100%") > 0);
    CHECK(find(&d, "e=a+b") > 0); /* W3C baggage: '+' is not a space */
    CHECK(find(&d, "f=") > 0);    /* an empty value is a value */
    CHECK(find(&d, "g=x=y") > 0); /* the first '=' splits */
    CHECK_EQ(d.dropped, 0);
}

static void bad_pairs_are_skipped_and_counted(void) {
    weft_resource_inputs_t in = base_inputs;
    /* no '=', an empty key, a short escape, a non-hex escape, a key with a blank, decoded bytes that are
     * not UTF-8, a stray '%' in a key; empty members (",,", a trailing ',') are not pairs and not counted */
    in.resource_attributes = "good=1,novalue,=x,bad=%4,bad2=%zz,two words=1,bad3=%ff%fe,k%ey=1,,ok=2,";
    decoded_t d = encode(&in, 1024);
    CHECK(find(&d, "good=1") > 0);
    CHECK(find(&d, "ok=2") > 0);
    CHECK_EQ(d.dropped, 7);
    CHECK_EQ(count_key(&d, "bad"), 0);
    CHECK_EQ(count_key(&d, "bad2"), 0);
    CHECK_EQ(count_key(&d, "bad3"), 0);
}

static void what_the_user_sets_wins_over_what_weft_detects(void) {
    weft_resource_inputs_t in = base_inputs;
    in.resource_attributes = "host.name=given-host,process.pid=1,telemetry.sdk.language=c";
    decoded_t d = encode(&in, 1024);
    CHECK(find(&d, "host.name=given-host") > 0);
    CHECK_EQ(count_key(&d, "host.name"), 1);
    CHECK(find(&d, "process.pid=1") > 0); /* as the string the user gave */
    CHECK_EQ(count_key(&d, "process.pid"), 1);
    CHECK(find(&d, "telemetry.sdk.language=c") > 0);
    CHECK_EQ(count_key(&d, "telemetry.sdk.language"), 1);
}

static void long_values_are_cut_and_the_record_stays_within_4096_bytes(void) {
    static char attrs[64 * 1024];
    size_t n = 0;
    /* one key over 128 bytes, one value over the limit, then more pairs than fit */
    n += (size_t)snprintf(attrs + n, sizeof attrs - n, "%0200d=k,", 0);
    n += (size_t)snprintf(attrs + n, sizeof attrs - n, "long=");
    memset(attrs + n, 'v', 3000);
    n += 3000;
    for (int i = 0; i < 100; i++) {
        n += (size_t)snprintf(attrs + n, sizeof attrs - n, ",key%02d=%0100d", i, i);
    }
    weft_resource_inputs_t in = base_inputs;
    in.resource_attributes = attrs;
    static uint64_t buffer[WEFT_ABI_RESOURCE_MAX / 8 + 64]; /* more room than it may use */
    memset(buffer, 0xAB, sizeof buffer);
    uint32_t length = weft_resource_encode((uint8_t *)buffer, sizeof buffer, &in, 1024);
    CHECK(length <= WEFT_ABI_RESOURCE_MAX);
    CHECK(((uint8_t *)buffer)[WEFT_ABI_RESOURCE_MAX] == 0xAB); /* nothing written past 4096 bytes */
    weft_resource_view_t view;
    CHECK_EQ(weft_resource_validate((const uint8_t *)buffer, length, &view), 0);
    decoded_t d;
    memset(&d, 0, sizeof d);
    decode_view(&view, &d);
    CHECK(d.count > 2);
    /* the 200-digit key is cut to 128 bytes and flagged */
    int cut_key = -1;
    for (int i = 0; i < d.count; i++) {
        if (strncmp(d.attrs[i], "000", 3) == 0) {
            cut_key = i;
        }
    }
    CHECK(cut_key > 0);
    if (cut_key > 0) {
        CHECK_EQ(strchr(d.attrs[cut_key], '=') - d.attrs[cut_key], WEFT_MAX_KEY_LENGTH);
        CHECK(d.flags[cut_key] & WEFT_ABI_ITEM_TRUNCATED);
    }
    int long_value = -1;
    for (int i = 0; i < d.count; i++) {
        if (strncmp(d.attrs[i], "long=", 5) == 0) {
            long_value = i;
        }
    }
    CHECK(long_value > 0);
    if (long_value > 0) {
        CHECK_EQ(strlen(d.attrs[long_value]), 5 + 1024);
        CHECK(d.flags[long_value] & WEFT_ABI_ITEM_TRUNCATED);
    }
    /* what did not fit was counted: the attributes seen plus those dropped are all of them */
    const int given = 2 + 100, detected = 7;
    CHECK(view.dropped_attr_count > 0);
    CHECK_EQ(view.attr_count + view.dropped_attr_count, 1 + given + detected);
}

static void a_multibyte_character_is_never_split(void) {
    weft_resource_inputs_t in = base_inputs;
    in.service_name = "\xc3\xa9\xc3\xa9\xc3\xa9"; /* 6 bytes, cut at 5: only whole characters stay */
    decoded_t d = encode(&in, 5);
    CHECK_EQ(find(&d, "service.name=\xc3\xa9\xc3\xa9"), 0);
    CHECK(d.flags[0] & WEFT_ABI_ITEM_TRUNCATED);
}

int main(void) {
    unsetenv("OTEL_SERVICE_NAME");
    unsetenv("OTEL_RESOURCE_ATTRIBUTES");
    static const weft_test_case_t cases[] = {
        TEST_CASE(weft_init_writes_this_process_resource),
        TEST_CASE(service_name_comes_from_the_env_var_then_the_attributes_then_the_executable),
        TEST_CASE(attributes_are_percent_decoded_and_trimmed),
        TEST_CASE(bad_pairs_are_skipped_and_counted),
        TEST_CASE(what_the_user_sets_wins_over_what_weft_detects),
        TEST_CASE(long_values_are_cut_and_the_record_stays_within_4096_bytes),
        TEST_CASE(a_multibyte_character_is_never_split),
    };
    return weft_test_run("resource", cases, sizeof cases / sizeof cases[0]);
}
