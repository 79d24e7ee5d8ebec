package dev.weft.example.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import dev.weft.testing.OtlpReceiver;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example end to end, as a user runs it: {@link InventoryService} (JDBC and the OpenTelemetry
 * API, no Weft code) in a child JVM with {@code -javaagent:weft-agent.jar} and {@code
 * -javaagent:opentelemetry-javaagent.jar}, sqlite-jdbc loading the patched libsqlitejdbc.so from
 * {@code org.sqlite.lib.path} inside the request, the OpenTelemetry agent exporting over OTLP/gRPC
 * to a receiver on 127.0.0.1.
 */
class SqliteUnderJavaAgentsTest {
  private static final String NATIVE_SCOPE = "sqlite-jdbc";
  private static final String PREPARE = "sqlite3_prepare_v2";
  private static final String TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService";

  private static Path weftAgent;
  private static Path openTelemetryAgent;

  @TempDir Path shmDir;

  @BeforeAll
  static void agents() {
    weftAgent = Path.of(property("weft.agent.jar"));
    openTelemetryAgent = Path.of(property("example.opentelemetry.agent"));
  }

  @Test
  void sqliteNativeSpansAreChildrenOfTheServiceSpanInTheAgentsResource() throws Exception {
    assumeTrue(Files.isRegularFile(weftAgent), "weft-agent.jar not built (java-sdk/agent)");
    assertThat(openTelemetryAgent).isRegularFile();
    assertThat(Path.of(property("example.native.dir"), "libsqlitejdbc.so")).isRegularFile();

    try (OtlpReceiver receiver = new OtlpReceiver(true).start()) {
      Run run = runService(receiver.endpoint());
      Map<String, String> printed = run.printed;
      assertThat(printed).containsEntry("items", "3").containsEntry("quantity", "495");
      assertThat(printed.get("discontinued")).startsWith("none (").contains("no such table");
      String traceId = printed.get("trace_id");
      String requestId = printed.get("span_id");

      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> nativeSpans(receiver).size() >= 3
            && find(receiver, s -> s.span.getName().equals("inventory.report")) != null);
      } catch (ConditionTimeoutException e) {
        throw new AssertionError("expected the span inventory.report and at least 3 native spans"
            + " (scope " + NATIVE_SCOPE + ") within 30 s of the service's exit; "
            + dump(List.copyOf(receiver.received())) + "the service printed:\n" + run.output, e);
      }
      // let any straggler (a junk export span, say) arrive before asserting there is none
      Thread.sleep(1000);
      List<OtlpReceiver.Received> all = List.copyOf(receiver.received());
      String dump = dump(all);

      OtlpReceiver.Received request = find(receiver, s -> s.span.getName().equals("inventory.report"));
      assertThat(hex(request.span.getTraceId())).as(dump).isEqualTo(traceId);
      assertThat(hex(request.span.getSpanId())).as(dump).isEqualTo(requestId);

      List<OtlpReceiver.Received> natives = nativeSpans(receiver);
      assertThat(natives).as(dump).allSatisfy(n -> {
        assertThat(n.span.getName()).isEqualTo(PREPARE);
        assertThat(hex(n.span.getTraceId())).isEqualTo(traceId);
        assertThat(n.scope.getVersion()).isNotEmpty();
      });
      // every one, the first after sqlite-jdbc loaded its library inside the request included
      for (OtlpReceiver.Received n : natives) {
        assertJvmParentUnder(all, n, requestId, dump);
      }

      // prepareStatement: never a JDBC span, so the native span's parent is the service's span
      OtlpReceiver.Received insert = nativeFor(natives, "INSERT INTO item VALUES (?, ?)", dump);
      assertThat(hex(insert.span.getParentSpanId())).as(dump).isEqualTo(requestId);
      assertThat(insert.span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);

      // executeQuery: the service's span too (this OpenTelemetry agent makes no JDBC span for
      // sqlite-jdbc's Statement; one that does would be the parent, under the service's span)
      OtlpReceiver.Received select =
          nativeFor(natives, "SELECT count(*), sum(quantity) FROM item", dump);
      assertJvmParentUnder(all, select, requestId, dump);

