package dev.weft.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.nativelib.AgentApp;
import dev.weft.testing.OtlpReceiver;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Weft agent beside the OpenTelemetry Java agent (from Maven Central, copied to
 * target/otel): one flag more than the OTel agent's, no Weft code in the app. Native spans are
 * children of the app's span, go out through the OTel agent's own exporter with its Resource,
 * and Weft's exports are not traced.
 */
class OtelAgentIT {
  private static final Path OTEL_AGENT = Path.of(System.getProperty("weft.otel.javaagent.jar",
      "target/otel/opentelemetry-javaagent.jar"));

  @TempDir Path temp;
  private OtlpReceiver receiver;

  @BeforeEach
  void startReceiver() throws Exception {
    assertThat(Files.isRegularFile(OTEL_AGENT)).as(OTEL_AGENT.toString()).isTrue();
    receiver = new OtlpReceiver(true).start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.close();
  }

  private ChildJvm otelEnvironment(ChildJvm jvm) {
    return jvm.env("OTEL_SERVICE_NAME", "weft-agent-otel-test")
        .env("OTEL_TRACES_EXPORTER", "otlp")
        .env("OTEL_METRICS_EXPORTER", "none")
        .env("OTEL_LOGS_EXPORTER", "none")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
        .env("OTEL_BSP_SCHEDULE_DELAY", "100");
  }

  @Test
  void nativeSpansShareTheAgentsExporterAndResourceAndWeftIsNotTraced() throws Exception {
    ChildJvm.Result result = otelEnvironment(new ChildJvm(temp)
        .agent("-javaagent:" + ChildJvm.AGENT_JAR)
        .agent("-javaagent:" + OTEL_AGENT)
        .option("-Dweft.debug=true"))
        .run(AgentApp.class.getName(), "otel");

    result.assertCallsWorked();
    assertThat(result.lines("[weft-agent] native calls read the OpenTelemetry agent's context"
        + " directly")).as(result.output).hasSize(1);
    assertThat(result.lines("[weft-agent] native spans export through the OpenTelemetry"
        + " agent's exporter")).as(result.output).hasSize(1);
    assertThat(result.lines("WARNING")).as(result.output).isEmpty();

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(receiver.received()).as(result.output).hasSizeGreaterThanOrEqualTo(7));
    Span parent = receiver.received().stream().map(r -> r.span)
        .filter(s -> s.getName().equals("java.parent")).findFirst().orElseThrow();
    assertThat(hex(parent.getTraceId().toByteArray())).isEqualTo(result.get("trace"));
    assertThat(hex(parent.getSpanId().toByteArray())).isEqualTo(result.get("parent"));

    List<String> children = new ArrayList<>();
    for (OtlpReceiver.Received r : receiver.received()) {
      if (r.span.getParentSpanId().equals(parent.getSpanId())) {
        assertThat(r.span.getTraceId()).isEqualTo(parent.getTraceId());
        children.add(r.span.getName());
      }
    }
    assertThat(children).as(describe()).containsExactlyInAnyOrder("sym.encode", "sym.scale",
        "reg.encode", "sym.fail", "sym.encode");

    // one Resource: every span's, attribute by attribute, is the JVM span's
    List<KeyValue> jvmResource = sorted(receiver.received().stream()
        .filter(r -> r.span.equals(parent)).findFirst().orElseThrow().resource
        .getAttributesList());
    assertThat(jvmResource).extracting(KeyValue::getKey)
        .contains("service.name", "service.instance.id", "host.name", "process.pid",
            "telemetry.distro.name");
    for (OtlpReceiver.Received r : receiver.received()) {
      assertThat(sorted(r.resource.getAttributesList())).as(r.span.getName())
          .containsExactlyElementsOf(jvmResource);
    }

    // Weft's export calls are the agent's own exporter's: never traced
    for (OtlpReceiver.Received r : receiver.received()) {
      assertThat(r.span.getName()).doesNotContain("TraceService").doesNotContain("Export");
      assertThat(r.span.getAttributesList()).noneMatch(kv -> kv.getKey().startsWith("rpc.")
          && kv.getValue().getStringValue().contains("TraceService"));
    }
  }

  @Test
  void theOtelAgentGivenFirstIsNamedInOneWarning() throws Exception {
    ChildJvm.Result result = otelEnvironment(new ChildJvm(temp)
        .agent("-javaagent:" + OTEL_AGENT)
        .agent("-javaagent:" + ChildJvm.AGENT_JAR))
        .run(AgentApp.class.getName(), "otel");

    result.assertCallsWorked();
    List<String> warnings = result.lines("[weft-agent] WARNING");
    assertThat(warnings).as(result.output).hasSize(1);
    assertThat(warnings.get(0)).contains("given before the Weft agent")
        .contains("-javaagent:weft-agent.jar before -javaagent:opentelemetry-javaagent.jar");
  }

  private static List<KeyValue> sorted(List<KeyValue> attributes) {
    return attributes.stream().sorted(Comparator.comparing(KeyValue::getKey))
        .collect(Collectors.toList());
  }

  private String describe() {
    return receiver.received().stream().map(r -> r.span.getName() + "(parent="
        + hex(r.span.getParentSpanId().toByteArray()) + ")").collect(Collectors.joining(", "));
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
