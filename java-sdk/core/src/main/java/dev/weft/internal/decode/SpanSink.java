package dev.weft.internal.decode;

import io.opentelemetry.sdk.trace.data.SpanData;

/** Receives each span decoded from a ring, on the collector thread. */
public interface SpanSink {
  /**
   * Returns false when the sink wants the drainer to stop and leave the remaining records in the
   * ring for a later pass (back-pressure). Checked before each span record is decoded.
   */
  boolean canAccept();

  void accept(SpanData span);
}
