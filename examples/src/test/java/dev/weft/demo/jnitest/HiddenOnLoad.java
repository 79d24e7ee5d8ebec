package dev.weft.demo.jnitest;

import java.nio.file.Path;

/**
 * The binding of libhiddenonload.so (examples/jni-tests, test only): its version script exports only Java_* symbols, so JNI_OnLoad never runs. The library records spans
 * with WEFT_TRACER and never calls weft_init. Loaded in this class's static initialiser, i.e.
 * inside the first call.
 */
public final class HiddenOnLoad {
  static {
    System.load(Path.of(System.getProperty("weft.jnitests.dir"), "libhiddenonload.so").toString());
  }

  private HiddenOnLoad() {}

  /** One span named after the library with {@code rounds} child spans "stage". */
  public static native long work(int rounds);
}
