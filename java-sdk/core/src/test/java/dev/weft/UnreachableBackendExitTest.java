package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM whose OTLP endpoint is a closed 127.0.0.1 port records native spans, lets its collector
 * (every default, shutdown hook included) fail to export them, and exits: it must exit, within
 * a generous bound here (the measured time goes in docs/benchmarks.md), and Weft must have said
 * so once, with the endpoint and what to check.
 */
class UnreachableBackendExitTest {
  @TempDir Path dir;

  static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Test
  void exitsPromptlyAndSaysOnceThatTheBackendIsUnreachable() throws Exception {
    int port = closedPort();
    Path segment = dir.resolve("weft-unreachable");
    Path stdout = dir.resolve("stdout.txt");
    Path stderr = dir.resolve("stderr.txt");
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    ProcessBuilder builder = new ProcessBuilder(
        Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classPath, Child.class.getName(), segment.toString())
        .redirectOutput(stdout.toFile())
        .redirectError(stderr.toFile());
    Map<String, String> env = builder.environment();
    env.put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + port);
    env.put("OTEL_SERVICE_NAME", "weft-unreachable");
    Process child = builder.start();
    boolean ended = child.waitFor(60, TimeUnit.SECONDS);
    long endedMillis = System.currentTimeMillis();
    if (!ended) {
      child.destroyForcibly();
    }
    List<String> err = Files.readAllLines(stderr, StandardCharsets.UTF_8);
    List<String> out = Files.readAllLines(stdout, StandardCharsets.UTF_8);
    assertThat(ended).as("child JVM exited; stderr:%n%s", String.join("\n", err)).isTrue();
    assertThat(child.exitValue()).as("exit code; stderr:%n%s", String.join("\n", err)).isZero();
    long mainEnd = out.stream().filter(l -> l.startsWith("main-end "))
        .mapToLong(l -> Long.parseLong(l.substring(9))).findFirst().orElseThrow();
    long exitMillis = endedMillis - mainEnd;
    System.out.println("UnreachableBackendExitTest: JVM exit " + exitMillis
        + " ms after main returned (close timeout "
        + WeftCollectorBuilder.DEFAULT_CLOSE_TIMEOUT_MILLIS + " ms)");
    assertThat(exitMillis).as("exit after main returned, ms").isLessThan(10_000);

    List<String> weft = err.stream().filter(l -> l.contains("weft: cannot export"))
        .collect(Collectors.toList());
    assertThat(weft).as("stderr:%n%s", String.join("\n", err)).hasSize(1);
    assertThat(weft.get(0)).contains("127.0.0.1:" + port).contains("OTEL_EXPORTER_OTLP_ENDPOINT");
  }

  /**
   * Records two native spans, starts a default collector, returns from main once they are
   * drained (their export is waiting for a connection): the shutdown hook closes the collector.
   */
  static final class Child {
    public static void main(String[] args) throws Exception {
      Path path = Paths.get(args[0]);
      SegmentWriter writer = SegmentWriter.create(path);
      writer.registerScope("lib", "1.0");
      writer.claimSlot(0, 1, "native-0");
      for (int i = 1; i <= 2; i++) {
        if (!writer.append(0, SpanRecordBuilder.span().spanId(i).build())) {
          throw new IllegalStateException("ring full");
        }
      }
      WeftCollector collector = WeftCollector.builder().setSegmentPath(path).build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (collector.stats().spansDrained() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      System.out.println("main-end " + System.currentTimeMillis());
      System.out.flush();
    }
  }
}
