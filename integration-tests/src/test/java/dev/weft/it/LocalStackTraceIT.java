package dev.weft.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.it.harness.JaegerTraceAssertions;
import dev.weft.it.harness.LoadgenWorkload;
import dev.weft.it.harness.LocalStackExtension;
import dev.weft.it.harness.OtlpJsonFile.ExportedSpan;
import dev.weft.it.harness.Repo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * JVM and native spans, exported together over OTLP/gRPC, through the real Collector
 * ({@code collector-config/otel-collector.test.yaml}) into its file exporter and into a real
 * Jaeger v2 — both run as local processes built from Go modules; no Docker. Skipped (with the
 * reason) when Go or the module proxy is unavailable.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class LocalStackTraceIT {
  private static final int THREADS = 2;
  private static final int SPANS_PER_THREAD = 15;
  private static final Duration ARRIVAL_TIMEOUT = Duration.ofSeconds(30);

  @RegisterExtension
  static final LocalStackExtension local = new LocalStackExtension();

  private static Path workDir(String name) {
    return Repo.outputDir(LocalStackTraceIT.class.getSimpleName() + "/" + name);
  }

  @Test
  void collectorFileExportHasTheWholeTraceWithAllItsData() throws Exception {
    LoadgenWorkload.Result sent = LoadgenWorkload.run(local.stack().otlpGrpcEndpoint(),
        workDir("file-export"), THREADS, SPANS_PER_THREAD);
    List<ExportedSpan> spans = await("trace " + sent.traceId() + " in "
        + local.stack().fileExport().path()).atMost(ARRIVAL_TIMEOUT)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> local.stack().fileExport().trace(sent.traceId()),
            l -> l.size() >= sent.totalSpans());
    assertThat(spans).hasSize(sent.totalSpans());
    assertThat(spans.stream().map(ExportedSpan::spanId).collect(Collectors.toSet()))
        .hasSize(sent.totalSpans());

    SoftAssertions soft = new SoftAssertions();
    Map<String, ExportedSpan> byId = new HashMap<>();
    Set<String> nativeKeys = new HashSet<>();
    for (ExportedSpan s : spans) {
      byId.put(s.spanId(), s);
      soft.assertThat(s.traceId()).matches("[0-9a-f]{32}");
      soft.assertThat(s.spanId()).matches("[0-9a-f]{16}");
      soft.assertThat(s.resource()).as("resource of %s", s.name())
          .containsEntry("service.name", LoadgenWorkload.SERVICE_NAME)
          .containsEntry("telemetry.sdk.language", "java");
      soft.assertThat(s.endTimeUnixNano()).isGreaterThanOrEqualTo(s.startTimeUnixNano());
      if (s.name().equals(LoadgenWorkload.NATIVE_NAME)) {
        Map<String, Object> a = s.attributes();
        long thread = (Long) a.get("loadgen.thread");
        long seq = (Long) a.get("loadgen.seq");
        String what = "native span " + thread + "/" + seq;
        nativeKeys.add(thread + "/" + seq);
        soft.assertThat(s.scopeName()).as(what).isEqualTo(LoadgenWorkload.NATIVE_SCOPE);
        soft.assertThat(s.scopeVersion()).as(what).isEqualTo(LoadgenWorkload.NATIVE_SCOPE_VERSION);
        soft.assertThat(s.parentSpanId()).as(what + " parent").isEqualTo(sent.rootSpanId());
        soft.assertThat(s.kind()).as(what + " kind CLIENT").isEqualTo(3);
        soft.assertThat(a).as(what).containsEntry("loadgen.text", "value-" + seq)
            .containsEntry("loadgen.ratio", seq / 2.0)
            .containsEntry("loadgen.even", seq % 2 == 0);
        soft.assertThat(a.get("thread.id")).as(what + " thread.id").isInstanceOf(Long.class);
        if (seq % 7 == 0) {
          soft.assertThat(s.statusCode()).as(what + " status").isEqualTo(2);
          soft.assertThat(s.statusMessage()).as(what).isEqualTo("seq divisible by 7");
        } else {
          soft.assertThat(s.statusCode()).as(what + " status").isZero();
        }
        if (seq % 10 == 0) {
          soft.assertThat(s.events()).as(what + " events")
              .containsExactly(Map.entry("tick", Map.of("n", seq)));
        } else {
          soft.assertThat(s.events()).as(what + " events").isEmpty();
        }
      } else {
        soft.assertThat(s.scopeName()).as(s.name()).isEqualTo(LoadgenWorkload.JVM_SCOPE);
        soft.assertThat(s.scopeVersion()).as(s.name()).isEqualTo(LoadgenWorkload.JVM_SCOPE_VERSION);
      }
    }
    Set<String> expectedKeys = new HashSet<>();
    for (int t = 0; t < THREADS; t++) {
      for (int seq = 0; seq < SPANS_PER_THREAD; seq++) {
        expectedKeys.add(t + "/" + seq);
      }
    }
    soft.assertThat(nativeKeys).as("every native span exactly once").isEqualTo(expectedKeys);

    ExportedSpan root = byId.get(sent.rootSpanId());
    soft.assertThat(root.name()).isEqualTo(LoadgenWorkload.ROOT_NAME);
    soft.assertThat(root.parentSpanId()).as("root parent").isEmpty();
    soft.assertThat(root.kind()).as("root kind SERVER").isEqualTo(2);
    soft.assertThat(root.statusCode()).isZero();
    soft.assertThat(root.attributes()).containsEntry("weft.it.string", "text")
        .containsEntry("weft.it.long", 42L)
        .containsEntry("weft.it.double", 2.5)
        .containsEntry("weft.it.bool", true)
        .containsEntry("weft.it.strings", List.of("a", "b"))
        .containsEntry("weft.it.longs", List.of(1L, 2L, 3L))
        .containsEntry("weft.it.doubles", List.of(0.5, 1.5))
        .containsEntry("weft.it.bools", List.of(true, false));

    ExportedSpan child = byId.get(sent.childSpanId());
    soft.assertThat(child.name()).isEqualTo(LoadgenWorkload.CHILD_NAME);
    soft.assertThat(child.parentSpanId()).isEqualTo(sent.rootSpanId());
    soft.assertThat(child.kind()).as("child kind INTERNAL").isEqualTo(1);
    soft.assertThat(child.statusCode()).isEqualTo(2);
    soft.assertThat(child.statusMessage()).isEqualTo(LoadgenWorkload.CHILD_ERROR);
    soft.assertThat(child.events()).hasSize(1);
    soft.assertThat(child.events().get(0).getKey()).isEqualTo("exception");
    soft.assertThat(child.events().get(0).getValue())
        .containsEntry("exception.type", IllegalStateException.class.getName())
        .containsEntry("exception.message", LoadgenWorkload.EXCEPTION_MESSAGE);

    ExportedSpan step = byId.get(sent.grandchildSpanId());
    soft.assertThat(step.name()).isEqualTo(LoadgenWorkload.GRANDCHILD_NAME);
    soft.assertThat(step.parentSpanId()).isEqualTo(sent.childSpanId());
    soft.assertThat(step.attributes()).containsEntry("weft.it.step", 1L);
    soft.assertAll();
  }

  @Test
  void jaegerShowsOneWholeTraceOfJvmAndNativeSpans() throws Exception {
    Path work = workDir("jaeger");
    LoadgenWorkload.Result sent = LoadgenWorkload.run(local.stack().otlpGrpcEndpoint(), work,
        THREADS, SPANS_PER_THREAD);
    JaegerTraceAssertions.assertWholeTrace(local.stack().jaegerQuery(), sent, ARRIVAL_TIMEOUT,
        work);
    assertThat(local.stack().jaegerQuery().services()).contains(LoadgenWorkload.SERVICE_NAME);
  }
}
