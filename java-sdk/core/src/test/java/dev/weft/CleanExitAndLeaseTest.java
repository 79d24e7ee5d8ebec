package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.exporter.WeftJsonLinesSpanExporter;
import dev.weft.internal.CollectorEngine;
import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.ProcessLiveness;
import dev.weft.internal.segment.Segment;
import dev.weft.testing.LogCapture;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import dev.weft.testing.TestExporters;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 items 1-3 on segments written by the test: head moves only on acknowledgement,
 * redelivery is counted, the lease makes one collector per segment, the JVM's exit fences, closes
 * and removes this process's own segment (and only that one), and a collector closed before then
 * hands it over live.
 */
class CleanExitAndLeaseTest {
  @TempDir Path dir;

  private static WeftCollectorBuilder builder(Path path, SpanExporter exporter) {
    return WeftCollector.builder().setSegmentPath(path).setSpanExporter(exporter)
        .setResource(Resource.empty()).setRegisterShutdownHook(false)
        .setScheduleDelay(Duration.ofMillis(5));
  }

  private static SegmentWriter segment(Path path, SegmentWriter.Layout layout) throws Exception {
    SegmentWriter writer = SegmentWriter.create(path, layout);
    writer.registerScope("lib", "1.0");
    writer.claimSlot(0, 7, "native-0");
    return writer;
  }

  /** The layout of a segment created by another process that runs (our parent). */
  private static SegmentWriter.Layout otherLiveCreator() {
    SegmentWriter.Layout layout = new SegmentWriter.Layout();
    layout.pid = (int) ProcessHandle.current().parent().orElseThrow().pid();
    layout.startTicks = ProcessLiveness.startTicks(layout.pid);
    return layout;
  }

  private static long word(int pid) {
    long ticks = ProcessLiveness.startTicks(pid);
    return ((ticks & 0xffffffffL) << 32) | pid;
  }

  @Test
  void closeBeforeTheJvmsExitHandsThisProcesssOwnSegmentToTheNextCollector() throws Exception {
    Path path = dir.resolve("weft-own");
    SegmentWriter writer = segment(path, new SegmentWriter.Layout());
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    WeftCollector first = builder(path, exporter).build();
    for (int i = 1; i <= 5; i++) {
      writer.append(0, SpanRecordBuilder.span().spanId(i).build());
    }
    first.close();
    assertThat(exporter.getFinishedSpanItems()).hasSize(5);
    // libweft in this process keeps recording: nothing fences, closes or removes its segment
    assertThat(writer.buffer().getInt(Abi.FENCE_OFFSET)).isEqualTo(Abi.FENCE_OPEN);
    assertThat(writer.buffer().getInt(Abi.STATE_OFFSET)).isEqualTo(Abi.SEGMENT_LIVE);
    assertThat(writer.buffer().getLong(Abi.LEASE_OWNER_OFFSET)).as("lease released").isZero();
    assertThat(writer.head(0)).isEqualTo(writer.tail(0));
    assertThat(path).exists();

    for (int i = 6; i <= 8; i++) {
      writer.append(0, SpanRecordBuilder.span().spanId(i).build());
    }
    WeftCollector second = builder(path, exporter).build();
    await().until(() -> second.stats().spansExported() == 3);
    second.close();
    assertThat(exporter.getFinishedSpanItems()).hasSize(8);
    assertThat(second.stats().redelivered()).isZero();
    assertThat(path).exists();
  }

