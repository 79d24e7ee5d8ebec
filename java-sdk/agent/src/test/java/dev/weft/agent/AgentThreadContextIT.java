package dev.weft.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.profiling.ThreadContextReaderTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JVM spans reach profilers under the OpenTelemetry Java agent (its real jar, from Maven
 * Central): with {@code -Dweft.threadctx.java=true}, the Weft extension wraps the agent's own
 * context storage, and c-sdk/tests/otel_ctx_reader (ptrace + process_vm_readv, as an eBPF
 * profiler reads OTEP 4719 and OTEP 4947) samples the threads of {@link
 * ThreadContextReaderTarget} at random instants while spans of the agent's tracer are current:
 * every sample must name the span that was current (>= 99.9 %), none torn, none after the span
 * ended. Skipped where ptrace is not permitted (the reader exits 77).
 */
class AgentThreadContextIT {
  private static final Path OTEL_AGENT = Path.of(System.getProperty("weft.otel.javaagent.jar",
      "target/otel/opentelemetry-javaagent.jar"));
  private static final String SERVICE = "weft-agent-threadctx-test";

  @TempDir Path temp;

  @Test
  void anOutOfProcessReaderSeesTheAgentsCurrentSpanOfEachThread() throws Exception {
    Path build = Path.of(System.getProperty("weft.native.build.dir", "../../c-sdk/target/cmake"));
    Path reader = build.resolve("tests/otel_ctx_reader");
    Path library = build.resolve("libweft.so.0");
    Assumptions.assumeTrue(Files.isExecutable(reader) && Files.exists(library),
        "otel_ctx_reader or libweft.so.0 not found in " + build + ": build c-sdk first");
    assertThat(Files.isRegularFile(OTEL_AGENT)).as(OTEL_AGENT.toString()).isTrue();

    ChildJvm.Result result = new ChildJvm(temp)
        .agent("-javaagent:" + ChildJvm.AGENT_JAR)
        .agent("-javaagent:" + OTEL_AGENT)
        .option("-Dweft.threadctx.java=true")
        .option("-Dweft.debug=true")
        .option("-Dweft.library.path=" + library)
        .option("-Dweft.check.interval=0")
        .env("OTEL_SERVICE_NAME", SERVICE)
        // sampled out: the spans are the agent's, with real ids, and nothing is exported
        .env("OTEL_TRACES_SAMPLER", "always_off")
        .env("OTEL_TRACES_EXPORTER", "otlp")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
        .env("OTEL_METRICS_EXPORTER", "none")
        .env("OTEL_LOGS_EXPORTER", "none")
        .runUnder(List.of(reader.toString(), "--samples", "5000", "--service", SERVICE, "--"),
            ThreadContextReaderTarget.class.getName(), "agent");
    System.out.println(result.output);
    Assumptions.assumeTrue(result.exitValue != 77, () -> "skipped: " + result.output.strip());
    assertThat(result.exitValue).as(result.output).isZero();
    assertThat(result.lines("[weft-agent] JVM spans are published to profilers (OTEP 4947) from"
        + " the OpenTelemetry agent's context storage")).as(result.output).hasSize(1);
    assertThat(result.output).contains("service.name = " + SERVICE).contains("libweft.so")
        .contains("PASS");
  }
}
