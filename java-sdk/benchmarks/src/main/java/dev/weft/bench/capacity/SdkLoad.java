package dev.weft.bench.capacity;

import dev.weft.internal.export.NettyGrpcSenderProvider;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessorBuilder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The baseline, in its own JVM: Java threads record weft-loadgen's span (same name, kind, five
 * attributes, an event every 10th span, ERROR every 7th) through the OpenTelemetry Java SDK at a
 * fixed rate, paced like weft-loadgen (1 ms steps, catching up after a stall), exported by the
 * SDK's {@link BatchSpanProcessor} over OTLP/gRPC.
 *
 * <p>{@code args}: endpoint, total rate (spans/s), seconds, threads, mode: {@code default} (the
 * SDK's defaults: queue 2048, batches of 512, its OkHttp sender) or {@code tuned} (Weft's
 * TCP_NODELAY Netty sender and a queue of 8192), and optionally the lead: seconds between the
 * SDK being built and the load starting (default 0). Prints {@code done spans=<n> elapsed=<s>} and
 * {@link JvmUsage#report()} after a force-flush.
 */
public final class SdkLoad {
  private static final AttributeKey<Long> THREAD = AttributeKey.longKey("loadgen.thread");
  private static final AttributeKey<Long> SEQ = AttributeKey.longKey("loadgen.seq");
  private static final AttributeKey<String> TEXT = AttributeKey.stringKey("loadgen.text");
  private static final AttributeKey<Double> RATIO = AttributeKey.doubleKey("loadgen.ratio");
  private static final AttributeKey<Boolean> EVEN = AttributeKey.booleanKey("loadgen.even");
  private static final AttributeKey<Long> N = AttributeKey.longKey("n");

  private SdkLoad() {}

  static void record(Tracer tracer, long index, long spans, double rate) {
    long start = System.nanoTime();
    long allowed = 0;
    for (long seq = 0; seq < spans; seq++) {
      if (seq >= allowed) {
        long t = System.nanoTime();
        long due = (long) ((t - start) * rate / 1e9);
        if (due <= seq) {
          long next = start + (long) ((seq + 1) * 1e9 / rate);
          long step = t + 1_000_000;
          long until = Math.max(next, step);
          for (long left; (left = until - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
          }
          due = (long) ((System.nanoTime() - start) * rate / 1e9);
        }
        allowed = Math.max(due, seq + 1);
      }
      Span span = tracer.spanBuilder("loadgen.span").setSpanKind(SpanKind.CLIENT).startSpan();
      span.setAttribute(THREAD, index);
      span.setAttribute(SEQ, seq);
      span.setAttribute(TEXT, "value-" + seq);
      span.setAttribute(RATIO, seq / 2.0);
      span.setAttribute(EVEN, seq % 2 == 0);
      if (seq % 10 == 0) {
        span.addEvent("tick", Attributes.of(N, seq));
      }
      if (seq % 7 == 0) {
        span.setStatus(StatusCode.ERROR, "seq divisible by 7");
      }
      span.end();
    }
  }

  public static void main(String[] args) throws Exception {
    String endpoint = args[0];
    long rate = Long.parseLong(args[1]);
    double seconds = Double.parseDouble(args[2]);
    int threads = Integer.parseInt(args[3]);
    boolean tuned = "tuned".equals(args[4]);
    double lead = args.length > 5 ? Double.parseDouble(args[5]) : 0;
    var exporterBuilder = OtlpGrpcSpanExporter.builder().setEndpoint(endpoint);
    if (tuned) {
      exporterBuilder.setComponentLoader(NettyGrpcSenderProvider.componentLoader(
          ComponentLoader.forClassLoader(SdkLoad.class.getClassLoader())));
    }
    BatchSpanProcessorBuilder bsp = BatchSpanProcessor.builder(exporterBuilder.build());
    if (tuned) {
      bsp.setMaxQueueSize(8192);
    }
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
            AttributeKey.stringKey("service.name"), "weft-capacity-sdk"))))
        .addSpanProcessor(bsp.build())
        .build();
    Tracer tracer = provider.get("weft-loadgen", "0.1.0");
    long perThread = (long) (rate * seconds / threads);
    Thread.sleep((long) (lead * 1000));
    JvmUsage.resetPeaks();
    System.out.println("ready " + JvmUsage.report());
    System.out.flush();
    long t0 = System.nanoTime();
    Thread[] workers = new Thread[threads];
    for (int i = 0; i < threads; i++) {
      long index = i;
      workers[i] = new Thread(() -> record(tracer, index, perThread, (double) rate / threads),
          "sdk-load-" + i);
      workers[i].start();
    }
    for (Thread w : workers) {
      w.join();
    }
    double elapsed = (System.nanoTime() - t0) / 1e9;
    provider.forceFlush().join(60, TimeUnit.SECONDS);
    System.out.println("done spans=" + perThread * threads + " elapsed=" + elapsed + " "
        + JvmUsage.report());
    System.out.flush();
    provider.shutdown().join(10, TimeUnit.SECONDS);
  }
}
