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
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * A {@link ContextStorage} wrapper ({@link ContextStorage#addWrapper}) that publishes the current
 * span of each platform thread in the OpenTelemetry thread context (OTEP 4947) whenever it changes:
 * it writes the thread's record in libweft's thread-local storage (not in the segment) through a
 * direct buffer libweft gave the thread once ({@code WeftJni.threadContextRecord}; no JNI call per
 * change); libweft points {@code otel_thread_ctx_v1} at it while no native span is open (native
 * spans win while open; they are children of the JVM span anyway when attached by {@code
 * Weft.enterNative}). An attach that does not change the span (baggage only, or the same span
 * again) makes no call.
 *
 * <p>Each change also reads libweft's process-wide switch ({@code weft_thread_context_switch}, a
 * word in a direct buffer, read with an opaque load): once libweft has yielded the thread context
 * to another writer of {@code otel_thread_ctx_v1} loaded after it started, the thread stops
 * writing and withdraws its record at its next change (valid = 0, then libweft clears the
 * pointer: a reader that stops the thread in between sees a record to ignore, never a torn one).
 *
 * <p>An attach that changes the span returns a scope of its own around the delegate's, which
 * writes back the span current before when it closes; an attach that does not returns the
 * delegate's. The wrapper scope is allocated (the JIT does not scalar-replace it, nor then the
 * delegate's: docs/benchmarks.md "Profilers"); a scope reused per thread would avoid that, but
 * a second {@code close()} of a stale scope after a new attach would then close the new one.
 *
 * <p>Virtual threads are left out: their context would be written into the TLS of the carrier
 * they happen to run on, and would stay there, wrong, after they unmount (the JDK has no unmount
 * hook outside JVMTI). Samples of a virtual thread are therefore not attributed to its span.
 */
public final class ThreadContextStorage implements ContextStorage {
  private static final Logger logger = Logger.getLogger(ThreadContextStorage.class.getName());
  @Nullable private static final MethodHandle IS_VIRTUAL = isVirtualHandle();
  /** Nothing is published from this loader: libweft said so before handing out any record. */
  private static volatile boolean off;
  /** A record was handed out in this loader (so a later "off" is a yield, withdrawn per thread). */
  private static volatile boolean handedOut;
  /** libweft yielded after records were handed out: threads withdraw theirs at their next change. */
  private static volatile boolean yielded;
  private static volatile boolean logged;
  private static volatile boolean wrapped;
  @Nullable private static volatile VarHandle hookRecords;
  @Nullable private static volatile VarHandle hookOff;
  @Nullable private static volatile VarHandle hookSwitch;
  private static final ThreadLocal<PerThread> PER_THREAD = ThreadLocal.withInitial(PerThread::new);
  private static final byte[] HEX = new byte[128];

  static {
    java.util.Arrays.fill(HEX, (byte) 0);
    for (int i = 0; i < 10; i++) {
      HEX['0' + i] = (byte) i;
    }
    for (int i = 0; i < 6; i++) {
      HEX['a' + i] = (byte) (10 + i);
      HEX['A' + i] = (byte) (10 + i);
    }
  }
  private static final VarHandle ID =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle TAIL =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final int TAIL_OFFSET = 24;
  /** libweft's switch word (4 bytes, native order): 1 while publishing, 0 once it yielded. */
  private static final VarHandle SWITCH =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

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
    if (off || scope == Scope.noop()) {
      return scope;
    }
    PerThread self = changed(toAttach);
    return self == null ? scope : new RestoringScope(scope, self, self.restore);
  }

  /**
   * The work of an attach, apart from the scope: publishes the span of {@code toAttach} if it is
   * not the one published now, leaving the one it replaces in {@link PerThread#restore}.
   *
   * @return the thread's state, or null if the span did not change (baggage only, the same span
   *     again) or the thread is virtual
   */
  @Nullable
  private static PerThread changed(Context toAttach) {
    if (isVirtual(Thread.currentThread())) {
      return null;
    }
    SpanContext now = Span.fromContext(toAttach).getSpanContext();
    PerThread self = PER_THREAD.get();
    Published was = self.current;
    if (was.spanContext == now || (!was.valid && !now.isValid())) {
      return null;
    }
    self.restore = was;
    publish(self, self.parsed(now));
    return self;
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

  /**
   * Writes this thread's record in libweft's TLS in place, by OTEP 4947's valid-flag protocol:
   * valid = 0 (and a store-store fence), the ids, then valid = 1 with a release store, so that a
   * reader that stops the thread at any instant sees the old span, nothing, or the new span,
   * never a mix. The thread owns the record: no other thread ever writes it.
   */
  private static void publish(PerThread self, Published ids) {
    self.current = ids;
    ByteBuffer record = self.record;
    if (record == null || (int) SWITCH.getOpaque(self.on, 0) == 0) {
      record = self.unpublished();
      if (record == null) {
        return;
      }
    }
    TAIL.setOpaque(record, TAIL_OFFSET, 0); // valid = 0: readers ignore the record
    VarHandle.storeStoreFence();
    if (ids.valid) {
      ID.setOpaque(record, 0, ids.traceIdHigh);
      ID.setOpaque(record, 8, ids.traceIdLow);
      ID.setOpaque(record, 16, ids.spanId);
      // valid = 1, trace flags, attrs_size = 0 (bytes 24..27, little-endian int)
      TAIL.setRelease(record, TAIL_OFFSET, 1 | (ids.flags << 8));
    }
  }

  /**
   * Under the OpenTelemetry Java agent: this class is then in the Weft extension's loader, which
   * makes no JNI call, and wraps the agent's own context storage (which the application's context
   * calls are bridged to); the records come from the application's side, once it has loaded
   * libweft, through the Weft agent's hook ({@link ThreadContextHandover}). Until then a thread's
   * changes are tracked but not written, and its record is asked for again at each change.
   *
   * @return false, with the reason logged, if the Weft agent's hook is not visible
   */
  public static boolean useAgentHook() {
    Class<?> hook = ThreadContextHandover.hookClass();
    if (hook == null) {
      logger.log(Level.WARNING, "weft: JVM spans are not published to profilers"
          + " (weft.threadctx.java): the Weft agent is not loaded (" + ThreadContextHandover.HOOK
          + " not found); give -javaagent:weft-agent.jar before the OpenTelemetry agent");
      return false;
    }
    try {
      MethodHandles.Lookup lookup = MethodHandles.publicLookup();
      hookRecords = lookup.findStaticVarHandle(hook, "threadContextRecords", Supplier.class);
      hookOff = lookup.findStaticVarHandle(hook, "threadContextOff", String.class);
      hookSwitch = lookup.findStaticVarHandle(hook, "threadContextSwitch", ByteBuffer.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      logger.log(Level.WARNING, "weft: JVM spans are not published to profilers"
          + " (weft.threadctx.java): the Weft agent's hook is not usable: " + e);
      return false;
    }
    return true;
  }

  /** Under the agent, once wrapped: tells the application's side (its diagnosis). */
  public static void tellAgentHook() {
    Class<?> hook = ThreadContextHandover.hookClass();
    try {
      if (hook != null) {
        hook.getField("threadContextWrapped").setBoolean(null, true);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      logger.log(Level.FINE, "weft: the Weft agent's hook has no threadContextWrapped", e);
    }
  }

  /**
   * Whether JVM spans are published from this loader's context storage: wrapped, and not turned
   * off since (no record from libweft, or libweft yielded to another writer).
   */
  public static boolean isPublishing() {
    return wrapped && !off && !yielded;
  }

  /**
   * Whether the Weft extension wrapped the OpenTelemetry agent's context storage (read from the
   * Weft agent's hook; false without the agent).
   */
  public static boolean isPublishingUnderAgent() {
    Class<?> hook = ThreadContextHandover.hookClass();
    try {
      if (hook == null || !hook.getField("threadContextWrapped").getBoolean(null)) {
        return false;
      }
      return hook.getField("threadContextOff").get(null) == null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Asks libweft for this thread's record and the switch (under the OpenTelemetry agent, through
   * the Weft agent's hook); fills {@code self.record} and {@code self.on}, or leaves them null.
   * Asked again after libweft yielded, libweft withdraws the thread's record and gives none.
   */
  private static void register(PerThread self) {
    self.record = null;
    self.on = null;
    VarHandle records = hookRecords;
    ByteBuffer record = null;
    ByteBuffer on = null;
    String why;
    if (records != null) {
      on = (ByteBuffer) hookSwitch.getVolatile(); // set by the handover before the records
      @SuppressWarnings("unchecked")
      Supplier<ByteBuffer> supplier = (Supplier<ByteBuffer>) records.getVolatile();
      if (supplier != null) {
        record = supplier.get();
      }
      why = (String) hookOff.getVolatile();
      if (record == null && why == null) {
        return; // libweft is not loaded on the application's side yet
      }
    } else {
      try {
        record = WeftJni.threadContextRecord(); // first: after a yield, this withdraws
        on = record != null ? WeftJni.threadContextSwitch() : null;
        if (record != null && on == null) {
          record = WeftJni.threadContextRecord(); // yielded in between: withdrawn, null
        }
      } catch (LinkageError e) {
        record = null;
      }
      why = record == null ? WeftJni.otelStatusMessage() : null;
    }
    if (record != null && on != null) {
      self.record = record;
      self.on = on;
      handedOut = true;
      return;
    }
    if (handedOut) {
      yielded = true; // libweft yielded after handing out records: the others withdraw theirs
    } else {
      off = true;
    }
    if (!logged) {
      logged = true;
      logger.log(Level.WARNING, "weft: JVM spans are not published to profilers"
          + " (weft.threadctx.java): " + why);
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
      value = (value << 4) | HEX[hex.charAt(i) & 0x7f];
    }
    return value;
  }

  /**
   * This thread's state: its record in libweft's TLS (null: publication is off, or, under the
   * OpenTelemetry agent, not handed over yet), what the record
   * says now, and the last span contexts parsed (a span made current again, or restored, is not
   * parsed again).
   */
  private static final class PerThread {
    @Nullable ByteBuffer record;
    /** libweft's switch word, with the record. */
    @Nullable ByteBuffer on;
    /** The record was withdrawn (libweft yielded): nothing more to write on this thread. */
    boolean withdrawn;
    Published current = Published.NONE;
    /** What the scope made by the attach in progress restores: see {@link #changed}. */
    Published restore = Published.NONE;
    private Published recent0 = Published.NONE;
    private Published recent1 = Published.NONE;

    PerThread() {
      register(this);
    }

    /**
     * Cold: there is no record to write, or libweft's switch says it yielded. Under the
     * OpenTelemetry agent a missing record is asked for again (libweft may have been loaded on
     * the application's side since); after a yield the record is withdrawn: valid = 0 (so that a
     * reader that stops the thread now ignores it), then libweft, asked once more, clears the
     * thread's {@code otel_thread_ctx_v1}.
     *
     * @return the record to write now, or null
     */
    @Nullable
    ByteBuffer unpublished() {
      ByteBuffer r = record;
      if (r != null) {
        TAIL.setRelease(r, TAIL_OFFSET, 0);
        withdrawn = true;
        register(this); // libweft withdraws the pointer and gives no record
        if (record != null) {
          withdrawn = false; // publishing again (not done by libweft today: a yield is for good)
        }
        return record;
      }
      if (withdrawn || hookRecords == null) {
        return null;
      }
      register(this);
      return record;
    }

    Published parsed(SpanContext spanContext) {
      if (!spanContext.isValid()) {
        return Published.NONE;
      }
      if (recent0.spanContext == spanContext) {
        return recent0;
      }
      if (recent1.spanContext == spanContext) {
        return recent1;
      }
      Published p = new Published(spanContext);
      recent1 = recent0;
      recent0 = p;
      return p;
    }
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
    private final PerThread self;
    private final Published restored;

    RestoringScope(Scope scope, PerThread self, Published restored) {
      this.scope = scope;
      this.self = self;
      this.restored = restored;
    }

    @Override
    public void close() {
      scope.close();
      publish(self, restored);
    }
  }
}
