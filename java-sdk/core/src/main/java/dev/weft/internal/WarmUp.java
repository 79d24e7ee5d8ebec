package dev.weft.internal;

import dev.weft.internal.decode.SpanDecoder;
import dev.weft.internal.decode.SpanRecordBuilder;
import dev.weft.internal.export.CollectorFirstSpanExporter;
import dev.weft.internal.export.LoopbackReceiver;
import dev.weft.internal.export.NativeOtlpGrpcSpanExporter;
import dev.weft.internal.segment.ScopeTable;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Runs the collector's per-span code once, on spans made here, before real spans need it: the
 * decoder over {@value #SPANS} loadgen-shaped records, and then the export path. For the SDK's
 * OTLP/gRPC exporter that is a copy of it (every setting kept, its own metrics off) exporting
 * {@value #EXPORTS} batches of {@value #BATCH} to a {@link LoopbackReceiver} in this JVM, which
 * discards them; for any other exporter, the SDK's OTLP marshalling into a stream that discards
 * the bytes. Nothing made here reaches the real exporter, its backend or any statistic.
 *
 * <p>Why: a ring is given back to its writer only once its spans are exported and acknowledged,
 * so a collector whose first exports run cold code (interpreted until the JIT compiles it) holds
 * the rings for the first ~150 ms while the load fills them. Measured with the capacity
 * benchmark (docs/benchmarks.md "Sustained capacity"): a fresh collector dropped 3 500-9 600
 * spans in the first second of a 25 k spans/s load with 256 KiB rings, and none after;
 * 40 exports of 512 spans through the same path beforehand took that to 0 (three trials).
 *
 * <p>It runs on its own daemon thread, once per JVM, while the first collector thread starts
 * (real spans are drained meanwhile as usual); it costs about half a second of one core's time
 * once. Off with {@code -D}{@value #PROPERTY}{@code =false} or {@value #ENV}{@code =false}.
 */
public final class WarmUp {
  private static final Logger logger = Logger.getLogger(WarmUp.class.getName());
  public static final String PROPERTY = "weft.collector.warmup";
  public static final String ENV = "WEFT_COLLECTOR_WARMUP";
  static final int SPANS = 20_480;
  static final int BATCH = 512;
  static final int EXPORTS = 40;
  private static final int SHAPES = 64;
  /** Records decoded per decoder: its cold paths run once every this many. */
  static final int FRESH_EVERY = 256;
  /** Records decoded from one warm-up "thread" before the other's turn. */
  private static final int THREAD_RUN = 32;
  private static final AtomicBoolean STARTED = new AtomicBoolean();

  private WarmUp() {}

  /** Whether the warm-up is on (the default). */
  public static boolean enabled() {
    String value = System.getProperty(PROPERTY, System.getenv(ENV));
    return value == null || !value.trim().equalsIgnoreCase("false");
  }

  /**
   * Starts the warm-up for {@code exporter} on a daemon thread, unless it is off or has been
   * started in this JVM already: compiled code is the JVM's, so one warm-up serves every
   * collector of the process (the standalone {@code weft collect} starts one collector per
   * segment, each the moment its process starts recording, and runs the warm-up once at its own
   * start instead).
   */
  public static void start(SpanExporter exporter, Resource resource, String collectorName) {
    if (!enabled() || !STARTED.compareAndSet(false, true)) {
      return;
    }
    Thread thread = new Thread(() -> run(exporter, resource), collectorName + "-warmup");
    thread.setDaemon(true);
    thread.setPriority(Thread.MIN_PRIORITY);
    thread.start();
  }

  /** The warm-up itself, on the calling thread. @return a one-line account of what ran. */
  static String run(SpanExporter exporter, Resource resource) {
    long start = System.nanoTime();
    try {
      List<List<SpanData>> batches = decode(resource);
      SpanExporter real = exporter instanceof CollectorFirstSpanExporter
          ? ((CollectorFirstSpanExporter) exporter).delegate() : exporter;
      String how = real instanceof NativeOtlpGrpcSpanExporter
          ? exportToLoopback(((NativeOtlpGrpcSpanExporter) real).sdkExporter(), true, batches)
          : real instanceof OtlpGrpcSpanExporter
          ? exportToLoopback((OtlpGrpcSpanExporter) real, false, batches) : marshal(batches);
      String done = String.format(Locale.ROOT, "weft: collector warmed up in %.0f ms: %d spans"
          + " decoded, %s", (System.nanoTime() - start) / 1e6, SPANS, how);
      logger.fine(done);
      return done;
    } catch (IOException | RuntimeException | LinkageError e) {
      // Only a cold start is at stake: say so at FINE and go on.
      logger.log(Level.FINE, "weft: collector warm-up stopped", e);
      return "warm-up stopped: " + e;
    }
  }

  static List<List<SpanData>> decode(Resource resource) {
    SpanDecoder decoder = null;
    SpanDecoder.Origin[] origins = new SpanDecoder.Origin[2];
    byte[][] records = new byte[SHAPES][];
    for (int i = 0; i < SHAPES; i++) {
      records[i] = record(i);
    }
    List<List<SpanData>> batches = new ArrayList<>();
    List<SpanData> batch = new ArrayList<>(BATCH);
    for (int i = 0; i < SPANS; i++) {
      if (i % FRESH_EVERY == 0) {
        // A fresh decoder and origin now and then: real spans start with names, keys, shapes,
        // threads and layouts the caches have never seen, and a branch the JIT's profile never
        // saw taken is compiled as a trap. Taking one deoptimizes the decoder, whose C2
        // compile then takes seconds on 2 busy cores (JFR: 1.6 s, then 2.6 s again after the
        // first real record), while the load fills the rings.
        decoder = new SpanDecoder();
        ScopeTable scopes = ScopeTable.of(InstrumentationScopeInfo.create("weft.warmup"));
        origins[0] = new SpanDecoder.Origin(resource, scopes, "weft-warmup-0");
        origins[1] = new SpanDecoder.Origin(resource, scopes, "weft-warmup-1");
      }
      // Two threads' slots drained in turns, as with real native threads: the layouts cached
      // per name and shape change hands.
      SpanDecoder.Origin origin = origins[(i / THREAD_RUN) & 1];
      byte[] record = records[i % SHAPES];
      SpanData span = decoder.decode(record, record.length, origin, false);
      if (span != null) {
        batch.add(span);
      }
      if (batch.size() == BATCH) {
        batches.add(batch);
        batch = new ArrayList<>(BATCH);
      }
    }
    return batches;
  }

  private static String marshal(List<List<SpanData>> batches) throws IOException {
    for (List<SpanData> batch : batches) {
      TraceRequestMarshaler.create(batch).writeBinaryTo(OutputStream.nullOutputStream());
    }
    return batches.size() + " batches marshalled to OTLP (discarded)";
  }

  /**
   * Exports through a copy of {@code exporter} pointed at a loopback receiver: with Weft's
   * marshaler for native batches if {@code weftMarshaler} (as the collector's own exporter does),
   * else the SDK's exporter as it is.
   */
  private static String exportToLoopback(OtlpGrpcSpanExporter exporter, boolean weftMarshaler,
      List<List<SpanData>> batches) throws IOException {
    try (LoopbackReceiver loopback = LoopbackReceiver.start()) {
      OtlpGrpcSpanExporterBuilder builder = exporter.toBuilder()
          .setEndpoint(loopback.endpoint())
          .setMeterProvider(MeterProvider::noop)
          .setRetryPolicy(null);
      SpanExporter copy = weftMarshaler ? NativeOtlpGrpcSpanExporter.build(builder)
          : builder.build();
      int sent = 0;
      try {
        for (int i = 0; i < EXPORTS; i++) {
          CompletableResultCode result = copy.export(batches.get(i % batches.size()))
              .join(5, TimeUnit.SECONDS);
          if (!result.isSuccess()) {
            break;
          }
          sent++;
        }
      } finally {
        copy.shutdown().join(5, TimeUnit.SECONDS);
      }
      return String.format(Locale.ROOT, "%d exports of %d spans through a copy of the OTLP/gRPC"
          + " exporter (%s) to a loopback receiver in this JVM (%d KiB, discarded)", sent, BATCH,
          weftMarshaler ? "Weft's marshaler" : "the SDK's marshaler", loopback.bytes() >> 10);
    }
  }

  /**
   * Loadgen-shaped records (5 attributes of the four types, an event on every 10th, ERROR on
   * every 7th) under a few names, so that both the decoder's learned-shape path and its general
   * path run.
   */
  static byte[] record(long seq) {
    SpanRecordBuilder b = SpanRecordBuilder.span().name("weft.warmup." + (seq % 4))
        .kind((int) (seq % 5) + 1).spanId(seq + 1).parentSpanId(seq % 3 == 0 ? 0 : seq + 1000)
        .tid(4242).start(1_700_000_000_000_000_000L + seq * 1000)
        .end(1_700_000_000_000_000_000L + seq * 1000 + 500)
        .attr("warmup.thread", 0L).attr("warmup.seq", seq).attr("warmup.text", "value-" + seq)
        .attr("warmup.ratio", seq / 2.0).attr("warmup.even", seq % 2 == 0);
    if (seq % 9 == 0) {
      b.attr("warmup.extra." + (seq % 5), "x"); // another shape under the same name
    }
    if (seq % 10 == 0) {
      b.event("tick", 1_700_000_000_000_000_000L + seq * 1000 + 100, 0,
          SpanRecordBuilder.attribute(3, "n", SpanRecordBuilder.le(seq)));
    }
    if (seq % 7 == 0) {
      b.statusCode(2).statusMessage("seq divisible by 7");
    }
    return b.build();
  }
}
