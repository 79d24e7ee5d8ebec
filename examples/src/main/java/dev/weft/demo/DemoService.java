package dev.weft.demo;

import dev.weft.Weft;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.nio.charset.StandardCharsets;
import java.util.function.IntPredicate;

/**
 * The demo's "service": each request is a server span with a JVM child, which calls the native
 * codec twice through JNI (inside Weft scopes). The codec calls back into Java on its own thread
 * and on a native worker thread; those callbacks start JVM spans and call native code again.
 *
 * <pre>
 * GET /frames/{id}                 java
 * └─ FrameService.transcode        java
 *    ├─ codec.process              native
 *    │  ├─ codec.parse             native
 *    │  │  └─ codec.parse.header   native
 *    │  ├─ codec.validate          native  (ERROR)
 *    │  ├─ codec.worker.compress   native  (worker thread)
 *    │  │  └─ progress.report      java    (worker thread, attached to the JVM)
 *    │  └─ codec.upcall            native
 *    │     └─ metadata.enrich      java
 *    │        └─ codec.lookup      native
 *    └─ codec.encode               native
 * </pre>
 */
public final class DemoService {
  static final AttributeKey<Long> REQUEST_ID = AttributeKey.longKey("request.id");

  private final Tracer tracer;
  private final NativeCodec.Callbacks callbacks;

  /** A service whose enrich callback fails for the request ids {@code failEnrich} accepts. */
  public DemoService(Tracer tracer, IntPredicate failEnrich) {
    this.tracer = tracer;
    // Wrapped once: every callback from native code runs with the native span as its parent.
    this.callbacks = Weft.wrapUpcalls(NativeCodec.Callbacks.class,
        new JavaCallbacks(tracer, failEnrich));
  }

  public DemoService(Tracer tracer) {
    this(tracer, id -> false);
  }

  /** Handles one request: returns a checksum. */
  @SuppressWarnings("try") // the scope is only closed
  public long handle(int requestId) {
    Span server = tracer.spanBuilder("GET /frames/{id}").setSpanKind(SpanKind.SERVER)
        .setAttribute("http.request.method", "GET")
        .setAttribute("url.path", "/frames/" + requestId)
        .setAttribute(REQUEST_ID, (long) requestId).startSpan();
    try (Scope ignored = server.makeCurrent()) {
      long result = transcode(requestId);
      server.setAttribute("http.response.status_code", 200L);
      return result;
    } catch (RuntimeException e) {
      server.setAttribute("http.response.status_code", 500L);
      server.setStatus(StatusCode.ERROR, e.getMessage());
      throw e;
    } finally {
      server.end();
    }
  }

  @SuppressWarnings("try") // the scope is only closed
  private long transcode(int requestId) {
    Span span = tracer.spanBuilder("FrameService.transcode")
        .setAttribute(REQUEST_ID, (long) requestId).startSpan();
    try (Scope ignored = span.makeCurrent()) {
      byte[] payload = payload(requestId);
      span.setAttribute("payload.bytes", (long) payload.length);
      // Java -> native: the native spans become children of this span.
      long checksum = Weft.call(() -> NativeCodec.process(requestId, payload, callbacks));
      long encoded = Weft.call(() -> NativeCodec.encode(requestId, payload));
      return checksum ^ encoded;
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, e.getMessage());
      throw e;
    } finally {
      span.end();
    }
  }

  static byte[] payload(int requestId) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 64; i++) {
      text.append("frame-").append(requestId).append('-').append(i).append(';');
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The JVM side of the native callbacks. */
  private static final class JavaCallbacks implements NativeCodec.Callbacks {
    private final Tracer tracer;
    private final IntPredicate failEnrich;

    JavaCallbacks(Tracer tracer, IntPredicate failEnrich) {
      this.tracer = tracer;
      this.failEnrich = failEnrich;
    }

    @Override
    @SuppressWarnings("try") // the scope is only closed
    public long enrich(int requestId) {
      // Span.current() is the native codec.upcall span here (Weft.wrapUpcalls).
      Span span = tracer.spanBuilder("metadata.enrich").setAttribute(REQUEST_ID, (long) requestId)
          .startSpan();
      try (Scope ignored = span.makeCurrent()) {
        if (failEnrich.test(requestId)) {
          throw new IllegalStateException("metadata service unavailable for request "
              + requestId);
        }
        // Java -> native again, from inside the upcall.
        long value = Weft.call(() -> NativeCodec.lookup(requestId));
        span.setAttribute("enrich.value", value);
        return value;
      } catch (RuntimeException e) {
        span.recordException(e);
        span.setStatus(StatusCode.ERROR, e.getMessage());
        throw e;
      } finally {
        span.end();
      }
    }

    @Override
    public void workerProgress(int requestId) {
      // On the native worker thread: the parent is its codec.worker.compress span.
      Span span = tracer.spanBuilder("progress.report").setAttribute(REQUEST_ID, (long) requestId)
          .setAttribute("progress.percent", 100L).startSpan();
      span.end();
    }
  }
}
