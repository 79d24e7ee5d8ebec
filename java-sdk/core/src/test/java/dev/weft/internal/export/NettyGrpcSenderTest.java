package dev.weft.internal.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.internal.Counters;
import dev.weft.internal.segment.Segment;
import dev.weft.internal.segment.SegmentDrainer;
import dev.weft.testing.CollectingSink;
import dev.weft.testing.OtlpReceiver;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SDK's OtlpGrpcSpanExporter over {@link NettyGrpcSenderProvider}, to a real receiver. */
class NettyGrpcSenderTest {
  @TempDir Path dir;
  private OtlpReceiver receiver;
  private final List<SpanExporter> exporters = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    receiver = new OtlpReceiver(true).start();
  }

  @AfterEach
  void tearDown() {
    for (SpanExporter exporter : exporters) {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
    receiver.close();
  }

  private OtlpGrpcSpanExporter netty(OtlpGrpcSpanExporterBuilder builder) {
    OtlpGrpcSpanExporter exporter = builder.setComponentLoader(
        NettyGrpcSenderProvider.componentLoader(
            ComponentLoader.forClassLoader(getClass().getClassLoader()))).build();
    exporters.add(exporter);
    return exporter;
  }

  private List<SpanData> spans(int n) throws Exception {
    var writer = dev.weft.internal.segment.SegmentWriter.create(dir.resolve("seg-" + n));
    writer.registerScope("lib", "1.0");
    writer.claimSlot(0, 7, "t");
    CollectingSink sink = new CollectingSink();
    SegmentDrainer drainer = new SegmentDrainer(Segment.open(writer.path()),
        Resource.getDefault(), new Counters());
    for (int i = 0; i < n; i++) {
      writer.append(0, SpanRecordBuilder.span().spanId(i + 1).attr("i", (long) i)
          .attr("s", "v" + i).build());
      drainer.drain(sink);
    }
    return sink.spans;
  }

  @Test
  void concurrentExportsAllArrive() throws Exception {
    OtlpGrpcSpanExporter exporter = netty(OtlpGrpcSpanExporter.builder()
        .setEndpoint(receiver.endpoint()).addHeader("x-weft", "1").setCompression("gzip"));
    List<SpanData> spans = spans(40);
    List<CompletableResultCode> results = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      results.add(exporter.export(spans.subList(i * 5, i * 5 + 5)));
    }
    assertThat(CompletableResultCode.ofAll(results).join(10, TimeUnit.SECONDS).isSuccess())
        .isTrue();
    assertThat(receiver.received()).hasSize(40);
    assertThat(receiver.received()).allSatisfy(r -> {
      assertThat(r.scope.getName()).isEqualTo("lib");
      assertThat(r.span.getAttributesList()).extracting(KeyValue::getKey).contains("i", "s");
    });
  }

  @Test
  void shutdownEndsTheChannelsOwnEventLoopThread() throws Exception {
    Set<Thread> before = eventLoopThreads();
    OtlpGrpcSpanExporter exporter = netty(OtlpGrpcSpanExporter.builder()
        .setEndpoint(receiver.endpoint()));
    assertThat(exporter.export(spans(1)).join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    Set<Thread> started = eventLoopThreads();
    started.removeAll(before);
    assertThat(started).isNotEmpty().allSatisfy(t -> assertThat(t.isDaemon()).isTrue());
    assertThat(exporter.shutdown().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    await().until(() -> started.stream().noneMatch(Thread::isAlive));
  }

  private static Set<Thread> eventLoopThreads() {
    Set<Thread> threads = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("weft-grpc-nio")) {
        threads.add(t);
      }
    }
    return threads;
  }

  @Test
  void unreachableReceiverFailsTheExport() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1,
        java.net.InetAddress.getByName("127.0.0.1"))) {
      port = socket.getLocalPort();
    }
    OtlpGrpcSpanExporter exporter = netty(OtlpGrpcSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + port).setRetryPolicy(null)
        .setTimeout(Duration.ofSeconds(1)));
    CompletableResultCode result = exporter.export(spans(1));
    await().until(result::isDone);
    assertThat(result.isSuccess()).isFalse();
  }

  @Test
  void retriesUntilTheReceiverIsBack() throws Exception {
    int port = receiver.port();
    receiver.stop();
    OtlpGrpcSpanExporter exporter = netty(OtlpGrpcSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + port).setTimeout(Duration.ofSeconds(30))
        .setRetryPolicy(RetryPolicy.builder().setMaxAttempts(5)
            .setInitialBackoff(Duration.ofMillis(200)).setMaxBackoff(Duration.ofMillis(500))
            .build()));
    CompletableResultCode result = exporter.export(spans(3));
    receiver.start(); // same port
    await().atMost(Duration.ofSeconds(30)).until(result::isDone);
    assertThat(result.isSuccess()).isTrue();
    assertThat(receiver.spanCount()).isEqualTo(3);
  }

  @Test
  void serviceConfigCarriesTheSdkRetryPolicy() {
    Map<String, Object> config = NettyGrpcSenderProvider.serviceConfig(
        "opentelemetry.proto.collector.trace.v1.TraceService/Export", RetryPolicy.getDefault());
    assertThat(config.toString())
        .contains("service=opentelemetry.proto.collector.trace.v1.TraceService")
        .contains("method=Export").contains("maxAttempts=5.0")
        .contains("initialBackoff=1.000000000s").contains("UNAVAILABLE");
  }

  @Test
  void autoconfiguredOtlpGrpcExporterUsesTheNettySender() throws Exception {
    System.setProperty("otel.exporter.otlp.endpoint", receiver.endpoint());
    System.setProperty("otel.service.name", "weft-auto");
    AutoConfiguredExport export;
    try {
      export = AutoConfiguredExport.create();
    } finally {
      System.clearProperty("otel.exporter.otlp.endpoint");
      System.clearProperty("otel.service.name");
    }
    try {
      assertThat(export.exporter()).isInstanceOf(NativeOtlpGrpcSpanExporter.class);
      assertThat(export.exporter().toString()).contains(NettyGrpcSenderProvider.class.getName())
          .contains(receiver.endpoint());
      CompletableResultCode result = export.exporter().export(spans(2));
      assertThat(result.join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
      assertThat(receiver.spanCount()).isEqualTo(2);
    } finally {
      export.shutdown().join(10, TimeUnit.SECONDS);
    }
  }
}
