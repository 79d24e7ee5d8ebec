package dev.weft.it.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.it.harness.JaegerQuery.JaegerSpan;
import dev.weft.it.harness.JaegerQuery.Trace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;

/** Checks, through Jaeger's query API, that a {@link LoadgenWorkload} trace arrived whole. */
public final class JaegerTraceAssertions {
  private JaegerTraceAssertions() {}

  /**
   * Polls Jaeger (bounded) until the trace is complete, then checks it: found by service name and
   * by id, one trace id, the parent/child tree as CHILD_OF references, tags of every type, error
   * status, events as logs, and the service of the JVM and the native spans.
   */
  public static void assertWholeTrace(JaegerQuery jaeger, LoadgenWorkload.Result sent,
      Duration timeout, Path saveDir) throws IOException {
    String service = LoadgenWorkload.SERVICE_NAME;
    await("trace " + sent.traceId() + " with " + sent.totalSpans() + " spans in Jaeger's search"
        + " for service " + service).atMost(timeout).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() -> {
          List<Trace> found = jaeger.search(service, 100).stream()
              .filter(t -> t.traceId().equals(sent.traceId())).toList();
          assertThat(found).hasSize(1);
          assertThat(found.get(0).spans()).hasSize(sent.totalSpans());
        });
    List<Trace> byId = await("GET /api/traces/" + sent.traceId()).atMost(timeout)
        .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> jaeger.byId(sent.traceId()),
            l -> l.size() == 1 && l.get(0).spans().size() == sent.totalSpans());
    Trace trace = byId.get(0);
    // What Jaeger answered, for a human reading a failure.
    Files.writeString(saveDir.resolve("jaeger-trace-" + sent.traceId() + ".json"),
        trace.json().toPrettyString());
    assertThat(trace.traceId()).isEqualTo(sent.traceId());

    List<JaegerSpan> spans = trace.spans();
    Set<String> ids = new HashSet<>();
    Map<String, JaegerSpan> nativeBySeq = new HashMap<>();
    SoftAssertions soft = new SoftAssertions();
    for (JaegerSpan s : spans) {
      soft.assertThat(ids.add(s.spanId())).as("span %s twice", s.spanId()).isTrue();
      soft.assertThat(s.traceId()).as("trace id of %s", s.operationName())
          .isEqualTo(sent.traceId());
      soft.assertThat(s.serviceName()).as("service of %s", s.operationName()).isEqualTo(service);
      if (s.operationName().equals(LoadgenWorkload.NATIVE_NAME)) {
        nativeBySeq.put(s.tag("loadgen.thread").asLong() + "/" + s.tag("loadgen.seq").asLong(), s);
      }
    }

    JaegerSpan root = trace.span(sent.rootSpanId()).orElseThrow();
    soft.assertThat(root.operationName()).isEqualTo(LoadgenWorkload.ROOT_NAME);
    soft.assertThat(root.references()).as("root references").isEmpty();
    soft.assertThat(root.typedTags()).containsEntry("span.kind", "string:server")
        .containsEntry("weft.it.string", "string:text")
        .containsEntry("weft.it.long", "int64:42")
        .containsEntry("weft.it.double", "float64:2.5")
        .containsEntry("weft.it.bool", "bool:true")
        .containsEntry("otel.scope.name", "string:" + LoadgenWorkload.JVM_SCOPE)
        .doesNotContainKey("error");
    // Jaeger has no array type: arrays arrive as their JSON text.
    soft.assertThat(root.typedTags()).containsEntry("weft.it.strings", "string:[\"a\",\"b\"]")
        .containsEntry("weft.it.longs", "string:[1,2,3]")
        .containsEntry("weft.it.doubles", "string:[0.5,1.5]")
        .containsEntry("weft.it.bools", "string:[true,false]");
    soft.assertThat(root.processTags()).containsEntry("telemetry.sdk.language", "java");

    JaegerSpan child = trace.span(sent.childSpanId()).orElseThrow();
    soft.assertThat(child.operationName()).isEqualTo(LoadgenWorkload.CHILD_NAME);
    soft.assertThat(child.references())
        .containsExactly("CHILD_OF:" + sent.traceId() + ":" + sent.rootSpanId());
    soft.assertThat(child.typedTags()).containsEntry("error", "bool:true")
        .containsEntry("otel.status_code", "string:ERROR")
        .containsEntry("otel.status_description", "string:" + LoadgenWorkload.CHILD_ERROR);
    soft.assertThat(child.logs()).anySatisfy(l -> assertThat(l)
        .containsEntry("event", "exception")
        .containsEntry("exception.message", LoadgenWorkload.EXCEPTION_MESSAGE)
        .containsEntry("exception.type", IllegalStateException.class.getName()));

    JaegerSpan step = trace.span(sent.grandchildSpanId()).orElseThrow();
    soft.assertThat(step.operationName()).isEqualTo(LoadgenWorkload.GRANDCHILD_NAME);
    soft.assertThat(step.references())
        .containsExactly("CHILD_OF:" + sent.traceId() + ":" + sent.childSpanId());
    soft.assertThat(step.typedTags()).containsEntry("weft.it.step", "int64:1")
        .doesNotContainKey("error");

    soft.assertThat(nativeBySeq).as("native spans by thread/seq").hasSize(sent.nativeSpans());
    for (int t = 0; t < sent.threads(); t++) {
      for (int i = 0; i < sent.spansPerThread(); i++) {
        final int seq = i;
        JaegerSpan s = nativeBySeq.get(t + "/" + seq);
        if (s == null) {
          soft.fail("native span thread %d seq %d missing", t, seq);
          continue;
        }
        String what = "native span " + t + "/" + seq;
        soft.assertThat(s.references()).as(what + " references")
            .containsExactly("CHILD_OF:" + sent.traceId() + ":" + sent.rootSpanId());
        Map<String, String> tags = s.typedTags();
        soft.assertThat(tags).as(what).containsEntry("span.kind", "string:client")
            .containsEntry("loadgen.thread", "int64:" + t)
            .containsEntry("loadgen.seq", "int64:" + seq)
            .containsEntry("loadgen.text", "string:value-" + seq)
            .containsEntry("loadgen.ratio", "float64:" + (seq / 2.0))
            .containsEntry("loadgen.even", "bool:" + (seq % 2 == 0))
            .containsEntry("otel.scope.name", "string:" + LoadgenWorkload.NATIVE_SCOPE)
            .containsEntry("otel.scope.version", "string:" + LoadgenWorkload.NATIVE_SCOPE_VERSION);
        if (seq % 7 == 0) {
          soft.assertThat(tags).as(what).containsEntry("error", "bool:true")
              .containsEntry("otel.status_code", "string:ERROR")
              .containsEntry("otel.status_description", "string:seq divisible by 7");
        } else {
          soft.assertThat(tags).as(what).doesNotContainKeys("error", "otel.status_code");
        }
        if (seq % 10 == 0) {
          soft.assertThat(s.logs()).as(what + " logs").hasSize(1);
          soft.assertThat(s.logs()).as(what + " logs").allSatisfy(l -> assertThat(l)
              .containsEntry("event", "tick").containsEntry("n", Integer.toString(seq)));
        } else {
          soft.assertThat(s.logs()).as(what + " logs").isEmpty();
        }
      }
    }
    soft.assertAll();
  }
}
