package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.internal.decode.SpanDecoder;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weft.span.thread.attributes=false} leaves {@code thread.id} and {@code thread.name} off
 * native spans (issue 12 item 4), and the OTLP request gets smaller by what they took.
 */
class ThreadAttributesSwitchTest {
  @TempDir Path dir;

  private List<SpanData> exported(String name, boolean threadAttributes) throws Exception {
    Path path = dir.resolve(name);
    SegmentWriter writer = SegmentWriter.create(path);
    writer.registerScope("lib", "1.0");
    writer.claimSlot(0, 4242, "codec-worker-3");
    for (int i = 1; i <= 30; i++) {
      assertThat(writer.append(0, SpanRecordBuilder.span().spanId(i).name("codec.encode")
          .attr("bytes", i).build())).as("appended span %d", i).isTrue();
    }
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    if (!threadAttributes) {
      System.setProperty(SpanDecoder.THREAD_ATTRIBUTES_PROPERTY, "false");
    }
    try (WeftCollector collector = WeftCollector.builder().setSegmentPath(path)
        .setSpanExporter(exporter).setResource(Resource.empty())
        .setRegisterShutdownHook(false).setScheduleDelay(Duration.ofMillis(5)).build()) {
      await().until(() -> collector.stats().spansExported() == 30);
    } finally {
      System.clearProperty(SpanDecoder.THREAD_ATTRIBUTES_PROPERTY);
      writer.close();
    }
    return exporter.getFinishedSpanItems();
  }

  @Test
  void threadAttributesCanBeLeftOffAndTheRequestShrinks() throws Exception {
    List<SpanData> with = exported("weft-with", true);
    List<SpanData> without = exported("weft-without", false);
    assertThat(with.get(0).getAttributes().get(SpanDecoder.THREAD_ID)).isNotNull();
    assertThat(with.get(0).getAttributes().get(SpanDecoder.THREAD_NAME))
        .isEqualTo("codec-worker-3");
    assertThat(without).allSatisfy(span -> {
      assertThat(span.getAttributes().get(SpanDecoder.THREAD_ID)).isNull();
      assertThat(span.getAttributes().get(SpanDecoder.THREAD_NAME)).isNull();
      assertThat(span.getAttributes().size()).isEqualTo(1);
    });
    int bytesWith = TraceRequestMarshaler.create(with).getBinarySerializedSize();
    int bytesWithout = TraceRequestMarshaler.create(without).getBinarySerializedSize();
    System.out.printf("ThreadAttributesSwitchTest: OTLP request of 30 spans: %d bytes with"
        + " thread.*, %d without (%.1f vs %.1f bytes/span, ratio %.3f)%n", bytesWith,
        bytesWithout, bytesWith / 30.0, bytesWithout / 30.0,
        (double) bytesWithout / bytesWith);
    assertThat(bytesWithout).isLessThan(bytesWith);
  }
}
