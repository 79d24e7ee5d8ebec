package dev.weft.internal.jni;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * The attach of {@code Weft.enterNative} without a JNI call: plain stores into the calling
 * thread's cell in libweft's thread-local storage ({@code weft_jvm_cell_t}, {@code
 * c-sdk/src/jvm_cell.c}), a direct buffer libweft gives each platform thread once.
 *
 * <p>{@link #enter} writes the span's ids, then an odd {@code gen}. libweft
 * attaches that context at the thread's next native begin, record, attach or look at the
 * current context, where an attach at the enter would have put it, and answers in the cell:
 * {@code done_gen} and the attach's token (or {@code -errno}). {@link #close} stores an even
 * {@code gen} and, only if libweft attached for this scope, detaches through JNI (which ends
 * native spans left open inside the scope, as before). A scope whose native call recorded no
 * span therefore crosses no boundary at all; one that did pays one JNI call, the detach.
 *
 * <p>One cell per platform thread, used by that thread only, one scope at a time: a scope
 * entered while another is open on the thread (a callback from the native call) returns 0 from
 * {@link #enter} and is attached through JNI, above this one. A scope closed on another thread
 * (a mistake the caller is warned of) is not written from there: the owner closes it at its
 * next enter. Virtual threads get no cell: their
 * scope would write into the TLS of whichever carrier they run on.
 */
public final class AttachCell {
  private static final Logger logger = Logger.getLogger(AttachCell.class.getName());

  /** What {@link #close} returns when the JNI detach failed (another thread closed it). */
  public static final int DETACH_FAILED = Integer.MIN_VALUE;

  private static final int TRACE_ID_HIGH = 0;
  private static final int TRACE_ID_LOW = 8;
  private static final int SPAN_ID = 16;
  private static final int TRACE_FLAGS = 24;
  private static final int GEN = 28;
  private static final int DONE_GEN = 32;
  private static final int RESULT = 36;
  private static final int SIZE = 40;

  @Nullable private static final MethodHandle IS_VIRTUAL = isVirtualHandle();
  private static final AttachCell NONE = new AttachCell(null, null);
  private static final ThreadLocal<AttachCell> CELLS =
      ThreadLocal.withInitial(AttachCell::forThisThread);
  /**
   * The cells of recent threads by thread id, looked at before {@link #CELLS} (a field load and a
   * compare instead of a ThreadLocal lookup). Written only when a thread finds no entry of its
   * own, so a few threads on distinct entries never write. An entry may keep the cell and the
   * {@code Thread} object of a thread that ended (at most {@value #RECENT_SIZE}).
   */
  private static final AttachCell[] RECENT = new AttachCell[256];
  private static final int RECENT_SIZE = 256;
  private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
  /** libweft has no cell (an older libweft): every thread attaches through JNI. */
  private static volatile boolean unsupported;

  @Nullable private final ByteBuffer cell;
  @Nullable private final Thread owner;
  /** The gen this thread stored last: odd while a scope is open. */
  private int gen;
  /** What the cell's ids hold now: the SpanContext they were parsed from, or null. */
  @Nullable private Object idsOf;
  private long traceIdHigh;
  private long traceIdLow;
  private long spanId;
  /** The open scope was closed on another thread: this thread closes it at its next enter. */
  private volatile boolean closedElsewhere;
  /** The thread's reusable scope object ({@code dev.weft.NativeScope}), kept here for Weft. */
  @Nullable private Object scope;

  private AttachCell(@Nullable ByteBuffer cell, @Nullable Thread owner) {
    this.cell = cell;
    this.owner = owner;
  }

  /** The thread's reusable scope object, or null before {@link #scope(Object)}. */
  @Nullable
  public Object scope() {
    return scope;
  }

  /** Keeps the thread's reusable scope object (called once, on the owner thread). */
  public void scope(Object s) {
    scope = s;
  }

  /** The calling thread's cell, or null if it has none (a virtual thread, an older libweft). */
  @Nullable
  public static AttachCell current() {
    Thread thread = Thread.currentThread();
    int index = (int) thread.getId() & (RECENT_SIZE - 1);
    AttachCell c = RECENT[index];
    if (c != null && c.owner == thread) {
      return c;
    }
    c = CELLS.get();
    if (c.cell == null) {
      return null;
    }
    RECENT[index] = c;
    return c;
  }

  /**
   * Enters a scope of {@code spanContext} (valid), whose ids are written only if the cell does
   * not hold them already (the same span as the last scope on this thread).
   *
   * @return as {@link #enter(long, long, long, int)}
   */
  public int enter(io.opentelemetry.api.trace.SpanContext spanContext) {
    ByteBuffer b = cell;
    if (b == null || ((gen & 1) != 0 && !closeStale(b))) {
      return 0;
    }
    if (idsOf != spanContext) {
      writeIdsOf(b, spanContext);
    }
    return open(b, spanContext.getTraceFlags().asByte() & 0xff);
  }

  /**
   * Enters a scope of the given context (ids valid: non-zero).
   *
   * @return the scope's gen for {@link #close}, or 0 if a scope of this cell is open already
   *     (attach this one through JNI)
   */
  public int enter(long traceIdHigh, long traceIdLow, long spanId, int traceFlags) {
    ByteBuffer b = cell;
    if (b == null || ((gen & 1) != 0 && !closeStale(b))) {
      return 0;
    }
    if (idsOf != null || traceIdHigh != this.traceIdHigh || traceIdLow != this.traceIdLow
        || spanId != this.spanId) {
      writeIds(b, traceIdHigh, traceIdLow, spanId);
      idsOf = null;
    }
    return open(b, traceFlags);
  }

  /** The open scope was closed on another thread: its close now, on this (the right) thread. */
  private boolean closeStale(ByteBuffer b) {
    if (!closedElsewhere) {
      return false;
    }
    closedElsewhere = false;
    closeOwn(b, gen);
    return true;
  }

  private void writeIdsOf(ByteBuffer b, io.opentelemetry.api.trace.SpanContext spanContext) {
    String traceId = spanContext.getTraceId();
    writeIds(b, hexToLong(traceId, 0), hexToLong(traceId, 16),
        hexToLong(spanContext.getSpanId(), 0));
    idsOf = spanContext;
  }

  // Plain stores and loads (absolute ByteBuffer access, fewer checks than a VarHandle's):
  // libweft reads and writes the cell only on this thread, inside a native call, and the JIT
  // keeps every memory access in program order around a call it cannot see into.
  private void writeIds(ByteBuffer b, long high, long low, long span) {
    b.putLong(TRACE_ID_HIGH, high);
    b.putLong(TRACE_ID_LOW, low);
    b.putLong(SPAN_ID, span);
    traceIdHigh = high;
    traceIdLow = low;
    spanId = span;
  }

  /** The flags and the new odd gen in one store (they are adjacent), after the ids. */
  private int open(ByteBuffer b, int traceFlags) {
    int g = gen + 1;
    gen = g;
    long flags = traceFlags & 0xffffffffL;
    long genBits = g & 0xffffffffL;
    b.putLong(TRACE_FLAGS, LITTLE_ENDIAN ? genBits << 32 | flags : flags << 32 | genBits);
    return g;
  }

  private static long hexToLong(String hex, int offset) {
    long value = 0;
    for (int i = offset; i < offset + 16; i++) {
      value = (value << 4) | Character.digit(hex.charAt(i), 16);
    }
    return value;
  }

  /**
   * Closes the scope {@code g} returned by {@link #enter}, on the thread that entered it.
   *
   * @return 0; the {@code -errno} of libweft's attach for the scope ({@code -ENOSPC}, ...), to
   *     report; or {@link #DETACH_FAILED} if the scope was not this thread's open one
   */
  public int close(int g) {
    ByteBuffer b = cell;
    if (b == null) {
      return DETACH_FAILED;
    }
    if (Thread.currentThread() != owner) {
      closedElsewhere = true; // never written from here: the owner closes it at its next enter
      return DETACH_FAILED;
    }
    if (gen != g) { // also closed already: the gen is even
      return DETACH_FAILED;
    }
    return closeOwn(b, g);
  }

  private int closeOwn(ByteBuffer b, int g) {
    int next = g + 1;
    gen = next;
    b.putInt(GEN, next);
    if (b.getInt(DONE_GEN) != g) {
      return 0; // libweft never attached it: no native span was begun inside the scope
    }
    int result = b.getInt(RESULT);
    if (result < 0) {
      return result == -22 ? 0 : result; // -EINVAL: zero ids, ignored as by the JNI attach
    }
    return WeftJni.detach(result) == 0 ? 0 : DETACH_FAILED;
  }

  private static AttachCell forThisThread() {
    Thread thread = Thread.currentThread();
    if (unsupported || isVirtual(thread)) {
      return NONE;
    }
    ByteBuffer b;
    try {
      b = WeftJni.attachCell();
    } catch (UnsatisfiedLinkError e) {
      unsupported = true;
      logger.log(Level.FINE, "weft: the loaded libweft has no attach cell (an older libweft):"
          + " native calls are stitched through JNI attach and detach", e);
      return NONE;
    }
    if (b == null || b.capacity() != SIZE) {
      unsupported = true;
      return NONE;
    }
    return new AttachCell(b.order(ByteOrder.nativeOrder()), thread);
  }

  private static boolean isVirtual(Thread thread) {
    if (IS_VIRTUAL == null) {
      return false;
    }
    try {
      return (boolean) IS_VIRTUAL.invokeExact(thread);
    } catch (Throwable t) {
      return true; // cannot tell: the safe side is JNI
    }
  }

  @Nullable
  private static MethodHandle isVirtualHandle() {
    try {
      return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
          MethodType.methodType(boolean.class));
    } catch (NoSuchMethodException | IllegalAccessException e) {
      return null; // JDK 17-20: no virtual threads
    }
  }
}
