package dev.weft.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeftConsoleSpanExporterTest {
  @TempDir static Path dir;
  static KnownTrace trace;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final AtomicLong now = new AtomicLong();

  @BeforeAll
  static void record() throws Exception {
    trace = KnownTrace.create(dir);
  }

  private WeftConsoleSpanExporter exporter(int maxSpans) {
    return WeftConsoleSpanExporter.manual(out, Duration.ofMillis(500), Duration.ofSeconds(5),
        maxSpans, now::get);
  }

  private String printed() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** The printed line of the span named {@code name}, split into its columns. */
  private List<String> columns(String name) {
    String line = Arrays.stream(printed().split("\n"))
        .filter(l -> !l.startsWith("trace ") && l.contains(" " + name + " ")).findFirst()
        .orElseThrow(() -> new AssertionError("no line for " + name + " in:\n" + printed()));
    // "  %-44s %-6s %-14s %9s  |bar|  ERROR ...": fixed columns.
    List<String> columns = new ArrayList<>(List.of(line.substring(2, 46).trim(),
        line.substring(47, 53).trim(), line.substring(54, 68).trim(),
        line.substring(69, 78).trim()));
    String afterBar = line.substring(line.lastIndexOf('|') + 1).trim();
    if (!afterBar.isEmpty()) {
      columns.add(afterBar);
    }
    return columns;
  }

  @Test
  void printsTheTreeWithLanguagesThreadsDurationsAndErrors() {
    WeftConsoleSpanExporter exporter = exporter(1000);
    exporter.export(trace.all());
    exporter.flush();

    assertThat(printed()).contains("trace 0af7651916cd43dd8448eb211c80319c  GET /encode"
        + "  10.00 ms  4 spans (2 java, 2 native)");
    assertThat(columns("GET /encode")).startsWith("GET /encode", "java", "http-worker-1",
        "10.00 ms");
    assertThat(columns("codec.encode")).startsWith("└─ codec.encode", "native", "native-0",
        "7.00 ms");
    assertThat(columns("codec.compress")).startsWith("├─ codec.compress", "native",
        "native-worker", "4.00 ms");
    assertThat(columns("codec.compress")).last().isEqualTo("ERROR out of memory");
    assertThat(columns("upcall.onChunk")).startsWith("└─ upcall.onChunk", "java", "native-0",
        "0.50 ms");
    // Children are indented under their parent, in start order.
    String text = printed();
    assertThat(text.indexOf("GET /encode  ")).isLessThan(text.indexOf("codec.encode"));
    assertThat(text.indexOf("   ├─ codec.compress")).isPositive()
        .isLessThan(text.indexOf("   └─ upcall.onChunk"));
  }

  @Test
  void waitsForTheRootAndForLateSpansBeforePrinting() {
    WeftConsoleSpanExporter exporter = exporter(1000);
    // Native spans first, as when the JVM root has not ended yet.
    exporter.export(trace.nativeSpans);
    now.addAndGet(Duration.ofMillis(600).toNanos());
    exporter.printDue();
    assertThat(printed()).as("no root yet").isEmpty();

    exporter.export(trace.jvm);
    now.addAndGet(Duration.ofMillis(400).toNanos());
    exporter.printDue();
    assertThat(printed()).as("root arrived 400 ms ago, quiet period 500 ms").isEmpty();

    now.addAndGet(Duration.ofMillis(100).toNanos());
    exporter.printDue();
    assertThat(printed()).contains("4 spans (2 java, 2 native)");
    assertThat(printed().split("\ntrace ", -1)).hasSize(2); // printed once
  }

  @Test
  void printsATraceWithoutRootAfterTheMaximumWait() {
    WeftConsoleSpanExporter exporter = exporter(1000);
    exporter.export(trace.nativeSpans);
    now.addAndGet(Duration.ofMillis(4_900).toNanos());
    exporter.printDue();
    assertThat(printed()).isEmpty();
    now.addAndGet(Duration.ofMillis(100).toNanos());
    exporter.printDue();
    // Without its parent in the trace, codec.encode is shown as a root.
    assertThat(printed()).contains("2 spans (0 java, 2 native)");
    assertThat(columns("codec.encode").get(0)).isEqualTo("codec.encode");
  }

  @Test
  void boundsTheBufferByPrintingTheOldestTraceEarly() {
    WeftConsoleSpanExporter exporter = exporter(3);
    List<SpanData> nativeSpans = trace.nativeSpans;
    exporter.export(nativeSpans);
    assertThat(printed()).isEmpty();
    exporter.export(List.of(trace.jvm.get(0), trace.jvm.get(1)));
    // 4 spans > 3: the only (oldest) trace is printed at once.
    assertThat(printed()).contains("4 spans");
  }

  @Test
  void shutdownPrintsWhatIsBufferedAndLaterExportsFail() {
    WeftConsoleSpanExporter exporter = exporter(1000);
    exporter.export(trace.nativeSpans);
    assertThat(exporter.shutdown().isSuccess()).isTrue();
    assertThat(printed()).contains("2 spans (0 java, 2 native)");
    assertThat(exporter.export(trace.jvm).isSuccess()).isFalse();
  }
}
