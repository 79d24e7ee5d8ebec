package dev.weft.internal;

import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;

class CollectingSink implements SpanSink {
  final List<SpanData> spans = new ArrayList<>();
  int capacity = Integer.MAX_VALUE;

  @Override
  public boolean canAccept() {
    return spans.size() < capacity;
  }

  @Override
  public void accept(SpanData span) {
    spans.add(span);
  }
}
