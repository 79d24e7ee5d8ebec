package dev.weft;

import dev.weft.internal.jni.AttachCell;
import dev.weft.internal.jni.Boundary;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * A JVM span context attached to the calling OS thread's native span stack, from {@link
 * Weft#enterNative()} until {@link #close()}. Native spans begun on this thread in between, with
 * no native parent of their own, are children of that JVM span.
 *
 * <p>Close it on the thread that opened it, in reverse order of opening (try-with-resources does
 * both). Closing ends any native span that was begun inside the scope and is still open (it is
 * exported with {@code weft.span.ended_by = unwind}), so a native function that returned early,
 * or an exception that skipped its end, leaves the stack consistent. {@code close()} is
 * idempotent.
 *
 * <p>Do not keep a scope after closing it: on a platform thread, the outermost scope is the
 * thread's own object, reused by its next {@code enterNative} (so that entering allocates
 * nothing; JDK 17's escape analysis cannot remove a scope that try-with-resources closes around
 * a native call). Closing it twice in a row is harmless; closing it again after the thread
 * entered a new scope closes that one.
 *
 * <p>Virtual threads: the context lives on the carrier OS thread, so keep only native calls
 * (and non-blocking Java code) inside the scope: a virtual thread is pinned to its carrier
 * during a JNI or FFM call, but may move to another carrier when it blocks in Java code between
 * two calls. {@link Weft#call} and {@link Weft#run} around exactly one native call are the safe
 * form.
 */
public final class NativeScope implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(NativeScope.class.getName());
  private static final AtomicBoolean warnedWrongThread = new AtomicBoolean();

  /** Nothing attached: no valid JVM span, Weft not available, or the attach failed. */
  static final NativeScope NONE = new NativeScope(-1);

  /** The token of a scope attached through JNI; -1 once closed (or for {@link #NONE}). */
  private int token;
  /** The thread's attach cell, for the thread's own reused scope; null for a JNI scope. */
  @Nullable private final AttachCell cell;
  /** The cell's open gen (odd), 0 while closed. */
  private int gen;

  /** A scope attached through JNI, with its token (≥ 0), or {@link #NONE}'s -1. */
  NativeScope(int token) {
    this.token = token;
    this.cell = null;
  }

  /** The reusable scope of a thread's attach cell. */
  NativeScope(AttachCell cell) {
    this.token = -1;
    this.cell = cell;
  }

  /** The cell's scope, (re)opened with the gen its enter returned. */
  NativeScope opened(int g) {
    gen = g;
    return this;
  }

  /** True if a context was attached (false: no valid JVM span, or Weft not available). */
  public boolean isAttached() {
    return cell != null ? gen != 0 : token >= 0;
  }

  /** Detaches the context, ending native spans left open inside the scope. Idempotent. */
  @Override
  public void close() {
    // Under 35 bytecodes, so that the JIT inlines it even at try-with-resources' exception path.
    AttachCell c = cell;
    if (c != null) {
      int g = gen;
      if (g != 0) {
        gen = 0;
        closeCell(c, g);
      }
    } else if (token >= 0) {
      closeToken();
    }
  }

  private static void closeCell(AttachCell c, int g) {
    int result = c.close(g);
    if (result != 0) {
      failed(result);
    }
  }

  private void closeToken() {
    int t = token;
    token = -1;
    int result = Boundary.detach(t);
    if (result != 0) {
      failed(result);
    }
  }

  private static void failed(int result) {
    if (result != AttachCell.DETACH_FAILED && result != -22 /* EINVAL */) {
      Weft.cellAttachFailed(result); // libweft could not attach the cell's: too deep, ...
    } else if (warnedWrongThread.compareAndSet(false, true)) {
      logger.log(Level.WARNING, "weft: a NativeScope was closed on another OS thread than the"
          + " one it was opened on (a virtual thread that blocked inside the scope and moved"
          + " to another carrier?); keep only native calls inside Weft.enterNative() scopes");
    }
  }
}
