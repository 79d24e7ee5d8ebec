package dev.weft.internal.export;

import dev.weft.internal.decode.LoadgenRing;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.io.OutputStream;
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
 * The floor under any OTLP exporter: the SDK marshalling decoded native spans into OTLP protobuf
 * bytes (its {@code TraceRequestMarshaler}, what OtlpGrpcSpanExporter sends), discarded.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MarshalBenchmark {
  private LoadgenRing ring;
  private List<SpanData> batch;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    ring = new LoadgenRing();
    batch = ring.decodeAll(Resource.getDefault()).subList(0, ExportBenchmark.BATCH);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    ring.close();
  }

  @Benchmark
  @OperationsPerInvocation(ExportBenchmark.BATCH)
  public int marshal() throws IOException {
    TraceRequestMarshaler marshaler = TraceRequestMarshaler.create(batch);
    marshaler.writeBinaryTo(OutputStream.nullOutputStream());
    return marshaler.getBinarySerializedSize();
  }
}
