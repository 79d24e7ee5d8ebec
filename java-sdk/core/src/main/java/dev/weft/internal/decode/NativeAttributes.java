package dev.weft.internal.decode;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import javax.annotation.Nullable;
import javax.annotation.concurrent.Immutable;

/**
 * Attributes decoded from a record: an immutable array of key/value pairs filled once by
 * {@link SpanDecoder} (keys unique, last one wins already applied, values non-null). Unlike the
 * SDK's {@code Attributes.builder()} it neither grows a list nor copies and sorts it: the pairs
 * stay in record order. Lookups are linear, which is faster than a map for the handful of
 * attributes a span has.
 *
 * <p>The pairs every span of a thread carries (thread.id, thread.name) are not copied into each span's
 * array: they are one shared tail array per thread, whose keys the decoder checked are not among the
 * span's own.
 *
 * <p>{@code equals} and {@code hashCode} are those of {@link #asMap()}, so two instances with the
 * same pairs are equal whatever their order, and one equals an SDK {@code Attributes} with the same
 * pairs (the SDK's own {@code equals} only accepts its own class, so that direction says false).
 */
@Immutable
final class NativeAttributes implements Attributes {
  private static final Object[] NONE = new Object[0];
  static final NativeAttributes EMPTY = new NativeAttributes(NONE);

  /** key0, value0, key1, value1, ...; never modified after construction. */
  private final Object[] pairs;
  /**
   * More pairs after {@link #pairs}, shared by every span of one thread (thread.id, thread.name):
   * never modified, and no key in it is also in {@link #pairs}.
   */
  private final Object[] tail;

  /** Takes ownership of {@code pairs}. */
  NativeAttributes(Object[] pairs) {
    this(pairs, NONE);
  }

  /** Takes ownership of {@code pairs}; {@code tail} is shared, never modified, keys disjoint. */
  NativeAttributes(Object[] pairs, Object[] tail) {
    this.pairs = pairs;
    this.tail = tail;
  }

  /** The number of this span's own pairs (those before the shared tail). */
  int ownPairs() {
    return pairs.length >> 1;
  }

  AttributeKey<?> ownKey(int i) {
    return (AttributeKey<?>) pairs[2 * i];
  }

  Object ownValue(int i) {
    return pairs[2 * i + 1];
  }

  /**
   * The shared tail's identity (the same object for every span of one thread while its name stays
   * the same), or {@code null} if there is none: a cache key for what the tail encodes to.
   */
  @Nullable
  Object tailIdentity() {
    return tail.length == 0 ? null : tail;
  }

  int tailPairs() {
    return tail.length >> 1;
  }

  AttributeKey<?> tailKey(int i) {
    return (AttributeKey<?>) tail[2 * i];
  }

  Object tailValue(int i) {
    return tail[2 * i + 1];
  }

  @Override
  @Nullable
  @SuppressWarnings("unchecked") // the value was stored under a key of the same type
  public <T> T get(AttributeKey<T> key) {
    if (key == null) {
      return null;
    }
    Object found = find(pairs, key);
    return (T) (found != null ? found : find(tail, key));
  }

  @Nullable
  private static Object find(Object[] pairs, AttributeKey<?> key) {
    for (int i = 0; i < pairs.length; i += 2) {
      Object k = pairs[i];
      if (k == key || k.equals(key)) {
        return pairs[i + 1];
      }
    }
    return null;
  }

  @Override
  public void forEach(BiConsumer<? super AttributeKey<?>, ? super Object> consumer) {
    Object[] pairs = this.pairs;
    for (int i = 0; i < pairs.length; i += 2) {
      consumer.accept((AttributeKey<?>) pairs[i], pairs[i + 1]);
    }
    Object[] tail = this.tail;
    for (int i = 0; i < tail.length; i += 2) {
      consumer.accept((AttributeKey<?>) tail[i], tail[i + 1]);
    }
  }

  @Override
  public int size() {
    return (pairs.length + tail.length) >> 1;
  }

  @Override
  public boolean isEmpty() {
    return pairs.length == 0 && tail.length == 0;
  }

  @Override
  public Map<AttributeKey<?>, Object> asMap() {
    Map<AttributeKey<?>, Object> map = new LinkedHashMap<>(pairs.length + tail.length);
    forEach(map::put);
    return Collections.unmodifiableMap(map);
  }

  @Override
  public AttributesBuilder toBuilder() {
    return Attributes.builder().putAll(this);
  }

  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    if (!(o instanceof Attributes)) {
      return false;
    }
    Attributes other = (Attributes) o;
    return other.size() == size() && containedIn(pairs, other) && containedIn(tail, other);
  }

  private static boolean containedIn(Object[] pairs, Attributes other) {
    for (int i = 0; i < pairs.length; i += 2) {
      if (!pairs[i + 1].equals(other.get((AttributeKey<?>) pairs[i]))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return hash(pairs) + hash(tail); // Map.hashCode: the sum of key ^ value over the entries
  }

  private static int hash(Object[] pairs) {
    int hash = 0;
    for (int i = 0; i < pairs.length; i += 2) {
      hash += pairs[i].hashCode() ^ pairs[i + 1].hashCode();
    }
    return hash;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("{");
    forEach((key, value) -> {
      if (b.length() > 1) {
        b.append(", ");
      }
      b.append(key.getKey()).append('=').append(value);
    });
    return b.append('}').toString();
  }
}
