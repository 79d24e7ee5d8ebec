package dev.weft.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Jaeger's HTTP query API ({@code /api/traces?service=...}, {@code /api/traces/<id>}): the JSON
 * model the Jaeger UI reads (spans with {@code references} and {@code tags}, processes).
 */
public final class JaegerQuery {
  private static final ObjectMapper mapper = new ObjectMapper();

  private final URI base;

  public JaegerQuery(URI base) {
    this.base = base;
  }

  public URI base() {
    return base;
  }

  /** The traces {@code /api/traces?service=<service>} returns (at most {@code limit}). */
  public List<Trace> search(String service, int limit) throws IOException, InterruptedException {
    JsonNode body = getJson("/api/traces?service="
        + URLEncoder.encode(service, StandardCharsets.UTF_8) + "&limit=" + limit);
    List<Trace> traces = new ArrayList<>();
    if (body != null) {
      body.path("data").forEach(t -> traces.add(new Trace(t)));
    }
    return traces;
  }

  /**
   * {@code /api/traces/<traceId>}: the traces in {@code data} (one when Jaeger has it), or none
   * when it answers 404.
   */
  public List<Trace> byId(String traceId) throws IOException, InterruptedException {
    JsonNode body = getJson("/api/traces/" + traceId);
    List<Trace> traces = new ArrayList<>();
    if (body != null) {
      body.path("data").forEach(t -> traces.add(new Trace(t)));
    }
    return traces;
  }

  /** {@code /api/services}. */
  public List<String> services() throws IOException, InterruptedException {
    JsonNode body = getJson("/api/services");
    List<String> services = new ArrayList<>();
    if (body != null) {
      body.path("data").forEach(s -> services.add(s.asText()));
    }
    return services;
  }

  private JsonNode getJson(String pathAndQuery) throws IOException, InterruptedException {
    Http.Response r = Http.get(base.resolve(pathAndQuery));
    if (r.status() == 404) {
      return null;
    }
    if (r.status() != 200) {
      throw new IOException("GET " + pathAndQuery + " -> HTTP " + r.status() + ": " + r.body());
    }
    return mapper.readTree(r.body());
  }

  /** One trace of the Jaeger JSON model. */
  public static final class Trace {
    private final JsonNode json;

    Trace(JsonNode json) {
      this.json = json;
    }

    public String traceId() {
      return json.path("traceID").asText();
    }

    public List<JaegerSpan> spans() {
      List<JaegerSpan> spans = new ArrayList<>();
      for (JsonNode s : json.path("spans")) {
        String processId = s.path("processID").asText();
        spans.add(new JaegerSpan(s, json.path("processes").path(processId)));
      }
      return spans;
    }

    public Optional<JaegerSpan> span(String spanId) {
      return spans().stream().filter(s -> s.spanId().equals(spanId)).findFirst();
    }

    public JsonNode json() {
      return json;
    }

    @Override
    public String toString() {
      return json.toString();
    }
  }

  /** A span of the Jaeger JSON model. */
  public record JaegerSpan(JsonNode json, JsonNode process) {
    public String traceId() {
      return json.path("traceID").asText();
    }

    public String spanId() {
      return json.path("spanID").asText();
    }

    public String operationName() {
      return json.path("operationName").asText();
    }

    /** {@code refType:traceID:spanID} for every reference. */
    public List<String> references() {
      List<String> refs = new ArrayList<>();
      for (JsonNode r : json.path("references")) {
        refs.add(r.path("refType").asText() + ":" + r.path("traceID").asText() + ":"
            + r.path("spanID").asText());
      }
      return refs;
    }

    /**
     * Tags as key → {@code type:value}, type as Jaeger names it (string, bool, int64, float64,
     * binary), a float64 value as {@link Double#toString(double)} prints it.
     */
    public Map<String, String> typedTags() {
      Map<String, String> tags = new LinkedHashMap<>();
      for (JsonNode t : json.path("tags")) {
        String type = t.path("type").asText();
        JsonNode value = t.path("value");
        // JSON has one number type: 0.0 may arrive as 0. Doubles are shown as Java prints them.
        String text = type.equals("float64") ? Double.toString(value.asDouble()) : value.asText();
        tags.put(t.path("key").asText(), type + ":" + text);
      }
      return tags;
    }

    /** The value of a tag as JSON (number, boolean, string), or null. */
    public JsonNode tag(String key) {
      for (JsonNode t : json.path("tags")) {
        if (t.path("key").asText().equals(key)) {
          return t.path("value");
        }
      }
      return null;
    }

    /** Span logs (events), each as its fields key → value text. */
    public List<Map<String, String>> logs() {
      List<Map<String, String>> logs = new ArrayList<>();
      for (JsonNode l : json.path("logs")) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (JsonNode f : l.path("fields")) {
          fields.put(f.path("key").asText(), f.path("value").asText());
        }
        logs.add(fields);
      }
      return logs;
    }

    public String serviceName() {
      return process.path("serviceName").asText();
    }

    /** Process tags (the OTLP resource minus service.name) as key → value text. */
    public Map<String, String> processTags() {
      Map<String, String> tags = new LinkedHashMap<>();
      for (JsonNode t : process.path("tags")) {
        tags.put(t.path("key").asText(), t.path("value").asText());
      }
      return tags;
    }
  }
}
