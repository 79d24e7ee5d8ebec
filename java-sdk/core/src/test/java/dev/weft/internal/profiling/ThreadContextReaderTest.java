package dev.weft.internal.profiling;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Profilers see the JVM's spans: c-sdk/tests/otel_ctx_reader (ptrace + process_vm_readv, as an
 * eBPF profiler reads OTEP 4719 and OTEP 4947) starts a JVM running {@link
 * ThreadContextReaderTarget} and samples its threads at random instants; every sample must name
 * the span that was current (>= 99.9 %), none torn, none after the span ended, and the process
 * context must carry the JVM's Resource.
 */
class ThreadContextReaderTest {
  @Test
  void anOutOfProcessReaderSeesTheJvmSpanOfEachThread() throws IOException, InterruptedException {
    Path build = Path.of(System.getProperty("weft.native.build.dir", "../../c-sdk/target/cmake"));
    Path reader = build.resolve("tests/otel_ctx_reader");
    Path library = build.resolve("libweft.so.0");
    Assumptions.assumeTrue(Files.isExecutable(reader) && Files.exists(library),
        "otel_ctx_reader or libweft.so.0 not found in " + build + ": build c-sdk first (`mvn -pl"
            + " c-sdk,java-sdk/core verify`)");
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(reader.toString(), "--samples", "5000",
        "--service", ThreadContextReaderTarget.SERVICE, "--", java,
        "-Dweft.library.path=" + library, "-Dweft.check.interval=0",
        "-cp", System.getProperty("java.class.path"), ThreadContextReaderTarget.class.getName()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("WEFT_SHM_DIR", Files.createTempDirectory("weft-reader").toString());
    Process process = pb.start();
    byte[] out = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
    String output = new String(out, StandardCharsets.UTF_8);
    System.out.println(output);
    Assumptions.assumeTrue(process.exitValue() != 77, () -> "skipped: " + output.strip());
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).contains("service.name = " + ThreadContextReaderTarget.SERVICE)
        .contains("libweft.so").contains("PASS");
  }
}
