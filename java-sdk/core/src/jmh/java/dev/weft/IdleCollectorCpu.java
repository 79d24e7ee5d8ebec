package dev.weft;

import dev.weft.internal.decode.DecodeBenchmark;
import dev.weft.internal.segment.SegmentWriter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU an idle collector spends: a producer thread appends loadgen-shaped span records at a
 * low fixed rate (default 1 000 spans/s) into a segment laid out like libweft's defaults (64
 * slots, 256 KiB rings), a {@link WeftCollector} with default settings drains it into an
 * exporter that only counts, and the collector thread's CPU time
 * ({@code ThreadMXBean.getThreadCpuTime}, i.e. utime + stime of its task) is read over the
 * measuring window (after a warm-up: 2 s of burst, 15 s at the low rate). Then a burst: {@code burstRate} spans/s for {@code burstSeconds}, appended in
 * 1 ms steps, counting the appends the full ring refused (what libweft counts as
 * {@code dropped_ring_full}).
 *
 * <p>Arguments: {@code [seconds [rate [burstRate [burstSeconds]]]]}, default 60 1000 100000 2.
 */
public final class IdleCollectorCpu {
  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int burstRate = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
    int burstSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 2;

    Path shm = Path.of("/dev/shm");
    Path dir = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(
        System.getProperty("java.io.tmpdir")), "weft-idle");
    Path path = dir.resolve("segment");
    SegmentWriter writer = SegmentWriter.create(path,
        new SegmentWriter.Layout().slots(64).ring(256 << 10).frames(16, 2048));
    writer.registerScope("weft-idle", "1.0");
    writer.claimSlot(0, 4242, "producer");
    byte[][] records = new byte[1024][];
    for (int i = 0; i < records.length; i++) {
      records[i] = DecodeBenchmark.loadgenRecord(i);
    }

    AtomicLong exported = new AtomicLong();
    SpanExporter counting = new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        exported.addAndGet(spans.size());
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try (WeftCollector collector = WeftCollector.builder().setSegmentPath(path)
        .setSpanExporter(counting).setResource(Resource.getDefault())
        .setRegisterShutdownHook(false).build()) {
      long collectorTid = findThread(threads, "weft-collector");
      long[] appended = new long[1];
      long[] refused = new long[1];

      // Warm up as a service that has run a while would be: the decoder compiled by a busy
      // spell, the idle loop by some time at the low rate. Then measure.
      produce(writer, records, burstRate, 2, appended, refused);
      produce(writer, records, rate, 15, appended, refused);
      long warmRefused = refused[0];
      long cpu0 = threads.getThreadCpuTime(collectorTid);
      long wall0 = System.nanoTime();
      long producerCpu0 = threads.getCurrentThreadCpuTime();
      produce(writer, records, rate, seconds, appended, refused);
      long wall = System.nanoTime() - wall0;
      long cpu = threads.getThreadCpuTime(collectorTid) - cpu0;
      long producerCpu = threads.getCurrentThreadCpuTime() - producerCpu0;
      long idleRefused = refused[0] - warmRefused;

      long before = appended[0];
      produce(writer, records, burstRate, burstSeconds, appended, refused);
      long burstAppended = appended[0] - before;
      long burstRefused = refused[0] - warmRefused - idleRefused;
      long total = appended[0];
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (collector.stats().spansDrained() < total && System.nanoTime() < deadline) {
        LockSupport.parkNanos(1_000_000);
      }
      WeftStats stats = collector.stats();
      System.out.printf(Locale.ROOT, "idle: %d spans/s for %.1f s: collector thread CPU %.3f s ="
          + " %.2f %% of a core (producer thread %.2f %%), refused appends %d%n", rate,
          wall / 1e9, cpu / 1e9, 100.0 * cpu / wall, 100.0 * producerCpu / wall, idleRefused);
      System.out.printf(Locale.ROOT, "burst: %d spans/s for %d s: %d appended, %d refused"
          + " (ring full); drained %d of %d, corrupt %d, dropped_ring_full %d%n", burstRate,
          burstSeconds, burstAppended, burstRefused, stats.spansDrained(), total,
          stats.corruptRecords(), stats.droppedRingFull());
      System.out.printf(Locale.ROOT, "load average %s%n", loadAverage());
    } finally {
      Files.deleteIfExists(path);
      Files.deleteIfExists(dir);
    }
  }

  /** Appends at {@code rate} spans/s for {@code seconds}, in steps of 1 ms; never retries. */
  static void produce(SegmentWriter writer, byte[][] records, int rate, int seconds,
      long[] appended, long[] refused) {
    long start = System.nanoTime();
    long steps = seconds * 1000L;
    long sent = 0;
    for (long step = 1; step <= steps; step++) {
      long due = rate * step / 1000;
      while (sent < due) {
        if (writer.append(0, records[(int) (appended[0] & (records.length - 1))])) {
          appended[0]++;
        } else {
          refused[0]++;
        }
        sent++;
      }
      long wake = start + step * 1_000_000L;
      long now;
      while ((now = System.nanoTime()) < wake) {
        LockSupport.parkNanos(wake - now);
      }
    }
  }

  static long findThread(ThreadMXBean threads, String name) {
    for (int attempt = 0; attempt < 100; attempt++) {
      for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (info != null && info.getThreadName().equals(name)) {
          return info.getThreadId();
        }
      }
      LockSupport.parkNanos(10_000_000);
    }
    throw new IllegalStateException("no thread named " + name);
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }
}
