package dev.weft.internal.decode;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.trace.data.SpanData;
import javax.annotation.Nullable;

/**
 * Read-only access, for an encoder in another package, to the decoded values of a native span
 * that its {@link SpanData} interface only hands out as new objects (hex id strings, id byte
 * arrays) or hides (the shared per-thread tail of its attributes). Nothing here copies or exposes
 * a mutable array: every value is a primitive or an immutable object the span already holds.
 *
 * <p>The span methods require {@link NativeSpans#isNative} to be true; the attribute methods
 * require {@link #isNative(Attributes)}; otherwise they throw {@link ClassCastException}.
 */
public final class NativeFields {
  private NativeFields() {}

  public static long traceIdHigh(SpanData span) {
    return ((NativeSpanData) span).traceHi();
  }

  public static long traceIdLow(SpanData span) {
    return ((NativeSpanData) span).traceLo();
  }

  public static long spanId(SpanData span) {
    return ((NativeSpanData) span).spanIdLong();
  }

  /** The parent's span id, or 0 for a root span. */
  public static long parentSpanId(SpanData span) {
    return ((NativeSpanData) span).parentSpanIdLong();
  }

  /** True if {@code attributes} are a decoded span's or event's (pairs plus shared tail). */
  public static boolean isNative(Attributes attributes) {
    return attributes instanceof NativeAttributes;
  }

  /** The number of the attributes' own pairs, which come before the shared tail's. */
  public static int ownPairs(Attributes attributes) {
    return ((NativeAttributes) attributes).ownPairs();
  }

  public static AttributeKey<?> ownKey(Attributes attributes, int i) {
    return ((NativeAttributes) attributes).ownKey(i);
  }

  public static Object ownValue(Attributes attributes, int i) {
    return ((NativeAttributes) attributes).ownValue(i);
  }

  /**
   * An identity for the shared per-thread tail (thread.id, thread.name), the same object for every
   * span of a thread: a cache key for the tail's encoding. {@code null} if there is no tail.
   */
  @Nullable
  public static Object tailIdentity(Attributes attributes) {
    return ((NativeAttributes) attributes).tailIdentity();
  }

  public static int tailPairs(Attributes attributes) {
    return ((NativeAttributes) attributes).tailPairs();
  }

  public static AttributeKey<?> tailKey(Attributes attributes, int i) {
    return ((NativeAttributes) attributes).tailKey(i);
  }

  public static Object tailValue(Attributes attributes, int i) {
    return ((NativeAttributes) attributes).tailValue(i);
  }
}
