package dev.weft.internal.decode;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import javax.annotation.Nullable;
import javax.annotation.concurrent.Immutable;

/**
 * What the decoded spans of one name, attribute shape, thread, scope and resource have in common,
 * held once for all of them instead of in a field of each ({@link NativeSpanData} keeps one
 * reference to it): the name, the attribute keys in record order with where each value is kept,
 * the thread's shared attribute tail, the scope and the resource. The decoder keeps the last
 * layout of each span name (and of each shape) and reuses it while the next span's thread, scope
 * and resource are the same objects, so most spans allocate none.
 *
 * <p>Two forms: with {@link #keys} (a {@link SpanDecoder.Shape}'s), a span's own values are split
 * by {@link #slots} into its {@code Object[]} (strings, booleans) and its {@code long[]} (int64
 * and double bits, unboxed); without ({@code keys == null}, the decoder's general path), the span's
 * {@code Object[]} holds key/value pairs with boxed values, as {@link NativeAttributes} does.
 */
@Immutable
final class SpanLayout {
  final String name;
  /** The span's own keys in record order (never modified), or null: pairs in the span's array. */
  @Nullable final AttributeKey<?>[] keys;
  /**
   * For each of {@link #keys}: the index of its value in the span's {@code Object[]} if {@code >=
   * 0}, else {@code ~index} in its {@code long[]}. Null exactly when {@code keys} is.
   */
  @Nullable final int[] slots;
  /** thread.id/thread.name pairs shared by every span of a thread; no key also in {@link #keys}. */
  final Object[] tail;
  final InstrumentationScopeInfo scope;
  final Resource resource;

  SpanLayout(String name, @Nullable AttributeKey<?>[] keys, @Nullable int[] slots, Object[] tail,
      InstrumentationScopeInfo scope, Resource resource) {
    this.name = name;
    this.keys = keys;
    this.slots = slots;
    this.tail = tail;
    this.scope = scope;
    this.resource = resource;
  }

  /** True if this layout has this thread tail, scope and resource (the same objects). */
  boolean sameOrigin(Object[] tail, InstrumentationScopeInfo scope, Resource resource) {
    return this.tail == tail && this.scope == scope && this.resource == resource;
  }
}
