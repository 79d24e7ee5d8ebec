package dev.weft.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.export.CollectorFirstSpanExporter;
import dev.weft.internal.export.NativeOtlpGrpcSpanExporter;
import dev.weft.testing.OtlpReceiver;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.api.common.AttributeKey;
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
            .contains("Weft's marshaler").contains("loopback");
        assertThat(backend.requestCount()).isZero();
      } finally {
        exporter.shutdown().join(10, java.util.concurrent.TimeUnit.SECONDS);
      }
    }
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
