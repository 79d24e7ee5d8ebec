package dev.weft;

import dev.weft.internal.jni.AttachCell;
import dev.weft.internal.jni.Boundary;
import dev.weft.internal.jni.LibraryLoader;
import dev.weft.internal.jni.WeftJni;
import dev.weft.internal.profiling.ProcessContextPublisher;
import dev.weft.internal.profiling.ThreadContextHandover;
import dev.weft.internal.profiling.ThreadContextStorage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextStorage;
import io.opentelemetry.context.Scope;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Stitches native spans and JVM spans into one trace, in both directions.
 *
 * <p><b>Java → native.</b> Around a native call (JNI or FFM):
 *
 * <pre>{@code
 * try (NativeScope scope = Weft.enterNative()) {
 *   codec.decode(frame);
 * }
 * byte[] out = Weft.call(() -> codec.encode(frame));
 * }</pre>
 *
 * Every native span begun on this thread during the call with no native parent of its own
 * becomes a child of the current JVM span ({@link Span#current()}): same trace id, parent span
 * id = the JVM span's id, and the JVM span's sampled flag (an unsampled JVM parent means native
 * code records nothing). Without a valid current span the call is not touched.
 *
 * <p><b>Native → Java (upcalls).</b> JVM code called back from native code gets the open native
 * span as parent of the spans it starts:
 *
 * <ul>
 *   <li>automatically, when the native library's Java binding wraps the callback object once
 *       with {@link #wrapUpcalls(Class, Object)} (JNI callbacks through an interface) or the
 *       upcall target with {@link #wrapUpcall(MethodHandle)} (FFM upcall stubs): every call of
 *       it makes {@link #nativeContext()} current for its duration;
 *   <li>explicitly, in a callback entry point: {@code Weft.upcall(() -> ...)}, or {@code try
 *       (Scope s = Weft.enterUpcall()) {...}}, or {@code Weft.nativeContext()} passed as the
 *       parent of a span.
 * </ul>
 *
 * <p><b>Threads.</b> The context is pushed on the calling OS thread's native stack only for the
 * duration of the scope, so a virtual thread (pinned to its carrier during a JNI or FFM call)
 * that runs its next native call on another carrier gets the right parent there too. Native
 * worker threads adopt a context captured on another thread with {@code weft_context_attach} (C).
 *
 * <p><b>The library.</b> The first call loads libweft (see {@link #load()}), and its first
 * attach starts the native side if no native code has yet (no {@code weft_init} needed), so a
 * JNI library loaded inside that first call (typically in a static initialiser) records its first
 * spans under the JVM span. If libweft cannot be found, the methods here do nothing and a warning
 * is logged once; if two instances of libweft are detected they throw {@link
 * IllegalStateException} saying how to fix it.
 *
 * <p><b>When nothing shows up.</b> {@link #diagnose()} says what Weft is doing and why it may be
 * doing nothing; each such reason is also logged once, as a warning with its fix, by a daemon
 * check ({@value #CHECK_INTERVAL_PROPERTY}, default 10 s; 0 turns it off). With {@code
 * -Dweft.debug} or {@code WEFT_DEBUG} set, a one-line summary is logged when libweft loads.
 */
public final class Weft {
  private static final Logger logger = Logger.getLogger(Weft.class.getName());
  private static final long RETRY_NANOS = 1_000_000_000L;
  /** Failed loads retried on every call before falling back to one try per RETRY_NANOS. */
  private static final int EAGER_RETRIES = 100;

  /** System property: milliseconds between the checks that log each problem once (0: off). */
  public static final String CHECK_INTERVAL_PROPERTY = "weft.check.interval";
  /** System property that turns on the one-line summary at start (also {@code WEFT_DEBUG}). */
  public static final String DEBUG_PROPERTY = "weft.debug";
  private static final long DEFAULT_CHECK_INTERVAL_MILLIS = 10_000;

  private static final int UNKNOWN = 0;
  private static final int AVAILABLE = 1;
  private static final int UNAVAILABLE = 2;

  private static volatile int state = UNKNOWN;
  private static volatile long retryAtNanos;
  private static volatile boolean warned;
  private static int failedLoads;
  @Nullable private static volatile RuntimeException fatal;
  @Nullable private static volatile String loadError;
  /** Set once the first JVM span is attached: the diagnosis expects native spans after it. */
  private static volatile boolean attachedOnce;
  /** The problem keys already logged: each is logged once per JVM. */
  private static final java.util.Set<String> reported =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static boolean started;

  /** The last attached JVM span context with its ids as longs: one parse per JVM span. */
  @Nullable private static volatile ParsedIds lastIds;

  private Weft() {}

  // ------------------------------------------------------------------ library

  /**
   * Loads libweft now (otherwise the first call of another method does), and returns its path:
   * {@code -Dweft.library.path} or {@code $WEFT_LIBRARY_PATH} if set, else the libweft the
   * application's native library already pulled in, else {@code libweft.so.0} on {@code
   * java.library.path}. Call it after loading your native library, or set the property.
   *
   * @throws IllegalStateException if libweft is not found or cannot be loaded, or if two
   *     instances of libweft are (or would be) in the process; the message says what to do
   */
  public static Path load() {
    Path path;
    try {
      path = LibraryLoader.ensureLoaded();
    } catch (LibraryLoader.LoadException e) {
      loadError = e.getMessage();
      throw e;
    }
    state = AVAILABLE;
    loaded();
    return path;
  }

  /**
   * What Weft is doing in this process and every reason it may be doing nothing, each with its
   * fix: whether libweft is mapped (how many copies, from where), whether native code started
   * it (by {@code weft_init} or a first span), the segment's path and state, the collectors
   * draining it in this JVM and their counters. Loads libweft if it can; never throws.
   */
  public static WeftDiagnosis diagnose() {
    if (state == UNKNOWN) {
      try {
        available(); // the first look; later ones are the calls' own retries
      } catch (RuntimeException e) {
        // two copies: reported by the diagnosis
      }
    }
    return WeftDiagnosis.collect(state == AVAILABLE ? LibraryLoader.loadedPath() : null,
        loadError, attachedOnce);
  }

  /** Logs each problem of a diagnosis not logged before; returns the diagnosis. */
  static WeftDiagnosis reportProblems() {
    WeftDiagnosis diagnosis = diagnose();
    for (WeftDiagnosis.Problem p : diagnosis.problemList()) {
      if (reported.add(p.key)) {
        logger.log(Level.WARNING, p.message);
      }
    }
    return diagnosis;
  }

  private static void reportOnce(String key, String message) {
    if (reported.add(key)) {
      logger.log(Level.WARNING, message);
    }
  }

  /** Once, after the first load decision: the debug summary and the periodic check. */
  private static synchronized void loaded() {
    if (started) {
      return;
    }
    started = true;
    if (debug()) {
      logger.log(Level.INFO, diagnose().summary());
    }
    long interval = checkIntervalMillis();
    if (interval > 0) {
      Thread check = new Thread(() -> check(interval), "weft-check");
      check.setDaemon(true);
      check.start();
    }
  }

  private static void check(long intervalMillis) {
    try {
      while (true) {
        Thread.sleep(intervalMillis);
        reportProblems();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | LinkageError e) {
      logger.log(Level.FINE, "weft: the diagnosis check stopped", e);
    }
  }

  private static boolean debug() {
    String p = System.getProperty(DEBUG_PROPERTY);
    String v = p != null ? p : System.getenv("WEFT_DEBUG");
    return v != null && !v.equalsIgnoreCase("false") && !v.equals("0");
  }

  private static long checkIntervalMillis() {
    String v = System.getProperty(CHECK_INTERVAL_PROPERTY);
    if (v == null || v.isEmpty()) {
      return DEFAULT_CHECK_INTERVAL_MILLIS;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      logger.log(Level.WARNING, "weft: -D" + CHECK_INTERVAL_PROPERTY + "=" + v + " is not a"
          + " number of milliseconds; using " + DEFAULT_CHECK_INTERVAL_MILLIS);
      return DEFAULT_CHECK_INTERVAL_MILLIS;
    }
  }

  /** Whether libweft is loaded (trying to load it if not; never throws for a missing library). */
  public static boolean isAvailable() {
    return available();
  }

  /**
   * The segment of the libweft the JVM is bound to, or null if Weft is not initialised in this
   * process (no native library called {@code weft_init}) or libweft is not available. Equal to
   * what the application's native library sees when there is one instance of libweft.
   */
  @Nullable
  public static String segmentPath() {
    return available() ? WeftJni.segmentPath() : null;
  }

  private static boolean available() {
    int s = state;
    if (s == AVAILABLE) {
      return true;
    }
    return slowAvailable(s);
  }

  private static synchronized boolean slowAvailable(int s) {
    RuntimeException f = fatal;
    if (f != null) {
      throw f;
    }
    if (state == AVAILABLE) {
      return true;
    }
    if (s == UNAVAILABLE && failedLoads > EAGER_RETRIES && System.nanoTime() - retryAtNanos < 0) {
      return false;
    }
    try {
      LibraryLoader.ensureLoaded();
      state = AVAILABLE;
      ProcessContextPublisher.onLibraryLoaded(); // the JVM's Resource for profilers (OTEP 4719)
      ThreadContextHandover.onLibraryLoaded(); // the records, to the OpenTelemetry agent's side
      loadError = null;
      if (failedLoads > 0) {
        logger.log(Level.INFO, "weft: libweft found at " + LibraryLoader.loadedPath() + " after "
            + failedLoads + " native call(s) that could not join the JVM trace");
      }
      loaded();
      return true;
    } catch (LibraryLoader.LoadException e) {
      loadError = e.getMessage();
      if (e.isDuplicate()) {
        fatal = e;
        loaded();
        throw e;
      }
      // A library loaded during this call (a static initialiser) may have pulled libweft in:
      // look again on each of the next calls, then once a second.
      failedLoads++;
      retryAtNanos = System.nanoTime() + RETRY_NANOS;
      state = UNAVAILABLE;
      if (!warned) {
        warned = true;
        reported.add("not-loaded");
        logger.log(Level.WARNING, e.getMessage() + " (until it is found, native spans do not"
            + " join JVM traces)");
        loaded();
      }
      return false;
    }
  }

  // ------------------------------------------------------------ profilers

  /**
   * The switch of {@link #publishThreadContext()} in an autoconfigured SDK ({@code
   * -Dweft.threadctx.java} / {@code WEFT_THREADCTX_JAVA}); see {@link
   * #DEFAULT_THREAD_CONTEXT}.
   */
  public static final String THREAD_CONTEXT_PROPERTY = "weft.threadctx.java";

  /** Whether an autoconfigured SDK publishes JVM spans to profilers unless told otherwise. */
  public static final boolean DEFAULT_THREAD_CONTEXT = false;

  /**
   * Publishes the current span of every platform thread to profilers and other out-of-process
   * readers, as the OpenTelemetry thread context (OTEP 4947) that libweft already publishes for
   * native spans: from now on, each change of a platform thread's current span (an OpenTelemetry
   * {@link ContextStorage} wrapper) updates a record in libweft's thread-local storage, and a CPU
   * sample taken in pure Java code under a JVM span names that span. Native spans still win while
   * they are open. Virtual threads are not published (see docs/architecture.md "Profilers").
   *
   * <p>Call it at the start of {@code main}, before anything uses the OpenTelemetry context: the
   * wrapper can only be added before the context storage is first used. An autoconfigured SDK
   * calls it when {@value #THREAD_CONTEXT_PROPERTY} is true.
   *
   * @return true if JVM spans are published from now on; false, with the reason and the fix
   *     logged once, if libweft is not available, the thread context is off in libweft (another
   *     writer of {@code otel_thread_ctx_v1}, or {@code WEFT_OTEL_THREAD_CTX=false}) or the
   *     context storage was already in use
   */
  public static synchronized boolean publishThreadContext() {
    if (ThreadContextStorage.isWrapped()) {
      return true;
    }
    if (!available()) {
      reportOnce("threadctx-unavailable", "weft: JVM spans are not published to profilers:"
          + " libweft is not available (" + loadError + ")");
      return false;
    }
    if ((WeftJni.otelStatus() & 1) == 0) {
      reportOnce("threadctx-off", "weft: JVM spans are not published to profilers: "
          + WeftJni.otelStatusMessage());
      return false;
    }
    ContextStorage.addWrapper(ThreadContextStorage.wrapper());
    ContextStorage.get();
    if (!ThreadContextStorage.isWrapped()) {
      reportOnce("threadctx-late", "weft: JVM spans are not published to profilers: the"
          + " OpenTelemetry context storage was in use before Weft could wrap it; call"
          + " Weft.publishThreadContext() at the start of main, before the first"
          + " Context.current()");
    }
    return ThreadContextStorage.isWrapped();
  }

  // ------------------------------------------------------------ Java -> native

  /**
   * Attaches the current JVM span ({@link Span#current()}) to this thread's native span stack
   * until the returned scope is closed. Use with try-with-resources around native calls.
   */
  public static NativeScope enterNative() {
    return enterNative(Span.current().getSpanContext());
  }

  /** As {@link #enterNative()}, with the span of {@code context} as the parent. */
  public static NativeScope enterNative(Context context) {
    return enterNative(Span.fromContext(Objects.requireNonNull(context, "context"))
        .getSpanContext());
  }

  private static NativeScope enterNative(SpanContext spanContext) {
    if (!spanContext.isValid() || !available()) {
      return NativeScope.NONE;
    }
    AttachCell cell = Boundary.cell();
    int gen;
    if (cell != null && (gen = cell.enter(spanContext)) != 0) {
      return cellScope(cell, gen); // no call: libweft attaches the cell's ids when it needs them
    }
    return byCall(attachByCall(spanContext));
  }

  /** The thread's own scope object, reopened: entering through the cell allocates nothing. */
  private static NativeScope cellScope(AttachCell cell, int gen) {
    Object scope = cell.scope();
    NativeScope s;
    if (scope != null) {
      s = (NativeScope) scope;
    } else {
      s = new NativeScope(cell);
      cell.scope(s);
    }
    return s.opened(gen);
  }

  private static NativeScope byCall(int token) {
    return token >= 0 ? new NativeScope(token) : NativeScope.NONE;
  }

  /** Not through a cell: {@link #attachByCall(long, long, long, int)} with the parsed ids. */
  private static int attachByCall(SpanContext spanContext) {
    ParsedIds ids = lastIds;
    if (ids == null || ids.spanContext != spanContext) {
      ids = new ParsedIds(spanContext);
      lastIds = ids;
    }
    return attachByCall(ids.traceIdHigh, ids.traceIdLow, ids.spanId, ids.flags);
  }

  /** {@link Boundary#attach}, with its failure reported and its first success noted. */
  private static int attachByCall(long traceIdHigh, long traceIdLow, long spanId,
      int traceFlags) {
    int token = Boundary.attach(traceIdHigh, traceIdLow, spanId, traceFlags);
    if (token < 0) {
      attachFailed(token);
    } else if (!attachedOnce) {
      attachedOnce = true;
    }
    return token;
  }

  /** A scope's close found that libweft's attach from the cell failed: report it as an attach. */
  static void cellAttachFailed(int result) {
    attachFailed(result);
  }

  private static final int ECANCELED = 125;
  private static final int EAGAIN = 11;
  private static final int ENOSPC = 28;

  /** Why this native call is not stitched, logged once per reason. */
  private static void attachFailed(int token) {
    if (token == -ECANCELED) {
      if (!reported.contains("attach-cancelled")) {
        reported.add("attach-cancelled");
        WeftDiagnosis d = diagnose();
        String reason = d.nativeStartError() != null ? d.nativeStartError()
            : "weft: the native side is " + d.nativeState()
                + (d.nativeState() == WeftDiagnosis.NativeState.DISABLED
                    ? " (WEFT_ENABLED=false: unset it to record native spans)"
                    : " (weft_shutdown was called: call it only when your library unloads)");
        String key = d.nativeState() == WeftDiagnosis.NativeState.FAILED ? "native-failed"
            : d.nativeState() == WeftDiagnosis.NativeState.DISABLED ? "native-disabled"
            : "native-shut-down";
        reportOnce(key, reason + " (native calls do not join JVM traces)");
      }
    } else if (token == -EAGAIN) {
      reportOnce("attach-no-slot", "weft: a native call could not join the JVM trace: every"
          + " native recording slot is taken by other threads. Fix: raise WEFT_MAX_THREADS"
          + " (default 64) in the environment");
    } else if (token == -ENOSPC) {
      reportOnce("attach-too-deep", "weft: a native call could not join the JVM trace: native"
          + " spans and attached contexts nest deeper than WEFT_STACK_DEPTH (default 16) on"
          + " this thread. Fix: raise WEFT_STACK_DEPTH, or check for native spans never ended");
    }
  }

  /**
   * As {@link #enterNative()}, with the parent given by its ids: for instrumentation that reads
   * the current span itself (the Weft agent beside the OpenTelemetry Java agent reads the
   * agent's own context, whose spans are not re-wrapped per call). Does nothing if the span id
   * is 0.
   */
  public static NativeScope enterNative(long traceIdHigh, long traceIdLow, long spanId,
      int traceFlags) {
    if (spanId == 0 || !available()) {
      return NativeScope.NONE;
    }
    AttachCell cell = Boundary.cell();
    int gen;
    if (cell != null && (gen = cell.enter(traceIdHigh, traceIdLow, spanId, traceFlags)) != 0) {
      return cellScope(cell, gen);
    }
    return byCall(attachByCall(traceIdHigh, traceIdLow, spanId, traceFlags));
  }

  /** Runs {@code nativeCall} inside {@link #enterNative()}. */
  @SuppressWarnings("try") // the scope is only closed
  public static void run(Runnable nativeCall) {
    try (NativeScope scope = enterNative()) {
      nativeCall.run();
    }
  }

  /** Calls {@code nativeCall} inside {@link #enterNative()} and returns its result. */
  @SuppressWarnings("try") // the scope is only closed
  public static <T> T call(Supplier<T> nativeCall) {
    try (NativeScope scope = enterNative()) {
      return nativeCall.get();
    }
  }

  // ------------------------------------------------------------ native -> Java

  /**
   * The context of the innermost native span open on this OS thread (or the context a native
   * caller attached), or {@link SpanContext#getInvalid()} if there is none.
   */
  public static SpanContext nativeSpanContext() {
    if (!available()) {
      return SpanContext.getInvalid();
    }
    long[] out = new long[4];
    if (!WeftJni.currentContext(out)) {
      return SpanContext.getInvalid();
    }
    return SpanContext.create(TraceId.fromLongs(out[0], out[1]), SpanId.fromLong(out[2]),
        TraceFlags.fromByte((byte) out[3]), TraceState.getDefault());
  }

  /**
   * {@link Context#current()} with the innermost open native span of this thread as its span (a
   * non-recording {@link Span#wrap(SpanContext)}), so that spans started with it as parent are
   * that native span's children. Returns {@link Context#current()} unchanged if there is no
   * native span or it is already the current span.
   */
  public static Context nativeContext() {
    Context current = Context.current();
    SpanContext nativeSpan = nativeSpanContext();
    if (!nativeSpan.isValid()) {
      return current;
    }
    SpanContext currentSpan = Span.fromContext(current).getSpanContext();
    if (currentSpan.getSpanId().equals(nativeSpan.getSpanId())
        && currentSpan.getTraceId().equals(nativeSpan.getTraceId())) {
      return current;
    }
    return current.with(Span.wrap(nativeSpan));
  }

  /**
   * Makes {@link #nativeContext()} current until the returned scope is closed. For the Java
   * entry point of a callback from native code.
   */
  public static Scope enterUpcall() {
    Context context = nativeContext();
    return context == Context.current() ? Scope.noop() : context.makeCurrent();
  }

  /** Runs {@code callback} with {@link #nativeContext()} current. */
  @SuppressWarnings("try") // the scope is only closed
  public static void upcall(Runnable callback) {
    try (Scope scope = enterUpcall()) {
      callback.run();
    }
  }

  /** Calls {@code callback} with {@link #nativeContext()} current and returns its result. */
  @SuppressWarnings("try") // the scope is only closed
  public static <T> T upcall(Supplier<T> callback) {
    try (Scope scope = enterUpcall()) {
      return callback.get();
    }
  }

  /**
   * Wraps a callback object that native code calls through JNI: every call of a method of
   * {@code type} runs with {@link #nativeContext()} current. Exceptions pass through unchanged.
   */
  public static <T> T wrapUpcalls(Class<T> type, T target) {
    Objects.requireNonNull(target, "target");
    if (!type.isInterface()) {
      throw new IllegalArgumentException(type + " is not an interface");
    }
    InvocationHandler handler = new UpcallHandler(target);
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
        handler));
  }

  /**
   * Wraps the target of an FFM upcall stub ({@code Linker.upcallStub}) so that each call runs
   * with {@link #nativeContext()} current. Same type as {@code target}. FFM upcalls must not
   * throw (the JVM terminates): catch exceptions in the target.
   */
  public static MethodHandle wrapUpcall(MethodHandle target) {
    MethodType type = target.type();
    MethodHandle withScope = MethodHandles.dropArguments(target, 0, Scope.class);
    MethodHandle cleanup;
    if (type.returnType() == void.class) {
      cleanup = Handles.CLOSE_VOID;
    } else {
      cleanup = Handles.CLOSE.asType(MethodType.methodType(type.returnType(), Throwable.class,
          type.returnType(), Scope.class));
    }
    MethodHandle guarded = MethodHandles.tryFinally(withScope, cleanup);
    return MethodHandles.foldArguments(guarded, Handles.ENTER);
  }

  private static final class Handles {
    static final MethodHandle ENTER;
    static final MethodHandle CLOSE;
    static final MethodHandle CLOSE_VOID;

    static {
      try {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        ENTER = lookup.findStatic(Weft.class, "enterUpcall", MethodType.methodType(Scope.class));
        CLOSE = lookup.findStatic(Handles.class, "close", MethodType.methodType(Object.class,
            Throwable.class, Object.class, Scope.class));
        CLOSE_VOID = lookup.findStatic(Handles.class, "closeVoid", MethodType.methodType(
            void.class, Throwable.class, Scope.class));
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    @SuppressWarnings("unused") // through CLOSE
    private static Object close(@Nullable Throwable thrown, Object result, Scope scope) {
      scope.close();
      return result;
    }

    @SuppressWarnings("unused") // through CLOSE_VOID
    private static void closeVoid(@Nullable Throwable thrown, Scope scope) {
      scope.close();
    }
  }

  private static final class UpcallHandler implements InvocationHandler {
    private final Object target;

    UpcallHandler(Object target) {
      this.target = target;
    }

    @Override
    @Nullable
    @SuppressWarnings("try") // the scope is only closed
    public Object invoke(Object proxy, Method method, @Nullable Object[] args) throws Throwable {
      if (method.getDeclaringClass() == Object.class) {
        switch (method.getName()) {
          case "equals":
            return args != null && proxy == args[0];
          case "hashCode":
            return System.identityHashCode(proxy);
          default:
            return "Weft.wrapUpcalls(" + target + ")";
        }
      }
      try (Scope scope = enterUpcall()) {
        return method.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }

  /** A span context's ids as longs, parsed once. */
  private static final class ParsedIds {
    final SpanContext spanContext;
    final long traceIdHigh;
    final long traceIdLow;
    final long spanId;
    final int flags;

    ParsedIds(SpanContext spanContext) {
      this.spanContext = spanContext;
      String traceId = spanContext.getTraceId();
      this.traceIdHigh = hexToLong(traceId, 0);
      this.traceIdLow = hexToLong(traceId, 16);
      this.spanId = hexToLong(spanContext.getSpanId(), 0);
      this.flags = spanContext.getTraceFlags().asByte() & 0xff;
    }

    private static long hexToLong(String hex, int offset) {
      long value = 0;
      for (int i = offset; i < offset + 16; i++) {
        value = (value << 4) | Character.digit(hex.charAt(i), 16);
      }
      return value;
    }
  }
}
