package dev.weft.internal.profiling;

import dev.weft.internal.jni.WeftJni;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextStorage;
import io.opentelemetry.context.Scope;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * A {@link ContextStorage} wrapper ({@link ContextStorage#addWrapper}) that publishes the current
 * span of each platform thread in the OpenTelemetry thread context (OTEP 4947) whenever it changes:
 * a JNI call to libweft, which writes a record in its thread-local storage (not in the segment)
 * and points {@code otel_thread_ctx_v1} at it while no native span is open on the thread (native
 * spans win while open; they are children of the JVM span anyway when attached by {@code
 * Weft.enterNative}). An attach that does not change the span (baggage only, or the same span
 * again) makes no call.
 *
 * <p>Virtual threads are left out: their context would be written into the TLS of the carrier
 * they happen to run on, and would stay there, wrong, after they unmount (the JDK has no unmount
 * hook outside JVMTI). Samples of a virtual thread are therefore not attributed to its span.
 */
public final class ThreadContextStorage implements ContextStorage {
  private static final Logger logger = Logger.getLogger(ThreadContextStorage.class.getName());
  @Nullable private static final MethodHandle IS_VIRTUAL = isVirtualHandle();
  private static volatile boolean off;
  private static volatile boolean wrapped;

  private final ContextStorage delegate;

  private ThreadContextStorage(ContextStorage delegate) {
    this.delegate = delegate;
  }

  /** The wrapper function for {@link ContextStorage#addWrapper}. */
  public static Function<? super ContextStorage, ? extends ContextStorage> wrapper() {
    return storage -> {
      wrapped = true;
      return new ThreadContextStorage(storage);
    };
  }

  /** Whether the context storage in use was wrapped (false: it was in use before the wrapper). */
  public static boolean isWrapped() {
    return wrapped;
  }

  @Override
  public Scope attach(Context toAttach) {
    Context before = delegate.current();
    Scope scope = delegate.attach(toAttach);
    if (off || scope == Scope.noop() || isVirtual(Thread.currentThread())) {
      return scope;
    }
    SpanContext now = Span.fromContext(toAttach).getSpanContext();
    SpanContext was = before == null ? SpanContext.getInvalid()
        : Span.fromContext(before).getSpanContext();
    if (now == was || now.equals(was)) {
      return scope;
    }
    publish(now);
    return new RestoringScope(scope, was);
  }

  @Override
  @Nullable
  public Context current() {
    return delegate.current();
  }

  @Override
  public Context root() {
    return delegate.root();
  }

  private static void publish(SpanContext spanContext) {
    int rc;
    if (spanContext.isValid()) {
      String traceId = spanContext.getTraceId();
      rc = WeftJni.publishThreadContext(hexToLong(traceId, 0), hexToLong(traceId, 16),
          hexToLong(spanContext.getSpanId(), 0), spanContext.getTraceFlags().asByte() & 0xff);
    } else {
      rc = WeftJni.clearThreadContext();
    }
    if (rc != 0 && !off) {
      off = true;
      logger.log(Level.WARNING, "weft: JVM spans are not published to profilers"
          + " (weft.threadctx.java): " + WeftJni.otelStatusMessage() + " (" + rc + ")");
    }
  }

  private static boolean isVirtual(Thread thread) {
    if (IS_VIRTUAL == null) {
      return false;
    }
    try {
      return (boolean) IS_VIRTUAL.invokeExact(thread);
    } catch (Throwable t) {
      return false;
    }
  }

  @Nullable
  private static MethodHandle isVirtualHandle() {
    try {
      return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
          MethodType.methodType(boolean.class));
    } catch (NoSuchMethodException | IllegalAccessException e) {
      return null; // JDK 17: no virtual threads
    }
  }

  private static long hexToLong(String hex, int offset) {
    long value = 0;
    for (int i = offset; i < offset + 16; i++) {
      char c = hex.charAt(i);
      value = (value << 4) | (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return value;
  }

  /** Closes the scope, then publishes the span that is current again. */
  private static final class RestoringScope implements Scope {
    private final Scope scope;
    private final SpanContext restored;

    RestoringScope(Scope scope, SpanContext restored) {
      this.scope = scope;
      this.restored = restored;
    }

    @Override
    public void close() {
      scope.close();
      if (!off) {
        publish(restored);
      }
    }
  }
}
