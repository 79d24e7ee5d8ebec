package dev.weft.testing;

import dev.weft.internal.decode.SpanSink;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;

/** A sink that keeps every span it is given, up to {@link #capacity} (then back-pressure). */
public class CollectingSink implements SpanSink {
  public final List<SpanData> spans = new ArrayList<>();
  public int capacity = Integer.MAX_VALUE;

  @Override
  public boolean canAccept() {
    return spans.size() < capacity;
  }

  @Override
  public void accept(SpanData span) {
    spans.add(span);
  }
}
