package dev.weft.exporter;

import dev.weft.internal.decode.NativeSpans;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders one trace as a waterfall tree: one line per span, indented under its parent, with its
 * language (native or java), thread, duration, a bar placing it in the trace's time, and its
 * error status. A span whose parent is not in the trace is shown as a root.
 */
final class Waterfall {
  static final AttributeKey<String> THREAD_NAME = AttributeKey.stringKey("thread.name");
  static final AttributeKey<Long> THREAD_ID = AttributeKey.longKey("thread.id");
  private static final int BAR_WIDTH = 32;

  private Waterfall() {}

  /** The trace's spans, in any order, all of one trace id. */
  static String render(List<SpanData> trace) {
    List<SpanData> spans = new ArrayList<>(trace);
    spans.sort(Comparator.comparingLong(SpanData::getStartEpochNanos));
    Map<String, SpanData> byId = new HashMap<>();
    for (SpanData s : spans) {
      byId.put(s.getSpanId(), s);
    }
    Map<String, List<SpanData>> children = new HashMap<>();
    List<SpanData> roots = new ArrayList<>();
    long start = Long.MAX_VALUE;
    long end = Long.MIN_VALUE;
    int nativeCount = 0;
    for (SpanData s : spans) {
      String parent = s.getParentSpanId();
      if (SpanId.isValid(parent) && byId.containsKey(parent)
          && !parent.equals(s.getSpanId())) {
        children.computeIfAbsent(parent, k -> new ArrayList<>()).add(s);
      } else {
        roots.add(s);
      }
      start = Math.min(start, s.getStartEpochNanos());
      end = Math.max(end, s.getEndEpochNanos());
      nativeCount += NativeSpans.isNative(s) ? 1 : 0;
    }
    long total = Math.max(1, end - start);
    StringBuilder sb = new StringBuilder();
    sb.append('\n').append("trace ").append(spans.get(0).getTraceId()).append("  ")
        .append(roots.isEmpty() ? "" : roots.get(0).getName()).append("  ")
        .append(millis(total)).append("  ").append(spans.size()).append(" spans (")
        .append(spans.size() - nativeCount).append(" java, ").append(nativeCount)
        .append(" native)\n");
    String scale = millis(total);
    sb.append(String.format(Locale.ROOT, "  %-44s %-6s %-14s %9s  %s%n", "span", "lang", "thread",
        "duration", "0" + " ".repeat(Math.max(1, BAR_WIDTH + 1 - scale.length())) + scale));
    for (SpanData root : roots) {
      line(sb, root, "", "", children, start, total);
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, SpanData s, String prefix, String childPrefix,
      Map<String, List<SpanData>> children, long start, long total) {
    long duration = s.getEndEpochNanos() - s.getStartEpochNanos();
    sb.append(String.format(Locale.ROOT, "  %-44s %-6s %-14s %9s  %s",
        clip(prefix + s.getName(), 44), NativeSpans.isNative(s) ? "native" : "java",
        clip(thread(s), 14), millis(duration), bar(s.getStartEpochNanos() - start, duration,
            total)));
    if (s.getStatus().getStatusCode() == StatusCode.ERROR) {
      sb.append("  ERROR");
      String description = s.getStatus().getDescription();
      if (!description.isEmpty()) {
        sb.append(' ').append(description);
      }
    }
    sb.append('\n');
    List<SpanData> kids = children.getOrDefault(s.getSpanId(), List.of());
    for (int i = 0; i < kids.size(); i++) {
      boolean last = i == kids.size() - 1;
      line(sb, kids.get(i), childPrefix + (last ? "└─ " : "├─ "),
          childPrefix + (last ? "   " : "│  "), children, start, total);
    }
  }

  /** {@code thread.name}, else {@code thread.id}, else "-". */
  private static String thread(SpanData s) {
    String name = s.getAttributes().get(THREAD_NAME);
    if (name != null && !name.isEmpty()) {
      return name;
    }
    Long id = s.getAttributes().get(THREAD_ID);
    return id != null ? "#" + id : "-";
  }

  private static String bar(long offset, long duration, long total) {
    int from = (int) Math.max(0, Math.min(BAR_WIDTH - 1, offset * BAR_WIDTH / total));
    int to = (int) Math.max(from + 1,
        Math.min(BAR_WIDTH, (offset + duration) * BAR_WIDTH / total));
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
    return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
  }
}
