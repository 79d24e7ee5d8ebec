package dev.weft.internal.segment;

import io.opentelemetry.sdk.trace.data.SpanData;
import javax.annotation.concurrent.Immutable;

/** A span found open in a frame, for the post-mortem view. */
@Immutable
public final class FrameSpan {
  public final int slot;
  public final int depthIndex;
  public final SpanData span;

  FrameSpan(int slot, int depthIndex, SpanData span) {
    this.slot = slot;
    this.depthIndex = depthIndex;
    this.span = span;
  }
}
