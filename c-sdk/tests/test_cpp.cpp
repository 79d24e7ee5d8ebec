// test_cpp.cpp - the C++ RAII layer: spans end at scope exit (exceptions
// included), nest, move, take every attribute type, and ContextScope
// parents spans on a worker thread.
#include <weft/weft.hpp>
#include <weft/weft_reader.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

static int failures = 0, checks = 0;
#define CHECK(cond)                                                                   \
    do {                                                                              \
        checks++;                                                                     \
        if (!(cond)) {                                                                \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                               \
        }                                                                             \
    } while (0)

struct Seen {
    std::string name;
    weft_abi_span_t fixed;
    std::vector<std::string> items;
};

static void collect(const weft_span_view_t *view, void *clientd) {
    auto *seen = static_cast<std::vector<Seen> *>(clientd);
    Seen s{std::string(view->name, view->name_length), *view->fixed, {}};
    weft_item_cursor_t cursor{};
    weft_item_view_t item;
    while (weft_item_next(view, &cursor, &item)) {
        std::string key(item.key, item.key_length);
        switch (item.tag) {
        case WEFT_ABI_ITEM_ATTR_STRING: s.items.push_back(key + "=" + std::string(item.string_value, item.string_length)); break;
        case WEFT_ABI_ITEM_ATTR_INT64: s.items.push_back(key + "=" + std::to_string(item.int64_value)); break;
        case WEFT_ABI_ITEM_ATTR_BOOL: s.items.push_back(key + (item.bool_value ? "=true" : "=false")); break;
        case WEFT_ABI_ITEM_ATTR_DOUBLE: s.items.push_back(key + "=" + std::to_string(item.double_value)); break;
        default: s.items.push_back(key); break;
        }
    }
    seen->push_back(s);
}

static const Seen *find(const std::vector<Seen> &seen, const char *name) {
    for (const auto &s : seen) {
        if (s.name == name) return &s;
    }
    return nullptr;
}

static bool has(const Seen *s, const std::string &item) {
    if (s == nullptr) return false;
    for (const auto &i : s->items) {
        if (i == item) return true;
    }
    return false;
}

int main() {
    char dir[] = "/dev/shm/weft-test-cpp-XXXXXX";
    if (mkdtemp(dir) == nullptr) return 2;
    setenv("WEFT_SHM_DIR", dir, 1);
    std::vector<Seen> seen;
    {
        weft::Tracer tracer{"weft-test-cpp", "1.0"};
        CHECK(tracer.status() == 0);
        char path[4096];
        CHECK(weft_segment_path(path, sizeof path) > 0);
        static weft_reader_t reader;
        char error[256];
        CHECK(weft_reader_open(&reader, path, error, sizeof error) == 0);

        {
            weft::Span outer{tracer, "outer", WEFT_SPAN_KIND_SERVER};
            outer.set("text", "value").set("sv", std::string_view{"view"}).set("count", 7u).set("neg", -3L)
                .set("ratio", 0.5).set("flag", true);
            CHECK(outer.recording());
            try {
                weft::Span inner{tracer, "throws"};
                inner.status(WEFT_STATUS_ERROR, "about to throw");
                throw std::runtime_error("boom");
            } catch (const std::exception &) {
                // inner ended during unwinding
            }
            {
                weft::Span here{"here"}; // WEFT_TRACER: this executable's scope
                CHECK(here.recording());
            }
            weft::Span moved{tracer, "moved"};
            weft::Span target = std::move(moved);
            CHECK(!moved.recording() && target.recording());

            auto captured = outer.context();
            CHECK(captured.has_value());
            std::thread worker([&] {
                weft::ContextScope scope{*captured};
                CHECK(scope.token() >= 0);
                weft::Span work{tracer, "worker"};
                work.set_errno(EIO);
            });
            worker.join();
        }
        weft_reader_drain(&reader, collect, &seen);
        CHECK(seen.size() == 5);
        CHECK(find(seen, "here") != nullptr);
        const Seen *outer = find(seen, "outer"), *thrown = find(seen, "throws"), *moved = find(seen, "moved"),
                   *worker = find(seen, "worker");
        CHECK(outer && thrown && moved && worker);
        CHECK(has(outer, "text=value") && has(outer, "sv=view") && has(outer, "count=7") && has(outer, "neg=-3") &&
              has(outer, "flag=true") && has(outer, "ratio=0.500000"));
        if (outer && thrown && worker) {
            CHECK(std::memcmp(thrown->fixed.parent_span_id, outer->fixed.ctx.span_id, 8) == 0);
            CHECK(thrown->fixed.status_code == WEFT_STATUS_ERROR);
            CHECK(std::memcmp(worker->fixed.parent_span_id, outer->fixed.ctx.span_id, 8) == 0);
            CHECK(worker->fixed.status_code == WEFT_STATUS_ERROR && has(worker, "error.type=EIO"));
            CHECK(!(moved->fixed.flags & WEFT_ABI_SPAN_ENDED_BY_UNWIND)); // ended by the moved-to object
        }
        CHECK(!weft::current_context().has_value());
        weft_reader_close(&reader);
    }
    char path[4096];
    CHECK(weft_segment_path(path, sizeof path) == -ENOENT); // the Tracer shut Weft down
    rmdir(dir);
    std::printf("cpp: %d passed, %d failed (%d checks)\n", failures == 0 ? 1 : 0, failures == 0 ? 0 : 1, checks);
    return failures == 0 ? 0 : 1;
}
