package dev.weft.internal.export;

import dev.weft.internal.decode.LoadgenRing;
import dev.weft.testing.OtlpReceiver;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * The SDK's OtlpGrpcSpanExporter alone, to a grpc-java OTLP receiver on 127.0.0.1: batches of
 * {@value #BATCH} already-converted spans, at most {@code inFlight} exports outstanding. The
 * {@code okhttp} sender (the SDK's default) with one export in flight shows the Nagle /
 * delayed-ACK stall; {@code netty} is the collector's sender (TCP_NODELAY). {@link MarshalBenchmark}
 * is the floor set by protobuf marshalling alone (no network).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ExportBenchmark {
  static final int BATCH = 512;
  static final int BATCHES = 16;
  static final int SPANS = BATCH * BATCHES;

  @Param({"okhttp", "netty"})
  public String sender;

  @Param({"1", "4"})
  public int inFlight;

  /** {@code plaintext} ({@code http}) or {@code tls} ({@code https}, a certificate made for the run). */
  @Param({"plaintext", "tls"})
  public String transport;

  private LoadgenRing ring;
  private OtlpReceiver receiver;
  private OtlpGrpcSpanExporter exporter;
  private List<List<SpanData>> batches;
  private final AtomicLong failures = new AtomicLong();
  private long exported;
  private java.nio.file.Path certificates;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    ring = new LoadgenRing();
    List<SpanData> spans = ring.decodeAll(Resource.getDefault());
    batches = new java.util.ArrayList<>();
    for (int i = 0; i + BATCH <= spans.size(); i += BATCH) {
      batches.add(List.copyOf(spans.subList(i, i + BATCH)));
    }
    receiver = new OtlpReceiver(false);
    byte[] trusted = null;
    if (transport.equals("tls")) {
      certificates = java.nio.file.Files.createTempDirectory("weft-bench-tls");
      try {
        dev.weft.testing.TestCertificates certs =
            dev.weft.testing.TestCertificates.generate(certificates);
        receiver.withTls(certs.serverContext(false));
        trusted = certs.serverCertPem;
      } catch (java.security.GeneralSecurityException e) {
        throw new IOException(e);
      }
    }
    receiver.start();
    exporter = Exporters.create(sender, receiver.endpoint(), trusted);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    exporter.shutdown().join(10, TimeUnit.SECONDS);
    receiver.close();
    ring.close();
    if (certificates != null) {
      try (var files = java.nio.file.Files.list(certificates)) {
        for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
          java.nio.file.Files.delete(f);
        }
      }
      java.nio.file.Files.delete(certificates);
    }
    if (failures.get() != 0 || receiver.spanCount() != exported) {
      throw new IllegalStateException("exported " + exported + ", received "
          + receiver.spanCount() + ", failed exports " + failures.get());
    }
  }

  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void export() throws InterruptedException {
    Semaphore slots = new Semaphore(inFlight);
    for (int i = 0; i < BATCHES; i++) {
      slots.acquire();
      CompletableResultCode result = exporter.export(batches.get(i % batches.size()));
      result.whenComplete(() -> {
        if (!result.isSuccess()) {
          failures.incrementAndGet();
        }
        slots.release();
      });
    }
    slots.acquire(inFlight);
    exported += SPANS;
  }
}
