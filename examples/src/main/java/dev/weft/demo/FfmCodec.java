package dev.weft.demo;

import java.util.function.IntToLongFunction;

/**
 * The demo's native codec called through the FFM API (JDK 22+) instead of JNI: the same C code
 * ({@code weftdemo_*} functions), the same Weft scopes around each call. The implementation is
 * compiled only on JDK 22+ ({@code src/main/java22}, Maven profile {@code jdk22}).
 */
public interface FfmCodec {
  /** The implementation class, present when the build ran on JDK 22+. */
  String IMPLEMENTATION = "dev.weft.demo.FfmCodecImpl";

  /** One request (no callback on the worker thread); {@code enrich} is an FFM upcall. */
  long process(int requestId, byte[] payload, IntToLongFunction enrich);

  long lookup(int key);

  long encode(int requestId, byte[] payload);

  /**
   * Loads the FFM binding (and libweftdemo).
   *
   * @throws UnsupportedOperationException on JDK 21 and older, or if the build ran on one
   */
  static FfmCodec load() {
    if (Runtime.version().feature() < 22) {
      throw new UnsupportedOperationException("FFM calls need JDK 22+; this JVM is "
          + Runtime.version());
    }
    NativeCodec.load();
    try {
      return Class.forName(IMPLEMENTATION).asSubclass(FfmCodec.class).getConstructor()
          .newInstance();
    } catch (ClassNotFoundException e) {
      throw new UnsupportedOperationException("the FFM binding was not compiled: build with"
          + " JDK 22+ (Maven profile jdk22)", e);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
