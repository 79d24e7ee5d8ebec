package dev.weft.demo;

import dev.weft.Weft;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The Weft demo: a small service whose requests call a native codec through JNI. Each request
 * is one trace that goes Java → native → Java → native, with a native worker thread.
 *
 * <pre>
 * java -jar examples/target/weft-demo.jar [requests]
 * </pre>
 *
 * With {@code OTEL_EXPORTER_OTLP_ENDPOINT} set, the traces go there over OTLP/gRPC (e.g. the
 * docker compose stack: Jaeger on http://localhost:16686). Without it, each trace is printed as
 * a waterfall and written as OTLP/JSON lines to a file ({@code -Dweft.demo.output=...}, default
 * {@code weft-demo-traces.jsonl} in the temp directory).
 */
public final class DemoMain {
  private DemoMain() {}

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    Path library = NativeCodec.load(); // the app library first; it pulls in libweft.so.0
    out.println("native library: " + library);
    out.println("libweft:        " + Weft.load() + " (one instance; segment "
        + Weft.segmentPath() + ")");
    if (NativeCodec.initStatus() != 0) {
      out.println("warning: weft_init returned " + NativeCodec.initStatus()
          + ": native spans are not recorded");
    }

    boolean otlp = DemoTelemetry.otlpConfigured();
    Path json = null;
    if (!otlp) {
      String file = System.getProperty("weft.demo.output");
      json = (file != null && !file.isEmpty() ? Path.of(file)
          : Path.of(System.getProperty("java.io.tmpdir"), "weft-demo-traces.jsonl"))
          .toAbsolutePath();
      Files.deleteIfExists(json); // weft-jsonl appends: one run per file
    }
    try (DemoTelemetry telemetry = DemoTelemetry.create(json)) {
      DemoService service = new DemoService(telemetry.tracer());
      // Requests run on a named "server" thread, as they would in a service.
      ExecutorService server =
          Executors.newSingleThreadExecutor(r -> new Thread(r, "http-worker-1"));
      try {
        for (int i = 1; i <= requests; i++) {
          int id = i;
          long checksum = server.submit(() -> service.handle(id)).get();
          out.printf("request %d handled (checksum %016x)%n", i, checksum);
        }
      } finally {
        server.shutdown();
      }
      if (otlp) {
        out.println("exporting to " + firstNonEmpty(System.getenv("OTEL_EXPORTER_OTLP_ENDPOINT"),
            System.getProperty("otel.exporter.otlp.endpoint"), "the configured endpoint")
            + " (service.name " + serviceName() + ")");
      }
    }
    if (json != null) {
      out.println("spans written as OTLP/JSON lines (ExportTraceServiceRequest, one export per"
          + " line) to " + json);
    }
  }

  private static String serviceName() {
    return firstNonEmpty(System.getenv("OTEL_SERVICE_NAME"),
        System.getProperty("otel.service.name"), "weft-demo");
  }

  private static String firstNonEmpty(String... values) {
    for (String v : values) {
      if (v != null && !v.isEmpty()) {
        return v;
      }
    }
    return "";
  }
}
