package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.testing.OtlpReceiver;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default path (autoconfigured OTLP/gRPC exporter over the Netty sender, a segment drained
 * and one span exported) prints no JVM warning: run in a child JVM of the same JDK, with nothing
 * else in it, and its stderr checked for {@code WARNING:} lines. JDK 24 and later only: that is
 * where the "restricted method" warnings (System.loadLibrary, ...) exist; on older JDKs the test
 * is skipped.
 */
class NoJdkWarningsTest {
  @TempDir Path dir;

  @Test
  void defaultExportPathPrintsNoWarningOnStderr() throws Exception {
    assumeTrue(Runtime.version().feature() >= 24,
        "restricted-method warnings exist from JDK 24 on; this JDK is "
            + Runtime.version().feature());
    try (OtlpReceiver receiver = new OtlpReceiver(true).start()) {
      Path segment = dir.resolve("weft-child");
      Path stderr = dir.resolve("stderr.txt");
      String classPath = System.getProperty("surefire.test.class.path",
          System.getProperty("java.class.path"));
      Process child = new ProcessBuilder(
          Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", classPath,
          "-Dotel.exporter.otlp.endpoint=" + receiver.endpoint(),
          "-Dotel.service.name=weft-no-warnings",
          Child.class.getName(), segment.toString())
          .redirectErrorStream(false)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(stderr.toFile())
          .start();
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("child JVM ended").isTrue();
      List<String> lines = Files.readAllLines(stderr, StandardCharsets.UTF_8);
      assertThat(child.exitValue()).as("child exit; stderr: %s", lines).isZero();
      assertThat(receiver.spanCount()).isEqualTo(1);
      assertThat(lines.stream().filter(l -> l.contains("WARNING")).collect(Collectors.toList()))
          .as("stderr of the child JVM:%n%s", String.join("\n", lines)).isEmpty();
    }
  }

  /** The child: one native span record, a collector with every default, close. */
  static final class Child {
    public static void main(String[] args) throws Exception {
      Path path = Paths.get(args[0]);
      SegmentWriter writer = SegmentWriter.create(path);
      writer.registerScope("lib", "1.0");
      writer.claimSlot(0, 1, "native-0");
      if (!writer.append(0, SpanRecordBuilder.span().spanId(1).attr("i", 1L).build())) {
        throw new IllegalStateException("ring full");
      }
      try (WeftCollector collector = WeftCollector.builder().setSegmentPath(path)
          .setRegisterShutdownHook(false).build()) {
        await().atMost(Duration.ofSeconds(30))
            .until(() -> collector.stats().spansExported() == 1);
        // The warm-up's loopback receiver and exporter copy run on their own thread: let them
        // finish, so that what they print is checked too.
        for (Thread t : Thread.getAllStackTraces().keySet()) {
          if (t.getName().endsWith("-warmup")) {
            t.join(30_000);
          }
        }
      }
    }
  }
}
