package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.testing.Loadgen;
import dev.weft.testing.OtlpReceiver;
import dev.weft.testing.TestExporters;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 item 6 as CI fault tests, shortened (the sustained-capacity benchmark,
 * java-sdk/benchmarks, measures the same at the highest rate): a collector started before a
 * paced native load (weft-loadgen --rate, default 256 KiB rings) with the default export path
 * (the SDK's OTLP/gRPC exporter over Weft's Netty sender, which connects when it is created)
 * drops nothing from the first span; and after a backend outage the exports waiting in the
 * queue go out once it is back, nothing lost or failed. Both assert exact counts; the time to
 * resume is printed, not asserted (no timing limits in tests; docs/benchmarks.md has it).
 */
class ExportFaultsTest {
  private static final Resource RESOURCE = Resource.getDefault().merge(
      Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "weft-faults")));

  @TempDir Path dir;
  private OtlpReceiver receiver;
  private OtlpGrpcSpanExporter exporter;

  @BeforeEach
  void setUp() throws Exception {
    Loadgen.assumeBuilt();
    receiver = new OtlpReceiver(true).start();
    exporter = TestExporters.otlpTo(receiver).build();
  }

  @AfterEach
  void tearDown() {
    if (exporter != null) {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
    if (receiver != null) {
      receiver.close();
    }
  }

  /**
   * weft-loadgen at a fixed rate (all threads) into {@code dir/name}, started after the
   * collector; {@code ringBytes} 0: the default rings.
   */
  private Loadgen paced(String name, int threads, int spansPerThread, int rate, int ringBytes)
      throws IOException {
    return Loadgen.in(dir).name(name).threads(threads).spans(spansPerThread).rate(rate)
        .ringSize(ringBytes).start();
  }

  private WeftCollector collector(Path segment) {
    return WeftCollector.builder().setSegmentPath(segment).setSpanExporter(exporter)
        .setResource(RESOURCE).setRegisterShutdownHook(false).build();
  }

  /**
   * The zero-drop claims need the collector to get its share of a core: on a machine whose load
   * average is above 4 per core (seen at 38 on 2 cores with other builds running), a descheduled
   * collector overflows the rings at any rate, which says nothing about Weft. Then the exact
   * accounting is still asserted and the zero-drop part (no ring-full drop, no export failure) is
   * skipped, saying so.
   */
  private static void assumeNotOverloaded(double loadBefore) {
    double load = Math.max(loadBefore, loadAverage());
    int cores = Runtime.getRuntime().availableProcessors();
    Assumptions.assumeTrue(load <= 4.0 * cores, "load average " + load + " on " + cores
        + " cores: too loaded to check that nothing is dropped (accounting was checked)");
  }

  private static double loadAverage() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        .getSystemLoadAverage();
  }

  private static long nativeDrops(WeftStats s) {
    return s.droppedRingFull() + s.droppedNoSlot() + s.droppedReentrant() + s.droppedTooDeep();
  }

  /** Distinct (thread, seq) pairs the receiver got: duplicates of a retried export count once. */
  private Set<String> distinct() {
    Set<String> seen = new HashSet<>();
    for (OtlpReceiver.Received r : receiver.received()) {
      long thread = -1;
      long seq = -1;
      for (KeyValue kv : r.span.getAttributesList()) {
        if (kv.getKey().equals("loadgen.thread")) {
          thread = kv.getValue().getIntValue();
        } else if (kv.getKey().equals("loadgen.seq")) {
          seq = kv.getValue().getIntValue();
        }
      }
      seen.add(thread + "/" + seq);
    }
    return seen;
  }

  @Test
  void aCollectorStartedBeforeTheLoadDropsNothingFromTheFirstSpan() throws Exception {
    // CI: 2,000 spans/s on 2 threads for 4 s, so that a CI machine's own stalls (each default
    // ring holds ~1 s of this) do not decide it; the benchmark does this at capacity.
    Path segment = dir.resolve("weft-startup");
    int threads = 2;
    int perThread = 4_000;
    long total = (long) threads * perThread;
    double loadBefore = loadAverage();
    WeftStats stats;
    try (WeftCollector collector = collector(segment)) {
      try (Loadgen gen = paced("weft-startup", threads, perThread, 2_000, 0)) {
        assertThat(gen.awaitDone()).isEqualTo(total);
        await().atMost(Duration.ofSeconds(120)).until(() -> {
          WeftStats s = collector.stats();
          return s.spansCommitted() + nativeDrops(s) >= total
              && s.spansExported() + s.exportFailures() + s.queueOverflow()
                  >= s.spansCommitted();
        });
        stats = collector.stats();
      }
    }
    // every span ended is committed or counted dropped, every committed one exported once
    assertThat(stats.spansCommitted() + nativeDrops(stats)).as(stats.toString()).isEqualTo(total);
    assertThat(stats.spansExported() + stats.exportFailures()).as(stats.toString())
        .isEqualTo(stats.spansCommitted());
    assertThat(distinct()).hasSize((int) stats.spansExported());
    assumeNotOverloaded(loadBefore);
    assertThat(nativeDrops(stats)).as(stats.toString()).isZero();
    assertThat(stats.exportFailures()).as(stats.toString()).isZero();
  }

  @Test
  void exportsResumeAfterABackendOutageAndNothingIsLost() throws Exception {
    // CI: a 3 s outage in a 6 s load of 1,000 spans/s (issue 10 asks for 60 s). The queue
    // (8,192) and the rings (~2,300) hold what is recorded meanwhile with room to spare for a
    // loaded CI machine's slow catch-up (at 2,000 spans/s a load average of 38 overflowed the
    // rings by 795 spans); exports wait for the connection, the reconnect back-off is bounded.
    Path segment = dir.resolve("weft-outage");
    int threads = 2;
    int perThread = 3_000;
    long total = (long) threads * perThread;
    double loadBefore = loadAverage();
    WeftStats stats;
    long resumeMillis;
    try (WeftCollector collector = collector(segment)) {
      // The drain is at-least-once: a ring holds every record read but not yet acknowledged, so
      // it must hold the outage (3 s at 500 spans/s per thread = 1 500 records, where a default
      // 256 KiB ring holds about 1 150): 1 MiB rings. The startup test keeps the default rings.
      try (Loadgen gen = paced("weft-outage", threads, perThread, 1_000, 1 << 20)) {
        await().atMost(Duration.ofSeconds(120)).until(() -> receiver.spanCount() > 0);
        receiver.stop();
        long received = receiver.spanCount();
        Thread.sleep(3_000);
        receiver.start();
        long back = System.nanoTime();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(10))
            .until(() -> receiver.spanCount() > received);
        resumeMillis = (System.nanoTime() - back) / 1_000_000;
        assertThat(gen.awaitDone()).isEqualTo(total);
        await().atMost(Duration.ofSeconds(120)).until(() -> {
          WeftStats s = collector.stats();
          return s.spansCommitted() + nativeDrops(s) >= total
              && s.spansExported() + s.exportFailures() + s.queueOverflow()
                  >= s.spansCommitted();
        });
        stats = collector.stats();
      }
    }
    System.out.println("ExportFaultsTest: export resumed " + resumeMillis
        + " ms after the backend returned (3 s outage)");
    assertThat(stats.spansCommitted() + nativeDrops(stats)).as(stats.toString()).isEqualTo(total);
    assertThat(stats.spansExported() + stats.exportFailures()).as(stats.toString())
        .isEqualTo(stats.spansCommitted());
    assertThat(distinct()).hasSize((int) stats.spansExported());
    assumeNotOverloaded(loadBefore);
    assertThat(nativeDrops(stats)).as(stats.toString()).isZero();
    assertThat(stats.exportFailures()).as(stats.toString()).isZero();
  }
}
