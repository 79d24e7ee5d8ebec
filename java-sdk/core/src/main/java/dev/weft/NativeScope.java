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
 * <p>Virtual threads: the context lives on the carrier OS thread, so keep only native calls
 * (and non-blocking Java code) inside the scope: a virtual thread is pinned to its carrier
 * during a JNI or FFM call, but may move to another carrier when it blocks in Java code between
 * two calls. {@link Weft#call} and {@link Weft#run} around exactly one native call are the safe
 * form.
 */
public final class NativeScope implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(NativeScope.class.getName());
  private static final AtomicBoolean warnedWrongThread = new AtomicBoolean();

  /** The token of a scope entered through the thread's attach cell (its gen is in {@link #gen}). */
  static final int IN_CELL = Integer.MAX_VALUE;

  private int token;
  @Nullable private final AttachCell cell;
  private final int gen;

  NativeScope(int token, @Nullable AttachCell cell, int gen) {
    this.token = token;
    this.cell = cell;
    this.gen = gen;
  }

  /** True if a context was attached (false: no valid JVM span, or Weft not available). */
  public boolean isAttached() {
    return token >= 0;
  }

  /** Detaches the context, ending native spans left open inside the scope. Idempotent. */
  @Override
  public void close() {
    // Under 35 bytecodes, so that the JIT inlines it even at try-with-resources' exception path,
    // and the scope itself is passed nowhere: escape analysis can then remove the allocation.
    int t = token;
    if (t >= 0) {
      token = -1;
      close(t, cell, gen);
    }
  }

  private static void close(int token, @Nullable AttachCell cell, int gen) {
    int result = token == IN_CELL && cell != null ? cell.close(gen) : Boundary.detach(token);
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
