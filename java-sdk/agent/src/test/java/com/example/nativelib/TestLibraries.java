package com.example.nativelib;

import java.nio.file.Path;

/** Where the test JNI libraries are (target/test-native, from -Dweft.agent.test.native.dir). */
final class TestLibraries {
  private TestLibraries() {}

  static void load(String name) {
    String dir = System.getProperty("weft.agent.test.native.dir");
    if (dir == null) {
      throw new IllegalStateException("-Dweft.agent.test.native.dir is not set");
    }
    System.load(Path.of(dir, "lib" + name + ".so").toAbsolutePath().toString());
  }
}