      // the failed statement: the native span carries SQLite's error
      OtlpReceiver.Received missing = nativeFor(natives, "SELECT count(*) FROM discontinued", dump);
      assertJvmParentUnder(all, missing, requestId, dump);
      assertThat(missing.span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
      assertThat(missing.span.getStatus().getMessage()).contains("no such table: discontinued");

      // one Resource: the native spans' is the JVM spans', attribute by attribute
      Map<String, AnyValue> jvmResource = attributes(request.resource.getAttributesList());
      assertThat(jvmResource).as(dump)
          .containsKeys("service.instance.id", "host.name", "process.pid", "telemetry.distro.name");
      for (OtlpReceiver.Received n : natives) {
        assertThat(attributes(n.resource.getAttributesList())).as(dump).isEqualTo(jvmResource);
      }
      for (OtlpReceiver.Received s : all) {
        assertThat(attributes(s.resource.getAttributesList())).as(dump).isEqualTo(jvmResource);
      }

      // Weft's own export calls are not traced
      assertThat(all.stream().filter(SqliteUnderJavaAgentsTest::isExportCall))
          .as(dump).isEmpty();
    }
  }

  /** What the service printed: all of it, and its key=value lines. */
  private static final class Run {
    final String output;
    final Map<String, String> printed;

    Run(String output, Map<String, String> printed) {
      this.output = output;
      this.printed = printed;
    }
  }

  private Run runService(String endpoint) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String o : System.getProperty("example.child.jvm.options", "").split(" ")) {
      if (!o.isBlank()) {
        command.add(o);
      }
    }
    // README's order: the Weft agent first, then the OpenTelemetry agent
    command.add("-javaagent:" + weftAgent);
    command.add("-javaagent:" + openTelemetryAgent);
    command.add("-Dotel.service.name=inventory-service");
    command.add("-Dotel.exporter.otlp.protocol=grpc");
    command.add("-Dotel.exporter.otlp.endpoint=" + endpoint);
    command.add("-Dotel.metrics.exporter=none");
    command.add("-Dotel.logs.exporter=none");
    command.add("-Dweft.instrument.native=org.sqlite.**");
    command.add("-Dorg.sqlite.lib.path=" + property("example.native.dir"));
    command.add("-cp");
    command.add(property("example.classes.dir") + File.pathSeparator
        + Files.readString(Path.of(property("example.runtime.classpath.file"))).trim());
    command.add(InventoryService.class.getName());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    for (String name : List.copyOf(pb.environment().keySet())) {
      if (name.startsWith("OTEL_") || name.startsWith("WEFT_") || name.equals("JAVA_TOOL_OPTIONS")) {
        pb.environment().remove(name);
      }
    }
    pb.environment().put("WEFT_SHM_DIR", shmDir.toString());
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(300, TimeUnit.SECONDS)).as(output).isTrue();
    assertThat(process.exitValue()).as("exit value; output:\n" + output).isZero();
    Map<String, String> printed = new LinkedHashMap<>();
    for (String line : output.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0 && line.substring(0, eq).matches("[a-z_]+")) {
        printed.put(line.substring(0, eq), line.substring(eq + 1).trim());
      }
    }
    assertThat(printed).as(output).containsKeys("trace_id", "span_id", "items", "discontinued");
    return new Run(output, printed);
  }

  /**
   * The native span's parent is the service's span, or a JVM span of the OpenTelemetry agent's
   * JDBC instrumentation that is the service span's child.
   */
  private static void assertJvmParentUnder(List<OtlpReceiver.Received> all,
      OtlpReceiver.Received nativeSpan, String requestId, String dump) {
    if (hex(nativeSpan.span.getParentSpanId()).equals(requestId)) {
      return;
    }
    OtlpReceiver.Received parent = byId(all, nativeSpan.span.getParentSpanId(), dump);
    assertThat(parent.scope.getName()).as(dump).contains("jdbc");
    assertThat(hex(parent.span.getParentSpanId())).as(dump).isEqualTo(requestId);
  }

  /** A span of an OTLP trace export call (gRPC TraceService/Export), which must never be traced. */
  private static boolean isExportCall(OtlpReceiver.Received r) {
    return r.span.getName().contains("TraceService")
        || attributes(r.span.getAttributesList()).values().stream()
            .anyMatch(v -> v.getStringValue().contains(TRACE_SERVICE));
  }

  private static List<OtlpReceiver.Received> nativeSpans(OtlpReceiver receiver) {
    return receiver.received().stream()
        .filter(r -> r.scope.getName().equals(NATIVE_SCOPE))
        .collect(Collectors.toList());
  }

  private static OtlpReceiver.Received nativeFor(List<OtlpReceiver.Received> natives, String sql,
      String dump) {
    List<OtlpReceiver.Received> found = natives.stream()
        .filter(n -> attributes(n.span.getAttributesList()).getOrDefault("db.query.text",
            AnyValue.getDefaultInstance()).getStringValue().equals(sql))
        .collect(Collectors.toList());
    assertThat(found).as("native span for " + sql + "\n" + dump).hasSize(1);
    return found.get(0);
  }

  private static OtlpReceiver.Received byId(List<OtlpReceiver.Received> all, ByteString spanId,
      String dump) {
    return all.stream().filter(r -> r.span.getSpanId().equals(spanId)).findFirst()
        .orElseThrow(() -> new AssertionError("no span " + hex(spanId) + "\n" + dump));
  }

  private static OtlpReceiver.Received find(OtlpReceiver receiver,
      java.util.function.Predicate<OtlpReceiver.Received> p) {
    return receiver.received().stream().filter(p).findFirst().orElse(null);
  }

  private static Map<String, AnyValue> attributes(List<KeyValue> list) {
    Map<String, AnyValue> map = new LinkedHashMap<>();
    for (KeyValue kv : list) {
      map.put(kv.getKey(), kv.getValue());
    }
    return map;
  }

  private static String hex(ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }

  private static String dump(List<OtlpReceiver.Received> all) {
    StringBuilder b = new StringBuilder("received spans:\n");
    for (OtlpReceiver.Received r : all) {
      b.append("  ").append(r.scope.getName()).append(' ').append(r.span.getName())
          .append(" id=").append(hex(r.span.getSpanId()))
          .append(" parent=").append(hex(r.span.getParentSpanId()))
          .append(" trace=").append(hex(r.span.getTraceId()))
          .append(" status=").append(r.span.getStatus().getCode())
          .append(" resource.service.instance.id=")
          .append(attributes(r.resource.getAttributesList()).getOrDefault("service.instance.id",
              AnyValue.getDefaultInstance()).getStringValue())
          .append('\n');
    }
    return b.toString();
  }

  private static String property(String name) {
    String value = System.getProperty(name);
    if (value == null) {
      throw new IllegalStateException("-D" + name + " is not set (run the tests with Maven)");
    }
    return value;
  }
}
