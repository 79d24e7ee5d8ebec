package dev.weft.bench.capacity;

import dev.weft.WeftCollector;
import dev.weft.WeftStats;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The collector under test, in its own JVM: a {@link WeftCollector} with every default (the
 * exporter is OpenTelemetry's autoconfiguration, from the {@code OTEL_*} environment the driver
 * sets) reading the segment at {@code args[0]}. Prints {@code ready} once built; each
 * {@code stats} line on standard input is answered with one {@code stats} line
 * ({@link #line(WeftStats)}); {@code reset} resets the heap peaks; {@code close} closes the
 * collector, prints the last {@code stats} line and exits.
 *
 * <p>Probes for diagnosis, as system properties ({@code --collector-jvm-arg -D...}; none is set
 * by default): {@code weft.bench.timeline=FILE} writes the collector's counters every 10 ms;
 * {@code weft.bench.maxConcurrentExports}, {@code weft.bench.maxExportBatchSize} and
 * {@code weft.bench.maxQueueSize} set the builder's; {@code weft.bench.prewarm=LOADGEN,S,RATE[,loop]}
 * first collects S seconds of a weft-loadgen load at RATE spans/s in this JVM (through the
 * autoconfigured exporter, or with {@code loop} a loopback receiver here), closes that collector,
 * and only then builds the one under test: the upper bound of any warm-up (docs/benchmarks.md,
 * "The pipeline warm-up").
 */
public final class CollectorProcess {
  private CollectorProcess() {}

  static String line(WeftStats s) {
    long nativeDrops = s.droppedRingFull() + s.droppedReentrant() + s.droppedTooDeep()
        + s.droppedNoSlot();
    return "stats committed=" + s.spansCommitted() + " drained=" + s.spansDrained()
        + " exported=" + s.spansExported() + " failed=" + s.exportFailures()
        + " overflow=" + s.queueOverflow() + " corrupt=" + s.corruptRecords()
        + " ringFull=" + s.droppedRingFull() + " nativeDrops=" + nativeDrops
        + " " + JvmUsage.report();
  }

  /** Every 10 ms until the JVM exits: uptime (ms), committed, drained, exported, ring full. */
  private static void sample(WeftCollector collector, Path file) {
    long start = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
    try (java.io.PrintWriter out = new java.io.PrintWriter(java.nio.file.Files.newBufferedWriter(file))) {
      while (true) {
        WeftStats s = collector.stats();
        out.println((System.currentTimeMillis() - start) + " " + s.spansCommitted() + " "
            + s.spansDrained() + " " + s.spansExported() + " " + s.droppedRingFull());
        out.flush();
        Thread.sleep(10);
      }
    } catch (Exception e) {
      // the JVM is exiting
    }
  }

  /** Experiment: the same JVM first collects a real load (weft-loadgen) for a few seconds. */
  private static void prewarm(String loadgen, double seconds, long rate, boolean loopback)
      throws Exception {
    String name = "weft-prewarm-" + ProcessHandle.current().pid();
    Path segment = Path.of("/dev/shm", name);
    dev.weft.WeftCollectorBuilder b = WeftCollector.builder().setSegmentPath(segment)
        .setRegisterShutdownHook(false);
    dev.weft.internal.export.LoopbackReceiver lb = null;
    if (loopback) {
      lb = dev.weft.internal.export.LoopbackReceiver.start();
      b.setSpanExporter(dev.weft.internal.export.NativeOtlpGrpcSpanExporter.build(
          io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter.builder()
              .setEndpoint(lb.endpoint())));
    }
    WeftCollector c = b.build();
    ProcessBuilder pb = new ProcessBuilder(loadgen, "--threads", "2", "--spans",
        String.valueOf((long) (rate * seconds / 2)), "--rate", String.valueOf(rate));
    pb.environment().put("WEFT_SHM_NAME", name);
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.start().waitFor();
    Thread.sleep(500);
    c.close();
    if (lb != null) {
      lb.close();
    }
    java.nio.file.Files.deleteIfExists(segment);
    System.err.println("prewarm: " + line(c.stats()));
  }

  public static void main(String[] args) throws Exception {
    String pre = System.getProperty("weft.bench.prewarm");
    if (pre != null) {
      String[] p = pre.split(",");
      prewarm(p[0], Double.parseDouble(p[1]), Long.parseLong(p[2]), p.length > 3);
    }
    dev.weft.WeftCollectorBuilder builder = WeftCollector.builder()
        .setSegmentPath(Path.of(args[0]))
        .setRegisterShutdownHook(false);
    Integer exports = Integer.getInteger("weft.bench.maxConcurrentExports");
    if (exports != null) {
      builder.setMaxConcurrentExports(exports);
    }
    Integer batch = Integer.getInteger("weft.bench.maxExportBatchSize");
    if (batch != null) {
      builder.setMaxExportBatchSize(batch);
    }
    Integer queue = Integer.getInteger("weft.bench.maxQueueSize");
    if (queue != null) {
      builder.setMaxQueueSize(queue);
    }
    WeftCollector collector = builder.build();
    String timeline = System.getProperty("weft.bench.timeline");
    if (timeline != null) {
      Thread t = new Thread(() -> sample(collector, Path.of(timeline)), "weft-bench-timeline");
      t.setDaemon(true);
      t.start();
    }
    System.out.println("ready");
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      switch (line.trim()) {
        case "stats" -> System.out.println(line(collector.stats()));
        case "reset" -> {
          JvmUsage.resetPeaks();
          System.out.println("reset");
        }
        case "close" -> {
          collector.close();
          System.out.println(line(collector.stats()));
          System.out.flush();
          return;
        }
        default -> System.out.println("unknown command: " + line);
      }
      System.out.flush();
    }
    collector.close();
  }
}
