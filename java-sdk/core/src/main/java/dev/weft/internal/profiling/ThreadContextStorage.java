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
  /** What this thread's record says now (what the last attach or close of this wrapper published). */
  private static final ThreadLocal<Published> PUBLISHED =
      ThreadLocal.withInitial(() -> Published.NONE);

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
    Scope scope = delegate.attach(toAttach);
    if (off || scope == Scope.noop() || isVirtual(Thread.currentThread())) {
      return scope;
    }
    SpanContext now = Span.fromContext(toAttach).getSpanContext();
    Published was = PUBLISHED.get();
    if (was.spanContext == now || (!was.valid && !now.isValid())) {
      return scope; // the span did not change (baggage only, or the same span again)
    }
    Published next = now.isValid() ? new Published(now) : Published.NONE;
    publish(next);
    PUBLISHED.set(next);
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

  private static void publish(Published ids) {
    int rc = ids.valid
        ? WeftJni.publishThreadContext(ids.traceIdHigh, ids.traceIdLow, ids.spanId, ids.flags)
        : WeftJni.clearThreadContext();
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

  /** A span context's ids as libweft takes them, parsed once per change. */
  private static final class Published {
    static final Published NONE = new Published();
    @Nullable final SpanContext spanContext;
    final boolean valid;
    final long traceIdHigh;
    final long traceIdLow;
    final long spanId;
    final int flags;

    private Published() {
      spanContext = null;
      valid = false;
      traceIdHigh = traceIdLow = spanId = 0;
      flags = 0;
    }

    Published(SpanContext spanContext) {
      this.spanContext = spanContext;
      this.valid = true;
      String traceId = spanContext.getTraceId();
      this.traceIdHigh = hexToLong(traceId, 0);
      this.traceIdLow = hexToLong(traceId, 16);
      this.spanId = hexToLong(spanContext.getSpanId(), 0);
      this.flags = spanContext.getTraceFlags().asByte() & 0xff;
    }
  }

  /** Closes the scope, then publishes again the span that was current before it. */
  private static final class RestoringScope implements Scope {
    private final Scope scope;
    private final Published restored;

    RestoringScope(Scope scope, Published restored) {
      this.scope = scope;
      this.restored = restored;
    }

    @Override
    public void close() {
      scope.close();
      if (!off) {
        publish(restored);
        PUBLISHED.set(restored);
      }
    }
  }
}
