package dev.weft.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.Weft;
import dev.weft.testing.OtlpReceiver;
import dev.weft.demo.testing.Traces;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.proto.trace.v1.Status;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The same native code called through FFM (JDK 22+): downcalls inside Weft scopes, the enrich
 * callback an upcall stub wrapped with {@code Weft.wrapUpcall}. Skipped on older JDKs.
 */
@SuppressWarnings("try") // scopes that are only closed
class FfmStitchingTest {
  static final Map<String, String> TREE = new LinkedHashMap<>();

  static {
    TREE.put("ffm.request", null);
    TREE.put("codec.process", "ffm.request");
    TREE.put("codec.parse", "codec.process");
    TREE.put("codec.parse.header", "codec.parse");
    TREE.put("codec.validate", "codec.process");
    TREE.put("codec.worker.compress", "codec.process");
    TREE.put("codec.upcall", "codec.process");
    TREE.put("ffm.enrich", "codec.upcall");
    TREE.put("codec.lookup", "ffm.enrich");
    TREE.put("codec.encode", "ffm.request");
  }

  static OtlpReceiver receiver;
  static DemoTelemetry telemetry;
  static FfmCodec codec;

  static boolean ffmAvailable() {
    return Runtime.version().feature() >= 22;
  }

  @BeforeAll
  static void start() throws Exception {
    if (!ffmAvailable()) {
      return;
    }
    codec = FfmCodec.load();
    receiver = new OtlpReceiver(true).start();
    telemetry = DemoTelemetry.create(null, Map.of("otel.traces.exporter", "otlp",
        "otel.exporter.otlp.endpoint", receiver.endpoint(), "otel.bsp.schedule.delay", "10"));
  }

  @AfterAll
  static void stop() {
    if (telemetry != null) {
      telemetry.close();
    }
    if (receiver != null) {
      receiver.close();
    }
  }

  @BeforeEach
  void requireFfm() {
    Assumptions.assumeTrue(ffmAvailable(), "FFM (java.lang.foreign) calls need JDK 22+; this JVM"
        + " is " + Runtime.version() + " (the JNI tests cover the same native code)");
  }

  @Test
  void ffmRequestIsOneTraceWithTheExactTree() {
    Tracer tracer = telemetry.tracer();
    byte[] payload = DemoService.payload(7);
    Span request = tracer.spanBuilder("ffm.request").startSpan();
    try (Scope ignored = request.makeCurrent()) {
      Weft.call(() -> codec.process(7, payload, id -> {
        Span enrich = tracer.spanBuilder("ffm.enrich").startSpan(); // parent: codec.upcall
        try (Scope inner = enrich.makeCurrent()) {
          return Weft.call(() -> codec.lookup(id));
        } finally {
          enrich.end();
        }
      }));
      Weft.call(() -> codec.encode(7, payload));
    } finally {
      request.end();
    }
    String traceId = request.getSpanContext().getTraceId();
    await().atMost(Duration.ofSeconds(30))
        .until(() -> Traces.ofTrace(receiver, traceId).size() >= TREE.size());
    Traces trace = new Traces(Traces.ofTrace(receiver, traceId));
    assertThat(trace.all()).extracting(r -> r.span.getName())
        .containsExactlyInAnyOrderElementsOf(TREE.keySet());
    for (Map.Entry<String, String> e : TREE.entrySet()) {
      assertThat(trace.parentName(e.getKey())).as("parent of %s", e.getKey())
          .isEqualTo(e.getValue());
    }
    assertThat(trace.span("codec.validate").getStatus().getCode())
        .isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
  }

  @Test
  void exceptionInAnFfmUpcallIsReportedAndTheStackStaysIntact() {
    Tracer tracer = telemetry.tracer();
    Span request = tracer.spanBuilder("ffm.failing").startSpan();
    try (Scope ignored = request.makeCurrent()) {
      Weft.call(() -> codec.process(8, DemoService.payload(8), id -> {
        throw new IllegalStateException("enrich failed");
      }));
      throw new AssertionError("the upcall's exception was not rethrown");
    } catch (IllegalStateException expected) {
      request.setStatus(StatusCode.ERROR, expected.getMessage());
    } finally {
      request.end();
    }
    String traceId = request.getSpanContext().getTraceId();
    await().atMost(Duration.ofSeconds(30))
        .until(() -> Traces.ofTrace(receiver, traceId).size() >= 7);
    Traces trace = new Traces(Traces.ofTrace(receiver, traceId));
    assertThat(trace.span("codec.upcall").getStatus().getCode())
        .isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(trace.parentName("codec.process")).isEqualTo("ffm.failing");
  }
}
