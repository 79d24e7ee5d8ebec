package dev.weft.internal.decode;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Function;

/**
 * A small direct-mapped cache from UTF-8 byte sequences to values derived from their decoded
 * string (the string itself, or an attribute key). Span names and attribute keys repeat on
 * almost every record, so caching them removes most of the allocation of decoding. The cache is
 * bounded (a fixed number of entries of at most {@link #MAX_CACHED_LENGTH} bytes): hostile data
 * can only cause misses. Not thread-safe: one per decoder.
 */
final class ByteStringCache<T> {
  static final int MAX_CACHED_LENGTH = 128;
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long MULTIPLIER = 0x9E3779B97F4A7C15L;

  private final byte[][] keys;
  private final Object[] values;
  private final int mask;
  private final Function<String, T> factory;

  ByteStringCache(int entries, Function<String, T> factory) {
    if (Integer.bitCount(entries) != 1) {
      throw new IllegalArgumentException("entries must be a power of two: " + entries);
    }
    this.keys = new byte[entries][];
    this.values = new Object[entries];
    this.mask = entries - 1;
    this.factory = factory;
  }

  @SuppressWarnings("unchecked") // values[i] was produced by factory
  T get(byte[] source, int offset, int length) {
    if (length > MAX_CACHED_LENGTH) {
      return factory.apply(new String(source, offset, length, StandardCharsets.UTF_8));
    }
    int index = (int) (hash(source, offset, length) >>> 32) & mask;
    byte[] key = keys[index];
    if (key != null && Arrays.equals(key, 0, key.length, source, offset, offset + length)) {
      return (T) values[index];
    }
    T value = factory.apply(new String(source, offset, length, StandardCharsets.UTF_8));
    keys[index] = Arrays.copyOfRange(source, offset, offset + length);
    values[index] = value;
    return value;
  }

  /**
   * Every byte mixed in, eight at a time (the last word overlaps the one before it); shorter
   * sequences byte by byte. A collision only costs a miss: {@link #get} compares the bytes.
   */
  static long hash(byte[] source, int offset, int length) {
    long h = length * MULTIPLIER;
    int end = offset + length;
    if (length >= 8) {
      int i = offset;
      for (; i <= end - 8; i += 8) {
        h = Long.rotateLeft((h ^ (long) LONG_LE.get(source, i)) * MULTIPLIER, 29);
      }
      if (i < end) {
        h = Long.rotateLeft((h ^ (long) LONG_LE.get(source, end - 8)) * MULTIPLIER, 29);
      }
    } else {
      long word = 0;
      for (int i = offset; i < end; i++) {
        word = (word << 8) | (source[i] & 0xff);
      }
      h = (h ^ word) * MULTIPLIER;
    }
    return (h ^ (h >>> 31)) * MULTIPLIER;
  }
}
