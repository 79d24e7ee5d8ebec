package dev.weft.demo;

import dev.weft.Weft;
import dev.weft.internal.jni.LibraryLoader;

/**
 * Run in a child JVM by {@link LibraryLoadingTest}: loads the app library and libweft in the
 * order given by {@code args[0]} ({@code app-first} or {@code weft-first}) and prints what each
 * side sees, as {@code key=value} lines.
 */
public final class LoadOrderProbe {
  private LoadOrderProbe() {}

  public static void main(String[] args) {
    try {
      if (args[0].equals("app-first")) {
        NativeCodec.load();
        System.out.println("weft=" + Weft.load());
      } else {
        System.out.println("weft=" + Weft.load());
        NativeCodec.load();
      }
      System.out.println("appLibweft=" + NativeCodec.libweftFile());
      System.out.println("mapped=" + LibraryLoader.mappedLibweft().size());
      System.out.println("jvmSegment=" + Weft.segmentPath());
      System.out.println("appSegment=" + NativeCodec.segmentPath());
    } catch (IllegalStateException e) {
      System.out.println("error=" + e.getMessage());
    }
  }
}
