package dev.weft.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.WeftCollector;
import dev.weft.WeftStats;
import dev.weft.internal.CollectorEngine;
import dev.weft.testing.LogCapture;
import dev.weft.testing.Loadgen;
import dev.weft.testing.OtlpReceiver;
import dev.weft.testing.TestExporters;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10's fault tests, with real native code (weft-loadgen records spans in its own process at
 * a steady rate), collector JVMs started as child processes and a real OTLP/gRPC receiver on
 * 127.0.0.1. Each asserts, by span id, that every span the loadgen ended is exported or counted
 * as dropped, exactly, and that duplicates are bounded by the spans counted as redelivered.
 */
class CollectorFaultTest {
  private static final Resource RESOURCE = Resource.create(
      Attributes.of(AttributeKey.stringKey("service.name"), "weft-fault"));

  @TempDir Path dir;
  private OtlpReceiver receiver;
  private OtlpGrpcSpanExporter exporter;
  private final List<Process> processes = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Loadgen.assumeBuilt();
    receiver = new OtlpReceiver(true).start();
    exporter = TestExporters.otlpTo(receiver).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    if (exporter != null) {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
    if (receiver != null) {
      receiver.close();
    }
  }

  /** weft-loadgen --wait at {@code rate} spans per second per thread, segment {@code dir/name}. */
  private Loadgen loadgen(String name, int threads, int spans, int rate) throws IOException {
    Loadgen gen = Loadgen.in(dir).name(name).threads(threads).spans(spans).ringSize(1 << 20)
        .rate(rate * threads).start();
    processes.add(gen.process());
    return gen;
  }

  /** A collector JVM ({@link CollectorChild}) on {@code segment}. */
  private final class Child {
    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();
    final Path stderr;

    Child(Path segment) throws IOException {
      String classPath = System.getProperty("surefire.test.class.path",
          System.getProperty("java.class.path"));
      stderr = Files.createTempFile(dir, "child", ".err");
      ProcessBuilder pb = new ProcessBuilder(
          Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:+IgnoreUnrecognizedVMOptions", "-Xshare:auto", "-XX:TieredStopAtLevel=1",
          "-cp", classPath, CollectorChild.class.getName(), segment.toString(),
          receiver.endpoint())
          .redirectError(stderr.toFile());
      process = pb.start();
      processes.add(process);
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8));
      Thread reader = new Thread(() -> {
        try {
          String line;
          while ((line = out.readLine()) != null) {
            lines.add(line);
          }
        } catch (IOException e) {
          // ended
        }
      }, "child-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    void awaitReady() throws IOException {
      await().atMost(Duration.ofSeconds(60)).until(
          () -> lines.stream().anyMatch(l -> l.startsWith("ready")) || !process.isAlive());
      assertThat(process.isAlive()).as("child JVM runs; stderr:%n%s", stderrText()).isTrue();
    }

    /** Spans the child drained, as it last printed. */
    long drained() {
      return stat(1);
    }

    /** Spans the child exported, as it last printed. */
    long exported() {
      return stat(2);
    }

    private long stat(int field) {
      for (int i = lines.size() - 1; i >= 0; i--) {
        String l = lines.get(i);
        if (l.startsWith("stats ")) {
          return Long.parseLong(l.split(" ")[field]);
        }
      }
      return 0;
    }

