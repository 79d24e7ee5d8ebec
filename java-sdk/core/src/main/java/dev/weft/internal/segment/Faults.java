package dev.weft.internal.segment;

/**
 * Where a fault in mapped memory is delivered. A read of a page the file no longer covers raises
 * SIGBUS; HotSpot turns it into an {@link InternalError}, thrown synchronously on some JDKs and,
 * on others (JDK 17 in compiled code), only at the next transition out of native code or the VM,
 * possibly in unrelated code much later. {@link #deliverPending} is such a transition (a call to
 * a native method), made right after a series of mapped reads, so that the error is thrown
 * inside the handler that expects it and before anything read by the faulting accesses is
 * trusted.
 */
public final class Faults {
  private static final Object NOT_HELD = new Object();

  private Faults() {}

  /** Throws the pending {@link InternalError} of a recent faulting mapped access, if any. */
  public static void deliverPending() {
    // A native method, not an intrinsic: its return from native code delivers the error.
    Thread.holdsLock(NOT_HELD);
  }
}
