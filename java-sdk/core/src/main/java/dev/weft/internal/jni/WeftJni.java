package dev.weft.internal.jni;

import javax.annotation.Nullable;

/**
 * The JNI entry points of libweft ({@code c-sdk/src/jni.c}). They act on the calling OS
 * thread's native span stack. Ids cross as longs: the trace id as two big-endian halves (the
 * order of its hex form), the span id as one.
 *
 * <p>Call {@link LibraryLoader#ensureLoaded()} before the first native method: it loads the
 * libweft the application's native library uses (one instance per process) and binds these
 * methods to it.
 */
public final class WeftJni {
  private WeftJni() {}

  /**
   * {@code weft_context_attach}: makes the context the parent of native spans begun next on
   * this thread.
   *
   * @return a token {@code >= 0} for {@link #detach}; {@code -EINVAL} invalid ids, {@code
   *     -ENOSPC} nesting too deep, {@code -EAGAIN} no slot free (or re-entered from a signal
   *     handler), {@code -ECANCELED} Weft is not running in this process (its start on the first
   *     attach failed or is disabled, or it was shut down). In a process where no native code
   *     called {@code weft_init}, the first attach starts Weft from the environment.
   */
  public static native int attach(long traceIdHigh, long traceIdLow, long spanId, int traceFlags);

  /**
   * {@code weft_context_detach}: undoes the attach that returned {@code token}, ending first any
   * native span still open above it (flagged ended-by-unwind).
   *
   * @return 0, or {@code -EINVAL} if the token does not name a context attached on this thread
   */
  public static native int detach(int token);

  /**
   * This thread's attach cell ({@code weft_jvm_cell_t}, 40 bytes, native order; {@code
   * c-sdk/src/jvm_cell.c}) as a direct buffer, for {@link AttachCell}: valid while the thread
   * lives, for this thread only.
   */
  public static native java.nio.ByteBuffer attachCell();

  /**
   * {@code weft_current_context}: the context a native span begun now on this thread would have
   * as parent.
   *
   * @param out receives trace id high, trace id low, span id, trace flags (length {@code >= 4})
   * @return false if there is none
   */
  public static native boolean currentContext(long[] out);

  /**
   * {@code weft_now_unix_nanos}: the clock native spans are stamped with, in Unix-epoch
   * nanoseconds (CLOCK_REALTIME before the native side started).
   */
  public static native long nowUnixNanos();

  /**
   * {@code weft_clock_source}: {@code tsc}, {@code monotonic} or {@code realtime}, followed by
   * {@code ": "} and why the TSC is not used when it is not.
   */
  public static native String clockSource();

  /** {@code weft_segment_path}: the segment of this libweft instance, or null if not initialised. */
  @Nullable
  public static native String segmentPath();

  /** {@code weft_get_status}: whether Weft runs and how it started. */
  public static final int STATE_NOT_STARTED = 0;
  /** Recording into a segment. */
  public static final int STATE_RUNNING = 1;
  /** Ran, then the last {@code weft_shutdown}. */
  public static final int STATE_SHUT_DOWN = 2;
  /** The start on the first span or attach failed ({@link #statusMessage()} says why). */
  public static final int STATE_FAILED = 3;
  /** {@code WEFT_ENABLED=false}. */
  public static final int STATE_DISABLED = 4;

  /**
   * {@code weft_get_status}: bits 0-7 the state ({@code STATE_*}), bit 8 set if it was started
   * by a first span or attach rather than {@code weft_init}, bits 16-31 the number of
   * instrumentation scopes registered.
   */
  public static native int status();

  /** Why the start on the first span or attach failed and how to fix it, or null. */
  @Nullable
  public static native String statusMessage();

  /**
   * {@code weft_get_stats}: fills {@code out} with spans committed, dropped for a full ring,
   * re-entered, nested too deep, no slot (length {@code >= 5}).
   *
   * @return false if Weft is not running
   */
  public static native boolean nativeStats(long[] out);

  // ------------------------------------------------------------ profilers (OTEP 4947, 4719)

  /**
   * {@code weft_thread_context_publish}: publishes the JVM's current span of this (platform)
   * thread through {@code otel_thread_ctx_v1} while no native span or attached context is open on
   * it. The record is in libweft's thread-local storage, not in the segment.
   *
   * @return 0; {@code -EINVAL} ids all zero; {@code -ECANCELED} thread context publication is off
   *     ({@link #otelStatusMessage()} says why)
   */
  public static native int publishThreadContext(long traceIdHigh, long traceIdLow, long spanId,
      int traceFlags);

  /**
   * {@code weft_thread_context_record}: this thread's OTEP 4947 record (28 bytes: trace id, span
   * id, valid, trace flags, attrs size), registered so that {@code otel_thread_ctx_v1} points at
   * it whenever no native frame is open, as a direct buffer over libweft's thread-local storage
   * that this thread alone updates in place (valid = 0, the ids, valid = 1). Valid while the OS
   * thread lives. Null if thread context publication is off; called then on a thread whose record
   * was registered, libweft withdraws it ({@link #threadContextSwitch}).
   */
  @Nullable
  public static native java.nio.ByteBuffer threadContextRecord();

  /**
   * {@code weft_thread_context_switch}: libweft's process-wide switch of the records {@link
   * #threadContextRecord} gives, a direct buffer over one 32-bit word (native order), 1 while
   * thread context publication is on, 0 for good once libweft yielded to another writer of
   * {@code otel_thread_ctx_v1} loaded after it started; read at each context change, and once 0,
   * the thread sets its record's valid to 0 and calls {@link #threadContextRecord} again, which
   * withdraws it. Null if publication is off already.
   */
  @Nullable
  public static native java.nio.ByteBuffer threadContextSwitch();

  /** {@code weft_thread_context_publish(NULL)}: no JVM span is current on this thread. */
  public static native int clearThreadContext();

  /**
   * {@code weft_process_context_set_resource}: the process context (OTEP 4719) carries this
   * encoded {@code opentelemetry.proto.resource.v1.Resource} (null: the native side's own).
   *
   * @return 0, or a negative errno ({@code -EEXIST}: another process context is published)
   */
  public static native int setProcessResource(@Nullable byte[] resource);

  /** Bit 0: thread context on; bit 1: a process context is published; bit 2: with the JVM's Resource. */
  public static native int otelStatus();

  /** Why thread or process context publication is off, or null. */
  @Nullable
  public static native String otelStatusMessage();

  /**
   * Why the thread context ({@code process} false) or the process context (true) is not
   * published (the reason, and the fix when Weft yielded to another writer), or null.
   */
  @Nullable
  public static native String otelContextMessage(boolean process);
}
