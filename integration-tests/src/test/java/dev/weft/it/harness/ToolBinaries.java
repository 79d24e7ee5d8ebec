package dev.weft.it.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The Collector and Jaeger binaries, from {@code integration-tests/tools/build-*.sh} (built once
 * into the tool cache, then taken from it). The scripts' contract (docs/deployment.md): exit 0 and
 * the binary's path on the last stdout line; exit 3 with a {@code WEFT-TOOLS-UNAVAILABLE:} line
 * on stderr when Go or the module proxy is unavailable, which <b>aborts</b> (skips) the calling
 * test with that message; anything else fails it.
 */
public final class ToolBinaries {
  /** A cold build of both tools takes ~7 minutes on a 2-core machine; allow twice that. */
  private static final long BUILD_TIMEOUT_MINUTES =
      Long.getLong("weft.it.toolBuildTimeoutMinutes", 15);
  private static final String MARKER = "WEFT-TOOLS-UNAVAILABLE:";

  private record Outcome(Path binary, String unavailable, String failure) {}

  private static final Map<String, Outcome> outcomes = new ConcurrentHashMap<>();

  private ToolBinaries() {}

  /** The test Collector ({@code weft-otelcol}); aborts the test if tools are unavailable. */
  public static Path otelcol() {
    return require("build-otelcol.sh");
  }

  /** Jaeger v2; aborts the test if tools are unavailable. */
  public static Path jaeger() {
    return require("build-jaeger.sh");
  }

  private static Path require(String script) {
    Outcome outcome = outcomes.computeIfAbsent(script, ToolBinaries::build);
    if (outcome.unavailable != null) {
      Assumptions.abort("Collector/Jaeger test binaries unavailable (" + script + " exit 3): "
          + outcome.unavailable);
    }
    if (outcome.failure != null) {
      throw new AssertionError(outcome.failure);
    }
    return outcome.binary;
  }

  private static Outcome build(String script) {
    Path tools = Repo.root().resolve("integration-tests/tools");
    Path logs = Repo.outputDir("tools-" + script.replace(".sh", ""));
    Path out = logs.resolve("stdout.txt");
    Path err = logs.resolve("stderr.txt");
    Process process;
    try {
      process = new ProcessBuilder("bash", tools.resolve(script).toString())
          .directory(Repo.root().toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    } catch (IOException e) {
      return new Outcome(null, null, "cannot run " + script + ": " + e);
    }
    try {
      if (!process.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        return new Outcome(null, null, script + " did not finish within " + BUILD_TIMEOUT_MINUTES
            + " minutes (log: " + err + ")");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      return new Outcome(null, null, "interrupted while running " + script);
    }
    List<String> stdout = readLines(out);
    List<String> stderr = readLines(err);
    String marker = stderr.stream().filter(l -> l.startsWith(MARKER)).findFirst().orElse(null);
    int rc = process.exitValue();
    if (rc == 3 && marker != null) {
      return new Outcome(null, marker, null);
    }
    if (rc != 0 || marker != null) {
      return new Outcome(null, null, script + " failed with exit code " + rc
          + (rc == 3 ? " but without the " + MARKER + " line" : "") + "; stderr (" + err + "):\n"
          + String.join("\n", stderr.subList(Math.max(0, stderr.size() - 30), stderr.size())));
    }
    String last = stdout.stream().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("");
    Path binary = Path.of(last.strip());
    if (!binary.isAbsolute() || !Files.isExecutable(binary)) {
      return new Outcome(null, null, script + " exited 0 but its last stdout line '" + last
          + "' is not an executable absolute path");
    }
    return new Outcome(binary, null, null);
  }

  private static List<String> readLines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return List.of();
    }
  }
}
