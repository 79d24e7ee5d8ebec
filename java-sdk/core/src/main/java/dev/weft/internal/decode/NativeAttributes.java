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
 * <p>{@code equals} and {@code hashCode} are those of {@link #asMap()}, so two instances with the
 * same pairs are equal whatever their order, and one equals an SDK {@code Attributes} with the same
 * pairs (the SDK's own {@code equals} only accepts its own class, so that direction says false).
 */
@Immutable
final class NativeAttributes implements Attributes {
  static final NativeAttributes EMPTY = new NativeAttributes(new Object[0]);

  /** key0, value0, key1, value1, ...; never modified after construction. */
  private final Object[] pairs;

  /** Takes ownership of {@code pairs}. */
  NativeAttributes(Object[] pairs) {
    this.pairs = pairs;
  }

  @Override
  @Nullable
  @SuppressWarnings("unchecked") // the value was stored under a key of the same type
  public <T> T get(AttributeKey<T> key) {
    if (key == null) {
      return null;
    }
    for (int i = 0; i < pairs.length; i += 2) {
      Object k = pairs[i];
      if (k == key || k.equals(key)) {
        return (T) pairs[i + 1];
      }
    }
    return null;
  }

  @Override
  public void forEach(BiConsumer<? super AttributeKey<?>, ? super Object> consumer) {
    for (int i = 0; i < pairs.length; i += 2) {
      consumer.accept((AttributeKey<?>) pairs[i], pairs[i + 1]);
    }
  }

  @Override
  public int size() {
    return pairs.length >> 1;
  }

  @Override
  public boolean isEmpty() {
    return pairs.length == 0;
  }

  @Override
  public Map<AttributeKey<?>, Object> asMap() {
    Map<AttributeKey<?>, Object> map = new LinkedHashMap<>(pairs.length);
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
    if (other.size() != size()) {
      return false;
    }
    for (int i = 0; i < pairs.length; i += 2) {
      if (!pairs[i + 1].equals(other.get((AttributeKey<?>) pairs[i]))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int hash = 0; // Map.hashCode: the sum of key ^ value over the entries
    for (int i = 0; i < pairs.length; i += 2) {
      hash += pairs[i].hashCode() ^ pairs[i + 1].hashCode();
    }
    return hash;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < pairs.length; i += 2) {
      if (i > 0) {
        b.append(", ");
      }
      b.append(((AttributeKey<?>) pairs[i]).getKey()).append('=').append(pairs[i + 1]);
    }
    return b.append('}').toString();
  }
}
