package dev.weft.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.it.harness.JaegerQuery;
import dev.weft.it.harness.LocalStackExtension;
import dev.weft.it.harness.ManagedProcess;
import dev.weft.it.harness.Repo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The non-JVM path: the Go/cgo example (examples/go-cgo, OpenTelemetry Go SDK + a C library
 * instrumented with Weft) with its native spans collected by the standalone {@code weft collect}
 * (java-sdk/cli's placed launcher), both exporting to the real Collector and Jaeger. One trace
 * Go -> C -> Go in Jaeger. Skipped, with the reason, only where Go (or its module proxy) is
 * missing, like the other local-stack tests.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class GoCgoTraceIT {
  private static final String SERVICE = "weft-go-cgo-it";
  private static final int FRAMES = 3;

  @RegisterExtension
  static final LocalStackExtension local = new LocalStackExtension();

  private static Path buildExample(Path work) throws Exception {
    Path out = work.resolve("weft-go-cgo");
    Path stdout = work.resolve("build-stdout.txt");
    Path stderr = work.resolve("build-stderr.txt");
    Process build = new ProcessBuilder("bash",
        Repo.root().resolve("examples/go-cgo/build.sh").toString(),
        Repo.nativeBuildDir().toString(), out.toString())
        .redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    if (!build.waitFor(15, TimeUnit.MINUTES)) {
      build.descendants().forEach(ProcessHandle::destroyForcibly);
      build.destroyForcibly();
      throw new AssertionError("examples/go-cgo/build.sh did not finish in 15 minutes");
    }
    String err = Files.readString(stderr, StandardCharsets.UTF_8);
    if (build.exitValue() == 3) {
      String reason = err.lines().filter(l -> l.startsWith("WEFT-TOOLS-UNAVAILABLE:"))
          .findFirst().orElse(err);
      Assumptions.abort("the Go/cgo example cannot be built here: " + reason);
    }
    assertThat(build.exitValue()).as("examples/go-cgo/build.sh failed:\n" + err).isZero();
    return out;
  }

  private static Path launcher() {
    Path weft = Repo.root().resolve("java-sdk/cli/target/weft-cli/bin/weft");
    assertThat(weft).as("the weft launcher, placed by the java-sdk/cli build").isExecutable();
    return weft;
  }

  @Test
  void oneTraceGoToCToGoInJaegerWithTheCSpansCollectedByWeftCollect() throws Exception {
    Path work = Repo.outputDir(GoCgoTraceIT.class.getSimpleName() + "/go-cgo");
    Path shm = Files.createDirectories(work.resolve("shm"));
    Path binary = buildExample(work);
    Map<String, String> otel = Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", local.stack().otlpGrpcEndpoint(),
        "OTEL_SERVICE_NAME", SERVICE,
        "WEFT_SHM_DIR", shm.toString());

    try (ManagedProcess collect = ManagedProcess.start("weft-collect",
        List.of(launcher().toString(), "collect", "--poll", "200ms", shm.toString()), otel,
        work.resolve("weft-collect.log"), Duration.ofMinutes(5))) {
      // the JVM of weft collect starts first (seconds on a loaded machine)
      await("weft collect watching " + shm).atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> collect.tail(20).contains("weft collect: watching"));
      Path out = work.resolve("go.log");
      ProcessBuilder goBuilder = new ProcessBuilder(binary.toString(), "--requests", "1",
          "--frames", Integer.toString(FRAMES), "--hold", "2s").redirectErrorStream(true)
          .redirectOutput(out.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      goBuilder.environment().putAll(otel);
      Process go = goBuilder.start();
      assertThat(go.waitFor(60, TimeUnit.SECONDS)).as("the Go program ends").isTrue();
      String printed = Files.readString(out, StandardCharsets.UTF_8);
      assertThat(go.exitValue()).as(printed).isZero();
      String traceId = printed.lines().filter(l -> l.startsWith("trace ")).findFirst()
          .map(l -> l.substring("trace ".length()).trim()).orElseThrow(
              () -> new AssertionError("no trace id printed: " + printed));

      JaegerQuery jaeger = local.stack().jaegerQuery();
      int expected = 1 + 1 + FRAMES + 1; // go.request, codec.process, frames, go.on_processed
      List<JaegerQuery.JaegerSpan> spans = await("trace " + traceId + " in Jaeger")
          .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
          .until(() -> spansOf(jaeger, traceId), l -> l.size() >= expected);
      assertThat(spans).hasSize(expected);
      Map<String, List<JaegerQuery.JaegerSpan>> byName = spans.stream()
          .collect(Collectors.groupingBy(JaegerQuery.JaegerSpan::operationName));
      JaegerQuery.JaegerSpan request = byName.get("go.request").get(0);
      JaegerQuery.JaegerSpan process = byName.get("codec.process").get(0);
      JaegerQuery.JaegerSpan callback = byName.get("go.on_processed").get(0);
      assertThat(request.references()).isEmpty();
      assertThat(process.references()).containsExactly(
          "CHILD_OF:" + traceId + ":" + request.spanId());
      assertThat(byName.get("codec.frame")).hasSize(FRAMES).allSatisfy(f ->
          assertThat(f.references()).containsExactly("CHILD_OF:" + traceId + ":"
              + process.spanId()));
      assertThat(callback.references()).containsExactly(
          "CHILD_OF:" + traceId + ":" + process.spanId());
      assertThat(request.serviceName()).isEqualTo(SERVICE);
      // the C spans leave under the Go process's own Resource, from its segment's RESOURCE record
      // (OTEL_SERVICE_NAME, process.pid), not weft collect's
      assertThat(process.serviceName()).isEqualTo(SERVICE);
      assertThat(byName.get("codec.frame")).allSatisfy(f ->
          assertThat(f.serviceName()).isEqualTo(SERVICE));
      Map<String, JaegerQuery.JaegerSpan> one = spans.stream().collect(Collectors.toMap(
          JaegerQuery.JaegerSpan::spanId, Function.identity()));
      assertThat(one).hasSize(expected);
      assertThat(process.processTags()).containsEntry("process.pid", Long.toString(go.pid()));

      // once the process has exited, weft collect lets go of its segment: recovered, removed
      await("the segment of the exited Go program removed").atMost(Duration.ofSeconds(30))
          .until(() -> isEmpty(shm));
      collect.stop(Duration.ofSeconds(20));
      // drained while it ran (it stays up 2 s, weft collect polls every 200 ms), then let go
      assertThat(collect.tail(50)).contains("draining " + shm.resolve("weft-" + go.pid()));
    }
  }

  private static List<JaegerQuery.JaegerSpan> spansOf(JaegerQuery jaeger, String traceId)
      throws IOException, InterruptedException {
    Optional<JaegerQuery.Trace> trace = jaeger.byId(traceId).stream().findFirst();
    return trace.map(JaegerQuery.Trace::spans).orElse(List.of());
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.findAny().isEmpty();
    }
  }
}
