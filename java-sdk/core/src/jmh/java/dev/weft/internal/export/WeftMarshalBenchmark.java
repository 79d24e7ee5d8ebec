package dev.weft.internal.export;

import dev.weft.internal.Counters;
import dev.weft.internal.decode.DecodeBenchmark;
import dev.weft.internal.decode.LoadgenRing;
import dev.weft.internal.decode.SpanSink;
import dev.weft.internal.segment.SegmentDrainer;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.internal.marshal.Marshaler;
import io.opentelemetry.exporter.internal.otlp.traces.LowAllocationTraceRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

/**
 * The Weft marshaler ({@link NativeTraceRequestMarshaler}) against the SDK's, per span, in the
 * same run (docs/benchmarks.md, "A Weft marshaler, measured"). Every operation is one span; the
 * bytes go to a null stream (the same for all), and -prof gc's {@code gc.alloc.rate.norm} is
 * then bytes allocated per span.
 *
 * <ul>
 *   <li>{@code marshal*}: a batch of {@value ExportBenchmark#BATCH} decoded loadgen spans (the
 *       shape of DecodeBenchmark: 5 own attributes of all four types plus the thread.id and
 *       thread.name tail, an event every 10th span, an error status every 7th) marshalled by the
 *       SDK's immutable {@code TraceRequestMarshaler}, its reusable
 *       {@code LowAllocationTraceRequestMarshaler} (MemoryMode.REUSABLE_DATA), or the Weft one;
 *   <li>{@code endToEnd*}: {@value LoadgenRing#RECORDS} records decoded from the ring and
 *       marshalled in batches of 512 (what the collector does per span before the socket), against
 *       the SDK creating and ending the same Java spans, {@code toSpanData()}, and its marshaler.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class WeftMarshalBenchmark {
  private static final int BATCH = ExportBenchmark.BATCH;
  private static final int RECORDS = LoadgenRing.RECORDS;
  private static final OutputStream NULL = OutputStream.nullOutputStream();

  private LoadgenRing ring;
  private List<SpanData> batch;
  private final NativeTraceRequestMarshaler weft = new NativeTraceRequestMarshaler();
  private final LowAllocationTraceRequestMarshaler lowAllocation =
      new LowAllocationTraceRequestMarshaler();

  // end to end
  private SegmentDrainer drainer;
  private final List<SpanData> pending = new ArrayList<>(BATCH);
  /** Which marshaler the sink and the span processor flush a full batch with. */
  private int mode;
  private long bytes;
  private final SpanSink sink = new SpanSink() {
    @Override
    public boolean canAccept() {
      return true;
    }

    @Override
    public void accept(SpanData span) {
      add(span);
    }
  };
  private SdkTracerProvider tracerProvider;
  private Tracer tracer;
  private long seq;
  private final String[] texts = new String[RECORDS];

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    ring = new LoadgenRing();
    batch = ring.decodeAll(Resource.getDefault()).subList(0, BATCH);
    if (weft.initialize(batch) != weft) {
      throw new IllegalStateException("the loadgen batch is not all native spans");
    }
    weft.reset();
    drainer = ring.drainer(Resource.getDefault(), new Counters());
    for (int i = 0; i < RECORDS; i++) {
      texts[i] = "value-" + i;
    }
    tracerProvider = SdkTracerProvider.builder().setResource(Resource.getDefault())
        .addSpanProcessor(new SpanProcessor() {
          @Override
          public void onStart(Context parentContext, ReadWriteSpan span) {}

          @Override
          public boolean isStartRequired() {
            return false;
          }

          @Override
          public void onEnd(ReadableSpan span) {
            add(span.toSpanData());
          }

          @Override
          public boolean isEndRequired() {
            return true;
          }
        }).build();
    tracer = tracerProvider.get("weft-bench", "1.0");
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    tracerProvider.close();
    ring.close();
  }

  private void add(SpanData span) {
    pending.add(span);
    if (pending.size() == BATCH) {
      try {
        bytes += marshal(mode, pending);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      pending.clear();
    }
  }

  private int marshal(int mode, List<SpanData> spans) throws IOException {
    switch (mode) {
      case 0: {
        TraceRequestMarshaler marshaler = TraceRequestMarshaler.create(spans);
        marshaler.writeBinaryTo(NULL);
        return marshaler.getBinarySerializedSize();
      }
      case 1: {
        lowAllocation.initialize(spans);
        lowAllocation.writeBinaryTo(NULL);
        int size = lowAllocation.getBinarySerializedSize();
        lowAllocation.reset();
        return size;
      }
      default: {
        Marshaler marshaler = weft.initialize(spans);
        marshaler.writeBinaryTo(NULL);
        int size = marshaler.getBinarySerializedSize();
        weft.reset();
        return size;
      }
    }
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int marshalSdk() throws IOException {
    return marshal(0, batch);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int marshalSdkLowAllocation() throws IOException {
    return marshal(1, batch);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int marshalWeft() throws IOException {
    return marshal(2, batch);
  }

  private long decodeAndMarshal(int mode) {
    this.mode = mode;
    ring.refill();
    drainer.drain(sink);
    return bytes;
  }

  private long sdkSpansAndMarshal(int mode) {
    this.mode = mode;
    for (int i = 0; i < RECORDS; i++) {
      long s = seq++ % RECORDS;
      DecodeBenchmark.sdkSpan(tracer, s, texts[(int) s]);
    }
    return bytes;
  }

  /** Decode + convert, then the SDK's TraceRequestMarshaler (memory_mode=immutable_data). */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public long endToEndDecodeSdkMarshal() {
    return decodeAndMarshal(0);
  }

  /**
   * The collector today with the SDK's default memory mode (REUSABLE_DATA in 1.67): decode +
   * convert, then its LowAllocationTraceRequestMarshaler.
   */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public long endToEndDecodeSdkLowAllocation() {
    return decodeAndMarshal(1);
  }

  /** Decode + convert, then the Weft marshaler. */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public long endToEndDecodeWeftMarshal() {
    return decodeAndMarshal(2);
  }

  /** The SDK: create + end the Java span, toSpanData, its TraceRequestMarshaler. */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public long endToEndSdkSpanSdkMarshal() {
    return sdkSpansAndMarshal(0);
  }

  /** The SDK at its leanest: the same, with its reusable LowAllocationTraceRequestMarshaler. */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public long endToEndSdkSpanLowAllocation() {
    return sdkSpansAndMarshal(1);
  }
}
