package dev.weft.internal.jni;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Attach and detach around every stitched native call, by the cheapest way the JVM offers.
 *
 * <p>By default ({@code -Dweft.boundary=cell}, any JDK), {@link AttachCell}: plain stores into
 * the thread's cell in libweft's thread-local storage, no JNI call at the enter, and one at the
 * close only if the native call began a span. A scope nested in another on the same thread, a
 * virtual thread, and every attach until the first successful one (which may start the native
 * side, create the segment and calibrate the clock) go through the calls below.
 *
 * <p>The calls: on JDK 22+ with native access enabled for Weft and {@code -Dweft.boundary=ffm},
 * critical FFM downcalls ({@code Linker.Option.critical(false)}: no thread-state transition, as
 * for a leaf function) of {@code weft_context_attach_ids} and {@code weft_context_detach};
 * otherwise the JNI methods of {@link WeftJni}. The FFM handles are made by reflection once
 * (this class is compiled for Java 17) and called with {@code invokeExact} from {@code static
 * final} fields, which the JIT inlines as constants. A critical downcall must be short and must
 * not block: until the first successful attach, JNI is used.
 *
 * <p>{@code -Dweft.boundary=jni} keeps the JNI calls for every scope (for comparison, or if a
 * JDK misbehaves).
 */
public final class Boundary {
  private static final Logger logger = Logger.getLogger(Boundary.class.getName());

  /** System property: {@code cell} (default), {@code jni} or {@code ffm}. */
  public static final String PROPERTY = "weft.boundary";

  @Nullable private static final MethodHandle ATTACH;
  @Nullable private static final MethodHandle DETACH;
  private static final String MODE;
  /** Scopes go through {@link AttachCell} (after the first successful attach). */
  private static final boolean CELL;

  /** Set after the first successful attach when the FFM handles exist. */
  private static volatile boolean critical;
  /** Set after the first successful attach in cell mode. */
  private static volatile boolean cellReady;

  static {
    MethodHandle attach = null;
    MethodHandle detach = null;
    String mode;
    boolean cell = false;
    // The critical FFM downcalls are opt-in (-Dweft.boundary=ffm): the demo's stitching test saw
    // no segment with them on, on JDK 25.
    String choice = System.getProperty(PROPERTY, "cell").trim();
    if (choice.equals("auto")) {
      choice = "cell";
    }
    if (choice.equals("cell")) {
      cell = true;
      mode = "cell (the default: plain stores into libweft's per-thread cell, a JNI detach only"
          + " after a native span; -D" + PROPERTY + "=jni or =ffm for calls at every scope)";
    } else if (choice.equals("jni")) {
      mode = "jni (-D" + PROPERTY + "=jni)";
    } else if (Runtime.version().feature() < 22) {
      mode = "jni (critical FFM downcalls need JDK 22+)";
      if (!choice.equals("ffm")) {
        logger.log(Level.WARNING, "weft: -D" + PROPERTY + "=" + choice + " is not cell, jni or"
            + " ffm; using jni");
      }
    } else {
      if (!choice.equals("ffm")) {
        logger.log(Level.WARNING, "weft: -D" + PROPERTY + "=" + choice + " is not cell, jni or"
            + " ffm; using ffm");
      }
      MethodHandle[] handles = new MethodHandle[2];
      mode = makeHandles(handles);
      attach = handles[0];
      detach = handles[1];
    }
    ATTACH = attach;
    DETACH = detach;
    MODE = mode;
    CELL = cell;
  }

  private Boundary() {}

  /** How native calls are stitched in this JVM, and why (for the diagnosis and benchmarks). */
  public static String mode() {
    return critical ? "ffm-critical" : ATTACH != null ? "ffm-critical after the first attach"
        : CELL && !cellReady ? MODE + ", after the first attach" : MODE;
  }

  /**
   * The calling thread's {@link AttachCell} if scopes go through cells now, else null (the
   * mode is not {@code cell}, no attach succeeded yet, a virtual thread, an older libweft).
   */
  @Nullable
  public static AttachCell cell() {
    return cellReady ? AttachCell.current() : null;
  }

