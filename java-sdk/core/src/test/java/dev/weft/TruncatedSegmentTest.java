package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A segment file truncated while the collector has it mapped: the collector detaches, keeps
 * running and attaches again once the path holds a valid segment; the JVM's fault for the
 * truncated mapping (an {@link InternalError}) never reaches the caller of a public method.
 */
class TruncatedSegmentTest {
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private static WeftCollectorBuilder builder(Path path, InMemorySpanExporter exporter) {
    return WeftCollector.builder().setSegmentPath(path).setSpanExporter(exporter)
        .setResource(Resource.empty()).setRegisterShutdownHook(false)
        .setScheduleDelay(Duration.ofMillis(5)).setSegmentPollInterval(Duration.ofMillis(5))
        .setCloseTimeout(CLOSE_TIMEOUT);
  }

  private static SegmentWriter writer(Path path) throws IOException {
    SegmentWriter writer = SegmentWriter.create(path);
    writer.registerScope("lib", "1.0");
    writer.claimSlot(0, 7, "native");
    return writer;
  }

  /** Shrinks the file to its header: every slot of the mapping now faults when read. */
  private static void truncate(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
      channel.truncate(4096);
    }
  }

  @Test
  void repeatedTruncationWhileMappedDetachesAndReattaches() throws Exception {
    Path path = dir.resolve("weft-truncated");
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    WeftCollector collector = builder(path, exporter).build();
    try {
      for (int round = 1; round <= 5; round++) {
        SegmentWriter writer = writer(path);
        writer.append(0, SpanRecordBuilder.span().spanId(round).build());
        int expected = round;
        await().until(() -> exporter.getFinishedSpanItems().size() == expected);
        assertThat(collector.isAttached()).isTrue();
        truncate(path);
        // Public methods keep answering while the collector thread meets the fault.
        await().until(() -> {
          collector.stats();
          collector.segmentRefusal();
          return !collector.isAttached();
        });
        assertThat(collector.stats().spansExported()).isEqualTo(round);
      }
      // A last segment, left in place: the thread still drains.
      SegmentWriter writer = writer(path);
      writer.append(0, SpanRecordBuilder.span().spanId(99).build());
      await().until(() -> exporter.getFinishedSpanItems().size() == 6);
      assertThat(collector.isAttached()).isTrue();
      truncate(path);
    } finally {
      long start = System.nanoTime();
      collector.close();
      // Promptly: it did not wait out its close timeout on a segment it cannot read.
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(CLOSE_TIMEOUT);
    }
    assertThat(collector.isAttached()).isFalse();
    assertThat(collector.stats().corruptRecords()).isZero();
  }

  @Test
  void statsOfATruncatedSegmentNeverFault() throws Exception {
    Path path = dir.resolve("weft-stats");
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (WeftCollector collector = builder(path, exporter).build()) {
      SegmentWriter writer = writer(path);
      for (int i = 1; i <= 3; i++) {
        writer.append(0, SpanRecordBuilder.span().spanId(i).build());
      }
      await().until(() -> collector.stats().spansExported() == 3);
      truncate(path);
      // stats() used to read the native counters from the mapping, in the caller's thread.
      long deadline = System.nanoTime() + Duration.ofMillis(500).toNanos();
      while (System.nanoTime() - deadline < 0) {
        assertThat(collector.stats().spansCommitted()).isEqualTo(3);
      }
      await().until(() -> !collector.isAttached());
      assertThat(collector.stats().spansCommitted()).isEqualTo(3);
    }
  }

  @Test
  void buildAndSnapshotOfATruncatedSegmentSayWhy() throws Exception {
    Path path = dir.resolve("weft-short");
    writer(path);
    truncate(path);
    assertThatThrownBy(() -> WeftSegmentSnapshot.read(path)).isInstanceOf(IOException.class)
        .hasMessageContaining("segment_size");
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    assertThatThrownBy(() -> builder(path, exporter).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("segment_size");
  }
}
