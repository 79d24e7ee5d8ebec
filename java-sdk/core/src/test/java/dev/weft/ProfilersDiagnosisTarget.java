package dev.weft;

/**
 * The JVM that {@link WeftDiagnosisProfilersTest} starts: libweft started by a JVM attach, JVM
 * spans published or not, and, in mode {@code late}, another writer of the thread context loaded
 * after Weft started ({@code System.load}); prints {@link Weft#diagnose()} twice (the second
 * time with the summary), each line prefixed {@code diag|}.
 */
public final class ProfilersDiagnosisTarget {
  private ProfilersDiagnosisTarget() {}

  public static void main(String[] args) {
    String mode = args[0];
    if (!mode.equals("plain") && !Weft.publishThreadContext()) {
      System.out.println("publishThreadContext=false");
    }
    try (NativeScope scope = Weft.enterNative(0x1234L, 0x5678L, 0x9aL, 1)) {
      System.out.println("attached=" + (scope != null));
    }
    if (mode.equals("late")) {
      System.load(java.nio.file.Path.of(args[1]).toAbsolutePath().toString()); // defines otel_thread_ctx_v1 too, as a profiler's library would
    }
    for (int i = 0; i < 2; i++) {
      WeftDiagnosis d = Weft.diagnose();
      for (String line : d.toString().split("\n")) {
        System.out.println("diag|" + line);
      }
      if (i == 1) {
        System.out.println("summary|" + d.summary());
      }
    }
  }
}
