package dev.weft.internal.decode;

import io.opentelemetry.sdk.trace.data.SpanData;

/** Tells the spans the collector decoded from native records from every other span. */
public final class NativeSpans {
  private NativeSpans() {}

  /** True if {@code span} was recorded by native code and decoded by a Weft collector. */
  public static boolean isNative(SpanData span) {
    return span instanceof NativeSpanData;
  }
}
