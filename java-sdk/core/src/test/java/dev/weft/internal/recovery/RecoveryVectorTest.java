package dev.weft.internal.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.Segment;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery of the C writer's crash vector (test-vectors/dead-with-open-spans, written by
 * c-sdk/tests/vectors.c with the real 1.1 writer): its own Resource, a dead collector's lease
 * taken over, every span from {@code head} (the unacknowledged ones again: at least once) and
 * the four open spans ended at their slot's last activity.
 */
class RecoveryVectorTest {
  @TempDir Path tmp;

  @Test
  void theCrashVectorIsRecoveredAsItsExpectedFileSays() throws Exception {
    Path dir = Path.of(System.getProperty("weft.test.vectors.dir", "../../test-vectors"));
    Path vector = dir.resolve("dead-with-open-spans.seg");
    JsonNode expected = new ObjectMapper().readTree(
        dir.resolve("dead-with-open-spans.expected.json").toFile());
    Path copy = tmp.resolve("weft-4242");
    Files.createFile(copy, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    byte[] bytes = Files.readAllBytes(vector);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)
        .putInt(Abi.CREATOR_UID_OFFSET, (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    Files.write(copy, bytes);

    try (Segment segment = Segment.openUnmapped(copy)) {
      SegmentResource resource = SegmentResource.read(segment);
      assertThat(resource.fromRecord).isTrue();
      Resource r = resource.resource;
      for (JsonNode a : expected.path("header").path("resource").path("attributes")) {
        String key = a.path("key").asText();
        Object value = a.path("type").asText().equals("int64")
            ? r.getAttribute(AttributeKey.longKey(key)) : r.getAttribute(AttributeKey.stringKey(key));
        assertThat(String.valueOf(value)).as(key).isEqualTo(a.path("value").asText());
      }
      assertThat(r.getAttributes().size())
          .isEqualTo(expected.path("header").path("resource").path("attributes").size());
    }

    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SegmentRecovery.Result result = new SegmentRecovery(exporter, 3,
        TimeUnit.SECONDS.toNanos(10), () -> false).recover(copy);
    assertThat(result.outcome).as(result.message).isEqualTo(SegmentRecovery.Outcome.RECOVERED);
    assertThat(result.message).contains("service.name=checkout");
    assertThat(copy).doesNotExist();

    List<SpanData> spans = exporter.getFinishedSpanItems();
    Map<String, SpanData> byId = spans.stream().collect(Collectors.toMap(
        s -> s.getSpanContext().getSpanId(), Function.identity()));
    assertThat(byId).hasSize(expected.path("spans").size() + expected.path("openSpans").size());
    for (JsonNode e : expected.path("spans")) {
      SpanData span = byId.get(e.path("spanId").asText());
      assertThat(span).as(e.path("name").asText()).isNotNull();
      assertThat(span.getEndEpochNanos()).isEqualTo(e.path("endUnixNanos").asLong());
      assertThat(span.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
    }
    for (JsonNode e : expected.path("openSpans")) {
      SpanData span = byId.get(e.path("spanId").asText());
      assertThat(span).as(e.path("name").asText()).isNotNull();
      assertThat(span.getEndEpochNanos()).as(span.getName())
          .isEqualTo(e.path("lastActivityUnixNanos").asLong());
      assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(span.getAttributes().get(InterruptedSpan.END_REASON)).isEqualTo("process_died");
      assertThat(span.getParentSpanContext().isValid() ? span.getParentSpanContext().getSpanId()
          : "0000000000000000").isEqualTo(e.path("parentSpanId").asText());
    }
    assertThat(spans).allSatisfy(s -> assertThat(s.getResource().getAttribute(
        AttributeKey.stringKey("service.name"))).isEqualTo("checkout"));
  }
}
