package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.internal.segment.Lease;
import dev.weft.internal.segment.ProcessLiveness;
import dev.weft.testing.CrashedSegment;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * weft collect's loop on segments whose creator is a real, running non-JVM process (a
 * {@code sleep}), which the test then kills.
 */
class SegmentWatcherTest {
  @TempDir Path dir;
  private Process creator;

  @AfterEach
  void kill() throws Exception {
    if (creator != null) {
      creator.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private SegmentWriter segmentOf(Process process, String name) throws Exception {
    int pid = (int) process.pid();
    long ticks = ProcessLiveness.startTicks(pid);
    assertThat(ticks).isPositive();
    return CrashedSegment.create(dir.resolve(name), true, pid, ticks,
        ProcessLiveness.currentBootId());
  }

  @Test
  void drainsALiveProcessUnderItsResourceThenRecoversItsOpenSpansWhenItDies() throws Exception {
    creator = new ProcessBuilder("sleep", "120").start();
    int pid = (int) creator.pid();
    SegmentWriter live = segmentOf(creator, "weft-" + pid);
    // a second segment of the same process whose lease an in-process collector holds
    SegmentWriter leased = segmentOf(creator, "weft-" + pid + "-leased");
    long holder = ((ProcessLiveness.startTicks(pid) & 0xffffffffL) << 32) | pid;
    leased.setLease(holder, System.currentTimeMillis() * 1_000_000L);

    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (SegmentWatcher watcher = new SegmentWatcher(dir, exporter, 8, 2048, false,
        TimeUnit.SECONDS.toNanos(10))) {
      watcher.scan();
      assertThat(watcher.drainedPaths()).containsExactly(live.path());
      assertThat(live.leaseOwner()).isEqualTo(Lease.ownWord());
      assertThat(leased.leaseOwner()).as("left to its holder").isEqualTo(holder);
      await().atMost(Duration.ofSeconds(30))
          .until(() -> exporter.getFinishedSpanItems().size() == 1000);

      // it keeps draining what the live process records
      for (int i = 0; i < 10; i++) {
        live.append(0, SpanRecordBuilder.span().spanId(7000 + i).name("later").build());
      }
      await().atMost(Duration.ofSeconds(30))
          .until(() -> exporter.getFinishedSpanItems().size() == 1010);

      creator.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      watcher.scan();
      assertThat(watcher.drainedPaths()).isEmpty();
    }
    List<SpanData> spans = exporter.getFinishedSpanItems();
    // 1010 drained while it ran, its 4 open spans, and all 1004 of the leased segment, whose
    // holder died with it
    assertThat(spans).hasSize(1010 + 4 + 1004);
    assertThat(spans.stream().filter(s -> s.getAttributes()
        .get(AttributeKey.stringKey("weft.span.end_reason")) != null)).hasSize(8);
    assertThat(spans).allSatisfy(s -> assertThat(
        s.getResource().getAttribute(AttributeKey.stringKey("service.name"))).isEqualTo("crashy"));
    assertThat(live.path()).doesNotExist();
    assertThat(leased.path()).doesNotExist();
  }

  @Test
  void aSegmentClosedWhileLeasedIsDrainedThenRemoved() throws Exception {
    creator = new ProcessBuilder("sleep", "120").start();
    SegmentWriter w = segmentOf(creator, "weft-" + creator.pid());
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (SegmentWatcher watcher = new SegmentWatcher(dir, exporter, 8, 2048, false,
        TimeUnit.SECONDS.toNanos(10))) {
      watcher.scan();
      assertThat(watcher.drainedPaths()).containsExactly(w.path());
      await().atMost(Duration.ofSeconds(60))
          .until(() -> exporter.getFinishedSpanItems().size() == 1000);
      // weft_shutdown of the 1.1 writer: fence, CLOSED, and the file left to the lease holder
      w.append(0, SpanRecordBuilder.span().spanId(8000).name("last").build());
      w.setState(dev.weft.internal.segment.Abi.SEGMENT_CLOSED);
      watcher.scan();
      assertThat(watcher.drainedPaths()).isEmpty();
    }
    assertThat(w.path()).doesNotExist();
    // every finished span, the last one included; the open ones are not exported: the process
    // closed its segment and still runs
    assertThat(exporter.getFinishedSpanItems()).hasSize(1001);
  }

  /**
   * The segment's own collector may see the close first: it gives the lease up and removes the
   * file before the next scan. That is an end, not a take-over, and is reported as one.
   */
  @Test
  void aSegmentItsCollectorFoundClosedIsNotReportedTakenOver() throws Exception {
    creator = new ProcessBuilder("sleep", "120").start();
    SegmentWriter w = segmentOf(creator, "weft-" + creator.pid());
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord record) {
        logged.add(record);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger logger = Logger.getLogger(SegmentWatcher.class.getName());
    logger.addHandler(handler);
    try (SegmentWatcher watcher = new SegmentWatcher(dir, exporter, 8, 2048, false,
        TimeUnit.SECONDS.toNanos(10))) {
      watcher.scan();
      assertThat(watcher.drainedPaths()).containsExactly(w.path());
      await().atMost(Duration.ofSeconds(60))
          .until(() -> exporter.getFinishedSpanItems().size() == 1000);
      w.append(0, SpanRecordBuilder.span().spanId(8000).name("last").build());
      w.setState(dev.weft.internal.segment.Abi.SEGMENT_CLOSED);
      await().atMost(Duration.ofSeconds(60)).until(() -> !java.nio.file.Files.exists(w.path()));
      watcher.scan();
      assertThat(watcher.drainedPaths()).isEmpty();
    } finally {
      logger.removeHandler(handler);
    }
    assertThat(exporter.getFinishedSpanItems()).hasSize(1001);
    assertThat(logged).noneMatch(r -> r.getMessage().contains("taken over"));
    assertThat(logged).anyMatch(r -> r.getLevel() == Level.INFO
        && r.getMessage().contains("was closed by pid " + creator.pid()));
  }

  @Test
  void aJvmsSegmentIsLeftToItsInProcessCollector() throws Exception {
    assertThat(SegmentWatcher.isJvm((int) ProcessHandle.current().pid())).isTrue();
    int self = (int) ProcessHandle.current().pid();
    Path path = dir.resolve("weft-jvm");
    CrashedSegment.create(path, true, self, ProcessLiveness.startTicks(self),
        ProcessLiveness.currentBootId());
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (SegmentWatcher watcher = new SegmentWatcher(dir, exporter, 8, 2048, false,
        TimeUnit.SECONDS.toNanos(10))) {
      watcher.scan();
      assertThat(watcher.drainedPaths()).isEmpty();
    }
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void noMoreThanMaxSegmentsAreDrainedAtOnce() throws Exception {
    creator = new ProcessBuilder("sleep", "120").start();
    segmentOf(creator, "weft-a");
    segmentOf(creator, "weft-b");
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (SegmentWatcher watcher = new SegmentWatcher(dir, exporter, 1, 16, false,
        TimeUnit.SECONDS.toNanos(10))) {
      watcher.scan();
      assertThat(watcher.drainedPaths()).containsExactly(dir.resolve("weft-a"));
    }
  }
}
