package dev.weft.demo.jnitest;

import java.nio.file.Path;

/**
 * The binding of liblazyloaded.so (examples/jni-tests, test only): loaded by this static initialiser, inside the first call. The library records spans
 * with WEFT_TRACER and never calls weft_init. Loaded in this class's static initialiser, i.e.
 * inside the first call.
 */
public final class LazyLoaded {
  static {
    System.load(Path.of(System.getProperty("weft.jnitests.dir"), "liblazyloaded.so").toString());
  }

  private LazyLoaded() {}

  /** One span named after the library with {@code rounds} child spans "stage". */
  public static native long work(int rounds);
}