  /** {@link WeftJni#attach}, by the cheapest transition available. */
  public static int attach(long traceIdHigh, long traceIdLow, long spanId, int traceFlags) {
    if (critical) {
      try {
        return (int) ATTACH.invokeExact(traceIdHigh, traceIdLow, spanId, traceFlags);
      } catch (Throwable t) {
        throw new IllegalStateException("weft: the attach downcall failed", t);
      }
    }
    int token = WeftJni.attach(traceIdHigh, traceIdLow, spanId, traceFlags);
    if (token >= 0) {
      if (ATTACH != null && !critical) {
        critical = true;
      } else if (CELL && !cellReady) {
        cellReady = true;
      }
    }
    return token;
  }

  /** {@link WeftJni#detach}, by the cheapest transition available. */
  public static int detach(int token) {
    if (critical) {
      try {
        return (int) DETACH.invokeExact(token);
      } catch (Throwable t) {
        throw new IllegalStateException("weft: the detach downcall failed", t);
      }
    }
    return WeftJni.detach(token);
  }

  /** The two handles into {@code handles}, or the reason there are none. */
  private static String makeHandles(MethodHandle[] handles) {
    try {
      Method enabled = Module.class.getMethod("isNativeAccessEnabled");
      if (!(Boolean) enabled.invoke(Boundary.class.getModule())) {
        return "jni (native access is not enabled for Weft: --enable-native-access="
            + "ALL-UNNAMED, or Weft's module, turns on the faster FFM downcalls)";
      }
      Path library = LibraryLoader.loadedPath();
      if (library == null) {
        return "jni (libweft not loaded yet)";
      }
      Class<?> linkerClass = Class.forName("java.lang.foreign.Linker");
      Class<?> optionClass = Class.forName("java.lang.foreign.Linker$Option");
      Class<?> lookupClass = Class.forName("java.lang.foreign.SymbolLookup");
      Class<?> arenaClass = Class.forName("java.lang.foreign.Arena");
      Class<?> segmentClass = Class.forName("java.lang.foreign.MemorySegment");
      Class<?> layoutClass = Class.forName("java.lang.foreign.MemoryLayout");
      Class<?> valueLayoutClass = Class.forName("java.lang.foreign.ValueLayout");
      Class<?> descriptorClass = Class.forName("java.lang.foreign.FunctionDescriptor");
      Object linker = linkerClass.getMethod("nativeLinker").invoke(null);
      Object arena = arenaClass.getMethod("global").invoke(null);
      // the libweft LibraryLoader loaded: dlopen of the same file returns the same instance
      Object lookup = lookupClass.getMethod("libraryLookup", Path.class, arenaClass)
          .invoke(null, library, arena);
      Method find = lookupClass.getMethod("find", String.class);
      Optional<?> attachSymbol = (Optional<?>) find.invoke(lookup, "weft_context_attach_ids");
      Optional<?> detachSymbol = (Optional<?>) find.invoke(lookup, "weft_context_detach");
      if (attachSymbol.isEmpty() || detachSymbol.isEmpty()) {
        return "jni (" + library + " has no weft_context_attach_ids: an older libweft)";
      }
      Object javaLong = valueLayoutClass.getField("JAVA_LONG").get(null);
      Object javaInt = valueLayoutClass.getField("JAVA_INT").get(null);
      Method of = descriptorClass.getMethod("of", layoutClass, layoutClass.arrayType());
      Object[] attachArgs = (Object[]) Array.newInstance(layoutClass, 4);
      attachArgs[0] = javaLong;
      attachArgs[1] = javaLong;
      attachArgs[2] = javaLong;
      attachArgs[3] = javaInt;
      Object[] detachArgs = (Object[]) Array.newInstance(layoutClass, 1);
      detachArgs[0] = javaInt;
      Object attachDescriptor = of.invoke(null, javaInt, attachArgs);
      Object detachDescriptor = of.invoke(null, javaInt, detachArgs);
      Object[] options = (Object[]) Array.newInstance(optionClass, 1);
      options[0] = optionClass.getMethod("critical", boolean.class).invoke(null, false);
      Method downcall = linkerClass.getMethod("downcallHandle", segmentClass, descriptorClass,
          optionClass.arrayType());
      handles[0] = (MethodHandle) downcall.invoke(linker, attachSymbol.get(), attachDescriptor,
          options);
      handles[1] = (MethodHandle) downcall.invoke(linker, detachSymbol.get(), detachDescriptor,
          options);
      return "ffm-critical";
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      handles[0] = null;
      handles[1] = null;
      logger.log(Level.FINE, "weft: no FFM downcalls, native calls are stitched through JNI", e);
      return "jni (FFM downcalls could not be made: " + e + ")";
    }
  }
}
