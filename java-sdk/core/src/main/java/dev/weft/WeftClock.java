package dev.weft;

import dev.weft.internal.jni.LibraryLoader;
import dev.weft.internal.jni.WeftJni;
import io.opentelemetry.sdk.common.Clock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The OpenTelemetry SDK {@link Clock} on libweft's anchor, so that a JVM span and the native
 * spans under it are stamped on one timeline and a native child never appears outside its JVM
 * parent. Weft's autoconfiguration ({@code WeftAutoConfigurationCustomizerProvider}) and its
 * OpenTelemetry Java agent extension install it into the tracer provider they customize; an
 * application that builds its own {@code SdkTracerProvider} installs it with {@code
 * SdkTracerProvider.builder().setClock(WeftClock.getInstance())}.
 *
 * <p>{@link #now()} is libweft's {@code weft_now_unix_nanos()}: the native span clock (the
 * invariant TSC or CLOCK_MONOTONIC, anchored to the epoch once at the native start). Before
 * libweft is loaded by Weft (it is never loaded by this clock, so that the application's native
 * library decides which libweft the process uses), it is the SDK's default clock.
 *
 * <p>{@link #nanoTime()} is {@link System#nanoTime()} (CLOCK_MONOTONIC on Linux, which libweft's
 * clock follows), except for the first call after {@link #now()} on the same thread, which returns
 * the {@code System.nanoTime()} read together with that {@code now()}. The SDK anchors each
 * trace's clock with {@code now()} and then {@code nanoTime()}; a GC or safepoint pause between
 * those two reads would otherwise shift every JVM span of that trace by the pause (2.9 ms was
 * seen in CI), while the native spans are not shifted.
 */
public final class WeftClock implements Clock {
  private static final Logger logger = Logger.getLogger(WeftClock.class.getName());
  private static final WeftClock INSTANCE = new WeftClock(100_000_000L);

  /** The nanoTime() read with the last now() on this thread, and whether it is still unused. */
  private static final ThreadLocal<long[]> pendingAnchor = ThreadLocal.withInitial(() ->
      new long[2]);

  private static volatile boolean nativeUnusable;

  /** How long after now() the next nanoTime() still gets its anchor (a bound for misuse). */
  private final long anchorWindowNanos;

  WeftClock(long anchorWindowNanos) {
    this.anchorWindowNanos = anchorWindowNanos;
  }

  /** The clock; one per JVM. */
  public static WeftClock getInstance() {
    return INSTANCE;
  }

  @Override
  public long now() {
    long[] pending = pendingAnchor.get();
    long nano = System.nanoTime();
    long epoch = nativeNow();
    pending[0] = nano;
    pending[1] = 1;
    return epoch;
  }

  /** As {@link #now()}, without anchoring the next {@link #nanoTime()} (not the SDK's anchor read). */
  @Override
  public long now(boolean highPrecision) {
    return nativeNow();
  }

  @Override
  public long nanoTime() {
    long nano = System.nanoTime();
    long[] pending = pendingAnchor.get();
    if (pending[1] != 0) {
      pending[1] = 0;
      if (nano - pending[0] < anchorWindowNanos) {
        return pending[0];
      }
    }
    return nano;
  }

  /** Where the timestamps come from now: "libweft (tsc)", "libweft (monotonic: why)", or the SDK's. */
  public static String source() {
    if (!nativeUnusable && LibraryLoader.isLoaded()) {
      try {
        return "libweft (" + WeftJni.clockSource() + ")";
      } catch (UnsatisfiedLinkError e) {
        unusable(e);
      }
    }
    return "the OpenTelemetry SDK's default clock (libweft not loaded)";
  }

  private static long nativeNow() {
    if (!nativeUnusable && LibraryLoader.isLoaded()) {
      try {
        return WeftJni.nowUnixNanos();
      } catch (UnsatisfiedLinkError e) {
        unusable(e);
      }
    }
    return Clock.getDefault().now();
  }

  /** A libweft without the entry point (older), or bound in another class loader. */
  private static void unusable(UnsatisfiedLinkError e) {
    if (!nativeUnusable) {
      nativeUnusable = true;
      logger.log(Level.WARNING, "weft: JVM spans keep the SDK's default clock, not libweft's ("
          + e.getMessage() + "): native children may appear shifted against their JVM parents by"
          + " up to a few milliseconds. Fix: use the libweft of the same Weft release as"
          + " weft-java-sdk");
    }
  }

  @Override
  public String toString() {
    return "WeftClock{" + source() + "}";
  }
}
