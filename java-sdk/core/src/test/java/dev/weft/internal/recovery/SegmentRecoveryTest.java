package dev.weft.internal.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.Lease;
import dev.weft.internal.segment.ProcessLiveness;
import dev.weft.internal.segment.Segment;
import dev.weft.internal.segment.SlotContents;
import dev.weft.testing.CrashedSegment;
import dev.weft.testing.LogCapture;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import dev.weft.testing.TestExporters;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentRecoveryTest {
  static final long T0 = 1_700_000_000_000_000_000L;
  static final AttributeKey<String> END_REASON = AttributeKey.stringKey("weft.span.end_reason");
  static final AttributeKey<String> SERVICE = AttributeKey.stringKey("service.name");
  static final AttributeKey<Long> PID = AttributeKey.longKey("process.pid");

  @TempDir Path dir;

  /** A dead creator (boot id of zeros: not this boot) with 1000 finished spans and 4 open. */
  static SegmentWriter crashed(Path path, boolean withResource) throws IOException {
    return CrashedSegment.create(path, withResource, 424242, 0, new byte[16]);
  }

  static byte[] resourceRecord(Map<String, String> strings, long pid) {
    return CrashedSegment.resourceRecord(strings, pid);
  }

  static SegmentRecovery recovery(SpanExporter exporter) {
    return new SegmentRecovery(exporter, 100, TimeUnit.SECONDS.toNanos(10), () -> false);
  }

  @Test
  void exportsEveryFinishedAndOpenSpanOnceUnderTheDeadProcessResourceThenRemovesTheFile()
      throws IOException {
    Path path = dir.resolve("weft-424242");
    crashed(path, true);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();

    SegmentRecovery.Result result = recovery(exporter).recover(path);

    assertThat(result.outcome).as(result.message).isEqualTo(SegmentRecovery.Outcome.RECOVERED);
    assertThat(result.finishedSpans).isEqualTo(1000);
    assertThat(result.openSpans).isEqualTo(4);
    assertThat(result.message).contains("service.name=crashy", "1000 finished", "4 open");
    List<SpanData> spans = exporter.getFinishedSpanItems();
    assertThat(spans).hasSize(1004);
    assertThat(spans.stream().map(s -> s.getSpanContext().getSpanId()).distinct()).hasSize(1004);
    for (SpanData span : spans) {
      assertThat(span.getResource().getAttribute(SERVICE)).isEqualTo("crashy");
      assertThat(span.getResource().getAttribute(PID)).isEqualTo(424242L);
      assertThat(span.hasEnded()).isTrue();
    }
    Map<String, SpanData> open = spans.stream().filter(s -> !s.getName().startsWith("done-"))
        .collect(Collectors.toMap(SpanData::getName, Function.identity()));
    assertThat(open.keySet()).containsExactlyInAnyOrder("outer0", "inner0", "outer1", "inner1");
    for (SpanData span : open.values()) {
      assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(span.getStatus().getDescription())
          .isEqualTo("the process ended while the span was open");
      assertThat(span.getAttributes().get(END_REASON)).isEqualTo("process_died");
    }
    // end = max(last_end, latest start or event time of the slot's open spans)
    assertThat(open.get("outer0").getEndEpochNanos()).isEqualTo(T0 + 9_000_000);
    assertThat(open.get("inner0").getEndEpochNanos()).isEqualTo(T0 + 9_000_000);
    assertThat(open.get("outer1").getEndEpochNanos()).isEqualTo(T0 + 20_000_000);
    assertThat(open.get("inner1").getEndEpochNanos()).isEqualTo(T0 + 20_000_000);
    assertThat(open.get("inner0").getParentSpanContext().getSpanId())
        .isEqualTo(open.get("outer0").getSpanContext().getSpanId());
    SpanData finished = spans.stream().filter(s -> s.getName().equals("done-7")).findFirst()
        .orElseThrow();
    assertThat(finished.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(finished.getAttributes().get(END_REASON)).isNull();
    assertThat(path).doesNotExist();

    // idempotent: a second run finds nothing and exports nothing
    exporter.reset();
    assertThat(recovery(exporter).recover(path).outcome)
        .isEqualTo(SegmentRecovery.Outcome.NOT_THERE);
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void spansADeadCollectorHadReadButNotAcknowledgedAreCountedAsPossibleDuplicates()
      throws IOException {
    Path path = dir.resolve("weft-read-before");
    SegmentWriter writer = crashed(path, true);
    // slot 0: a collector read every record, then died before the acknowledgement moved head;
    // slot 1: a read position no reader can leave (past tail) counts nothing
    writer.setCounter(0, Abi.SLOT_READ_POSITION_OFFSET, writer.tail(0));
    writer.setCounter(1, Abi.SLOT_READ_POSITION_OFFSET, writer.tail(1) + 64);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();

    SegmentRecovery.Result result = recovery(exporter).recover(path);

    assertThat(result.outcome).as(result.message).isEqualTo(SegmentRecovery.Outcome.RECOVERED);
    assertThat(result.finishedSpans).isEqualTo(1000);
    assertThat(result.redelivered).isEqualTo(500);
    assertThat(result.message).contains("500 of the finished ones had been read by a collector"
        + " that died before they were acknowledged: they may arrive twice");
    assertThat(exporter.getFinishedSpanItems()).hasSize(1004);
  }

  @Test
  void aSegmentMarkedRecoveredIsRemovedWithoutExportingAgain() throws IOException {
    Path path = dir.resolve("weft-424242");
    SegmentWriter w = crashed(path, true);
    w.setState(Abi.SEGMENT_RECOVERED);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SegmentRecovery.Result result = recovery(exporter).recover(path);
    assertThat(result.outcome).isEqualTo(SegmentRecovery.Outcome.ALREADY_RECOVERED);
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
    assertThat(path).doesNotExist();
  }

  @Test
  void aFailedExportKeepsTheSegmentWholeAndTheNextRunExportsIt() throws IOException {
    Path path = dir.resolve("weft-424242");
    SegmentWriter w = crashed(path, true);
    byte[] before = Files.readAllBytes(path);
    SpanExporter failing = TestExporters.failing();
    SegmentRecovery.Result failed = recovery(failing).recover(path);
    assertThat(failed.outcome).isEqualTo(SegmentRecovery.Outcome.EXPORT_FAILED);
    assertThat(failed.message).contains("kept", "export failed");
    assertThat(path).exists();
    assertThat(w.state()).isEqualTo(Abi.SEGMENT_LIVE);
    assertThat(w.leaseOwner()).as("lease given back").isZero();
    byte[] after = Files.readAllBytes(path);
    // only the lease heartbeat word (136..143) may differ
    java.util.Arrays.fill(after, 136, 144, (byte) 0);
    assertThat(after).isEqualTo(before);

    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    assertThat(recovery(exporter).recover(path).outcome)
        .isEqualTo(SegmentRecovery.Outcome.RECOVERED);
    assertThat(exporter.getFinishedSpanItems()).hasSize(1004);
  }

  @Test
  void aLiveCreatorsSegmentIsLeftAlone() throws IOException {
    Path path = dir.resolve("weft-self");
    SegmentWriter.Layout layout = new SegmentWriter.Layout();
    layout.startTicks = ProcessLiveness.startTicks(layout.pid);
    layout.bootId = ProcessLiveness.currentBootId();
    SegmentWriter w = SegmentWriter.create(path, layout);
    w.registerScope("s", "");
    w.claimSlot(0, 1, "t");
    w.append(0, SpanRecordBuilder.span().build());
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SegmentRecovery.Result result = recovery(exporter).recover(path);
    assertThat(result.outcome).isEqualTo(SegmentRecovery.Outcome.CREATOR_ALIVE);
    assertThat(result.message).contains("runs", "weft collect");
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
    assertThat(path).exists();
    assertThat(w.leaseOwner()).isZero();
  }

  @Test
  void aLeaseHeldByARunningCollectorIsRespected() throws IOException {
    Path path = dir.resolve("weft-424242");
    SegmentWriter w = crashed(path, true);
    long now = System.currentTimeMillis() * 1_000_000L;
    w.setLease(Lease.ownWord(), now);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SegmentRecovery.Result result = recovery(exporter).recover(path);
    assertThat(result.outcome).isEqualTo(SegmentRecovery.Outcome.LEASED);
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
    assertThat(path).exists();

    // a holder that does not run (pid 424242 with other start ticks) is taken over
    w.setLease((7L << 32) | 424242L, now);
    assertThat(recovery(exporter).recover(path).outcome)
        .isEqualTo(SegmentRecovery.Outcome.RECOVERED);
    assertThat(exporter.getFinishedSpanItems()).hasSize(1004);
  }

  @Test
  void withoutAResourceRecordTheFallbackResourceNamesThePid() throws IOException {
    Path path = dir.resolve("weft-424242");
    crashed(path, false);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    assertThat(recovery(exporter).recover(path).outcome)
        .isEqualTo(SegmentRecovery.Outcome.RECOVERED);
    Resource resource = exporter.getFinishedSpanItems().get(0).getResource();
    assertThat(resource.getAttribute(SERVICE)).isEqualTo("unknown_service");
    assertThat(resource.getAttribute(PID)).isEqualTo(424242L);
  }

  @Test
  void anInvalidResourceRecordIsCountedAndTheFallbackUsed() throws IOException {
    Path path = dir.resolve("weft-424242");
    SegmentWriter w = crashed(path, true);
    byte[] bad = resourceRecord(Map.of("service.name", "crashy"), 424242);
    ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) 9); // attr_count
    w.writeResource(bad);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SegmentRecovery.Result result = recovery(exporter).recover(path);
    assertThat(result.outcome).isEqualTo(SegmentRecovery.Outcome.RECOVERED);
    assertThat(result.corrupt).isEqualTo(1);
    assertThat(exporter.getFinishedSpanItems().get(0).getResource().getAttribute(SERVICE))
        .isEqualTo("unknown_service");
  }

  @Test
  void aResourceRecordOutOfBoundsIsRefusedWithoutReadingPastTheHeader() throws IOException {
    Path path = dir.resolve("weft-424242");
    SegmentWriter w = crashed(path, true);
    w.buffer().putInt(152, 4096).putInt(156, 4097); // past header_size 8192
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SegmentRecovery.Result result = recovery(exporter).recover(path);
    assertThat(result.outcome).isEqualTo(SegmentRecovery.Outcome.RECOVERED);
    assertThat(result.corrupt).isEqualTo(1);
  }

  @Test
  void readingTheContentsChangesNothing() throws IOException {
    Path path = dir.resolve("weft-424242");
    crashed(path, true);
    byte[] before = Files.readAllBytes(path);
    long[] seen = new long[2];
    for (int run = 0; run < 2; run++) {
      try (Segment segment = Segment.openUnmapped(path)) {
        SlotContents.forEachSlot(segment, Resource.empty(), slot -> {
          seen[0] += slot.finished.size();
          seen[1] += slot.open.size();
        });
      }
    }
    assertThat(seen).containsExactly(2000, 8);
    assertThat(Files.readAllBytes(path)).isEqualTo(before);
  }

  @Test
  void aSpanFoundBothInTheRingAndInItsFrameIsExportedOnce() throws IOException {
    Path path = dir.resolve("weft-424242");
    SegmentWriter w = crashed(path, true);
    // died between the tail store and the depth store of span 500 (the last in slot 0's ring)
    w.writeFrame(0, 2, SpanRecordBuilder.span().spanId(500).name("done-500")
        .start(T0 + 500 * 1000).end(0).build());
    w.setDepth(0, 3);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SegmentRecovery.Result result = recovery(exporter).recover(path);
    assertThat(result.openSpans).isEqualTo(4);
    assertThat(exporter.getFinishedSpanItems()).hasSize(1004);
  }

  @Test
  void aDirectoryScanRecoversDeadSegmentsAndLeavesOthers() throws IOException {
    crashed(dir.resolve("weft-424242"), true);
    crashed(dir.resolve("weft-424242.dead-99"), false);
    Files.writeString(dir.resolve("weft-notes"), "not a segment");
    Files.setPosixFilePermissions(dir.resolve("weft-notes"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    crashed(dir.resolve("other-1"), true);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    List<SegmentRecovery.Result> results =
        DeadSegments.recoverAll(dir, recovery(exporter), p -> false);
    assertThat(results).extracting(r -> r.outcome).containsExactly(
        SegmentRecovery.Outcome.RECOVERED, SegmentRecovery.Outcome.RECOVERED,
        SegmentRecovery.Outcome.REFUSED);
    assertThat(exporter.getFinishedSpanItems()).hasSize(2008);
    assertThat(dir.resolve("weft-notes")).exists();
    assertThat(dir.resolve("other-1")).exists();
  }

  @Test
  void deadSegmentsThatHeldNoSpansAreRemovedWithOneLineForThemAll() throws IOException {
    for (int i = 0; i < 3; i++) {
      SegmentWriter.create(dir.resolve("weft-empty-" + i),
          new SegmentWriter.Layout().slots(2).ring(1 << 16).deadCreator());
    }
    crashed(dir.resolve("weft-424242"), true);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (LogCapture log = LogCapture.of(DeadSegments.class)) {
      List<SegmentRecovery.Result> results =
          DeadSegments.recoverAll(dir, recovery(exporter), p -> false);
      assertThat(results).extracting(r -> r.outcome).containsOnly(
          SegmentRecovery.Outcome.RECOVERED).hasSize(4);
      List<String> lines = log.messages(java.util.logging.Level.INFO);
      assertThat(lines).hasSize(2);
      assertThat(lines).anySatisfy(l -> assertThat(l).contains("recovered dead process pid"
          + " 424242").contains("1000 finished"));
      assertThat(lines).anySatisfy(l -> assertThat(l).contains("removed 3 segment(s) of dead"
          + " processes in " + dir + " that held no spans"));
    }
    assertThat(exporter.getFinishedSpanItems()).hasSize(1004);
    for (int i = 0; i < 3; i++) {
      assertThat(dir.resolve("weft-empty-" + i)).doesNotExist();
    }
  }
}
