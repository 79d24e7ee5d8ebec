package dev.weft.it.harness;

import static org.awaitility.Awaitility.await;

import dev.weft.WeftCollector;
import dev.weft.WeftStats;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;

/**
 * The workload the integration tests export: one trace made of JVM spans and native spans.
 *
 * <pre>
 * weft.it.request            (JVM, SERVER; attributes of every OTel type)
 * ├── loadgen.span × T·N     (native: weft-loadgen in a child process, T threads, CLIENT;
 * │                           parent from TRACEPARENT = the JVM span)
 * └── weft.it.postprocess    (JVM, status ERROR, exception event)
 *     └── weft.it.postprocess.step (JVM)
 * </pre>
 *
 * The native spans are recorded by {@code weft-loadgen} (c-sdk) into its shared-memory segment
 * and exported by a {@link WeftCollector} attached to that segment; the JVM spans by the
 * OpenTelemetry SDK; both through the same OTLP/gRPC exporter and with the same resource
 * ({@code service.name=}{@value #SERVICE_NAME}). weft-loadgen's span contents are documented in
 * {@code c-sdk/tools/weft_loadgen.c}.
 */
public final class LoadgenWorkload {
  public static final String SERVICE_NAME = "weft-integration";
  public static final String JVM_SCOPE = "weft-integration-tests";
  public static final String JVM_SCOPE_VERSION = "0.1.0";
  public static final String NATIVE_SCOPE = "weft-loadgen";
  public static final String NATIVE_SCOPE_VERSION = "0.1.0";
  public static final String ROOT_NAME = "weft.it.request";
  public static final String CHILD_NAME = "weft.it.postprocess";
  public static final String GRANDCHILD_NAME = "weft.it.postprocess.step";
  public static final String NATIVE_NAME = "loadgen.span";
  public static final String CHILD_ERROR = "postprocess failed";
  public static final String EXCEPTION_MESSAGE = "checksum mismatch";

  /** What was sent: the ids to look for. */
  public record Result(String traceId, String rootSpanId, String childSpanId,
      String grandchildSpanId, int threads, int spansPerThread, WeftStats stats) {
    public int nativeSpans() {
      return threads * spansPerThread;
    }

    /** Every span of the trace: 3 JVM spans plus the native ones. */
    public int totalSpans() {
      return nativeSpans() + 3;
    }
  }

  private LoadgenWorkload() {}

  /** weft-loadgen from the c-sdk build; aborts the test if it has not been built. */
  public static Path loadgenBinary() {
    Path loadgen = Repo.nativeBuildDir().resolve("tools/weft-loadgen");
    Assumptions.assumeTrue(Files.isExecutable(loadgen), "weft-loadgen not found at " + loadgen
        + ": build c-sdk first (`mvn -B -pl integration-tests -am verify` does)");
    return loadgen;
  }

