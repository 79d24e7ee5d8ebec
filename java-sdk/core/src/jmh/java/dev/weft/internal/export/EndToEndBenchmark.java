package dev.weft.internal.export;

import dev.weft.internal.Counters;
import dev.weft.internal.decode.DecodeBenchmark;
import dev.weft.internal.decode.LoadgenRing;
import dev.weft.internal.segment.SegmentDrainer;
import dev.weft.testing.OtlpReceiver;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * End to end, in the same run, to the same kind of OTLP/gRPC receiver on 127.0.0.1 (grpc-java),
 * through the same exporter (the SDK's OtlpGrpcSpanExporter with the {@code sender} parameter's
 * transport):
 *
 * <ul>
 *   <li>{@link #weft}: {@value #SPANS} native span records per invocation, drained from the ring,
 *       validated, converted to SpanData and exported by the collector's {@link ExportPipeline}
 *       with its defaults (batches of 512, 4 exports in flight, back-pressure), until the receiver
 *       has acknowledged every export;
 *   <li>{@link #sdk}: the OpenTelemetry Java SDK creating and ending the same number of equivalent
 *       Java spans, exported by its {@link BatchSpanProcessor} (batches of 512; queue large enough
 *       that nothing is dropped), until {@code forceFlush} completes.
 * </ul>
 *
 * <p>The receiver's span count is checked against what was produced at the end of each trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EndToEndBenchmark {
  static final int PASSES = 4;
  static final int SPANS = PASSES * LoadgenRing.RECORDS;

  @Param({"netty"})
  public String sender;

  private OtlpReceiver receiver;
  private long produced;

  // weft
  private LoadgenRing ring;
  private OtlpGrpcSpanExporter weftExporter;
  private Counters counters;
  private SegmentDrainer drainer;
  private ExportPipeline pipeline;

  // SDK
  private OtlpGrpcSpanExporter sdkExporter;
  private SdkTracerProvider tracerProvider;
  private Tracer tracer;
  private final String[] texts = new String[LoadgenRing.RECORDS];
  private long seq;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    receiver = new OtlpReceiver(false).start();
    Resource resource = Resource.getDefault();

    ring = new LoadgenRing();
    weftExporter = Exporters.create(sender, receiver.endpoint());
    counters = new Counters();
    drainer = ring.drainer(resource, counters);
    pipeline = new ExportPipeline(weftExporter, counters,
        dev.weft.WeftCollectorBuilder.DEFAULT_MAX_QUEUE_SIZE,
        dev.weft.WeftCollectorBuilder.DEFAULT_MAX_EXPORT_BATCH_SIZE,
        dev.weft.WeftCollectorBuilder.DEFAULT_MAX_CONCURRENT_EXPORTS,
        TimeUnit.MILLISECONDS.toNanos(dev.weft.WeftCollectorBuilder.DEFAULT_SCHEDULE_DELAY_MILLIS),
        false);

    for (int i = 0; i < texts.length; i++) {
      texts[i] = "value-" + i;
    }
    sdkExporter = Exporters.create(sender, receiver.endpoint());
    tracerProvider = SdkTracerProvider.builder().setResource(resource)
        .addSpanProcessor(BatchSpanProcessor.builder(sdkExporter)
            .setMaxExportBatchSize(512).setMaxQueueSize(2 * SPANS).build())
        .build();
    tracer = tracerProvider.get("weft-bench", "1.0");
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    tracerProvider.close();
    weftExporter.shutdown().join(10, TimeUnit.SECONDS);
    receiver.close();
    ring.close();
    if (receiver.spanCount() != produced || counters.exportFailures() != 0) {
      throw new IllegalStateException("produced " + produced + ", received "
          + receiver.spanCount() + ", weft export failures " + counters.exportFailures());
    }
  }

  /** Native records → decode + convert → OTLP/gRPC, acknowledged. */
  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void weft() {
    pipeline.setOwner(Thread.currentThread());
    for (int pass = 0; pass < PASSES; pass++) {
      ring.refill();
      while (!drainer.isEmpty()) {
        int work = drainer.drain(pipeline) + pipeline.poll(System.nanoTime());
        if (work == 0) {
          LockSupport.parkNanos(20_000); // queue full: woken when an export completes
        }
      }
    }
    pipeline.sealNow();
    while (!pipeline.isIdle()) {
      if (pipeline.poll(System.nanoTime()) == 0) {
        LockSupport.parkNanos(20_000);
      }
    }
    produced += SPANS;
  }

  /** Java spans → BatchSpanProcessor → OTLP/gRPC, acknowledged. */
  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void sdk() {
    for (int i = 0; i < SPANS; i++) {
      long s = seq++ % LoadgenRing.RECORDS;
      DecodeBenchmark.sdkSpan(tracer, s, texts[(int) s]);
    }
    tracerProvider.forceFlush().join(60, TimeUnit.SECONDS);
    produced += SPANS;
  }
}
