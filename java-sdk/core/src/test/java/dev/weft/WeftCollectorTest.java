package dev.weft;

import java.util.List;

import java.util.logging.Level;

import dev.weft.internal.segment.Abi;

import dev.weft.internal.CollectorEngine;

import dev.weft.testing.LogCapture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import dev.weft.testing.TestExporters;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeftCollectorTest {
  private static final Resource RESOURCE =
      Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "weft-test"));

  @TempDir Path dir;

  private WeftCollectorBuilder builder(Path path, SpanExporter exporter) {
    return WeftCollector.builder().setSegmentPath(path).setSpanExporter(exporter)
        .setResource(RESOURCE).setRegisterShutdownHook(false)
        .setScheduleDelay(Duration.ofMillis(10)).setSegmentPollInterval(Duration.ofMillis(10));
  }

  @Test
  void waitsForTheSegmentThenExportsEverySpan() throws Exception {
    Path path = dir.resolve("weft-late");
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (WeftCollector collector = builder(path, exporter).build()) {
      assertThat(collector.isAttached()).isFalse();
      SegmentWriter writer = SegmentWriter.create(path);
      writer.registerScope("lib", "2.0");
      writer.claimSlot(0, 10, "native-0");
      writer.claimSlot(1, 11, "native-1");
      for (int i = 0; i < 200; i++) {
        while (!writer.append(i % 2, SpanRecordBuilder.span().spanId(i + 1).attr("i", (long) i)
            .build())) {
          Thread.onSpinWait(); // the ring is full until the collector drains it
        }
      }
      await().until(() -> exporter.getFinishedSpanItems().size() == 200);
      assertThat(collector.isAttached()).isTrue();
      WeftStats stats = collector.stats();
      assertThat(stats.spansCommitted()).isEqualTo(200);
      assertThat(stats.spansDrained()).isEqualTo(200);
      await().until(() -> collector.stats().spansExported() == 200);
      assertThat(exporter.getFinishedSpanItems()).allSatisfy(span -> {
        assertThat(span.getResource()).isEqualTo(RESOURCE);
        assertThat(span.getInstrumentationScopeInfo().getName()).isEqualTo("lib");
      });
    }
  }

  /**
   * The poll is an hour here: only the watch of the directory can make the collector attach to
   * a segment created after it started (through the file's "not ready" moments: created empty,
   * then sized, then its header written).
   */
  @Test
  void attachesWhenTheSegmentIsCreatedNotAtTheNextPoll() throws Exception {
    Path path = dir.resolve("weft-created-later");
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (WeftCollector collector = builder(path, exporter)
        .setSegmentPollInterval(Duration.ofHours(1)).build()) {
      assertThat(collector.isAttached()).isFalse();
      Thread.sleep(200); // the collector thread has looked, found nothing and parked
      SegmentWriter writer = SegmentWriter.create(path);
      writer.registerScope("lib", "2.0");
      writer.claimSlot(0, 10, "native-0");
      assertThat(writer.append(0, SpanRecordBuilder.span().spanId(7).build())).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(collector::isAttached);
      await().atMost(Duration.ofSeconds(30))
          .until(() -> exporter.getFinishedSpanItems().size() == 1);
    }
  }

  @Test
  void aBurstAfterATrickleIsDrainedWhole() throws Exception {
    // A trickle puts the idle strategy into long parks (it no longer spins after every span);
    // a burst that fills the ring must still be drained whole, and the stream after it too.
    Path path = dir.resolve("weft-burst");
    SegmentWriter writer = SegmentWriter.create(path, new SegmentWriter.Layout().ring(1 << 16));
    writer.registerScope("lib", "2.0");
    writer.claimSlot(0, 1, "t");
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (WeftCollector collector = builder(path, exporter).setMaxQueueSize(100_000)
        .setMaxExportBatchSize(512).build()) {
      long accepted = 0;
      long refused = 0;
      for (int i = 0; i < 30; i++) {
        assertThat(writer.append(0, SpanRecordBuilder.span().spanId(++accepted).build())).isTrue();
        long drained = accepted;
        await().until(() -> collector.stats().spansDrained() == drained);
      }
      // The burst: fill the ring to the brim at once.
      while (writer.append(0, SpanRecordBuilder.span().spanId(accepted + 1).build())) {
        accepted++;
      }
      refused++;
      long ringFull = accepted - 30;
      assertThat(ringFull).isGreaterThan(100);
      // Then five more ringfuls as fast as the collector frees space.
      for (long i = 0; i < 5 * ringFull; i++) {
        while (!writer.append(0, SpanRecordBuilder.span().spanId(accepted + 1).build())) {
          refused++;
          Thread.onSpinWait();
        }
        accepted++;
      }
      long total = accepted;
      await().until(() -> collector.stats().spansExported() == total);
      WeftStats stats = collector.stats();
      assertThat(stats.spansDrained()).isEqualTo(total);
      assertThat(stats.spansCommitted()).isEqualTo(total);
      assertThat(stats.corruptRecords()).isZero();
      // Every refused append was counted by the producer, as the C writer counts a dropped span.
      long refusedAppends = refused;
      await().until(() -> collector.stats().droppedRingFull() == refusedAppends);
      assertThat(exporter.getFinishedSpanItems()).hasSize((int) total);
      assertThat(exporter.getFinishedSpanItems().stream().map(SpanData::getSpanId).distinct()
          .count()).isEqualTo(total);
    }
  }

  @Test
  void closeDrainsAndExportsWhatIsLeft() throws Exception {
    Path path = dir.resolve("weft-close");
    SegmentWriter writer = SegmentWriter.create(path, new SegmentWriter.Layout().ring(1 << 16));
    writer.registerScope("lib", "2.0");
    writer.claimSlot(0, 1, "t");
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    WeftCollector collector = builder(path, exporter).setScheduleDelay(Duration.ofHours(1))
        .setMaxExportBatchSize(1000).build();
    for (int i = 0; i < 100; i++) {
      assertThat(writer.append(0, SpanRecordBuilder.span().spanId(i + 1).build())).isTrue();
    }
    collector.close();
    assertThat(exporter.getFinishedSpanItems()).hasSize(100);
    assertThat(collector.stats().spansExported()).isEqualTo(100);
    collector.close(); // idempotent
  }

  @Test
  void backPressureKeepsRecordsInTheRingWhileTheExporterIsBusy() throws Exception {
    Path path = dir.resolve("weft-bp");
    SegmentWriter writer = SegmentWriter.create(path, new SegmentWriter.Layout().ring(1 << 16));
    writer.registerScope("lib", "2.0");
    writer.claimSlot(0, 1, "t");
    HeldExporter exporter = new HeldExporter();
    try (WeftCollector collector = builder(path, exporter).setMaxQueueSize(10)
        .setMaxExportBatchSize(5).setMaxConcurrentExports(1).build()) {
      for (int i = 0; i < 50; i++) {
        assertThat(writer.append(0, SpanRecordBuilder.span().spanId(i + 1).build())).isTrue();
      }
      await().until(() -> collector.stats().spansDrained() == 10);
      assertThat(writer.head(0)).isLessThan(writer.tail(0));
      assertThat(collector.stats().queueOverflow()).isZero();
      exporter.release();
      await().until(() -> collector.stats().spansExported() == 50);
      assertThat(exporter.exported).hasSize(50);
    }
  }

  @Test
  void dropWhenQueueFullCountsTheOverflow() throws Exception {
    Path path = dir.resolve("weft-drop");
    SegmentWriter writer = SegmentWriter.create(path, new SegmentWriter.Layout().ring(1 << 16));
    writer.registerScope("lib", "2.0");
    writer.claimSlot(0, 1, "t");
    HeldExporter exporter = new HeldExporter();
    try (WeftCollector collector = builder(path, exporter).setMaxQueueSize(10)
        .setMaxExportBatchSize(5).setMaxConcurrentExports(1).setDropWhenQueueFull(true)
        .build()) {
      for (int i = 0; i < 50; i++) {
        assertThat(writer.append(0, SpanRecordBuilder.span().spanId(i + 1).build())).isTrue();
      }
      await().until(() -> collector.stats().spansDrained() == 50);
      assertThat(collector.stats().queueOverflow()).isEqualTo(40);
      exporter.release();
      await().until(() -> collector.stats().spansExported() == 10);
      assertThat(exporter.exported).hasSize(10);
    }
  }

  @Test
  void failedExportsAreCounted() throws Exception {
    Path path = dir.resolve("weft-fail");
    SegmentWriter writer = SegmentWriter.create(path);
    writer.registerScope("lib", "2.0");
    writer.claimSlot(0, 1, "t");
    SpanExporter failing = TestExporters.failing();
    try (WeftCollector collector = builder(path, failing).build()) {
      for (int i = 0; i < 7; i++) {
        writer.append(0, SpanRecordBuilder.span().build());
      }
      await().until(() -> collector.stats().exportRetries() >= 7);
      assertThat(collector.stats().spansExported()).isZero();
      assertThat(collector.stats().exportFailures()).as("retried while running").isZero();
      closeWhileOpen(collector);
      assertThat(collector.stats().exportFailures()).as("given up at close").isEqualTo(7);
    }
  }

  @Test
  void refusesAnInvalidSegmentAtBuild() throws Exception {
    SegmentWriter.Layout layout = new SegmentWriter.Layout();
    layout.permissions = "rw-rw----";
    SegmentWriter writer = SegmentWriter.create(dir.resolve("weft-loose"), layout);
    assertThatThrownBy(() -> builder(writer.path(), InMemorySpanExporter.create()).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("refused");
  }

  @Test
  void countersAreExportedAsMetrics() throws Exception {
    Path path = dir.resolve("weft-metrics");
    SegmentWriter writer = SegmentWriter.create(path);
    writer.registerScope("lib", "2.0");
    writer.claimSlot(0, 1, "t");
    writer.addDroppedNoSlot(3);
    writer.setCounter(0, 152, 4); // dropped_reentrant
    writer.setCounter(0, 160, 5); // dropped_too_deep
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    SdkMeterProvider meterProvider = SdkMeterProvider.builder().registerMetricReader(reader)
        .build();
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (WeftCollector collector = builder(path, exporter).setMeterProvider(meterProvider)
        .build()) {
      writer.append(0, SpanRecordBuilder.span().build());
      byte[] broken = SpanRecordBuilder.span().kind(9).build();
      writer.append(0, broken);
      await().until(() -> collector.stats().spansExported() == 1);
      Map<String, MetricData> metrics = reader.collectAllMetrics().stream()
          .collect(Collectors.toMap(MetricData::getName, m -> m));
      assertThat(sum(metrics.get("weft.spans.drained"))).isEqualTo(1);
      assertThat(sum(metrics.get("weft.spans.exported"))).isEqualTo(1);
      assertThat(sum(metrics.get("weft.records.corrupt"))).isEqualTo(1);
      assertThat(sum(metrics.get("weft.records.unknown"))).isZero();
      assertThat(sum(metrics.get("weft.export.failures"))).isZero();
      Map<String, Long> dropped = metrics.get("weft.spans.dropped").getLongSumData().getPoints()
          .stream().collect(Collectors.toMap(
              p -> p.getAttributes().get(AttributeKey.stringKey("weft.drop.reason")),
              LongPointData::getValue));
      assertThat(dropped).containsOnly(Map.entry("ring_full", 0L), Map.entry("reentrant", 4L),
          Map.entry("too_deep", 5L), Map.entry("no_slot", 3L), Map.entry("shutdown", 0L),
          Map.entry("queue_full", 0L));
      WeftStats stats = collector.stats();
      assertThat(stats.droppedNoSlot()).isEqualTo(3);
      assertThat(stats.droppedReentrant()).isEqualTo(4);
      assertThat(stats.droppedTooDeep()).isEqualTo(5);
    }
  }

  private static long sum(MetricData metric) {
    return metric.getLongSumData().getPoints().stream().mapToLong(LongPointData::getValue).sum();
  }

  @Test
  void reattachesWhenTheWriterReplacesItsSegment() throws Exception {
    Path path = dir.resolve("weft-replace");
    SegmentWriter first = SegmentWriter.create(path);
    first.registerScope("lib", "2.0");
    first.claimSlot(0, 1, "t");
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (WeftCollector collector = builder(path, exporter).build()) {
      first.append(0, SpanRecordBuilder.span().spanId(1).build());
      await().until(() -> exporter.getFinishedSpanItems().size() == 1);
      first.setState(2); // CLOSED
      java.nio.file.Files.delete(path);
      SegmentWriter second = SegmentWriter.create(path);
      second.registerScope("lib", "2.0");
      second.claimSlot(0, 2, "t2");
      second.append(0, SpanRecordBuilder.span().spanId(2).build());
      await().until(() -> exporter.getFinishedSpanItems().size() == 2);
      assertThat(collector.stats().spansCommitted()).isEqualTo(2);
    }
  }

  @Test
  void defaultPathFollowsTheEnvironment() {
    long pid = ProcessHandle.current().pid();
    assertThat(WeftCollector.defaultSegmentPath(Map.of()))
        .isEqualTo(Path.of("/dev/shm/weft-" + pid));
    assertThat(WeftCollector.defaultSegmentPath(Map.of("WEFT_SHM_DIR", "/tmp/x")))
        .isEqualTo(Path.of("/tmp/x/weft-" + pid));
    assertThat(WeftCollector.defaultSegmentPath(
        Map.of("WEFT_SHM_DIR", "/tmp/x", "WEFT_SHM_NAME", "seg"))).isEqualTo(Path.of("/tmp/x/seg"));
  }

  @Test
  void builderRejectsBadSettings() {
    assertThatThrownBy(() -> WeftCollector.builder().setMaxQueueSize(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WeftCollector.builder().setIdleStrategy(1, 1, Duration.ofMillis(2),
        Duration.ofMillis(1))).isInstanceOf(IllegalArgumentException.class);
  }

  /** Holds every export until released. */
  static final class HeldExporter implements SpanExporter {
    final CopyOnWriteArrayList<SpanData> exported = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<Runnable> held = new CopyOnWriteArrayList<>();
    private volatile boolean released;

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> spans) {
      CompletableResultCode result = new CompletableResultCode();
      Runnable complete = () -> {
        exported.addAll(spans);
        result.succeed();
      };
      if (released) {
        complete.run();
      } else {
        held.add(complete);
      }
      return result;
    }

    synchronized void release() {
      released = true;
      held.forEach(Runnable::run);
      held.clear();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  /** Closes the collector inside its try-with-resources (the second close does nothing). */
  private static void closeWhileOpen(WeftCollector collector) {
    collector.close();
  }

  /** Native drops are said once per reason, with the setting that fixes them. */
  @Test
  void nativeDropsAreReportedOncePerReasonWithTheFix() throws Exception {
    Path path = dir.resolve("weft-drops");
    SegmentWriter writer = SegmentWriter.create(path);
    writer.registerScope("lib", "1.0");
    writer.claimSlot(0, 10, "native-0");
    writer.addDroppedNoSlot(3);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (LogCapture log = LogCapture.of(CollectorEngine.class);
        WeftCollector collector = builder(path, exporter).build()) {
      await().until(() -> collector.stats().droppedNoSlot() == 3);
      await().until(() -> log.messages(Level.WARNING).stream()
          .anyMatch(m -> m.contains("thread slots")));
      int slots = dev.weft.internal.segment.Segment.open(path).slotCount();
      assertThat(log.messages(Level.WARNING)).singleElement().asString()
          .contains("every one of the " + slots + " thread slots of " + path)
          .contains("3 so far").contains("WEFT_MAX_THREADS (now " + slots + ")");
      writer.addDroppedNoSlot(5);
      // a ring-full drop on slot 0: its own line, with the ring size
      writer.buffer().putLong(writer.slotBase(0) + Abi.SLOT_DROPPED_RING_FULL_OFFSET, 7);
      await().until(() -> collector.stats().droppedRingFull() == 7
          && collector.stats().droppedNoSlot() == 8);
      await().until(() -> log.messages(Level.WARNING).size() == 2);
      Thread.sleep(100); // more counter reads: nothing said twice
      List<String> warnings = log.messages(Level.WARNING);
      assertThat(warnings).hasSize(2);
      assertThat(warnings.get(1)).contains("ring in " + path + " was full (7 so far")
          .contains("WEFT_RING_SIZE (now " + (writer.ringCapacity() >> 10) + " KiB");
    }
  }
}