    String stderrText() throws IOException {
      return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    int exit(Duration within) throws InterruptedException {
      assertThat(process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      return process.exitValue();
    }
  }

  private WeftCollector collector(Path segment) {
    return WeftCollector.builder().setSegmentPath(segment).setSpanExporter(exporter)
        .setResource(RESOURCE).setRegisterShutdownHook(false)
        .setScheduleDelay(Duration.ofMillis(20)).build();
  }

  private Set<String> uniqueIds() {
    Set<String> ids = new HashSet<>();
    for (OtlpReceiver.Received r : receiver.received()) {
      ids.add(hex(r.span.getTraceId().toByteArray()) + ":"
          + hex(r.span.getSpanId().toByteArray()));
    }
    return ids;
  }

  private static long nativeDrops(WeftStats s) {
    return s.droppedRingFull() + s.droppedNoSlot() + s.droppedReentrant() + s.droppedTooDeep()
        + s.droppedShutdown();
  }

  /** Waits until every committed span has arrived (by id), then closes {@code collector}. */
  private WeftStats drainAndClose(WeftCollector collector, long ended) {
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50)).until(() -> {
      WeftStats s = collector.stats();
      return s.spansCommitted() + nativeDrops(s) == ended
          && uniqueIds().size() == s.spansCommitted();
    });
    collector.close();
    return collector.stats();
  }

  /**
   * The accounting, exactly: every span ended is committed or dropped and counted; every
   * committed span arrived (by id); the spans that arrived twice are at most those counted as
   * redelivered; nothing was given up or found corrupt.
   */
  private void assertAccounted(long ended, WeftStats last, long redelivered) {
    Set<String> unique = uniqueIds();
    long received = receiver.spanCount();
    assertThat(last.spansCommitted() + nativeDrops(last)).as("committed + dropped = ended")
        .isEqualTo(ended);
    assertThat((long) unique.size()).as("every committed span arrived, by id")
        .isEqualTo(last.spansCommitted());
    assertThat(received - unique.size()).as("duplicates <= redelivered (%s)", last)
        .isLessThanOrEqualTo(redelivered);
    assertThat(last.exportFailures() + last.corruptRecords() + last.queueOverflow()).isZero();
  }

  @Test
  void killMinus9OfTheCollectorAtRandomPointsLosesNothing() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    long duplicates = 0;
    long redelivered = 0;
    for (int run = 0; run < 5; run++) {
      receiver.reset();
      Path segment = dir.resolve("weft-kill-" + run);
      Child child = new Child(segment);
      child.awaitReady();
      int spans = 20_000;
      try (Loadgen gen = loadgen("weft-kill-" + run, 2, spans, 10_000)) {
        // At a random point once the child exports: spans in flight, read, queued.
        await().atMost(Duration.ofSeconds(60)).until(() -> child.exported() > 0
            || !child.process.isAlive());
        long killAfter = random.nextInt(800);
        Thread.sleep(killAfter);
        child.process.destroyForcibly(); // SIGKILL
        child.exit(Duration.ofSeconds(30));
        long byChild = receiver.spanCount();
        WeftCollector second = collector(segment);
        long ended = gen.awaitDone();
        WeftStats last = drainAndClose(second, ended);
        assertAccounted(ended, last, last.redelivered());
        duplicates += receiver.spanCount() - uniqueIds().size();
        redelivered += last.redelivered();
        System.out.printf("kill -9 run %d (seed %d): killed after %d ms with %d spans exported"
            + " by the child; ended %d, committed %d, ring-full %d, received %d,"
            + " duplicates %d, redelivered %d%n", run, seed, killAfter, byChild, ended,
            last.spansCommitted(), last.droppedRingFull(), receiver.spanCount(),
            receiver.spanCount() - uniqueIds().size(), last.redelivered());
      }
    }
    assertThat(duplicates).isLessThanOrEqualTo(redelivered);
  }

  @Test
  void sigtermOfTheCollectorJvmDuringLoadLeavesNothingUnacknowledged() throws Exception {
    Path segment = dir.resolve("weft-term");
    Child child = new Child(segment);
    child.awaitReady();
    try (Loadgen gen = loadgen("weft-term", 2, 40_000, 20_000)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> child.exported() > 1000);
      child.process.destroy(); // SIGTERM: the shutdown hook closes the collector
      int code = child.exit(Duration.ofSeconds(30));
      assertThat(code).as("stderr:%n%s", child.stderrText()).isEqualTo(143);
      long byChild = receiver.spanCount();
      assertThat(byChild).isPositive();
      WeftCollector second = collector(segment);
      long ended = gen.awaitDone();
      WeftStats last = drainAndClose(second, ended);
      // The child closed a live creator's segment while it was still being written: what it
      // had read but not had acknowledged by its close deadline is read again by the next
      // collector, counted as redelivered. Every duplicate is one of those; nothing is lost.
      assertThat(receiver.spanCount() - uniqueIds().size())
          .as("duplicates, at most the redelivered spans").isBetween(0L, last.redelivered());
      assertAccounted(ended, last, last.redelivered());
      System.out.printf("SIGTERM: child exported %d before it exited, ended %d, committed %d,"
          + " ring-full %d, received %d%n", byChild, ended, last.spansCommitted(),
          last.droppedRingFull(), receiver.spanCount());
    }
  }

  @Test
  void twoCollectorsStartedTogetherExportEverySpanOnce() throws Exception {
    Path segment = dir.resolve("weft-two");
    try (LogCapture log = LogCapture.of(CollectorEngine.class)) {
      Child child = new Child(segment);
      WeftCollector here = collector(segment);
      child.awaitReady();
      long ended;
      try (Loadgen gen = loadgen("weft-two", 2, 20_000, 20_000)) {
        ended = gen.awaitDone();
        await().atMost(Duration.ofSeconds(90)).until(() -> {
          WeftStats s = here.stats();
          return s.spansCommitted() + nativeDrops(s) == ended
              && uniqueIds().size() == s.spansCommitted();
        });
        long childDrained = child.drained();
        long hereDrained = here.stats().spansDrained();
        // One of them held the lease throughout; the other waited and drained nothing.
        assertThat(Math.min(childDrained, hereDrained)).as("child %d, here %d", childDrained,
            hereDrained).isZero();
        child.process.getOutputStream().close();
        assertThat(child.exit(Duration.ofSeconds(30))).isZero();
        WeftStats last = drainAndClose(here, ended);
        assertThat(receiver.spanCount()).as("no span exported twice")
            .isEqualTo(uniqueIds().size());
        assertThat(last.redelivered()).isZero();
        assertAccounted(ended, last, 0);
        String waited = hereDrained == 0 ? String.join("\n", log.messages(Level.WARNING)) : child.stderrText();
        assertThat(waited.split("is collected by pid", -1)).as("the waiting one said so once:%n%s",
            waited).hasSize(2);
        System.out.printf("two collectors: child drained %d, here %d; ended %d, received %d%n",
            childDrained, hereDrained, ended, receiver.spanCount());
      }
    }
  }

  @Test
  void aBackendOutageLosesNothingTheRingsHeld() throws Exception {
    // Issue 10 asks for a 60 s outage; 5 s here fits CI and exercises the same path (the
    // exporter's own retries, then the collector's, while the rings fill and drop).
    receiver.stop();
    Path segment = dir.resolve("weft-outage");
    // Without the exporter's own retries (1 s, 1.5 s, ... over about 8 s) and with a 1 s
    // timeout (the sender waits for a connection until then), so that the collector's retry is
    // what brings the export back.
    OtlpGrpcSpanExporter noRetry = TestExporters.otlpTo(receiver).setRetryPolicy(null)
        .setTimeout(Duration.ofSeconds(1)).build();
    WeftCollector collector = WeftCollector.builder().setSegmentPath(segment)
        .setSpanExporter(noRetry).setResource(RESOURCE).setRegisterShutdownHook(false)
        .setScheduleDelay(Duration.ofMillis(20)).build();
    try (Loadgen gen = loadgen("weft-outage", 2, 40_000, 5_000)) {
      Thread.sleep(5_000);
      assertThat(receiver.spanCount()).isZero();
      long back = System.nanoTime();
      receiver.start();
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
          .until(() -> receiver.spanCount() > 0);
      long resumedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
      long ended = gen.awaitDone();
      WeftStats last = drainAndClose(collector, ended);
      assertThat(last.droppedRingFull()).as("the rings filled during the outage").isPositive();
      assertThat(last.exportRetries()).isPositive();
      // An export that timed out on the client may still have reached the restarted receiver:
      // its retry can then arrive twice. Such duplicates are bounded by the counted retries.
      assertThat(receiver.spanCount() - uniqueIds().size())
          .as("duplicates, at most the spans of retried exports").isBetween(0L, last.exportRetries());
      assertAccounted(ended, last, last.exportRetries());
      noRetry.shutdown().join(10, TimeUnit.SECONDS);
      System.out.printf("outage 5 s: export resumed %d ms after the receiver came back; ended %d,"
          + " committed %d, ring-full %d, retried %d, received %d%n", resumedMillis, ended,
          last.spansCommitted(), last.droppedRingFull(), last.exportRetries(),
          receiver.spanCount());
    }
  }

  private static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes) {
      sb.append(String.format("%02x", b));
    }
    return sb.toString();
  }
}
