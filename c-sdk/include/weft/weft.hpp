// weft.hpp - C++17 RAII wrappers over weft.h.
//
//   void decode() { weft::Span span{"decode"}; }       // WEFT_TRACER: no init call needed
//
//   static weft::Tracer tracer{"libcodec", "2.1.0"};   // or weft_init / weft_shutdown
//
//   void decode(const Frame &f) {
//       weft::Span span{tracer, "decode", WEFT_SPAN_KIND_INTERNAL};
//       span.set("codec", "h264").set("bytes", int64_t(f.size));
//       if (int rc = run(f); rc != 0) span.set_errno(rc);
//   }                                                  // ended here, also on exceptions
//
// Worker pools: capture weft::current_context() (or span.context()) on the
// submitting thread and open a weft::ContextScope with it on the worker.
// Nothing here throws, allocates or adds cost to the C calls beyond inlining.
#ifndef WEFT_HPP
#define WEFT_HPP

#include "weft/weft.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace weft {

/** The instrumentation scope of a library; initialises Weft for as long as it lives. */
class Tracer {
  public:
    Tracer(const char *scope_name, const char *scope_version = nullptr) noexcept
        : status_(weft_init(scope_name, scope_version, &tracer_)) {}
    ~Tracer() {
        if (status_ == 0) {
            weft_shutdown();
        }
    }
    Tracer(const Tracer &) = delete;
    Tracer &operator=(const Tracer &) = delete;

    /** 0, or the negative errno weft_init returned (weft_last_error() says why). */
    int status() const noexcept { return status_; }
    weft_tracer_t *get() const noexcept { return tracer_; }

  private:
    weft_tracer_t *tracer_ = nullptr;
    int status_;
};

/** A span that ends when it goes out of scope. Setters chain and are no-ops when not recording. */
class Span {
  public:
    /** A span under WEFT_TRACER, the calling library's own tracer: no weft::Tracer (and no init) needed. */
    explicit Span(std::string_view name, weft_span_kind_t kind = WEFT_SPAN_KIND_INTERNAL) noexcept
        : span_(weft_span_begin_n(WEFT_TRACER, name.data(), name.size(), kind)) {}
    Span(const Tracer &tracer, std::string_view name, weft_span_kind_t kind = WEFT_SPAN_KIND_INTERNAL) noexcept
        : span_(weft_span_begin_n(tracer.get(), name.data(), name.size(), kind)) {}
    Span(const Tracer &tracer, std::string_view name, weft_span_kind_t kind, const weft_context_t &parent) noexcept
        : span_(weft_span_begin_with_parent_n(tracer.get(), name.data(), name.size(), kind, &parent)) {}
    ~Span() { end(); }
    Span(const Span &) = delete;
    Span &operator=(const Span &) = delete;
    Span(Span &&other) noexcept : span_(other.span_) { other.span_ = nullptr; }
    Span &operator=(Span &&other) noexcept {
        if (this != &other) {
            end();
            span_ = other.span_;
            other.span_ = nullptr;
        }
        return *this;
    }

    Span &set(std::string_view key, std::string_view value) noexcept {
        weft_span_set_string_n(span_, key.data(), key.size(), value.data(), value.size());
        return *this;
    }
    Span &set(std::string_view key, const char *value) noexcept {
        return value != nullptr ? set(key, std::string_view{value}) : *this;
    }
    Span &set(std::string_view key, bool value) noexcept {
        weft_span_set_bool_n(span_, key.data(), key.size(), value);
        return *this;
    }
    Span &set(std::string_view key, double value) noexcept {
        weft_span_set_double_n(span_, key.data(), key.size(), value);
        return *this;
    }
    /** Any integer type becomes an int64 attribute. */
    template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
    Span &set(std::string_view key, T value) noexcept {
        weft_span_set_int64_n(span_, key.data(), key.size(), static_cast<int64_t>(value));
        return *this;
    }
    Span &event(const char *name, const weft_attr_t *attrs = nullptr, size_t count = 0) noexcept {
        weft_span_add_event(span_, name, attrs, count);
        return *this;
    }
    Span &status(weft_status_code_t code, const char *message = nullptr) noexcept {
        weft_span_set_status(span_, code, message);
        return *this;
    }
    Span &set_errno(int errnum) noexcept {
        weft_span_set_errno(span_, errnum);
        return *this;
    }
    /** End now rather than at the end of the scope. */
    void end() noexcept {
        weft_span_end(span_);
        span_ = nullptr;
    }
    bool recording() const noexcept { return weft_span_is_recording(span_); }
    std::optional<weft_context_t> context() const noexcept {
        weft_context_t ctx;
        if (weft_span_context(span_, &ctx) != 0) {
            return std::nullopt;
        }
        return ctx;
    }
    weft_span_t *get() const noexcept { return span_; }

  private:
    weft_span_t *span_;
};

/** Makes a context the parent of spans begun on this thread while it lives (worker pools, JVM calls). */
class ContextScope {
  public:
    explicit ContextScope(const weft_context_t &ctx) noexcept : token_(weft_context_attach(&ctx)) {}
    ~ContextScope() {
        if (token_ >= 0) {
            weft_context_detach(token_);
        }
    }
    ContextScope(const ContextScope &) = delete;
    ContextScope &operator=(const ContextScope &) = delete;
    /** Whether the context was attached (a negative errno otherwise, from weft_context_attach). */
    int token() const noexcept { return token_; }

  private:
    int token_;
};

/** The context a span begun now on this thread would have as parent. */
inline std::optional<weft_context_t> current_context() noexcept {
    weft_context_t ctx;
    if (weft_current_context(&ctx) != 0) {
        return std::nullopt;
    }
    return ctx;
}

} // namespace weft

#endif // WEFT_HPP