  /** Runs {@link ExitingChild} in {@code mode}; returns its stderr after checking it exited 0. */
  private String runExitingChild(String mode, Path path, Path spans) throws Exception {
    Path stderr = dir.resolve("stderr-" + mode + ".txt");
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    Process child = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classPath, ExitingChild.class.getName(), mode, path.toString(), spans.toString())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(stderr.toFile())
        .start();
    boolean ended = child.waitFor(60, TimeUnit.SECONDS);
    if (!ended) {
      child.destroyForcibly();
    }
    String err = Files.readString(stderr);
    assertThat(ended).as("child exited; stderr:%n%s", err).isTrue();
    assertThat(child.exitValue()).as("exit code; stderr:%n%s", err).isZero();
    return err;
  }

  private static int spanIds(Path spans) throws Exception {
    // one OTLP JSON line per export, each span with its spanId
    return Files.readString(spans).split("\"spanId\"", -1).length - 1;
  }

  @Test
  void atTheJvmsExitThisProcesssOwnSegmentIsFencedExportedAndRemoved() throws Exception {
    Path path = dir.resolve("weft-exit");
    Path spans = dir.resolve("spans.jsonl");
    String err = runExitingChild("open", path, spans);
    assertThat(spanIds(spans)).as("spans exported at exit; stderr:%n%s", err).isEqualTo(5);
    assertThat(path).as("segment removed at exit").doesNotExist();
  }

  @Test
  void atTheJvmsExitWithNoCollectorAnEmptyOwnSegmentIsRemoved() throws Exception {
    Path path = dir.resolve("weft-exit-empty");
    Path spans = dir.resolve("spans-empty.jsonl");
    String err = runExitingChild("closed", path, spans);
    assertThat(spanIds(spans)).as("stderr:%n%s", err).isEqualTo(5);
    assertThat(err).doesNotContain("WARNING: weft: segment");
    assertThat(path).as("segment removed at exit, with no collector open").doesNotExist();
  }

  @Test
  void atTheJvmsExitWithNoCollectorSpansLeftInTheOwnSegmentAreKeptAndReported()
      throws Exception {
    Path path = dir.resolve("weft-exit-left");
    Path spans = dir.resolve("spans-left.jsonl");
    String err = runExitingChild("closed-then-record", path, spans);
    assertThat(spanIds(spans)).as("stderr:%n%s", err).isEqualTo(5);
    assertThat(err).contains("WARNING: weft: segment " + path + " keeps")
        .contains("weft recover");
    assertThat(path).as("kept for recovery").exists();
    try (Segment segment = Segment.open(path)) {
      assertThat(segment.fence()).isEqualTo(Abi.FENCE_CLOSED);
      assertThat(segment.state()).isEqualTo(Abi.SEGMENT_LIVE);
      assertThat(segment.creatorPid()).isNotEqualTo((int) ProcessHandle.current().pid());
    }
  }

  /**
   * Creates its own segment with 5 spans and a collector with its shutdown hook; mode {@code
   * open} returns from main with it open (the JVM's exit closes it), {@code closed} closes it
   * first, {@code closed-then-record} closes it and then records 3 spans no collector reads.
   */
  static final class ExitingChild {
    public static void main(String[] args) throws Exception {
      String mode = args[0];
      Path path = Path.of(args[1]);
      SegmentWriter writer = segment(path, new SegmentWriter.Layout());
      for (int i = 1; i <= 5; i++) {
        writer.append(0, SpanRecordBuilder.span().spanId(i).build());
      }
      WeftCollector collector = WeftCollector.builder().setSegmentPath(path)
          .setSpanExporter(WeftJsonLinesSpanExporter.create(Path.of(args[2])))
          .setResource(Resource.empty())
          // a cold JVM on a loaded machine: the first JSON export can take over the 1 s default
          .setCloseTimeout(Duration.ofSeconds(30)).build();
      if (!mode.equals("open")) {
        collector.close();
      }
      if (mode.equals("closed-then-record")) {
        for (int i = 6; i <= 8; i++) {
          writer.append(0, SpanRecordBuilder.span().spanId(i).build());
        }
      }
    }
  }

  @Test
  void closeLeavesAnotherLiveProcesssSegmentRecordingAndInPlace() throws Exception {
    Path path = dir.resolve("weft-other");
    SegmentWriter writer = segment(path, otherLiveCreator());
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    WeftCollector collector = builder(path, exporter).build();
    writer.append(0, SpanRecordBuilder.span().spanId(1).build());
    await().until(() -> collector.stats().spansExported() == 1);
    collector.close();
    assertThat(writer.buffer().getInt(Abi.FENCE_OFFSET)).isEqualTo(Abi.FENCE_OPEN);
    assertThat(writer.buffer().getInt(Abi.STATE_OFFSET)).isEqualTo(Abi.SEGMENT_LIVE);
    assertThat(writer.buffer().getLong(Abi.LEASE_OWNER_OFFSET)).isZero();
    assertThat(writer.head(0)).isEqualTo(writer.tail(0));
    assertThat(path).exists();
  }

  @Test
  void closeOnASegmentItsWriterKeepsFillingLeavesNothingReadUnacknowledged() throws Exception {
    Path path = dir.resolve("weft-busy");
    SegmentWriter writer = segment(path, otherLiveCreator());
    // a backend that answers each export 50 ms later
    java.util.concurrent.ScheduledExecutorService answers =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    InMemorySpanExporter received = InMemorySpanExporter.create();
    SpanExporter exporter = TestExporters.answering(spans -> {
      CompletableResultCode result = new CompletableResultCode();
      answers.schedule(() -> {
        received.export(spans);
        result.succeed();
      }, 50, TimeUnit.MILLISECONDS);
      return result;
    });
    WeftCollector collector = builder(path, exporter).build();
    AtomicBoolean writing = new AtomicBoolean(true);
    // one record written again and again: a writer faster than the reader, as native code is
    byte[] record = SpanRecordBuilder.span().spanId(7).build();
    Thread producer = new Thread(() -> {
      while (writing.get()) {
        if (!writer.append(0, record)) {
          Thread.onSpinWait();
        }
      }
    }, "busy-writer");
    producer.start();
    try {
      await().until(() -> collector.stats().spansExported() > 1000);
      collector.close(); // while the writer keeps committing
    } finally {
      writing.set(false);
      producer.join();
      answers.shutdown();
    }
    int readPosition = writer.slotBase(0) + Abi.SLOT_READ_POSITION_OFFSET;
    assertThat(writer.head(0)).as("head = read_position: every span read was acknowledged,"
        + " none is left to be exported twice").isEqualTo(writer.buffer().getLong(readPosition));
    assertThat(collector.stats().exportFailures()).isZero();
    answers.awaitTermination(10, TimeUnit.SECONDS);
    assertThat((long) received.getFinishedSpanItems().size())
        .isEqualTo(collector.stats().spansExported());
  }

  @Test
  void aCollectorClosedBeforeItsThreadAttachedDrainsOnceMore() throws Exception {
    Path path = dir.resolve("weft-late");
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    WeftCollector collector = builder(path, exporter)
        .setSegmentPollInterval(Duration.ofSeconds(30)).build();
    assertThat(collector.isAttached()).isFalse();
    SegmentWriter writer = segment(path, otherLiveCreator());
    writer.append(0, SpanRecordBuilder.span().spanId(1).build());
    writer.append(0, SpanRecordBuilder.span().spanId(2).build());
    collector.close();
    assertThat(exporter.getFinishedSpanItems()).hasSize(2);
  }

  /** Holds every export until released. */
  static final class HeldExporter implements SpanExporter {
    final List<CompletableResultCode> pending = new CopyOnWriteArrayList<>();
    final List<SpanData> exported = new CopyOnWriteArrayList<>();

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      CompletableResultCode result = new CompletableResultCode();
      exported.addAll(spans);
      pending.add(result);
      return result;
    }

    void release() {
      pending.forEach(CompletableResultCode::succeed);
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

  @Test
  void headMovesOnlyWhenTheExportIsAcknowledged() throws Exception {
    Path path = dir.resolve("weft-ack");
    SegmentWriter writer = segment(path, otherLiveCreator());
    HeldExporter exporter = new HeldExporter();
    try (WeftCollector collector = builder(path, exporter).build()) {
      for (int i = 1; i <= 3; i++) {
        writer.append(0, SpanRecordBuilder.span().spanId(i).build());
      }
      await().until(() -> exporter.exported.size() == 3);
      int readPosition = writer.slotBase(0) + Abi.SLOT_READ_POSITION_OFFSET;
      assertThat(writer.buffer().getLong(readPosition)).as("read_position").isEqualTo(
          writer.tail(0));
      assertThat(writer.head(0)).as("head, unacknowledged").isZero();
      exporter.release();
      await().until(() -> writer.head(0) == writer.tail(0));
      // stats() is the snapshot the collector thread publishes after its pass: it may lag head
      await().until(() -> collector.stats().spansExported() == 3);
    }
  }

  @Test
  void spansReadButNotAcknowledgedByADeadCollectorAreExportedAgainAndCounted() throws Exception {
    Path path = dir.resolve("weft-redeliver");
    SegmentWriter writer = segment(path, otherLiveCreator());
    for (int i = 1; i <= 4; i++) {
      writer.append(0, SpanRecordBuilder.span().spanId(i).build());
    }
    long afterTwo = SegmentWriter.align8(SpanRecordBuilder.span().spanId(1).build().length) * 2;
    // A collector that died: it read everything, its export of the first two was acknowledged.
    writer.setHead(0, afterTwo);
    writer.buffer().putLong(writer.slotBase(0) + Abi.SLOT_READ_POSITION_OFFSET, writer.tail(0));
    writer.buffer().putLong(Abi.LEASE_OWNER_OFFSET, ((long) 1 << 32) | (Integer.MAX_VALUE - 3));
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (WeftCollector collector = builder(path, exporter).build()) {
      await().until(() -> collector.stats().spansExported() == 2);
      assertThat(collector.stats().redelivered()).isEqualTo(2);
      assertThat(exporter.getFinishedSpanItems()).extracting(s -> s.getSpanContext().getSpanId())
          .containsExactly("0000000000000003", "0000000000000004");
      writer.append(0, SpanRecordBuilder.span().spanId(5).build());
      await().until(() -> collector.stats().spansExported() == 3);
      assertThat(collector.stats().redelivered()).as("only what the dead one had read")
          .isEqualTo(2);
    }
  }

  @Test
  void aLiveHoldersLeaseMakesTheCollectorWaitThenASilentOneIsTakenOver() throws Exception {
    Path path = dir.resolve("weft-leased");
    SegmentWriter writer = segment(path, otherLiveCreator());
    int holder = (int) ProcessHandle.current().parent().orElseThrow().pid();
    writer.buffer().putLong(Abi.LEASE_OWNER_OFFSET, word(holder));
    writer.buffer().putLong(Abi.LEASE_HEARTBEAT_OFFSET, System.currentTimeMillis() * 1_000_000L);
    writer.append(0, SpanRecordBuilder.span().spanId(1).build());
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (LogCapture log = LogCapture.of(CollectorEngine.class);
        WeftCollector collector = builder(path, exporter)
        .setSegmentPollInterval(Duration.ofMillis(20)).build()) {
      await().until(() -> collector.stats().spansCommitted() == 1);
      Thread.sleep(300); // many polls
      assertThat(collector.stats().spansDrained()).as("waits for the live holder").isZero();
      List<String> warnings = log.messages(Level.WARNING);
      assertThat(warnings).hasSize(1);
      assertThat(warnings.get(0)).contains("is collected by pid " + holder)
          .contains("weft.collector.enabled=false");
      // The holder goes silent for longer than the lease timeout (10 s): taken over.
      writer.buffer().putLong(Abi.LEASE_HEARTBEAT_OFFSET,
          (System.currentTimeMillis() - 20_000) * 1_000_000L);
      await().until(() -> collector.stats().spansExported() == 1);
      assertThat(writer.buffer().getLong(Abi.LEASE_OWNER_OFFSET))
          .isEqualTo(word((int) ProcessHandle.current().pid()));
      assertThat(log.messages(Level.WARNING)).hasSize(1);
    }
    assertThat(writer.buffer().getLong(Abi.LEASE_OWNER_OFFSET)).as("released").isZero();
  }

  @Test
  void aLostLeaseStopsTheDrainAtOnce() throws Exception {
    Path path = dir.resolve("weft-lost");
    SegmentWriter writer = segment(path, otherLiveCreator());
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (LogCapture log = LogCapture.of(CollectorEngine.class);
        WeftCollector collector = builder(path, exporter)
        .setSegmentPollInterval(Duration.ofMillis(20)).build()) {
      writer.append(0, SpanRecordBuilder.span().spanId(1).build());
      await().until(() -> collector.stats().spansExported() == 1);
      int holder = (int) ProcessHandle.current().parent().orElseThrow().pid();
      writer.buffer().putLong(Abi.LEASE_HEARTBEAT_OFFSET,
          System.currentTimeMillis() * 1_000_000L);
      writer.buffer().putLong(Abi.LEASE_OWNER_OFFSET, word(holder)); // taken over
      await().until(() -> log.messages(Level.WARNING).stream()
          .anyMatch(m -> m.contains("taken over")));
      writer.append(0, SpanRecordBuilder.span().spanId(2).build());
      await().until(() -> collector.stats().spansCommitted() == 2);
      Thread.sleep(200);
      assertThat(collector.stats().spansDrained()).as("no drain without the lease").isEqualTo(1);
      writer.buffer().putLong(Abi.LEASE_OWNER_OFFSET, 0);
      await().until(() -> collector.stats().spansExported() == 2);
    }
  }

  @Test
  void aClosedSegmentIsDrainedToItsEndThenRemoved() throws Exception {
    Path path = dir.resolve("weft-closed");
    SegmentWriter writer = segment(path, otherLiveCreator());
    writer.append(0, SpanRecordBuilder.span().spanId(1).build());
    writer.setState(Abi.SEGMENT_CLOSED);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (WeftCollector collector = builder(path, exporter)
        .setSegmentPollInterval(Duration.ofMillis(20)).build()) {
      await().until(() -> collector.stats().spansExported() == 1 && !collector.isAttached());
      await().until(() -> !Files.exists(path));
    }
  }

  @Test
  void aDeadCreatorsSegmentIsDrainedThenLeftForRecovery() throws Exception {
    Path path = dir.resolve("weft-dead");
    SegmentWriter writer = segment(path, new SegmentWriter.Layout().deadCreator());
    writer.append(0, SpanRecordBuilder.span().spanId(1).build());
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (WeftCollector collector = builder(path, exporter)
        .setSegmentPollInterval(Duration.ofMillis(20)).build()) {
      await().until(() -> collector.stats().spansExported() == 1 && !collector.isAttached());
      Thread.sleep(200);
      assertThat(collector.isAttached()).as("not attached again to an ended file").isFalse();
      assertThat(path).as("its open spans are the recoverer's").exists();
      assertThat(writer.buffer().getLong(Abi.LEASE_OWNER_OFFSET)).isZero();
    }
  }
}
