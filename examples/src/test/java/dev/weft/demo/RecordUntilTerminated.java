package dev.weft.demo;

import dev.weft.WeftCollector;
import dev.weft.WeftStats;
import dev.weft.exporter.WeftJsonLinesSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Run in a child JVM by {@link SigtermWhileRecordingTest}: Java threads record native spans
 * through the demo library (this process's own libweft and segment) without pause until the
 * JVM is terminated; the collector (default shutdown hook) exports to a JSON-lines file. A hook
 * of its own waits for the collector's close and prints its final counters as key=value lines.
 */
public final class RecordUntilTerminated {
  private RecordUntilTerminated() {}

  public static void main(String[] args) throws Exception {
    NativeCodec.load();
    WeftCollector collector = WeftCollector.builder()
        .setSpanExporter(WeftJsonLinesSpanExporter.create(Path.of(args[0])))
        .setResource(Resource.empty())
        // a cold JVM on a shared machine: the final export must not be cut by the 1 s default
        .setCloseTimeout(Duration.ofSeconds(30))
        .build();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      collector.close(); // waits for the close that the collector's own hook runs
      WeftStats s = collector.stats();
      System.out.println("committed=" + s.spansCommitted());
      System.out.println("exported=" + s.spansExported());
      System.out.println("exportFailures=" + s.exportFailures());
      System.out.println("droppedShutdown=" + s.droppedShutdown());
      System.out.println("droppedRingFull=" + s.droppedRingFull());
      System.out.println("corrupt=" + s.corruptRecords());
      System.out.flush();
    }, "stats-at-exit"));
    for (int t = 0; t < 2; t++) {
      Thread recorder = new Thread(() -> {
        while (true) {
          NativeCodec.oneSpan();
        }
      }, "recorder-" + t);
      recorder.setDaemon(true);
      recorder.start();
    }
    System.out.println("recording");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
