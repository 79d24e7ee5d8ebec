package dev.weft.demo;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.annotation.Nullable;

/**
 * The JNI binding of the demo's native library, libweftdemo ({@code examples/native}), a
 * pretend codec that records its stages with the Weft C SDK. It links libweft dynamically; the
 * build puts both next to each other in {@code examples/target/native}.
 */
public final class NativeCodec {
  /** System property naming libweftdemo.so (default: {@code native/} next to the demo's jar). */
  public static final String LIBRARY_PROPERTY = "weft.demo.library";

  /** What native code calls back. Implementations are wrapped with Weft.wrapUpcalls. */
  public interface Callbacks {
    /** Called on the calling thread during {@link #process}; its result goes into the checksum. */
    long enrich(int requestId);

    /** Called on the native worker thread (attached to the JVM for the call). */
    void workerProgress(int requestId);
  }

  private static Path loaded;

  private NativeCodec() {}

  /** Loads libweftdemo (and with it libweft) once; returns its path. */
  public static synchronized Path load() {
    if (loaded == null) {
      Path library = libraryPath();
      if (!Files.isRegularFile(library)) {
        throw new IllegalStateException("libweftdemo not found at " + library + ": build it with"
            + " `mvn -B -q install -DskipTests` from the repository root, or set -D"
            + LIBRARY_PROPERTY);
      }
      System.load(library.toString());
      loaded = library;
    }
    return loaded;
  }

  /** Where libweftdemo.so is: -Dweft.demo.library, else native/ beside the jar or classes dir. */
  public static Path libraryPath() {
    String property = System.getProperty(LIBRARY_PROPERTY);
    if (property != null && !property.isEmpty()) {
      return Path.of(property).toAbsolutePath();
    }
    try {
      Path code = Path.of(NativeCodec.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI());
      return code.toAbsolutePath().getParent().resolve("native").resolve("libweftdemo.so");
    } catch (URISyntaxException | SecurityException | NullPointerException e) {
      return Path.of("examples", "target", "native", "libweftdemo.so").toAbsolutePath();
    }
  }

  /**
   * One request: nested stages, a failing stage, a worker thread that calls {@code
   * callbacks.workerProgress}, then an upcall to {@code callbacks.enrich}. Returns a checksum;
   * an exception thrown by {@code enrich} propagates (the native spans end with ERROR status).
   */
  public static native long process(int requestId, byte[] payload, @Nullable Callbacks callbacks);

  /** A native lookup (span {@code codec.lookup}). */
  public static native long lookup(int key);

  /** The second native call of a request (span {@code codec.encode}). */
  public static native long encode(int requestId, byte[] payload);

  /** Begins a native span and returns without ending it. */
  public static native void leakSpan(String name);

  /** Begins and ends one native span (benchmarks). */
  public static native void oneSpan();

  /** Returns x + 1 (a trivial JNI call for benchmarks). */
  public static native int noop(int x);

  /** The segment the native library's libweft writes (its view), or null. */
  @Nullable
  public static native String segmentPath();

  /** The file the native library's libweft was loaded from (dladdr). */
  @Nullable
  public static native String libweftFile();

  /** weft_init's result in the native library: 0 or a negative errno. */
  public static native int initStatus();
}
