package dev.weft.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.export.CollectorFirstSpanExporter;
import dev.weft.internal.export.LoopbackReceiver;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.testing.LogCapture;
import dev.weft.testing.TestExporters;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import dev.weft.internal.export.NativeOtlpGrpcSpanExporter;
import dev.weft.testing.OtlpReceiver;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.exporter.internal.marshal.CodedOutputStream;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The warm-up runs the export path for real, and nothing of it reaches the real exporter. */
class WarmUpTest {
  @Test
  void exportsThroughACopyToTheLoopbackAndNothingToTheBackend() throws Exception {
    try (OtlpReceiver backend = new OtlpReceiver(false).start()) {
      SpanExporter exporter = OtlpGrpcSpanExporter.builder().setEndpoint(backend.endpoint())
          .build();
      AtomicInteger closed = new AtomicInteger();
      long start = System.nanoTime();
      String account = WarmUp.run(new CollectorFirstSpanExporter(exporter,
          closed::incrementAndGet), Resource.getDefault());
      System.out.printf("%s (%.0f ms)%n", account, (System.nanoTime() - start) / 1e6);
      assertThat(account).contains(WarmUp.EXPORTS + " exports of " + WarmUp.BATCH + " spans")
          .contains("loopback");
      assertThat(backend.requestCount()).isZero();
      assertThat(backend.spanCount()).isZero();
      assertThat(closed).hasValue(0); // the real exporter was neither used nor shut down
      // ... and still works afterwards
      assertThat(exporter.export(java.util.List.of()).join(10, java.util.concurrent.TimeUnit.SECONDS)
          .isSuccess()).isTrue();
      assertThat(backend.requestCount()).isEqualTo(1);
      exporter.shutdown();
    }
  }

