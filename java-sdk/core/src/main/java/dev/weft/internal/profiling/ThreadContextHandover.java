package dev.weft.internal.profiling;

import dev.weft.internal.jni.LibraryLoader;
import dev.weft.internal.jni.WeftJni;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Under the OpenTelemetry Java agent, the Weft extension wraps the agent's own context storage
 * ({@link ThreadContextStorage} in the extension's loader), but that loader makes no JNI call:
 * once libweft is loaded on the application's side, this hands it, through the Weft agent's
 * {@code WeftAgentHook.threadContextRecords}, a supplier of the calling thread's OTEP 4947 record
 * (the JNI call is this loader's; after a yield, calling it withdraws the thread's record) and in
 * {@code WeftAgentHook.threadContextSwitch} libweft's switch word, or, in {@code WeftAgentHook.threadContextOff}, why there is
 * none. The same way as the Resource goes the other way ({@link ProcessContextPublisher}).
 * Without the Weft agent it does nothing.
 */
public final class ThreadContextHandover {
  private static final Logger logger = Logger.getLogger(ThreadContextHandover.class.getName());
  static final String HOOK = "dev.weft.agent.hook.WeftAgentHook";

  private ThreadContextHandover() {}

  /** Once libweft is loaded on the application's side: the records go to the agent's side. */
  public static void onLibraryLoaded() {
    if (LibraryLoader.loadedPath() == null) {
      return;
    }
    Class<?> hook = hookClass();
    if (hook == null) {
      return;
    }
    try {
      Field off = hook.getField("threadContextOff");
      Field records = hook.getField("threadContextRecords");
      ByteBuffer on = (WeftJni.otelStatus() & 1) != 0 ? WeftJni.threadContextSwitch() : null;
      if (on == null) {
        off.set(null, WeftJni.otelStatusMessage());
        return;
      }
      hook.getField("threadContextSwitch").set(null, on); // before the records: read with them
      Supplier<ByteBuffer> supplier = () -> record(off);
      records.set(null, supplier);
    } catch (ReflectiveOperationException | RuntimeException e) {
      logger.log(Level.WARNING, "weft: the thread context cannot be handed to the Weft agent,"
          + " so JVM spans under the OpenTelemetry agent are not published to profilers: " + e);
    }
  }

  @Nullable
  private static ByteBuffer record(Field off) {
    ByteBuffer record = WeftJni.threadContextRecord();
    if (record == null) {
      try {
        off.set(null, WeftJni.otelStatusMessage());
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e); // a public field of a public class
      }
    }
    return record;
  }

  @Nullable
  static Class<?> hookClass() {
    try {
      return Class.forName(HOOK, true, ClassLoader.getSystemClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      return null;
    }
  }
}
