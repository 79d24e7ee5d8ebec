package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.testing.OtlpReceiver;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Status;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The native-crash fault test (issue 10): a real C process (c-sdk/tools/weft-crash, linked with
 * libweft) records 1000 finished spans that nothing drains and holds 4 open, then dies by
 * SIGSEGV, abort() or SIGKILL. The C weft-dump and `weft dump` (the placed launcher) run first
 * and must change nothing; then `weft recover` must export all 1000 + 4 exactly once, the open
 * ones marked, and a second run nothing.
 */
class CrashRecoveryIT {
  @TempDir Path dir;

  private static Path tool(String name) {
    String build = System.getProperty("weft.native.build.dir");
    Path tool = build == null ? null : Path.of(build, "tools", name);
    assumeTrue(tool != null && Files.isExecutable(tool), () -> name + " is not built (" + tool
        + "): build c-sdk first, e.g. mvn -pl c-sdk,java-sdk/core,java-sdk/cli verify");
    return tool;
  }

  private static Path launcher() {
    Path launcher = Path.of(System.getProperty("weft.cli.launcher", "missing"));
    assertThat(launcher).as("the build places the launcher").isExecutable();
    return launcher;
  }

  static final class Ran {
    int code;
    String out;
  }

  private Ran run(Map<String, String> env, String... command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("WEFT_SHM_DIR", dir.toString());
    builder.environment().putAll(env);
    Process process = builder.start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader reader = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        out.append(line).append('\n');
      }
    }
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    Ran ran = new Ran();
    ran.code = process.exitValue();
    ran.out = out.toString();
    return ran;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"segv, 139", "abort, 134", "kill, 137"})
  void everyFinishedAndOpenSpanOfACrashedProcessIsExportedOnce(String how, int status)
      throws Exception {
    Path crash = tool("weft-crash");
    Path cDump = tool("weft-dump");
    Path weft = launcher();
    Ran crashed = run(Map.of(), "/bin/sh", "-c",
        "'" + crash + "' --spans 1000 --open 4 --how " + how + "; echo exit=$?");
    assertThat(crashed.out).contains("ready", "exit=" + status);
    List<Path> segments;
    try (var files = Files.list(dir)) {
      segments = files.collect(Collectors.toList());
    }
    assertThat(segments).hasSize(1);
    Path segment = segments.get(0);
    byte[] before = Files.readAllBytes(segment);

    // inspection first, as README advises: read-only
    Ran c = run(Map.of(), cDump.toString(), segment.toString());
    assertThat(c.code).as(c.out).isZero();
    Ran dump = run(Map.of(), weft.toString(), "dump", segment.toString());
    assertThat(dump.code).as(dump.out).isZero();
    assertThat(dump.out).contains("needs recovery", "1000 finished spans undrained, 4 open");
    Ran stats = run(Map.of(), weft.toString(), "stats", "--json");
    assertThat(stats.code).as(stats.out).isZero();
    assertThat(Files.readAllBytes(segment)).as("weft-dump, weft dump and weft stats changed"
        + " nothing").isEqualTo(before);

    try (OtlpReceiver receiver = new OtlpReceiver(true).start()) {
      Map<String, String> otel = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
          "OTEL_BSP_SCHEDULE_DELAY", "10");
      Ran recover = run(otel, weft.toString(), "recover");
      assertThat(recover.code).as(recover.out).isZero();
      assertThat(recover.out).contains("1000 finished spans and 4 open at its death exported");
      assertThat(segment).doesNotExist();

      List<OtlpReceiver.Received> spans = new ArrayList<>(receiver.received());
      assertThat(spans).hasSize(1004);
      assertThat(spans.stream().map(r -> r.span.getSpanId()).distinct()).hasSize(1004);
      assertThat(spans.stream().filter(r -> r.span.getName().equals("crash.done"))).hasSize(1000);
      List<OtlpReceiver.Received> open = spans.stream()
          .filter(r -> r.span.getName().startsWith("crash.open.")).collect(Collectors.toList());
      assertThat(open).hasSize(4).allSatisfy(r -> {
        assertThat(r.span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
        assertThat(r.span.getStatus().getMessage())
            .isEqualTo("the process ended while the span was open");
        assertThat(attribute(r.span.getAttributesList(), "weft.span.end_reason"))
            .isEqualTo("process_died");
        assertThat(r.span.getEndTimeUnixNano()).isGreaterThanOrEqualTo(
            r.span.getStartTimeUnixNano());
      });
      // the dead process's own Resource (with the 1.0 writer: the fallback with its pid)
      String pid = segment.getFileName().toString().substring("weft-".length());
      assertThat(spans).allSatisfy(r -> assertThat(
          attribute(r.resource.getAttributesList(), "process.pid")).isEqualTo(pid));

      // idempotent: nothing left, nothing exported again
      Ran again = run(otel, weft.toString(), "recover");
      assertThat(again.code).isEqualTo(2);
      assertThat(again.out).contains("no Weft segment in " + dir);
      assertThat(receiver.spanCount()).isEqualTo(1004);
    }
  }

  private static String attribute(List<KeyValue> attributes, String key) throws IOException {
    for (KeyValue kv : attributes) {
      if (kv.getKey().equals(key)) {
        return kv.getValue().hasIntValue() ? Long.toString(kv.getValue().getIntValue())
            : kv.getValue().getStringValue();
      }
    }
    return null;
  }
}
