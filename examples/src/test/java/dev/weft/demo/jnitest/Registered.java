package dev.weft.demo.jnitest;

import java.nio.file.Path;

/**
 * The binding of libregistered.so (examples/jni-tests, test only): its JNI_OnLoad binds work() with RegisterNatives. The library records spans
 * with WEFT_TRACER and never calls weft_init. Loaded in this class's static initialiser, i.e.
 * inside the first call.
 */
public final class Registered {
  static {
    System.load(Path.of(System.getProperty("weft.jnitests.dir"), "libregistered.so").toString());
  }

  private Registered() {}

  /** One span named after the library with {@code rounds} child spans "stage". */
  public static native long work(int rounds);
}
