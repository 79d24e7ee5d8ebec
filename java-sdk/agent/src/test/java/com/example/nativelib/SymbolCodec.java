package com.example.nativelib;

/**
 * A JNI binding as a third-party library would have it, with no Weft code: its natives are bound
 * by symbol lookup (libweftagent_sym.so exports Java_com_example_nativelib_SymbolCodec_*), and
 * the library is loaded lazily, in the static initialiser.
 */
public class SymbolCodec {
  static {
    TestLibraries.load("weftagent_sym");
  }

  /** Records a native span "sym.encode"; returns x + 1. */
  public static native int encode(int x);

  /** Records a native span "sym.scale"; returns (x + 1) * 2. An instance method. */
  public native int scale(int x);

  /** Records a native span "sym.fail", then throws IllegalStateException(message) from C. */
  public static native void fail(String message);

  /** Returns x + 1, recording nothing (for the benchmark). */
  public static native int noop(int x);
}
