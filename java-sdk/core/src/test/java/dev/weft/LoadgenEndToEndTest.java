package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.testing.Loadgen;
import dev.weft.testing.OtlpReceiver;
import dev.weft.testing.TestExporters;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path with real native code: weft-loadgen (the C SDK) records spans in a child
 * process, the collector reads its segment by path and exports over real OTLP/gRPC to a receiver
 * on 127.0.0.1.
 */
class LoadgenEndToEndTest {
  private static final Resource RESOURCE = Resource.getDefault().merge(
      Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "weft-e2e")));

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
  void tearDown() throws Exception {
    if (exporter != null) {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
    if (receiver != null) {
      receiver.close();
    }
  }

  /** A running weft-loadgen --wait as fast as it can, segment weft-PID. */
  private Loadgen loadgen(int threads, int spans, int ringSize) throws IOException {
    return Loadgen.in(dir).threads(threads).spans(spans).ringSize(ringSize).start();
  }

  private WeftCollectorBuilder collector(Path segment) {
    return WeftCollector.builder().setSegmentPath(segment).setSpanExporter(exporter)
        .setResource(RESOURCE).setRegisterShutdownHook(false)
        .setScheduleDelay(Duration.ofMillis(20));
  }

  @Test
  void everyRecordedSpanArrivesExactlyOnceWithAllItsData() throws Exception {
    int threads = 4;
    int spans = 2000;
    long before = System.currentTimeMillis() * 1_000_000L;
    WeftStats stats;
    try (Loadgen gen = loadgen(threads, spans, 1 << 20);
        WeftCollector collector = collector(gen.segment()).build()) {
      assertThat(gen.awaitDone()).isEqualTo((long) threads * spans);
      await().atMost(Duration.ofSeconds(60))
          .until(() -> receiver.spanCount() >= (long) threads * spans);
      stats = collector.stats();
    }
    long after = System.currentTimeMillis() * 1_000_000L;
    assertThat(stats.spansCommitted()).isEqualTo((long) threads * spans);
    assertThat(stats.droppedRingFull() + stats.droppedNoSlot() + stats.droppedReentrant()
        + stats.droppedTooDeep()).isZero();
    assertThat(stats.corruptRecords()).isZero();
    assertThat(receiver.spanCount()).isEqualTo((long) threads * spans);

    Set<String> spanIds = new HashSet<>();
    Set<String> threadSeq = new HashSet<>();
    for (OtlpReceiver.Received r : receiver.received()) {
      Span span = r.span;
      Map<String, AnyValue> attributes = attributes(span.getAttributesList());
      long thread = attributes.get("loadgen.thread").getIntValue();
      long seq = attributes.get("loadgen.seq").getIntValue();
      assertThat(threadSeq.add(thread + "/" + seq)).as("duplicate %s/%s", thread, seq).isTrue();
      assertThat(spanIds.add(hex(span.getSpanId().toByteArray()))).isTrue();
      assertThat(span.getTraceId().size()).isEqualTo(16);
      assertThat(span.getSpanId().size()).isEqualTo(8);
      assertThat(span.getName()).isEqualTo("loadgen.span");
      assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
      assertThat(attributes.get("loadgen.text").getStringValue()).isEqualTo("value-" + seq);
      assertThat(attributes.get("loadgen.ratio").getDoubleValue()).isEqualTo(seq / 2.0);
      assertThat(attributes.get("loadgen.even").getBoolValue()).isEqualTo(seq % 2 == 0);
      assertThat(attributes.get("thread.id").getIntValue()).isPositive();
      assertThat(span.getStartTimeUnixNano()).isBetween(before, after);
      assertThat(span.getEndTimeUnixNano()).isBetween(span.getStartTimeUnixNano(), after);
      if (seq % 10 == 0) {
        assertThat(span.getEventsList()).hasSize(1);
        Span.Event event = span.getEvents(0);
        assertThat(event.getName()).isEqualTo("tick");
        assertThat(attributes(event.getAttributesList()).get("n").getIntValue()).isEqualTo(seq);
        assertThat(event.getTimeUnixNano()).isBetween(span.getStartTimeUnixNano(),
            span.getEndTimeUnixNano());
      } else {
        assertThat(span.getEventsList()).isEmpty();
      }
      if (seq % 7 == 0) {
        assertThat(span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
        assertThat(span.getStatus().getMessage()).isEqualTo("seq divisible by 7");
      } else {
        assertThat(span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
      }
      assertThat(span.getDroppedAttributesCount()).isZero();
      assertThat(span.getDroppedEventsCount()).isZero();
      assertThat(r.scope.getName()).isEqualTo("weft-loadgen");
      assertThat(r.scope.getVersion()).isEqualTo("0.1.0");
      assertThat(attributes(r.resource.getAttributesList()).get("service.name").getStringValue())
          .isEqualTo("weft-e2e");
    }
    assertThat(threadSeq).hasSize(threads * spans);
  }

  @Test
  void aTinyRingOverflowsAndEverySpanIsAccountedFor() throws Exception {
    int threads = 2;
    int spans = 20_000;
    WeftStats stats;
    long ended;
    try (Loadgen gen = loadgen(threads, spans, 4096);
        WeftCollector collector = collector(gen.segment()).build()) {
      ended = gen.awaitDone();
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        WeftStats s = collector.stats();
        return s.spansExported() == s.spansCommitted();
      });
      stats = collector.stats();
    }
    assertThat(ended).isEqualTo((long) threads * spans);
    long nativeDrops = stats.droppedRingFull() + stats.droppedNoSlot() + stats.droppedReentrant()
        + stats.droppedTooDeep();
    assertThat(stats.droppedRingFull()).isPositive();
    assertThat(receiver.spanCount()).isEqualTo(stats.spansCommitted());
    assertThat(receiver.spanCount() + nativeDrops).isEqualTo(ended);
    assertThat(stats.corruptRecords() + stats.exportFailures() + stats.queueOverflow()).isZero();
  }

  @Test
  void spansRecordedDuringAnOutageArriveAfterTheReceiverRestarts() throws Exception {
    int threads = 2;
    int spans = 3000;
    int queue = 1024;
    receiver.stop();
    WeftStats stats;
    long ended;
    try (Loadgen gen = loadgen(threads, spans, 1 << 20);
        WeftCollector collector = collector(gen.segment()).setMaxQueueSize(queue)
            .setMaxExportBatchSize(256).setDropWhenQueueFull(true).build()) {
      ended = gen.awaitDone();
      // The queue fills while every export fails over and over (the exporter retries).
      await().atMost(Duration.ofSeconds(30))
          .until(() -> collector.stats().queueOverflow() > 0);
      assertThat(receiver.spanCount()).isZero();
      receiver.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        WeftStats s = collector.stats();
        return s.spansDrained() == s.spansCommitted()
            && s.spansExported() + s.exportFailures() + s.queueOverflow() == s.spansDrained();
      });
      stats = collector.stats();
    }
    assertThat(stats.spansCommitted()).isEqualTo(ended);
    // What was queued when the receiver came back arrives; the counters account for the rest.
    assertThat(receiver.spanCount()).isEqualTo(stats.spansExported());
    assertThat(receiver.spanCount()).isPositive().isLessThanOrEqualTo(queue);
    assertThat(stats.spansExported() + stats.exportFailures() + stats.queueOverflow())
        .isEqualTo(ended);
    Set<String> unique = new HashSet<>();
    receiver.received().forEach(r -> unique.add(hex(r.span.getSpanId().toByteArray())));
    assertThat(unique).hasSize((int) receiver.spanCount());
  }

  private static Map<String, AnyValue> attributes(Iterable<KeyValue> list) {
    Map<String, AnyValue> map = new HashMap<>();
    list.forEach(kv -> map.put(kv.getKey(), kv.getValue()));
    return map;
  }

  private static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes) {
      sb.append(String.format("%02x", b));
    }
    return sb.toString();
  }
}
