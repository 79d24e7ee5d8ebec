package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WeftDiagnosis} shows what profilers see (docs/architecture.md "Profilers"), once per
 * report: the process context, the thread context for native and for JVM spans, and, when Weft
 * yielded to another writer (here one loaded after Weft started), to whom and the fix, and that a
 * JVM-only thread's record is withdrawn at its next context change after the yield. Each case
 * runs {@link ProfilersDiagnosisTarget} in a fresh JVM against the c-sdk build.
 */
class WeftDiagnosisProfilersTest {
  private static final Path BUILD =
      Path.of(System.getProperty("weft.native.build.dir", "../../c-sdk/target/cmake"));
  private static final Path LIBWEFT = BUILD.resolve("libweft.so.0");

  @TempDir Path shm;

  private static final class Child {
    final String output;
    final List<String> diagnosis;

    Child(String output) {
      this.output = output;
      List<String> diag = new ArrayList<>();
      for (String line : output.split("\n")) {
        if (line.startsWith("diag|")) {
          diag.add(line.substring(5));
        }
      }
      this.diagnosis = diag;
    }

    /** The first of the two reports. */
    List<String> first() {
      int second = diagnosis.lastIndexOf("Weft diagnosis");
      return diagnosis.subList(0, second > 0 ? second : diagnosis.size());
    }

    long count(String prefix) {
      return output.lines().filter(l -> l.startsWith(prefix)).count();
    }
  }

  private Child run(String... args) throws IOException, InterruptedException {
    Assumptions.assumeTrue(Files.exists(LIBWEFT),
        "libweft.so.0 not found in " + BUILD + ": build c-sdk first");
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(java, "-Dweft.library.path=" + LIBWEFT,
        "-Dweft.check.interval=0", "-cp", System.getProperty("java.class.path"),
        ProfilersDiagnosisTarget.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("WEFT_SHM_DIR", shm.toString());
    pb.environment().remove("WEFT_OTEL_THREAD_CTX");
    pb.environment().remove("WEFT_THREADCTX_JAVA");
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return new Child(output);
  }

  private static List<String> profilerLines(List<String> report) {
    return report.stream().filter(l -> l.startsWith("  profilers") || l.startsWith("    "))
        .collect(Collectors.toList());
  }

  @Test
  void byDefaultNativeSpansArePublishedAndJvmSpansAreOffWithHowToTurnThemOn() throws Exception {
    Child child = run("plain");
    assertThat(profilerLines(child.first())).as(child.output).containsExactly(
        "  profilers (docs/architecture.md \"Profilers\"):",
        "    process context (OTEP 4719): published, with the native side's Resource",
        "    thread context (OTEP 4947), native spans: on",
        "    thread context, JVM spans: off (the default; to publish them set"
            + " -Dweft.threadctx.java=true or WEFT_THREADCTX_JAVA=true, or call"
            + " Weft.publishThreadContext() first in main)");
    assertThat(child.output).contains("summary|").contains("profilers: process context on,"
        + " thread context on (JVM spans off)");
  }

  @Test
  void jvmSpansPublishedAreShownOn() throws Exception {
    Child child = run("jvm");
    assertThat(child.first()).as(child.output)
        .contains("    thread context, JVM spans: on (Weft.publishThreadContext())");
    assertThat(child.output).contains("thread context on (JVM spans on)");
  }

  @Test
  void aWriterLoadedAfterWeftStartedIsShownYieldedToWithTheFixAndLoggedOnce() throws Exception {
    Path other = BUILD.resolve("tests/libotherotelctx.so");
    Path probe = BUILD.resolve("tests/libweftctxprobe.so");
    Assumptions.assumeTrue(Files.exists(other) && Files.exists(probe),
        other + " or " + probe + " not found: build c-sdk's tests first");
    Child child = run("late", other.toString(), probe.toString());
    List<String> lines = profilerLines(child.first());
    assertThat(lines).as(child.output).hasSize(4);
    assertThat(lines.get(2)).startsWith("    thread context (OTEP 4947), native spans: YIELDED:"
        + " another writer of otel_thread_ctx_v1 was loaded after Weft started (")
        .contains("libotherotelctx.so")
        .contains("to have Weft publish instead, remove the other writer or turn its thread"
            + " context off");
    assertThat(lines.get(3)).isEqualTo(
        "    thread context, JVM spans: off: the thread context is off in libweft (above)");
    // the process context stays, now without the thread context's keys
    assertThat(lines.get(1)).startsWith("    process context (OTEP 4719): published");
    // once in each report, and libweft's own line once on stderr
    assertThat(child.diagnosis.stream().filter(l -> l.contains("YIELDED"))).hasSize(2);
    assertThat(child.count("weft: another writer of otel_thread_ctx_v1 was loaded after"))
        .as(child.output).isEqualTo(1);
    assertThat(child.output).contains("yielded to another writer");
    // a JVM-only thread (no native call) with a span current: published before the yield; after
    // it, until its next context change, the record stays as it was (nothing reads the switch);
    // at that change it stops writing and its otel_thread_ctx_v1 is cleared, and stays so
    assertThat(child.output.lines().filter(l -> l.startsWith("jvmonly|")))
        .as(child.output)
        .containsExactly("jvmonly|before=a1", "jvmonly|yielded=a1", "jvmonly|changed=0",
            "jvmonly|restored=0", "jvmonly|closed=0");
    assertThat(child.output.lines().filter(l -> l.contains("weft: JVM spans are not published"
        + " to profilers (weft.threadctx.java): another writer of otel_thread_ctx_v1 was loaded")))
        .as(child.output).hasSize(1);
  }
}
