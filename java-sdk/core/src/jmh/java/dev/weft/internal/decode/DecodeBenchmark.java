package dev.weft.internal.decode;

import dev.weft.internal.Counters;
import dev.weft.internal.segment.SegmentDrainer;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Decode + convert of native span records (one core, no exporter: the sink only consumes the
 * SpanData), against the OpenTelemetry Java SDK creating an equivalent Java span and turning it
 * into SpanData (what its exporters receive). Both produce the loadgen span: 5 attributes of
 * all four types, an event every 10th span, an error status every 7th.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DecodeBenchmark {
  /** Records per pass over the ring (the ring is filled exactly, padding included). */
  static final int RECORDS = LoadgenRing.RECORDS;

  private LoadgenRing ring;
  private SegmentDrainer drainer;
  private Blackhole blackhole;
  private final SpanSink sink = new SpanSink() {
    @Override
    public boolean canAccept() {
      return true;
    }

    @Override
    public void accept(SpanData span) {
      blackhole.consume(span);
    }
  };

  private SdkTracerProvider tracerProvider;
  private Tracer tracer;
  private long seq;
  private final String[] texts = new String[RECORDS];

  public static final AttributeKey<Long> THREAD = AttributeKey.longKey("loadgen.thread");
  public static final AttributeKey<Long> SEQ = AttributeKey.longKey("loadgen.seq");
  public static final AttributeKey<String> TEXT = AttributeKey.stringKey("loadgen.text");
  public static final AttributeKey<Double> RATIO = AttributeKey.doubleKey("loadgen.ratio");
  public static final AttributeKey<Boolean> EVEN = AttributeKey.booleanKey("loadgen.even");
  public static final AttributeKey<Long> N = AttributeKey.longKey("n");

  /**
   * The SDK's equivalent of the loadgen span {@code s} (what {@link #loadgenRecord} encodes):
   * the baseline that every benchmark against the SDK records.
   */
  public static void sdkSpan(Tracer tracer, long s, String text) {
    Span span = tracer.spanBuilder("loadgen.span").setSpanKind(SpanKind.CLIENT).startSpan();
    span.setAttribute(THREAD, 0L);
    span.setAttribute(SEQ, s);
    span.setAttribute(TEXT, text);
    span.setAttribute(RATIO, s / 2.0);
    span.setAttribute(EVEN, s % 2 == 0);
    if (s % 10 == 0) {
      span.addEvent("tick", Attributes.of(N, s));
    }
    if (s % 7 == 0) {
      span.setStatus(StatusCode.ERROR, "seq divisible by 7");
    }
    span.end();
  }

  /** A span processor that hands every ended span's SpanData to {@code consumer}. */
  static SpanProcessor endingInto(Consumer<SpanData> consumer) {
    return new SpanProcessor() {
      @Override
      public void onStart(Context parentContext, ReadWriteSpan span) {}

      @Override
      public boolean isStartRequired() {
        return false;
      }

      @Override
      public void onEnd(ReadableSpan span) {
        consumer.accept(span.toSpanData());
      }

      @Override
      public boolean isEndRequired() {
        return true;
      }
    };
  }

  public static byte[] loadgenRecord(long seq) {
    SpanRecordBuilder b = SpanRecordBuilder.span().name("loadgen.span").kind(3)
        .spanId(seq + 1).start(1_700_000_000_000_000_000L + seq * 1000)
        .end(1_700_000_000_000_000_000L + seq * 1000 + 500)
        .attr("loadgen.thread", 0L).attr("loadgen.seq", seq).attr("loadgen.text", "value-" + seq)
        .attr("loadgen.ratio", seq / 2.0).attr("loadgen.even", seq % 2 == 0);
    if (seq % 10 == 0) {
      b.event("tick", 1_700_000_000_000_000_000L + seq * 1000 + 100, 0,
          SpanRecordBuilder.attribute(3, "n", SpanRecordBuilder.le(seq)));
    }
    if (seq % 7 == 0) {
      b.statusCode(2).statusMessage("seq divisible by 7");
    }
    return b.build();
  }

  @Setup(Level.Trial)
  public void setUp(Blackhole bh) throws Exception {
    blackhole = bh;
    ring = new LoadgenRing();
    drainer = ring.drainer(Resource.getDefault(), new Counters());

    for (int i = 0; i < RECORDS; i++) {
      texts[i] = "value-" + i;
    }
    tracerProvider = SdkTracerProvider.builder()
        .addSpanProcessor(endingInto(data -> blackhole.consume(data))).build();
    tracer = tracerProvider.get("weft-bench", "1.0");
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    tracerProvider.close();
    ring.close();
  }

  /** One pass over a full ring: {@value #RECORDS} span records decoded into SpanData. */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public int weftDecodeAndConvert() {
    ring.refill();
    return drainer.drain(sink);
  }

  /** The SDK creating the equivalent Java spans and converting each to SpanData. */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public void sdkCreateSpanAndSpanData() {
    for (int i = 0; i < RECORDS; i++) {
      long s = seq++ % RECORDS;
      sdkSpan(tracer, s, texts[(int) s]);
    }
  }
}
