package dev.weft.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeftJsonLinesSpanExporterTest {
  @TempDir static Path shared;
  @TempDir Path dir;
  static KnownTrace trace;

  @BeforeAll
  static void record() throws Exception {
    trace = KnownTrace.create(shared);
  }

  /**
   * Parses one line as OTLP/JSON: the protobuf JSON mapping except that trace and span ids are
   * hex (OTLP's rule) where protobuf has base64. Unknown fields fail the parse.
   */
  static ExportTraceServiceRequest parse(String line) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    JsonNode root = mapper.readTree(line);
    hexIdsToBase64(root);
    ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
    JsonFormat.parser().merge(mapper.writeValueAsString(root), request);
    return request.build();
  }

  private static void hexIdsToBase64(JsonNode node) {
    if (node.isObject()) {
      ObjectNode object = (ObjectNode) node;
      for (String id : List.of("traceId", "spanId", "parentSpanId")) {
        JsonNode value = object.get(id);
        if (value != null && value.isTextual()) {
          assertThat(value.asText()).as(id + " is lowercase hex").matches("[0-9a-f]*");
          object.put(id, Base64.getEncoder().encodeToString(HexFormat.of()
              .parseHex(value.asText())));
        }
      }
      for (Iterator<JsonNode> it = object.elements(); it.hasNext(); ) {
        hexIdsToBase64(it.next());
      }
    } else if (node.isArray()) {
      node.forEach(WeftJsonLinesSpanExporterTest::hexIdsToBase64);
    }
  }

  static String hex(com.google.protobuf.ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }

  static List<Span> spans(ExportTraceServiceRequest request) {
    List<Span> spans = new ArrayList<>();
    for (ResourceSpans rs : request.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        spans.addAll(ss.getSpansList());
      }
    }
    return spans;
  }

  @Test
  void eachExportIsOneLineOfOtlpJsonThatParsesBack() throws Exception {
    Path file = dir.resolve("traces.jsonl");
    WeftJsonLinesSpanExporter exporter = WeftJsonLinesSpanExporter.create(file);
    assertThat(exporter.export(trace.jvm).isSuccess()).isTrue();
    assertThat(exporter.export(trace.nativeSpans).isSuccess()).isTrue();
    assertThat(exporter.shutdown().isSuccess()).isTrue();

    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(2);
    List<Span> parsed = new ArrayList<>();
    for (String line : lines) {
      ExportTraceServiceRequest request = parse(line);
      for (ResourceSpans rs : request.getResourceSpansList()) {
        assertThat(rs.getResource().getAttributesList()).extracting(KeyValue::getKey)
            .contains("service.name");
      }
      parsed.addAll(spans(request));
    }
    Map<String, Span> byName =
        parsed.stream().collect(Collectors.toMap(Span::getName, Function.identity()));
    assertThat(byName).hasSize(4);
    for (SpanData expected : trace.all()) {
      Span span = byName.get(expected.getName());
      assertThat(hex(span.getTraceId())).isEqualTo(expected.getTraceId());
      assertThat(hex(span.getSpanId())).isEqualTo(expected.getSpanId());
      assertThat(hex(span.getParentSpanId())).isEqualTo(expected.getParentSpanId());
      assertThat(span.getStartTimeUnixNano()).isEqualTo(expected.getStartEpochNanos());
      assertThat(span.getEndTimeUnixNano()).isEqualTo(expected.getEndEpochNanos());
    }
    assertThat(byName.get("codec.compress").getStatus().getCode())
        .isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(byName.get("codec.compress").getStatus().getMessage()).isEqualTo("out of memory");
    assertThat(byName.get("codec.encode").getAttributesList()).extracting(KeyValue::getKey)
        .contains("thread.name");
  }

  @Test
  void appendsAndNeverTruncates() throws Exception {
    Path file = dir.resolve("traces.jsonl");
    Files.writeString(file, "{\"resourceSpans\":[]}\n");
    WeftJsonLinesSpanExporter exporter = WeftJsonLinesSpanExporter.create(file);
    exporter.export(trace.jvm);
    exporter.shutdown();
    assertThat(Files.readAllLines(file)).hasSize(2).first().isEqualTo("{\"resourceSpans\":[]}");
    assertThat(exporter.export(trace.jvm).isSuccess()).as("after shutdown").isFalse();
  }

  @Test
  void anUnwritablePathIsAClearError() {
    Path file = dir.resolve("no-such-dir").resolve("traces.jsonl");
    assertThatThrownBy(() -> WeftJsonLinesSpanExporter.create(file))
        .hasMessageContaining(file.toString())
        .hasMessageContaining("OTEL_EXPORTER_WEFT_JSONL_PATH");
  }
}
