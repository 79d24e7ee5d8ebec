package dev.weft.internal.export;

import dev.weft.internal.decode.NativeSpans;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.exporter.internal.marshal.Marshaler;
import io.opentelemetry.exporter.otlp.internal.GrpcExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InternalTelemetryVersion;
import io.opentelemetry.sdk.common.export.GrpcSender;
import io.opentelemetry.sdk.common.internal.ComponentId;
import io.opentelemetry.sdk.common.internal.StandardComponentId;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * The collector's OTLP/gRPC span exporter: the SDK's {@link OtlpGrpcSpanExporter} with every
 * setting autoconfiguration gave it, over Weft's {@link NettyGrpcSenderProvider}, except that a
 * batch of decoded native spans (all a collector exports) is written by
 * {@link NativeTraceRequestMarshaler} straight from the decoded records, with no marshaler object
 * per span or attribute and no hex id strings: 0.56x the CPU of the SDK's marshaler on the same
 * spans and no allocation (docs/benchmarks.md, "A Weft marshaler, measured").
 *
 * <p>The message goes out through the same {@link GrpcSender} the SDK's exporter built (same
 * channel, endpoint, headers, TLS, compression, timeout, retry policy), by the SDK's own
 * {@link GrpcExporter} (its status handling and failure logging). Batches with a JVM span,
 * {@link #flush} and {@link #shutdown} go to the SDK's exporter, which shuts the shared sender
 * down. This exporter's requests are not counted in the SDK's exporter metrics (it is given no
 * meter provider: asking for the global one could fix the application's global OpenTelemetry
 * before the application sets it); the collector's own counters ({@code WeftStats}) count them.
 *
 * <p>A marshaler is taken from a small pool for each export and given back when its result
 * completes: the sender writes the message on its own thread, and again on a retry.
 *
 * <p>{@code -D}{@value #PROPERTY}{@code =sdk} (or {@value #ENV}{@code =sdk}) keeps the SDK's
 * marshaler for every batch.
 */
public final class NativeOtlpGrpcSpanExporter implements SpanExporter {
  private static final Logger logger = Logger.getLogger(NativeOtlpGrpcSpanExporter.class.getName());

  /** System property choosing the marshaler of native batches: {@code weft} (default) or {@code sdk}. */
  public static final String PROPERTY = "weft.export.marshaler";
  public static final String ENV = "WEFT_EXPORT_MARSHALER";

  /** The SDK's default maximum request size (GrpcExporterBuilder); batches are far smaller. */
  private static final long MAX_REQUEST_BYTES = 64L << 20;
  /** Marshalers kept for reuse: more than the exports a pipeline keeps in flight. */
  private static final int POOL_LIMIT = 16;

  private final OtlpGrpcSpanExporter sdk;
  private final GrpcExporter grpc;
  private final ArrayDeque<NativeTraceRequestMarshaler> pool = new ArrayDeque<>();
  private final AtomicBoolean shutdown = new AtomicBoolean();
  private final AtomicLong nativeExports = new AtomicLong();
  private final AtomicInteger marshalersMade = new AtomicInteger();

  private NativeOtlpGrpcSpanExporter(OtlpGrpcSpanExporter sdk, GrpcSender sender, URI endpoint) {
    this.sdk = sdk;
    this.grpc = new GrpcExporter(sender, InternalTelemetryVersion.LEGACY,
        ComponentId.generateLazy(StandardComponentId.ExporterType.OTLP_GRPC_SPAN_EXPORTER),
        MeterProvider::noop, endpoint, MAX_REQUEST_BYTES);
  }

  /** Whether native batches use Weft's marshaler (the default) rather than the SDK's. */
  static boolean enabled() {
    String value = System.getProperty(PROPERTY, System.getenv(ENV));
    if (value == null || value.trim().equalsIgnoreCase("weft")) {
      return true;
    }
    if (!value.trim().equalsIgnoreCase("sdk")) {
      logger.warning("weft: " + PROPERTY + "=" + value + " is not weft or sdk; using weft");
      return true;
    }
    return false;
  }

  /**
   * Builds {@code builder}'s exporter over {@link NettyGrpcSenderProvider} and, when that
   * provider made the sender (not its fallback for a compressor grpc-java lacks) and the Weft
   * marshaler is on, returns it wrapped in a {@code NativeOtlpGrpcSpanExporter}; else the SDK's
   * exporter over that sender.
   */
  public static SpanExporter build(OtlpGrpcSpanExporterBuilder builder) {
    ComponentLoader base =
        ComponentLoader.forClassLoader(NativeOtlpGrpcSpanExporter.class.getClassLoader());
    NettyGrpcSenderProvider provider = new NettyGrpcSenderProvider(base);
    OtlpGrpcSpanExporter exporter =
        builder.setComponentLoader(NettyGrpcSenderProvider.componentLoader(provider, base)).build();
    @Nullable NettyGrpcSenderProvider.Created created = provider.created();
    if (created == null || !enabled()) {
      return exporter;
    }
    return new NativeOtlpGrpcSpanExporter(exporter, created.sender(), created.endpoint());
  }

  /** The SDK's exporter under this one (its configuration; JVM batches, flush, shutdown). */
  public OtlpGrpcSpanExporter sdkExporter() {
    return sdk;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    for (SpanData span : spans) {
      if (!NativeSpans.isNative(span)) {
        return sdk.export(spans);
      }
    }
    NativeTraceRequestMarshaler marshaler = take();
    nativeExports.incrementAndGet();
    CompletableResultCode result;
    try {
      Marshaler request = marshaler.initialize(spans);
      result = grpc.export(request, spans.size());
    } catch (RuntimeException | Error e) {
      give(marshaler);
      throw e;
    }
    result.whenComplete(() -> give(marshaler));
    return result;
  }

  private NativeTraceRequestMarshaler take() {
    synchronized (pool) {
      NativeTraceRequestMarshaler pooled = pool.pollFirst();
      if (pooled != null) {
        return pooled;
      }
    }
    marshalersMade.incrementAndGet();
    return new NativeTraceRequestMarshaler();
  }

  /** Batches written by Weft's marshaler so far (for tests and diagnosis). */
  long nativeExports() {
    return nativeExports.get();
  }

  /** Marshalers made so far: the pool's high-water mark (for tests). */
  int marshalersMade() {
    return marshalersMade.get();
  }

  private void give(NativeTraceRequestMarshaler marshaler) {
    marshaler.reset(); // lets go of the batch's spans
    synchronized (pool) {
      if (pool.size() < POOL_LIMIT) {
        pool.addFirst(marshaler);
      }
    }
  }

  @Override
  public CompletableResultCode flush() {
    return sdk.flush();
  }

  /** Shuts the SDK's exporter down, and with it the sender both use. */
  @Override
  public CompletableResultCode shutdown() {
    if (!shutdown.compareAndSet(false, true)) {
      return CompletableResultCode.ofSuccess();
    }
    return sdk.shutdown();
  }

  @Override
  public String toString() {
    return "NativeOtlpGrpcSpanExporter{native batches marshalled by Weft, " + sdk + "}";
  }
}
