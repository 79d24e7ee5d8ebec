package dev.weft.internal;

import dev.weft.internal.decode.SpanDecoder;
import dev.weft.internal.decode.SpanRecordBuilder;
import dev.weft.internal.export.CollectorFirstSpanExporter;
import dev.weft.internal.export.LoopbackReceiver;
import dev.weft.internal.export.NativeOtlpGrpcSpanExporter;
import dev.weft.WeftCollector;
import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.ScopeTable;
import dev.weft.internal.segment.SegmentWriter;
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
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Runs the collector's code on spans made here, before real spans need it, in two phases. The
 * first decodes {@value #SPANS} loadgen-shaped records and runs the export path: for the SDK's
 * OTLP/gRPC exporter, a copy of it (every setting kept, its own metrics off) exports
 * {@value #EXPORTS} batches of {@value #BATCH} to a {@link LoopbackReceiver} in this JVM, which
 * discards them; for any other exporter, the SDK's OTLP marshalling writes into a stream that
 * discards the bytes. The second ({@link #pipeline}, OTLP/gRPC only) runs a whole collector over
 * a private segment into the same copy. Nothing made here reaches the real exporter, its
 * backend or any statistic.
 *
 * <p>Why: a ring is given back to its writer only once its spans are exported and acknowledged,
 * so a collector whose first exports run cold code (interpreted until the JIT compiles it) holds
 * the rings while the load fills them. Measured with the capacity benchmark (docs/benchmarks.md
 * "Sustained capacity", "The pipeline warm-up"): with the first phase only, a collector started
 * 3 s before a 200 k spans/s load dropped 55-65 k spans in the first second; with both, 0 in 5 of
 * 6 trials.
 *
 * <p>It runs on its own daemon thread, once per JVM, while the first collector thread starts
 * (real spans are drained meanwhile as usual); it takes about 3 s of that thread once, the second
 * phase paced and stopped early when real spans arrive. Off with {@code -D}{@value #PROPERTY}
 * {@code =false} or {@value #ENV}{@code =false}.
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
  /**
   * The pipeline phase's pace and length: about 2 s. 10 s trials at 200 k spans/s with a 3 s
   * lead dropped 0 in 5 of 6 at 80 k/s for 160 000 spans, 0 in 2 of 9 at 40 k/s for 100 000.
   */
  static final long PIPELINE_RATE = 80_000;
  static final long PIPELINE_SPANS = 160_000;
  private static final int PIPELINE_RING = 256 << 10;
  /** The pipeline phase's private directory: this, the pid, a dash and a random part. */
  static final String PIPELINE_DIR_PREFIX = ".weft-warmup-";
  /** Real spans drained (by this JVM's collectors) that end the pipeline phase early. */
  static final long REAL_LOAD_SPANS = 2_000;
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
          ? exportToLoopback(((NativeOtlpGrpcSpanExporter) real).sdkExporter(), true, batches,
              resource)
          : real instanceof OtlpGrpcSpanExporter
          ? exportToLoopback((OtlpGrpcSpanExporter) real, false, batches, resource) : marshal(batches);
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
    byte[][] records = shapes();
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
      List<List<SpanData>> batches, Resource resource) throws IOException {
    try (LoopbackReceiver loopback = LoopbackReceiver.start()) {
      OtlpGrpcSpanExporterBuilder builder = exporter.toBuilder()
          .setEndpoint(loopback.endpoint())
          .setMeterProvider(MeterProvider::noop);
      // The retry policy is kept: with one, grpc-java sends through its retrying stream, the code
      // the real exports run (without, a first 200 k spans/s load compiled it from scratch).
      SpanExporter copy = weftMarshaler ? NativeOtlpGrpcSpanExporter.build(builder)
          : builder.build();
      int sent = 0;
      String pipeline;
      try {
        for (int i = 0; i < EXPORTS; i++) {
          CompletableResultCode result = copy.export(batches.get(i % batches.size()))
              .join(5, TimeUnit.SECONDS);
          if (!result.isSuccess()) {
            break;
          }
          sent++;
        }
        pipeline = sent == EXPORTS ? pipeline(copy, resource) : "no pipeline phase";
      } finally {
        copy.shutdown().join(5, TimeUnit.SECONDS);
      }
      return String.format(Locale.ROOT, "%d exports of %d spans through a copy of the OTLP/gRPC"
          + " exporter (%s) to a loopback receiver in this JVM (%d KiB, discarded); %s", sent,
          BATCH, weftMarshaler ? "Weft's marshaler" : "the SDK's marshaler",
          loopback.bytes() >> 10, pipeline);
    }
  }

  /**
   * The second phase: the whole collector (its thread, {@code SegmentDrainer} over a mapped
   * segment, the export pipeline with its concurrent exports, the exporter copy and its channel)
   * drains a private segment that a thread here fills at {@value #PIPELINE_RATE} spans/s for up
   * to {@value #PIPELINE_SPANS} spans. Why: the first phase alone left most of that code
   * interpreted or compiled from another profile, and a 200 k spans/s load 3 s after the
   * collector started set off about 3 000 compilations (Netty, gRPC, the drain and pipeline
   * loops) while the rings filled; the same JVM after a few seconds of a real load dropped
   * nothing (docs/benchmarks.md, "The pipeline warm-up"). It stops early when a collector of
   * this JVM has drained {@value #REAL_LOAD_SPANS} real spans: the real load has begun, and
   * the warm-up would only compete with it.
   */
  static String pipeline(SpanExporter copy, Resource resource) {
    long start = System.nanoTime();
    Path dir = null;
    try {
      Path shm = Path.of(WeftCollector.DEFAULT_SHM_DIR);
      // A private directory: no scan of the segment directory (recovery, weft collect) sees it.
      // Its name carries the pid, so that the next warm-up removes one a killed JVM left.
      String prefix = PIPELINE_DIR_PREFIX + ProcessHandle.current().pid() + "-";
      Path parent = Files.isDirectory(shm) && Files.isWritable(shm) ? shm
          : Path.of(System.getProperty("java.io.tmpdir"));
      removeLeftovers(parent);
      dir = Files.createTempDirectory(parent, prefix);
      Path path = dir.resolve("segment");
      // Removed at exit too, should the JVM end during the warm-up (deleted in reverse order).
      dir.toFile().deleteOnExit();
      path.toFile().deleteOnExit();
      SegmentWriter writer = SegmentWriter.create(path, new SegmentWriter.Layout().slots(2)
          .ring(PIPELINE_RING).frames(4, 512));
      writer.registerScope("weft.warmup", "");
      writer.claimSlot(0, 4242, "weft-warmup-0");
      writer.claimSlot(1, 4243, "weft-warmup-1");
      CollectorEngine engine = new CollectorEngine(defaultSettings(path, resource, copy),
          "weft-warmup-collector");
      engine.attachNow();
      engine.start();
      long written = 0;
      String stopped = "";
      try {
        byte[][] records = shapes();
        long stepNanos = TimeUnit.MILLISECONDS.toNanos(1);
        long perStep = PIPELINE_RATE / 1000;
        long next = System.nanoTime();
        long checkAt = 0;
        while (written < PIPELINE_SPANS) {
          for (int i = 0; i < perStep && written < PIPELINE_SPANS; i++) {
            int slot = (int) ((written / THREAD_RUN) & 1);
            byte[] record = records[(int) (written % SHAPES)];
            // Wait for room rather than drop: a drop would be counted and reported.
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (!writer.hasRoom(slot, record.length)) {
              if (System.nanoTime() - giveUp > 0) {
                throw new IOException("the warm-up collector stopped draining");
              }
              LockSupport.parkNanos(stepNanos);
            }
            writer.append(slot, record);
            written++;
          }
          if (written >= checkAt) {
            checkAt = written + PIPELINE_RATE / 10;
            if (CollectorEngine.spansDrainedByOthers(engine) >= REAL_LOAD_SPANS) {
              stopped = ", stopped early: real spans arrived";
              break;
            }
          }
          next += stepNanos;
          long wait = next - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
        }
      } finally {
        // Closed by its writer, as weft_shutdown does: the collector drains it to the end and
        // removes it, and says nothing (a live segment of this process would be handed over).
        writer.setState(Abi.SEGMENT_CLOSED);
        engine.close();
      }
      return String.format(Locale.ROOT, "then the collector pipeline over a private segment: %d"
          + " spans written, %d exported in %.0f ms%s", written, engine.counters().spansExported(),
          (System.nanoTime() - start) / 1e6, stopped);
    } catch (IOException e) {
      logger.log(Level.FINE, "weft: collector warm-up, pipeline phase stopped", e);
      return "pipeline phase stopped: " + e;
    } finally {
      if (dir != null) {
        deleteQuietly(dir.resolve("segment"));
        deleteQuietly(dir);
      }
    }
  }

  /** A collector's settings as {@code WeftCollector.builder()} makes them by default. */
  static CollectorEngine.Settings defaultSettings(Path path, Resource resource,
      SpanExporter exporter) {
    CollectorEngine.Settings settings = new CollectorEngine.Settings();
    settings.segmentPath = path;
    settings.resource = resource;
    settings.exporter = exporter;
    return settings;
  }

  /** Removes the warm-up directories of processes that are gone (a JVM killed meanwhile). */
  static void removeLeftovers(Path parent) {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent,
        PIPELINE_DIR_PREFIX + "*")) {
      for (Path entry : entries) {
        String rest = entry.getFileName().toString().substring(PIPELINE_DIR_PREFIX.length());
        int dash = rest.indexOf('-');
        long pid;
        try {
          pid = Long.parseLong(dash > 0 ? rest.substring(0, dash) : rest);
        } catch (NumberFormatException e) {
          continue; // not one of ours
        }
        if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty()
            && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
          deleteQuietly(entry.resolve("segment"));
          deleteQuietly(entry);
        }
      }
    } catch (IOException | RuntimeException e) {
      logger.log(Level.FINE, "weft: warm-up could not list " + parent, e);
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      logger.log(Level.FINE, "weft: warm-up could not remove " + path, e);
    }
  }

  /** The {@value #SHAPES} records both phases cycle through. */
  private static byte[][] shapes() {
    byte[][] records = new byte[SHAPES][];
    for (int i = 0; i < SHAPES; i++) {
      records[i] = record(i);
    }
    return records;
  }

  /**
   * An integer whose protobuf varint takes 1 to 10 bytes as {@code seq} goes round the shapes
   * (the last ones negative): real values (sequence numbers, thread ids, sizes) are rarely all
   * below 128, and the marshaler's size and write branches for longer varints, never taken in a
   * warm-up of small values, were compiled as traps that the first real spans set off.
   */
  static long spread(long seq) {
    int bits = (int) (seq % SHAPES);
    return bits < 2 ? bits : (1L << bits) + seq;
  }

  /** Mostly short strings, some longer than 127 bytes (a two-byte length) or not ASCII. */
  private static String text(long seq) {
    if (seq % 16 == 5) {
      return "value-" + seq + "-" + "x".repeat(200);
    }
    return seq % 16 == 11 ? "värde-" + seq : "value-" + seq;
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
        .attr("warmup.thread", 0L).attr("warmup.seq", spread(seq)).attr("warmup.text", text(seq))
        .attr("warmup.ratio", seq / 2.0).attr("warmup.even", seq % 2 == 0);
    if (seq % 9 == 0) {
      b.attr("warmup.extra." + (seq % 5), "x"); // another shape under the same name
    }
    if (seq % 10 == 0) {
      b.event("tick", 1_700_000_000_000_000_000L + seq * 1000 + 100, 0,
          SpanRecordBuilder.attribute(3, "n", SpanRecordBuilder.le(spread(seq + 5))));
    }
    if (seq % 7 == 0) {
      b.statusCode(2).statusMessage("seq divisible by 7");
    }
    return b.build();
  }
}
