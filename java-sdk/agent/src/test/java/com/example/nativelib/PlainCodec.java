package com.example.nativelib;

/** The same trivial native call as {@link SymbolCodec#noop}, in a class the agent leaves alone. */
public final class PlainCodec {
  static {
    TestLibraries.load("weftagent_sym");
  }

  private PlainCodec() {}

  /** Returns x + 1, recording nothing. */
  public static native int noop(int x);
}