  /**
   * Runs the workload and exports it to {@code otlpGrpcEndpoint}; returns once every span has
   * been exported successfully (or throws).
   */
  public static Result run(String otlpGrpcEndpoint, Path workDir, int threads, int spansPerThread)
      throws Exception {
    Path loadgen = loadgenBinary();
    Resource resource = Resource.getDefault().merge(Resource.create(
        Attributes.of(AttributeKey.stringKey("service.name"), SERVICE_NAME)));
    OtlpGrpcSpanExporter exporter = OtlpGrpcSpanExporter.builder().setEndpoint(otlpGrpcEndpoint)
        .setTimeout(Duration.ofSeconds(10)).build();
    SdkTracerProvider provider = SdkTracerProvider.builder().setResource(resource)
        .addSpanProcessor(BatchSpanProcessor.builder(exporter)
            .setScheduleDelay(Duration.ofMillis(100)).build())
        .build();
    try {
      Tracer tracer = provider.get(JVM_SCOPE, JVM_SCOPE_VERSION);
      Span root = tracer.spanBuilder(ROOT_NAME).setSpanKind(SpanKind.SERVER)
          .setAttribute("weft.it.string", "text")
          .setAttribute("weft.it.long", 42L)
          .setAttribute("weft.it.double", 2.5)
          .setAttribute("weft.it.bool", true)
          .setAttribute(AttributeKey.stringArrayKey("weft.it.strings"), List.of("a", "b"))
          .setAttribute(AttributeKey.longArrayKey("weft.it.longs"), List.of(1L, 2L, 3L))
          .setAttribute(AttributeKey.doubleArrayKey("weft.it.doubles"), List.of(0.5, 1.5))
          .setAttribute(AttributeKey.booleanArrayKey("weft.it.bools"), List.of(true, false))
          .startSpan();
      String traceId = root.getSpanContext().getTraceId();
      String rootId = root.getSpanContext().getSpanId();
      String childId;
      String grandchildId;
      WeftStats stats;
      Scope scope = root.makeCurrent();
      try {
        String traceparent = "00-" + traceId + "-" + rootId + "-01";
        try (Loadgen gen = Loadgen.start(loadgen, workDir, traceparent, threads, spansPerThread);
            WeftCollector collector = WeftCollector.builder().setSegmentPath(gen.segment)
                .setSpanExporter(exporter).setResource(resource).setRegisterShutdownHook(false)
                .setScheduleDelay(Duration.ofMillis(50)).setCloseTimeout(Duration.ofSeconds(15))
                .build()) {
          long ended = gen.awaitDone();
          if (ended != (long) threads * spansPerThread) {
            throw new AssertionError("weft-loadgen ended " + ended + " spans, expected "
                + threads * spansPerThread);
          }
          long expected = ended;
          await("WeftCollector exports the " + expected + " native spans")
              .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
              .until(() -> {
                WeftStats s = collector.stats();
                return s.spansExported() + s.exportFailures() >= expected;
              });
          stats = collector.stats();
        }
        Span child = tracer.spanBuilder(CHILD_NAME).startSpan();
        childId = child.getSpanContext().getSpanId();
        Scope childScope = child.makeCurrent();
        try {
          Span step = tracer.spanBuilder(GRANDCHILD_NAME).setAttribute("weft.it.step", 1L)
              .startSpan();
          grandchildId = step.getSpanContext().getSpanId();
          step.end();
          child.recordException(new IllegalStateException(EXCEPTION_MESSAGE));
          child.setStatus(StatusCode.ERROR, CHILD_ERROR);
        } finally {
          childScope.close();
          child.end();
        }
      } finally {
        scope.close();
        root.end();
      }
      CompletableResultCode flush = provider.forceFlush().join(15, TimeUnit.SECONDS);
      if (!flush.isSuccess()) {
        throw new AssertionError("the JVM spans could not be exported to " + otlpGrpcEndpoint);
      }
      if (stats.exportFailures() != 0 || stats.spansExported() != (long) threads * spansPerThread
          || stats.spansCommitted() != (long) threads * spansPerThread) {
        throw new AssertionError("WeftCollector did not export every native span: " + stats);
      }
      return new Result(traceId, rootId, childId, grandchildId, threads, spansPerThread, stats);
    } finally {
      provider.shutdown().join(15, TimeUnit.SECONDS); // also shuts the exporter down
    }
  }

  /** A running {@code weft-loadgen --wait} with its segment in {@code dir}. */
  private static final class Loadgen implements AutoCloseable {
    private static final Duration LINE_TIMEOUT = Duration.ofSeconds(30);
    final Process process;
    final BufferedReader stdout;
    final Path segment;

    private Loadgen(Process process) throws IOException {
      this.process = process;
      this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8));
      String first = readLine();
      if (first == null || !first.startsWith("segment ")) {
        throw new AssertionError("weft-loadgen printed '" + first + "' instead of 'segment <path>'");
      }
      this.segment = Path.of(first.substring("segment ".length()));
    }

    static Loadgen start(Path binary, Path dir, String traceparent, int threads, int spans)
        throws IOException {
      ProcessBuilder pb = new ProcessBuilder(binary.toString(), "--threads",
          Integer.toString(threads), "--spans", Integer.toString(spans), "--wait");
      pb.environment().put("WEFT_SHM_DIR", dir.toString());
      pb.environment().remove("WEFT_SHM_NAME");
      pb.environment().put("TRACEPARENT", traceparent);
      pb.redirectError(dir.resolve("weft-loadgen.stderr").toFile());
      Process process = pb.start();
      try {
        return new Loadgen(process);
      } catch (IOException | RuntimeException | Error e) {
        process.destroyForcibly();
        throw e;
      }
    }

    private String readLine() throws IOException {
      CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
        try {
          return stdout.readLine();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      try {
        return line.get(LINE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        process.destroyForcibly();
        throw new AssertionError("weft-loadgen printed nothing within " + LINE_TIMEOUT, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
        throw new IOException(e);
      } catch (ExecutionException e) {
        throw new IOException(e.getCause());
      }
    }

    long awaitDone() throws IOException {
      String line = readLine();
      if (line == null || !line.startsWith("done ")) {
        throw new AssertionError("weft-loadgen printed '" + line + "' instead of 'done <n>'");
      }
      return Long.parseLong(line.substring("done ".length()));
    }

    @Override
    public void close() throws IOException {
      process.getOutputStream().close(); // end of stdin: weft-loadgen shuts down and exits
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new AssertionError("weft-loadgen did not exit within 30 s after end of input");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
        throw new IOException(e);
      }
      if (process.exitValue() != 0) {
        throw new AssertionError("weft-loadgen exited with " + process.exitValue());
      }
    }
  }
}
