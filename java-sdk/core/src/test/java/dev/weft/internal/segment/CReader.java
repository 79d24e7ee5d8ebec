package dev.weft.internal.segment;

import java.nio.file.Files;
import java.nio.file.Path;
import javax.annotation.Nullable;

/**
 * The C reference reader, in this JVM (c-sdk/tools/weft_read_stats_jni.c, built by CMake beside
 * {@code weft-read-stats}): what {@code weft-read-stats --adopt} finds in an image, without a
 * process or a file per input. The image gets our uid and its own length, as {@link
 * ReaderStats#adopt} does. Not thread-safe (one native buffer and reader, reused).
 */
final class CReader {
  /** The library, from {@code -Dweft.read.stats.jni} or the CMake build directory. */
  static final Path LIBRARY = library();
  @Nullable private static String loadError;
  private static boolean loaded;

  private CReader() {}

  private static Path library() {
    String explicit = System.getProperty("weft.read.stats.jni");
    if (explicit != null && !explicit.isEmpty()) {
      return Path.of(explicit).toAbsolutePath();
    }
    return Path.of(System.getProperty("weft.native.build.dir", "../../c-sdk/target/cmake"),
        "tools", "libweft_read_stats_jni.so").toAbsolutePath();
  }

  /**
   * Loads the library once.
   *
   * @return null, or why the C reader is not available (with the fix)
   */
  @Nullable
  static synchronized String unavailable() {
    if (!loaded && loadError == null) {
      if (!Files.isRegularFile(LIBRARY)) {
        loadError = "C reader library not built: no " + LIBRARY + " (it is"
            + " c-sdk/tools/weft_read_stats_jni.c: build the C SDK first, e.g. mvn -B -pl c-sdk"
            + " verify -DskipTests, or pass -Dweft.read.stats.jni=PATH)";
      } else {
        try {
          System.load(LIBRARY.toString());
          loaded = true;
        } catch (UnsatisfiedLinkError e) {
          loadError = "C reader library " + LIBRARY + " does not load: " + e.getMessage();
        }
      }
    }
    return loaded ? null : loadError;
  }

  /** The C reader's verdict on {@code image}, in {@link ReaderStats}'s terms. */
  static String read(byte[] image) {
    long[] r = read0(image);
    return r[0] != 0 ? "{\"rejected\":true}"
        : String.format("{\"rejected\":false,\"spansRead\":%d,\"openSpans\":%d,"
            + "\"corruptRecords\":%d,\"unknownRecords\":%d}", r[1], r[2], r[3], r[4]);
  }

  /** Why the last image was refused ("" if it was not). */
  static String refusal() {
    return refusal0();
  }

  private static native long[] read0(byte[] image);

  private static native String refusal0();
}
