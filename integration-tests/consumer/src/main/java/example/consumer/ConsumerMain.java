package example.consumer;

import dev.weft.Weft;
import dev.weft.WeftCollector;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An application using Weft from its published artifacts: a JVM span around a JNI call whose
 * library records a native span, both exported to a file (one JSON object per span); exits 1
 * unless the native span is the JVM span's child in the same trace.
 *
 * <p>{@code ConsumerMain <libweftconsumer.so> <trace file>}
 */
public final class ConsumerMain {
  private ConsumerMain() {}

  static native long checksum(byte[] data);

  public static void main(String[] args) throws IOException {
    // As an application jar ships its JNI library: extracted alone into a temporary directory.
    Path jniDir = Files.createTempDirectory("weft-consumer-jni");
    Path jni = Files.copy(Path.of(args[0]), jniDir.resolve("libweftconsumer.so"));
    Path libweft = Weft.load(); // the copy weft-java-sdk carries, extracted: load it first
    System.load(jni.toString()); // its DT_NEEDED libweft.so.0 resolves to that copy

    List<SpanData> spans = new CopyOnWriteArrayList<>();
    try (Writer file = Files.newBufferedWriter(Path.of(args[1]), StandardCharsets.UTF_8)) {
      SpanExporter exporter = new FileExporter(file, spans);
      Resource resource = Resource.getDefault().toBuilder().put("service.name", "weft-consumer")
          .build();
      SdkTracerProvider provider = SdkTracerProvider.builder().setResource(resource)
          .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
      Tracer tracer = provider.get("example.consumer");
      long sum;
      try (WeftCollector collector = WeftCollector.builder().setSpanExporter(exporter)
          .setResource(resource).build()) {
        Span request = tracer.spanBuilder("consumer.request").startSpan();
        try (Scope scope = request.makeCurrent()) {
          sum = Weft.call(() -> checksum("hello, weft".getBytes(StandardCharsets.UTF_8)));
        } finally {
          request.end();
        }
      } // drains the segment: the native span is exported before this returns
      provider.shutdown().join(10, java.util.concurrent.TimeUnit.SECONDS);
      SpanData java = find(spans, "consumer.request");
      SpanData hosted = find(spans, "consumer.checksum");
      boolean stitched = java != null && hosted != null
          && hosted.getTraceId().equals(java.getTraceId())
          && hosted.getParentSpanId().equals(java.getSpanId());
      System.out.println("consumer: libweft " + libweft + ", checksum " + sum + ", "
          + spans.size() + " spans exported to " + args[1]);
      if (!stitched) {
        System.out.println("consumer: FAILED: the native span is not a child of the JVM span: "
            + spans);
        System.exit(1);
      }
      System.out.println("consumer: stitched trace " + java.getTraceId() + ": consumer.request ("
          + java.getSpanId() + ") -> consumer.checksum (" + hosted.getSpanId() + ", scope "
          + hosted.getInstrumentationScopeInfo().getName() + ")");
    }
  }

  private static SpanData find(List<SpanData> spans, String name) {
    return spans.stream().filter(s -> s.getName().equals(name)).findFirst().orElse(null);
  }

  /** One JSON object per span, appended to a file; keeps the spans for the check. */
  private static final class FileExporter implements SpanExporter {
    private final Writer file;
    private final List<SpanData> spans;

    FileExporter(Writer file, List<SpanData> spans) {
      this.file = file;
      this.spans = spans;
    }

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> batch) {
      try {
        for (SpanData span : batch) {
          spans.add(span);
          file.write("{\"name\":\"" + span.getName() + "\",\"traceId\":\"" + span.getTraceId()
              + "\",\"spanId\":\"" + span.getSpanId() + "\",\"parentSpanId\":\""
              + span.getParentSpanId() + "\",\"scope\":\""
              + span.getInstrumentationScopeInfo().getName() + "\",\"service\":\""
              + span.getResource().getAttribute(
                  io.opentelemetry.api.common.AttributeKey.stringKey("service.name"))
              + "\"}\n");
        }
        file.flush();
        return CompletableResultCode.ofSuccess();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
