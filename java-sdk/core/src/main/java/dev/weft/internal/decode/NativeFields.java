package dev.weft.internal.decode;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.trace.data.SpanData;
import javax.annotation.Nullable;

/**
 * Read-only access, for an encoder in another package, to the decoded values of a native span
 * that its {@link SpanData} interface only hands out as new objects (hex id strings, id byte
 * arrays, the parent context, the attributes with boxed values, all built on first use) or hides
 * (the shared per-thread tail of its attributes). Nothing here copies or exposes a mutable array:
 * every value is a primitive or an immutable object the span already holds (except
 * {@link #ownValue(SpanData, int)}'s boxes).
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

  /** {@code span.getParentSpanContext().isRemote()}, without making the parent context. */
  public static boolean parentIsRemote(SpanData span) {
    return ((NativeSpanData) span).parentRemote();
  }

  // A span's attributes as stored, which is what getAttributes() shows (own ones, then the
  // shared tail) without making that view: values come unboxed where they are kept so.

  /** {@code span.getAttributes().size()}. */
  public static int attributeCount(SpanData span) {
    return ((NativeSpanData) span).attributeCount();
  }

  /** The number of the span's own attributes, which come before the shared tail's. */
  public static int ownPairs(SpanData span) {
    return ((NativeSpanData) span).ownPairs();
  }

  public static AttributeKey<?> ownKey(SpanData span, int i) {
    return ((NativeSpanData) span).ownKey(i);
  }

  /**
   * Own attribute {@code i}'s value; an int64 or a double one may be a new box on every call: read
   * those with {@link #ownLong} and {@link #ownDouble}.
   */
  public static Object ownValue(SpanData span, int i) {
    return ((NativeSpanData) span).ownValue(i);
  }

  /** Own attribute {@code i}'s value, whose key's type must be {@code LONG}. */
  public static long ownLong(SpanData span, int i) {
    return ((NativeSpanData) span).ownLong(i);
  }

  /** Own attribute {@code i}'s value, whose key's type must be {@code DOUBLE}. */
  public static double ownDouble(SpanData span, int i) {
    return ((NativeSpanData) span).ownDouble(i);
  }

  /**
   * An identity for the span's shared per-thread tail (thread.id, thread.name), the same object
   * for every span of a thread while its name stays the same: a cache key for the tail's encoding.
   * {@code null} if there is no tail.
   */
  @Nullable
  public static Object tailIdentity(SpanData span) {
    Object[] tail = ((NativeSpanData) span).tail();
    return tail.length == 0 ? null : tail;
  }

  public static int tailPairs(SpanData span) {
    return ((NativeSpanData) span).tail().length >> 1;
  }

  public static AttributeKey<?> tailKey(SpanData span, int i) {
    return (AttributeKey<?>) ((NativeSpanData) span).tail()[2 * i];
  }

  public static Object tailValue(SpanData span, int i) {
    return ((NativeSpanData) span).tail()[2 * i + 1];
  }

  // Attributes: an event's (the decoder's NativeAttributes).

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
