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
   *     handler), {@code -ECANCELED} Weft is not initialised in this process
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
   * {@code weft_current_context}: the context a native span begun now on this thread would have
   * as parent.
   *
   * @param out receives trace id high, trace id low, span id, trace flags (length {@code >= 4})
   * @return false if there is none
   */
  public static native boolean currentContext(long[] out);

  /** {@code weft_segment_path}: the segment of this libweft instance, or null if not initialised. */
  @Nullable
  public static native String segmentPath();
}
