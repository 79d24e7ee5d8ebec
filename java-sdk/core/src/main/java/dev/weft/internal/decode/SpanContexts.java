package dev.weft.internal.decode;

import io.opentelemetry.api.trace.SpanContext;

/** Value equality and hashing of {@link SpanContext}s, as the SDK's own implementation has them. */
final class SpanContexts {
  private SpanContexts() {}

  /** True if {@code o} is a valid SpanContext with the same values as {@code c} (valid too). */
  static boolean equal(SpanContext c, Object o) {
    if (o == c) {
      return true;
    }
    if (!(o instanceof SpanContext)) {
      return false;
    }
    SpanContext that = (SpanContext) o;
    return that.isValid() && c.getTraceId().equals(that.getTraceId())
        && c.getSpanId().equals(that.getSpanId())
        && c.getTraceFlags().equals(that.getTraceFlags())
        && c.getTraceState().equals(that.getTraceState()) && c.isRemote() == that.isRemote();
  }

  /**
   * The AutoValue hash of the SDK's ImmutableSpanContext, field by field in declaration order, so
   * that equal contexts of either class hash alike ({@code c} is valid).
   */
  static int hash(SpanContext c) {
    int h = 1;
    h = (h * 1000003) ^ c.getTraceId().hashCode();
    h = (h * 1000003) ^ c.getSpanId().hashCode();
    h = (h * 1000003) ^ c.getTraceFlags().hashCode();
    h = (h * 1000003) ^ c.getTraceState().hashCode();
    h = (h * 1000003) ^ (c.isRemote() ? 1231 : 1237);
    h = (h * 1000003) ^ 1231; // valid
    return h;
  }

  static String toString(SpanContext c) {
    return "SpanContext{traceId=" + c.getTraceId() + ", spanId=" + c.getSpanId()
        + ", traceFlags=" + c.getTraceFlags() + ", traceState=" + c.getTraceState()
        + ", remote=" + c.isRemote() + ", valid=true}";
  }

  /** Big-endian bytes of {@code value} into {@code target[offset, offset + 8)}. */
  static void putLong(byte[] target, int offset, long value) {
    for (int i = 7; i >= 0; i--) {
      target[offset + i] = (byte) value;
      value >>>= 8;
    }
  }
}
