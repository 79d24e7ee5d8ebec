package com.example.nativelib;

/**
 * A JNI binding whose library registers its natives with RegisterNatives in JNI_OnLoad
 * (libweftagent_reg.so exports no Java_* symbol), loaded lazily, with no Weft code.
 */
public final class RegisteredCodec {
  static {
    TestLibraries.load("weftagent_reg");
  }

  private RegisteredCodec() {}

  /** Records a native span "reg.encode"; returns x + 100. */
  public static native int encode(int x);
}