  @Test
  void theCollectorsOwnExporterIsWarmedThroughWeftsMarshaler() throws Exception {
    try (OtlpReceiver backend = new OtlpReceiver(false).start()) {
      SpanExporter exporter = NativeOtlpGrpcSpanExporter.build(OtlpGrpcSpanExporter.builder()
          .setEndpoint(backend.endpoint()));
      assertThat(exporter).isInstanceOf(NativeOtlpGrpcSpanExporter.class);
      try {
        String account = WarmUp.run(exporter, Resource.getDefault());
        assertThat(account).contains(WarmUp.EXPORTS + " exports of " + WarmUp.BATCH + " spans")
            .contains("Weft's marshaler").contains("loopback")
            .contains("then the collector pipeline over a private segment: "
                + WarmUp.PIPELINE_SPANS + " spans written, " + WarmUp.PIPELINE_SPANS
                + " exported");
        assertThat(backend.requestCount()).isZero();
      } finally {
        exporter.shutdown().join(10, java.util.concurrent.TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void thePipelinePhaseDrainsAPrivateSegmentExportsEverySpanAndLeavesNothingBehind()
      throws Exception {
    Set<String> before = warmUpDirectories();
    try (LoopbackReceiver loopback = LoopbackReceiver.start();
        LogCapture engineLog = LogCapture.of(CollectorEngine.class);
        LogCapture dropLog = LogCapture.of(NativeDropReport.class)) {
      SpanExporter copy = NativeOtlpGrpcSpanExporter.build(OtlpGrpcSpanExporter.builder()
          .setEndpoint(loopback.endpoint()));
      try {
        String account = WarmUp.pipeline(copy, Resource.getDefault());
        assertThat(account).contains(WarmUp.PIPELINE_SPANS + " spans written, "
            + WarmUp.PIPELINE_SPANS + " exported").doesNotContain("stopped");
        // every span went through the exporter copy, in batches of the default size at most
        assertThat(loopback.requests())
            .isGreaterThanOrEqualTo(WarmUp.PIPELINE_SPANS / 512);
      } finally {
        copy.shutdown().join(10, TimeUnit.SECONDS);
      }
      // no segment of the warm-up is left, and it said nothing: not a drop, not a lease
      assertThat(warmUpDirectories()).isEqualTo(before);
      assertThat(engineLog.records()).isEmpty();
      assertThat(dropLog.records()).isEmpty();
    }
  }

  @Test
  void thePipelinePhaseStopsOnceACollectorOfThisJvmHasDrainedRealSpans(@TempDir Path dir)
      throws Exception {
    // A real collector that has drained more than REAL_LOAD_SPANS: the load has begun.
    SegmentWriter real = SegmentWriter.create(dir.resolve("real"),
        new SegmentWriter.Layout().ring(1 << 20));
    real.registerScope("test", "");
    real.claimSlot(0, 7, "app");
    for (int i = 0; i < WarmUp.REAL_LOAD_SPANS + 100; i++) {
      assertThat(real.append(0, WarmUp.record(i))).isTrue();
    }
    CollectorEngine engine = new CollectorEngine(WarmUp.defaultSettings(dir.resolve("real"),
        Resource.getDefault(), TestExporters.answering(spans -> CompletableResultCode.ofSuccess())),
        "test-collector");
    engine.attachNow();
    engine.start();
    try (LoopbackReceiver loopback = LoopbackReceiver.start()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (engine.counters().spansDrained() < WarmUp.REAL_LOAD_SPANS + 100) {
        assertThat(System.nanoTime()).isLessThan(deadline);
        Thread.sleep(10);
      }
      SpanExporter copy = NativeOtlpGrpcSpanExporter.build(OtlpGrpcSpanExporter.builder()
          .setEndpoint(loopback.endpoint()));
      try {
        String account = WarmUp.pipeline(copy, Resource.getDefault());
        assertThat(account).contains("stopped early: real spans arrived");
        long written = Long.parseLong(account.replaceAll(".*: (\\d+) spans written.*", "$1"));
        assertThat(written).isLessThan(WarmUp.PIPELINE_SPANS);
      } finally {
        copy.shutdown().join(10, TimeUnit.SECONDS);
      }
    } finally {
      real.setState(dev.weft.internal.segment.Abi.SEGMENT_CLOSED);
      engine.close();
    }
  }

  @Test
  void aWarmUpDirectoryOfAProcessThatIsGoneIsRemovedAndNoOtherIs(@TempDir Path dir)
      throws Exception {
    Path dead = Files.createDirectory(dir.resolve(WarmUp.PIPELINE_DIR_PREFIX
        + (Integer.MAX_VALUE - 1) + "-123"));
    Files.writeString(dead.resolve("segment"), "x");
    Path mine = Files.createDirectory(dir.resolve(WarmUp.PIPELINE_DIR_PREFIX
        + ProcessHandle.current().pid() + "-456"));
    Path live = Files.createDirectory(dir.resolve(WarmUp.PIPELINE_DIR_PREFIX + "1-789"));
    Path foreign = Files.createDirectory(dir.resolve(WarmUp.PIPELINE_DIR_PREFIX + "notapid"));
    WarmUp.removeLeftovers(dir);
    assertThat(dead).doesNotExist();
    assertThat(mine).exists();
    assertThat(live).exists();
    assertThat(foreign).exists();
  }

  private static Set<String> warmUpDirectories() throws IOException {
    Set<String> names = new java.util.HashSet<>();
    for (Path parent : List.of(Path.of("/dev/shm"), Path.of(System.getProperty("java.io.tmpdir")))) {
      if (Files.isDirectory(parent)) {
        try (Stream<Path> entries = Files.list(parent)) {
          entries.map(p -> p.getFileName().toString()).filter(n -> n.contains("weft-warmup-"))
              .forEach(names::add);
        }
      }
    }
    return names;
  }

  @Test
  void anotherExporterGetsTheMarshallingOnlyAndIsNeverCalled() {
    SpanExporter never = new SpanExporter() {
      @Override
      public io.opentelemetry.sdk.common.CompletableResultCode export(
          java.util.Collection<io.opentelemetry.sdk.trace.data.SpanData> spans) {
        throw new AssertionError("the warm-up exported through the real exporter");
      }

      @Override
      public io.opentelemetry.sdk.common.CompletableResultCode flush() {
        throw new AssertionError("flushed");
      }

      @Override
      public io.opentelemetry.sdk.common.CompletableResultCode shutdown() {
        throw new AssertionError("shut down");
      }
    };
    String account = WarmUp.run(never, Resource.getDefault());
    assertThat(account).contains("marshalled to OTLP (discarded)");
  }

  @Test
  void theDecoderSeesEverySpanAndTwoThreadsInTurns() {
    // Two origins in turns (and fresh decoders): the paths real spans take first (a name, shape
    // or layout not cached, a layout of another thread) run in the warm-up too, so the JIT does
    // not compile them as traps that the first real spans hit.
    List<List<SpanData>> batches = WarmUp.decode(Resource.empty());
    List<SpanData> spans = batches.stream().flatMap(List::stream).collect(Collectors.toList());
    assertThat(spans).hasSize(WarmUp.SPANS);
    Set<String> threads = spans.stream()
        .map(s -> s.getAttributes().get(AttributeKey.stringKey("thread.name")))
        .collect(Collectors.toSet());
    assertThat(threads).containsExactlyInAnyOrder("weft-warmup-0", "weft-warmup-1");
  }

  @Test
  void theDecodedValuesTakeEveryVarintLengthAndSomeStringsALongLength() {
    // Real integers are rarely all below 128: a warm-up of small values only left the
    // marshaler's branches for longer varints compiled as traps that the first real spans hit.
    List<SpanData> spans = WarmUp.decode(Resource.empty()).stream().flatMap(List::stream)
        .collect(Collectors.toList());
    Set<Integer> varintLengths = spans.stream()
        .map(s -> s.getAttributes().get(AttributeKey.longKey("warmup.seq")))
        .map(CodedOutputStream::computeInt64SizeNoTag).collect(Collectors.toSet());
    assertThat(varintLengths).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    Set<Integer> lengthPrefixes = spans.stream()
        .map(s -> s.getAttributes().get(AttributeKey.stringKey("warmup.text")))
        .map(t -> CodedOutputStream.computeUInt32SizeNoTag(
            t.getBytes(java.nio.charset.StandardCharsets.UTF_8).length))
        .collect(Collectors.toSet());
    assertThat(lengthPrefixes).containsExactlyInAnyOrder(1, 2);
  }

  @Test
  void theSwitchTurnsItOff() {
    System.setProperty(WarmUp.PROPERTY, "false");
    try {
      assertThat(WarmUp.enabled()).isFalse();
    } finally {
      System.clearProperty(WarmUp.PROPERTY);
    }
    assertThat(WarmUp.enabled()).isTrue();
  }
}
