package dev.weft.internal.profiling;

import dev.weft.internal.jni.LibraryLoader;
import dev.weft.internal.jni.WeftJni;
import io.opentelemetry.sdk.resources.Resource;
import java.lang.reflect.Field;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Puts the JVM's Resource into the OpenTelemetry process context (OTEP 4719) that libweft
 * publishes, in place of the Resource the native side knows. Called when a collector starts with
 * its final Resource. Under the OpenTelemetry Java agent, the collector runs in the agent's
 * extension class loader, which does not use JNI: there the encoded Resource is handed to the
 * Weft agent's {@code WeftAgentHook.processResource}, and the application's side publishes it
 * when it loads libweft.
 */
public final class ProcessContextPublisher {
  private static final Logger logger = Logger.getLogger(ProcessContextPublisher.class.getName());
  private static final String HOOK = "dev.weft.agent.hook.WeftAgentHook";
  private static volatile boolean viaAgentHook;
  private static volatile boolean warned;
  @Nullable private static byte[] pending;

  private ProcessContextPublisher() {}

  /** In the OpenTelemetry agent's extension loader: hand the Resource over, make no JNI call. */
  public static void useAgentHook() {
    viaAgentHook = true;
  }

  /**
   * Publishes {@code resource} in the process context now if libweft is loaded, else as soon as
   * it is ({@link #onLibraryLoaded()}); this never loads libweft itself.
   */
  public static void publish(Resource resource) {
    byte[] encoded = ResourceEncoder.encode(resource);
    if (viaAgentHook) {
      Field field = hookField();
      if (field != null) {
        try {
          field.set(null, encoded);
        } catch (IllegalAccessException | RuntimeException e) {
          warn("the Resource cannot be handed to the Weft agent: " + e);
        }
      }
      return;
    }
    synchronized (ProcessContextPublisher.class) {
      pending = encoded;
      if (LibraryLoader.loadedPath() != null) {
        set(encoded);
      }
    }
  }

  /**
   * Once libweft is loaded on the application's side: publishes the Resource a collector of this
   * loader gave, else the one the agent extension left in the hook, if any.
   */
  public static void onLibraryLoaded() {
    if (LibraryLoader.loadedPath() == null) {
      return;
    }
    synchronized (ProcessContextPublisher.class) {
      if (pending != null) {
        set(pending);
        return;
      }
    }
    Field field = hookField();
    if (field == null) {
      return;
    }
    try {
      Object encoded = field.get(null);
      if (encoded instanceof byte[]) {
        set((byte[]) encoded);
      }
    } catch (IllegalAccessException | RuntimeException e) {
      warn("the Resource of the OpenTelemetry agent cannot be read from the Weft agent: " + e);
    }
  }

  private static void set(byte[] encoded) {
    int rc = WeftJni.setProcessResource(encoded);
    if (rc != 0) {
      warn("the JVM's Resource is not in the OpenTelemetry process context (" + rc + "): "
          + WeftJni.otelStatusMessage());
    }
  }

  @Nullable
  private static Field hookField() {
    try {
      Class<?> hook = Class.forName(HOOK, true, ClassLoader.getSystemClassLoader());
      return hook.getField("processResource");
    } catch (ClassNotFoundException | NoSuchFieldException | RuntimeException e) {
      return null;
    }
  }

  private static void warn(String message) {
    if (!warned) {
      warned = true;
      logger.log(Level.WARNING, "weft: " + message);
    }
  }
}
