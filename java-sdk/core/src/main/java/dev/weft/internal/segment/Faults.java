package dev.weft.internal.segment;

/**
 * Where a fault in mapped memory is delivered. A read of a page the file no longer covers raises
 * SIGBUS; HotSpot turns it into an {@link InternalError}. JDK 25 throws it at the access. JDK 17
 * throws it at the access from the interpreter, but from compiled code only at a later point in
 * the same thread (the next safepoint it stops at), possibly in unrelated code, and meanwhile the
 * faulting reads return whatever was in the register. So the reader (1) confines mapped reads to
 * the collector thread, whose loop catches the error wherever it surfaces; (2) calls
 * {@link #deliverPending} after a series of mapped reads, which delivers it where the JVM checks
 * on the return from a native method; and (3) before it trusts values that would change state
 * (a corrupt verdict, the counters it publishes), checks that the file still covers the mapping
 * ({@link Segment#requireWhole}).
 */
public final class Faults {
  private static final Object NOT_HELD = new Object();

  private Faults() {}

  /** Throws the pending {@link InternalError} of a recent faulting mapped access, where the JVM can. */
  public static void deliverPending() {
    // A native method, not an intrinsic: its return from native code delivers the error.
    Thread.holdsLock(NOT_HELD);
  }
}
