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

  public static void main(String[] args) throws Exception {
    WeftCollector collector = WeftCollector.builder()
        .setSegmentPath(Path.of(args[0]))
        .setRegisterShutdownHook(false)
        .build();
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
