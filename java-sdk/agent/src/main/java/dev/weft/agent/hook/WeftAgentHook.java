package dev.weft.agent.hook;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import javax.annotation.Nullable;

/**
 * The part of the Weft agent that instrumented classes call. It is loaded from the agent jar by
 * the system class loader (every {@code -javaagent} jar is on the system class path), so class
 * loaders that delegate to it share it; the agent instruments only classes whose loader sees
 * this very class. (Not on the bootstrap class path: appending to it would turn off class data
 * sharing for the application's classes, with a JVM warning.)
 *
 * <p>{@link #failed(Throwable)} is the exception handler of the advice around every stitched
 * native method: a failure inside Weft (attach or detach) never reaches the native call, and is
 * reported once.
 */
public final class WeftAgentHook {
  /**
   * Set by the Weft extension of the OpenTelemetry Java agent: the agent's current span as
   * {@code {traceIdHigh, traceIdLow, spanId, traceFlags}} (null: none), read directly from the
   * agent's context. Null without the OpenTelemetry agent: the wrappers use {@code
   * Weft.enterNative()}. Only JDK types, since it is set from another class loader.
   */
  @Nullable public static volatile Supplier<long[]> contextReader;

  /**
   * Set by the Weft extension of the OpenTelemetry Java agent: the agent's final Resource, encoded
   * as an {@code opentelemetry.proto.resource.v1.Resource}, for the OpenTelemetry process context
   * (OTEP 4719) that the application's side publishes through libweft when it loads it. Null
   * without the OpenTelemetry agent.
   */
  @Nullable public static volatile byte[] processResource;

  /**
   * Set by the application's side ({@code dev.weft.Weft}) once it has loaded libweft, for the
   * Weft extension of the OpenTelemetry Java agent, which makes no JNI call: called on a thread,
   * it returns that thread's OTEP 4947 record in libweft's thread-local storage as a direct
   * buffer (null: thread context publication is off, {@link #threadContextOff} says why). The
   * extension's wrapper of the agent's context storage writes the record in place when the
   * thread's current span changes. Null until libweft is loaded on the application's side. Only
   * JDK types, since it is read from another class loader.
   */
  @Nullable public static volatile Supplier<ByteBuffer> threadContextRecords;

  /**
   * Set by the application's side when libweft publishes no thread context (another writer of
   * {@code otel_thread_ctx_v1}, or {@code WEFT_OTEL_THREAD_CTX=false}): the reason and the fix.
   */
  @Nullable public static volatile String threadContextOff;

  /**
   * Set by the application's side, before {@link #threadContextRecords}: libweft's process-wide
   * switch of those records ({@code WeftJni.threadContextSwitch}, one 32-bit word, 0 once libweft
   * yielded to another writer of {@code otel_thread_ctx_v1}), which the Weft extension reads at
   * each context change.
   */
  @Nullable public static volatile ByteBuffer threadContextSwitch;

  /**
   * Set by the Weft extension once it has wrapped the OpenTelemetry agent's context storage
   * ({@code weft.threadctx.java}), for {@code Weft.diagnose()} on the application's side.
   */
  public static volatile boolean threadContextWrapped;

  private static final AtomicBoolean reported = new AtomicBoolean();
  private static volatile long failures;

  private WeftAgentHook() {}

  /**
   * Called by the advice when attaching or detaching the JVM span threw: the native call goes on
   * unstitched. Logs the first failure with its stack trace (on standard error: the agent does
   * not initialise the application's logging), then only counts.
   */
  public static void failed(Throwable t) {
    failures++;
    if (reported.compareAndSet(false, true)) {
      System.err.println("[weft-agent] WARNING: stitching a native call failed; the call itself"
          + " is unaffected and goes on without the JVM span attached. Further failures are"
          + " only counted (WeftAgentHook.failures()). Cause: " + t);
      t.printStackTrace();
    }
  }

  /** How many stitched native calls ran unstitched because Weft failed (approximate). */
  public static long failures() {
    return failures;
  }
}
