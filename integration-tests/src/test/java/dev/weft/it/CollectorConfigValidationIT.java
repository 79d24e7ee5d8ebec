package dev.weft.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.it.harness.Repo;
import dev.weft.it.harness.ToolBinaries;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code weft-otelcol validate} (the test Collector, same components and version as the
 * docker-compose image) on every Collector configuration in {@code collector-config/}, and
 * {@code jaeger validate} on the Jaeger test configuration. Skipped, with the reason, when the
 * binaries cannot be built (no Go or no module proxy).
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES) // includes a cold build of the tools
class CollectorConfigValidationIT {
  @TempDir Path tmp;

  /**
   * The Collector configs, relative to the repository: the YAML files in collector-config/ with
   * top-level {@code receivers:} and {@code service:} (as validate-collector-configs.sh decides).
   */
  static List<String> collectorConfigs() throws IOException {
    List<String> configs = new ArrayList<>();
    try (Stream<Path> files = Files.list(Repo.root().resolve("collector-config"))) {
      for (Path f : files.sorted().toList()) {
        String name = f.getFileName().toString();
        if (!Files.isRegularFile(f) || !(name.endsWith(".yaml") || name.endsWith(".yml"))) {
          continue;
        }
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        if (lines.contains("receivers:") && lines.contains("service:")) {
          configs.add(Repo.root().relativize(f).toString());
        }
      }
    }
    return configs;
  }

  /** Placeholders for the variables otel-collector.test.yaml requires (validate binds nothing). */
  private Map<String, String> placeholderEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("WEFT_OTLP_GRPC_PORT", "14317");
    env.put("WEFT_OTLP_HTTP_PORT", "14318");
    env.put("WEFT_OTELCOL_HEALTH_PORT", "13133");
    env.put("WEFT_FILE_EXPORT_PATH", tmp.resolve("export.jsonl").toString());
    env.put("WEFT_JAEGER_OTLP_ENDPOINT", "127.0.0.1:24317");
    return env;
  }

  private record Run(int exitCode, String output) {}

  private Run run(Map<String, String> env, String... command) throws Exception {
    Path out = Files.createTempFile(tmp, "validate", ".log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(Repo.root().toFile())
        .redirectErrorStream(true).redirectOutput(out.toFile());
    // Nothing from the caller's shell may satisfy (or break) a config's variables.
    pb.environment().keySet().removeIf(k -> k.startsWith("WEFT_")
        && !k.equals("WEFT_TOOLS_CACHE") && !k.equals("WEFT_GOTOOLCHAIN"));
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within 2 minutes");
    }
    return new Run(p.exitValue(), Files.readString(out));
  }

  @Test
  void theShippedConfigsAreFound() throws IOException {
    assertThat(collectorConfigs()).contains("collector-config/otel-collector.yaml",
        "collector-config/otel-collector.test.yaml");
  }

  @ParameterizedTest(name = "weft-otelcol validate {0}")
  @MethodSource("collectorConfigs")
  void everyCollectorConfigIsValid(String config) throws Exception {
    Path otelcol = ToolBinaries.otelcol();
    Run r = run(placeholderEnv(), otelcol.toString(), "validate",
        "--config=" + Repo.root().resolve(config));
    assertThat(r.exitCode()).as("weft-otelcol validate %s:%n%s", config, r.output()).isZero();
  }

  @Test
  void theValidatorRejectsAPipelineWithAnUndefinedExporter() throws Exception {
    Path otelcol = ToolBinaries.otelcol();
    String shipped = Files.readString(Repo.root().resolve("collector-config/otel-collector.yaml"));
    String pipeline = "exporters: [otlp_grpc/jaeger, otlp_grpc/tempo, debug]";
    assertThat(shipped).contains(pipeline);
    Path broken = tmp.resolve("broken.yaml");
    Files.writeString(broken,
        shipped.replace(pipeline, "exporters: [otlp_grpc/nowhere, otlp_grpc/tempo, debug]"));
    Run r = run(placeholderEnv(), otelcol.toString(), "validate", "--config=" + broken);
    assertThat(r.exitCode()).as("validate of a broken config:%n%s", r.output()).isNotZero();
    assertThat(r.output()).contains("otlp_grpc/nowhere");
  }

  @Test
  void theTestConfigIsRejectedWithoutItsPorts() throws Exception {
    Path otelcol = ToolBinaries.otelcol();
    Path config = Repo.root().resolve("collector-config/otel-collector.test.yaml");
    // docs/deployment.md: a missing required variable makes the Collector refuse to start.
    Run r = run(Map.of(), otelcol.toString(), "validate", "--config=" + config);
    assertThat(r.exitCode()).as("validate without WEFT_* variables:%n%s", r.output()).isNotZero();
  }

  @Test
  void jaegerTestConfigIsValid() throws Exception {
    Path jaeger = ToolBinaries.jaeger();
    Path config = Repo.root().resolve("integration-tests/tools/jaeger-test.yaml");
    Run r = run(Map.of("WEFT_JAEGER_OTLP_GRPC_PORT", "24317", "WEFT_JAEGER_QUERY_PORT", "26686",
        "WEFT_JAEGER_QUERY_GRPC_PORT", "26685", "WEFT_JAEGER_HEALTH_PORT", "23133"),
        jaeger.toString(), "validate", "--config=" + config);
    assertThat(r.exitCode()).as("jaeger validate %s:%n%s", config, r.output()).isZero();
  }

  @Test
  void theCiScriptAgrees() throws Exception {
    ToolBinaries.otelcol(); // skip, like the script, when the tools are unavailable
    Run r = run(Map.of(), "bash",
        Repo.root().resolve("integration-tests/tools/validate-collector-configs.sh").toString());
    assertThat(r.exitCode()).as("validate-collector-configs.sh:%n%s", r.output()).isZero();
    for (String config : collectorConfigs()) {
      assertThat(r.output()).contains("OK       " + config);
    }
  }
}
