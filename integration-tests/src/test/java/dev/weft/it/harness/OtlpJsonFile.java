package dev.weft.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Collector's {@code file} exporter output: one OTLP JSON {@code ExportTraceServiceRequest}
 * per line ({@code resourceSpans[].scopeSpans[].spans[]}, ids as lowercase hex, 64-bit integers
 * as strings). A last line still being written (no newline yet) is left for the next read.
 */
public final class OtlpJsonFile {
  private static final ObjectMapper mapper = new ObjectMapper();

  private final Path path;

  OtlpJsonFile(Path path) {
    this.path = path;
  }

  public Path path() {
    return path;
  }

  /** A span with the resource and scope it was exported under. */
  public record ExportedSpan(Map<String, Object> resource, String scopeName, String scopeVersion,
      JsonNode span) {
    public String traceId() {
      return span.path("traceId").asText();
    }

    public String spanId() {
      return span.path("spanId").asText();
    }

    /** The parent span id, "" for a root span. */
    public String parentSpanId() {
      return span.path("parentSpanId").asText("");
    }

    public String name() {
      return span.path("name").asText();
    }

    /** OTLP SpanKind number (1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
    public int kind() {
      return span.path("kind").asInt();
    }

    /** OTLP status code (0 unset, 1 ok, 2 error). */
    public int statusCode() {
      return span.path("status").path("code").asInt(0);
    }

    public String statusMessage() {
      return span.path("status").path("message").asText("");
    }

    public Map<String, Object> attributes() {
      return OtlpJsonFile.attributes(span.path("attributes"));
    }

    public long startTimeUnixNano() {
      return Long.parseLong(span.path("startTimeUnixNano").asText());
    }

    public long endTimeUnixNano() {
      return Long.parseLong(span.path("endTimeUnixNano").asText());
    }

    /** Events as name → attributes. */
    public List<Map.Entry<String, Map<String, Object>>> events() {
      List<Map.Entry<String, Map<String, Object>>> events = new ArrayList<>();
      for (JsonNode e : span.path("events")) {
        events.add(Map.entry(e.path("name").asText(), OtlpJsonFile.attributes(e.path("attributes"))));
      }
      return events;
    }
  }

  /** Every span of every complete line written so far. */
  public List<ExportedSpan> spans() {
    if (!Files.exists(path)) {
      return List.of();
    }
    String content;
    try {
      content = Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<ExportedSpan> spans = new ArrayList<>();
    int end = content.lastIndexOf('\n');
    if (end < 0) {
      return spans;
    }
    for (String line : content.substring(0, end).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode request;
      try {
        request = mapper.readTree(line);
      } catch (IOException e) {
        throw new AssertionError("the file exporter wrote a line that is not JSON: " + line, e);
      }
      for (JsonNode rs : request.path("resourceSpans")) {
        Map<String, Object> resource = attributes(rs.path("resource").path("attributes"));
        for (JsonNode ss : rs.path("scopeSpans")) {
          String scopeName = ss.path("scope").path("name").asText("");
          String scopeVersion = ss.path("scope").path("version").asText("");
          for (JsonNode span : ss.path("spans")) {
            spans.add(new ExportedSpan(resource, scopeName, scopeVersion, span));
          }
        }
      }
    }
    return spans;
  }

  /** The spans of one trace. */
  public List<ExportedSpan> trace(String traceId) {
    return spans().stream().filter(s -> s.traceId().equals(traceId)).toList();
  }

  /** OTLP JSON {@code KeyValue[]} to a map of String, Long, Double, Boolean or List values. */
  static Map<String, Object> attributes(JsonNode keyValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (JsonNode kv : keyValues) {
      map.put(kv.path("key").asText(), value(kv.path("value")));
    }
    return Collections.unmodifiableMap(map);
  }

  private static Object value(JsonNode any) {
    if (any.has("stringValue")) {
      return any.get("stringValue").asText();
    }
    if (any.has("intValue")) {
      return Long.parseLong(any.get("intValue").asText()); // a JSON string per proto3 JSON
    }
    if (any.has("doubleValue")) {
      return any.get("doubleValue").asDouble();
    }
    if (any.has("boolValue")) {
      return any.get("boolValue").asBoolean();
    }
    if (any.has("arrayValue")) {
      List<Object> values = new ArrayList<>();
      for (JsonNode v : any.get("arrayValue").path("values")) {
        values.add(value(v));
      }
      return values;
    }
    return any.toString();
  }
}
