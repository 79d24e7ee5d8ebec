package com.example.nativelib;

import java.lang.instrument.Instrumentation;

/**
 * Premain of a test agent given before the Weft agent: loads (without initialising) a class with
 * native methods, which the Weft agent then can no longer instrument and must warn about.
 */
public final class EarlyLoader {
  private EarlyLoader() {}

  public static void premain(String args, Instrumentation inst) throws ClassNotFoundException {
    Class.forName(args, false, ClassLoader.getSystemClassLoader());
  }
}
