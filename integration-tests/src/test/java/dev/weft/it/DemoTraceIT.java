package dev.weft.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.it.harness.JaegerQuery;
import dev.weft.it.harness.JaegerQuery.JaegerSpan;
import dev.weft.it.harness.JaegerQuery.Trace;
import dev.weft.it.harness.LocalStackExtension;
import dev.weft.it.harness.ManagedProcess;
import dev.weft.it.harness.Repo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The demo ({@code examples/}, {@code java -jar examples/target/weft-demo.jar}) as a child
 * process exporting with {@code OTEL_EXPORTER_OTLP_ENDPOINT} to the local Collector: each request
 * must reach Jaeger as one trace that goes Java → native → Java → native, stitched across JNI,
 * a native worker thread and upcalls.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DemoTraceIT {
  private static final String SERVICE = "weft-demo-it";
  private static final int REQUESTS = 2;
  private static final String JAVA_SCOPE = "dev.weft.demo";
  private static final String NATIVE_SCOPE = "weft-demo-native";

  /** child → parent, by operation name, of one demo request (see DemoService). */
  private static final Map<String, String> TREE = new LinkedHashMap<>();
  /** operation → which side records it. */
  private static final Map<String, String> SIDE = new HashMap<>();

  static {
    edge("GET /frames/{id}", null, JAVA_SCOPE);
    edge("FrameService.transcode", "GET /frames/{id}", JAVA_SCOPE);
    edge("codec.process", "FrameService.transcode", NATIVE_SCOPE);
    edge("codec.parse", "codec.process", NATIVE_SCOPE);
    edge("codec.parse.header", "codec.parse", NATIVE_SCOPE);
    edge("codec.validate", "codec.process", NATIVE_SCOPE);
    edge("codec.worker.compress", "codec.process", NATIVE_SCOPE);
    edge("progress.report", "codec.worker.compress", JAVA_SCOPE);
    edge("codec.upcall", "codec.process", NATIVE_SCOPE);
    edge("metadata.enrich", "codec.upcall", JAVA_SCOPE);
    edge("codec.lookup", "metadata.enrich", NATIVE_SCOPE);
    edge("codec.encode", "FrameService.transcode", NATIVE_SCOPE);
  }

  private static void edge(String child, String parent, String scope) {
    TREE.put(child, parent);
    SIDE.put(child, scope);
  }

  @RegisterExtension
  static final LocalStackExtension local = new LocalStackExtension();

  @Test
  void eachDemoRequestIsOneStitchedTraceInJaeger() throws Exception {
    Path jar = Path.of(System.getProperty("weft.demo.jar",
        Repo.root().resolve("examples/target/weft-demo.jar").toString()));
    Assumptions.assumeTrue(Files.isRegularFile(jar), "the demo is not built (" + jar
        + " missing): build examples first (`mvn -B -pl integration-tests -am verify` does)");
    Path work = Repo.outputDir(DemoTraceIT.class.getSimpleName() + "/demo");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ManagedProcess demo = ManagedProcess.start("weft-demo",
        List.of(java.toString(), "-jar", jar.toString(), Integer.toString(REQUESTS)),
        Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", local.stack().otlpGrpcEndpoint(),
            "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
            "OTEL_SERVICE_NAME", SERVICE,
            "OTEL_BSP_SCHEDULE_DELAY", "100",
            "WEFT_SHM_DIR", work.toString()),
        work.resolve("weft-demo.log"), Duration.ofMinutes(3));
    try {
      await("the demo exits").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
          .until(() -> !demo.isAlive());
    } finally {
      demo.close();
    }
    String log = Files.readString(work.resolve("weft-demo.log"));
    assertThat(log).as("demo output (%s)", work.resolve("weft-demo.log"))
        .contains("request " + REQUESTS + " handled")
        .contains("exporting to " + local.stack().otlpGrpcEndpoint());

    JaegerQuery jaeger = local.stack().jaegerQuery();
    List<Trace> traces = await("" + REQUESTS + " complete demo traces in Jaeger")
        .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> jaeger.search(SERVICE, 50),
            l -> l.size() == REQUESTS && l.stream().allMatch(t -> t.spans().size() == TREE.size()));

    SoftAssertions soft = new SoftAssertions();
    for (Trace listed : traces) {
      // The same trace through /api/traces/<id>.
      List<Trace> byId = jaeger.byId(listed.traceId());
      assertThat(byId).hasSize(1);
      Trace trace = byId.get(0);
      Files.writeString(work.resolve("jaeger-trace-" + trace.traceId() + ".json"),
          trace.json().toPrettyString());
      Map<String, JaegerSpan> byName = new HashMap<>();
      for (JaegerSpan s : trace.spans()) {
        soft.assertThat(byName.put(s.operationName(), s)).as("%s once in %s", s.operationName(),
            trace.traceId()).isNull();
        soft.assertThat(s.traceId()).isEqualTo(trace.traceId());
        soft.assertThat(s.serviceName()).isEqualTo(SERVICE);
      }
      soft.assertThat(byName.keySet()).as("operations of " + trace.traceId())
          .containsExactlyInAnyOrderElementsOf(TREE.keySet());
      if (!byName.keySet().equals(TREE.keySet())) {
        continue;
      }
      for (Map.Entry<String, String> e : TREE.entrySet()) {
        JaegerSpan span = byName.get(e.getKey());
        String what = e.getKey() + " in " + trace.traceId();
        if (e.getValue() == null) {
          soft.assertThat(span.references()).as(what + " (root)").isEmpty();
        } else {
          soft.assertThat(span.references()).as(what + " parent " + e.getValue()).containsExactly(
              "CHILD_OF:" + trace.traceId() + ":" + byName.get(e.getValue()).spanId());
        }
        soft.assertThat(span.typedTags()).as(what + " recorded by")
            .containsEntry("otel.scope.name", "string:" + SIDE.get(e.getKey()));
      }
      soft.assertThat(byName.get("codec.validate").typedTags()).as("native error status")
          .containsEntry("error", "bool:true").containsEntry("otel.status_code", "string:ERROR")
          .containsEntry("otel.status_description", "string:checksum mismatch in block 3");
      soft.assertThat(byName.get("codec.process").typedTags()).doesNotContainKey("error");
      // The worker span was recorded on another native thread than codec.process.
      soft.assertThat(byName.get("codec.worker.compress").tag("thread.id"))
          .as("worker thread.id").isNotNull();
      if (byName.get("codec.worker.compress").tag("thread.id") != null
          && byName.get("codec.process").tag("thread.id") != null) {
        soft.assertThat(byName.get("codec.worker.compress").tag("thread.id").asLong())
            .as("worker span on its own thread")
            .isNotEqualTo(byName.get("codec.process").tag("thread.id").asLong());
      }
    }
    soft.assertThat(traces.stream().map(Trace::traceId).distinct().count())
        .as("one trace per request").isEqualTo(REQUESTS);
    soft.assertAll();
  }
}
