package dev.weft.demo;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The demo's output when no OTLP endpoint is configured: collects the JVM spans and the native
 * spans (two exporter views, so each span's language is known), and on {@link #close()} prints
 * each trace as a waterfall tree and writes it as one line of OTLP/JSON (an {@code
 * ExportTraceServiceRequest}) to a file.
 */
public final class LocalTraceOutput implements AutoCloseable {
  private static final AttributeKey<String> THREAD_NAME = AttributeKey.stringKey("thread.name");
  private static final int BAR_WIDTH = 32;

  /** A collected span and the side it came from. */
  private static final class Entry {
    final SpanData span;
    final boolean isNative;

    Entry(SpanData span, boolean isNative) {
      this.span = span;
      this.isNative = isNative;
    }
  }

  private final ConcurrentLinkedQueue<Entry> spans = new ConcurrentLinkedQueue<>();
  private final Path jsonFile;
  private final PrintStream out;
  private final SpanExporter javaSide = new Side(false);
  private final SpanExporter nativeSide = new Side(true);
  private boolean closed;

  public LocalTraceOutput(Path jsonFile, PrintStream out) {
    this.jsonFile = jsonFile;
    this.out = out;
  }

  /** The exporter the JVM's SDK uses. */
  public SpanExporter javaSide() {
    return javaSide;
  }

  /** The exporter the Weft collector uses. */
  public SpanExporter nativeSide() {
    return nativeSide;
  }

  public Path jsonFile() {
    return jsonFile;
  }

  private final class Side implements SpanExporter {
    private final boolean isNative;

    Side(boolean isNative) {
      this.isNative = isNative;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
      for (SpanData span : batch) {
        spans.add(new Entry(span, isNative));
      }
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
  }

  /** Prints every trace collected so far and writes the JSON file. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    Map<String, List<Entry>> traces = new LinkedHashMap<>();
    List<Entry> all = new ArrayList<>(spans);
    all.sort(Comparator.comparingLong(e -> e.span.getStartEpochNanos()));
    for (Entry e : all) {
      traces.computeIfAbsent(e.span.getTraceId(), k -> new ArrayList<>()).add(e);
    }
    try (OutputStream json = Files.newOutputStream(jsonFile)) {
      for (List<Entry> trace : traces.values()) {
        out.print(render(trace));
        List<SpanData> data = new ArrayList<>();
        for (Entry e : trace) {
          data.add(e.span);
        }
        TraceRequestMarshaler.create(data).writeJsonTo(json);
        json.write('\n');
      }
    } catch (IOException e) {
      out.println("could not write " + jsonFile + ": " + e);
      return;
    }
    out.println(traces.size() + " traces (" + all.size() + " spans) written as OTLP/JSON lines"
        + " (ExportTraceServiceRequest, one trace per line) to " + jsonFile);
  }

  /** One trace as a waterfall tree. */
  static String render(List<Entry> trace) {
    Map<String, Entry> byId = new HashMap<>();
    for (Entry e : trace) {
      byId.put(e.span.getSpanId(), e);
    }
    Map<String, List<Entry>> children = new HashMap<>();
    List<Entry> roots = new ArrayList<>();
    long start = Long.MAX_VALUE;
    long end = Long.MIN_VALUE;
    int javaCount = 0;
    for (Entry e : trace) {
      String parent = e.span.getParentSpanId();
      if (SpanId.isValid(parent) && byId.containsKey(parent)) {
        children.computeIfAbsent(parent, k -> new ArrayList<>()).add(e);
      } else {
        roots.add(e);
      }
      start = Math.min(start, e.span.getStartEpochNanos());
      end = Math.max(end, e.span.getEndEpochNanos());
      javaCount += e.isNative ? 0 : 1;
    }
    long total = Math.max(1, end - start);
    StringBuilder sb = new StringBuilder();
    sb.append('\n').append("trace ").append(trace.get(0).span.getTraceId()).append("  ")
        .append(roots.isEmpty() ? "" : roots.get(0).span.getName()).append("  ")
        .append(millis(total)).append("  ").append(trace.size()).append(" spans (")
        .append(javaCount).append(" java, ").append(trace.size() - javaCount)
        .append(" native)\n");
    sb.append(String.format("  %-44s %-6s %-14s %9s  %s%n", "span", "lang", "thread",
        "duration", "0" + " ".repeat(BAR_WIDTH - 1 - millis(total).length()) + millis(total)));
    for (int i = 0; i < roots.size(); i++) {
      line(sb, roots.get(i), "", "", children, start, total);
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, Entry e, String prefix, String childPrefix,
      Map<String, List<Entry>> children, long start, long total) {
    SpanData s = e.span;
    String thread = s.getAttributes().get(THREAD_NAME);
    String label = prefix + s.getName();
    long duration = s.getEndEpochNanos() - s.getStartEpochNanos();
    sb.append(String.format("  %-44s %-6s %-14s %9s  %s", clip(label, 44),
        e.isNative ? "native" : "java", clip(thread == null ? "?" : thread, 14),
        millis(duration), bar(s.getStartEpochNanos() - start, duration, total)));
    if (s.getStatus().getStatusCode() == StatusCode.ERROR) {
      sb.append("  ERROR ").append(s.getStatus().getDescription());
    }
    sb.append('\n');
    List<Entry> kids = new ArrayList<>(children.getOrDefault(s.getSpanId(), List.of()));
    kids.sort(Comparator.comparingLong(k -> k.span.getStartEpochNanos()));
    for (int i = 0; i < kids.size(); i++) {
      boolean last = i == kids.size() - 1;
      line(sb, kids.get(i), childPrefix + (last ? "└─ " : "├─ "),
          childPrefix + (last ? "   " : "│  "), children, start, total);
    }
  }

  private static String bar(long offset, long duration, long total) {
    int from = (int) Math.min(BAR_WIDTH - 1, offset * BAR_WIDTH / total);
    int to = (int) Math.max(from + 1, Math.min(BAR_WIDTH, (offset + duration) * BAR_WIDTH / total));
    StringBuilder sb = new StringBuilder("|");
    for (int i = 0; i < BAR_WIDTH; i++) {
      sb.append(i >= from && i < to ? '█' : ' ');
    }
    return sb.append('|').toString();
  }

  private static String clip(String s, int width) {
    return s.length() <= width ? s : s.substring(0, width - 1) + "…";
  }

  static String millis(long nanos) {
    return String.format("%.2f ms", nanos / 1e6);
  }
}
