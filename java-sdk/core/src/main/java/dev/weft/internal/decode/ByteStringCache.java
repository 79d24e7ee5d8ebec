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

  /** Entries longer than 16 bytes: their bytes (null for short entries). */
  private final byte[][] keys;
  /** Entries of at most 16 bytes: their length and two words (see {@link #first8}). */
  private final int[] lengths;
  private final long[] words0;
  private final long[] words1;
  private final Object[] values;
  private final int mask;
  private final Function<String, T> factory;

  ByteStringCache(int entries, Function<String, T> factory) {
    if (Integer.bitCount(entries) != 1) {
      throw new IllegalArgumentException("entries must be a power of two: " + entries);
    }
    this.keys = new byte[entries][];
    this.lengths = new int[entries];
    this.words0 = new long[entries];
    this.words1 = new long[entries];
    this.values = new Object[entries];
    this.mask = entries - 1;
    this.factory = factory;
  }

  @SuppressWarnings("unchecked") // values[i] was produced by factory
  T get(byte[] source, int offset, int length) {
    if (length <= 16) {
      // Most names and keys: two words, hashed and compared without a loop or a call.
      long w0;
      long w1;
      if (offset <= source.length - 16) {
        w0 = first8(source, offset, length);
        w1 = second8(source, offset, length);
      } else {
        w0 = word(source, offset, Math.min(length, 8));
        w1 = length <= 8 ? 0 : word(source, offset + 8, length - 8);
      }
      long h = (w0 ^ (length * MULTIPLIER)) * MULTIPLIER;
      h = (Long.rotateLeft(h, 29) ^ w1) * MULTIPLIER;
      int index = (int) ((h ^ (h >>> 31)) >>> 32) & mask;
      Object cached = values[index];
      if (cached != null && lengths[index] == length && words0[index] == w0
          && words1[index] == w1) {
        return (T) cached;
      }
      T value = factory.apply(new String(source, offset, length, StandardCharsets.UTF_8));
      keys[index] = null;
      lengths[index] = length;
      words0[index] = w0;
      words1[index] = w1;
      values[index] = value;
      return value;
    }
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
    lengths[index] = -1; // not a short entry
    values[index] = value;
    return value;
  }

  /**
   * Bytes {@code [offset, offset + min(length, 8))} as a little-endian word, zero above them.
   * Reads 8 bytes: needs {@code offset + 8 <= source.length}.
   */
  static long first8(byte[] source, int offset, int length) {
    long w = (long) LONG_LE.get(source, offset);
    return length >= 8 ? w : w & ((1L << (length << 3)) - 1);
  }

  /**
   * Bytes {@code [offset + 8, offset + min(length, 16))} as {@link #first8} has them (0 if
   * {@code length <= 8}). Reads 8 bytes at {@code offset + 8}: needs {@code offset + 16 <=
   * source.length}.
   */
  static long second8(byte[] source, int offset, int length) {
    if (length <= 8) {
      return 0;
    }
    long w = (long) LONG_LE.get(source, offset + 8);
    return length >= 16 ? w : w & ((1L << ((length - 8) << 3)) - 1);
  }

  /** Bytes {@code [offset, offset + n)}, {@code n <= 8}, as a little-endian word, byte by byte. */
  static long word(byte[] source, int offset, int n) {
    long w = 0;
    for (int i = n - 1; i >= 0; i--) {
      w = (w << 8) | (source[offset + i] & 0xff);
    }
    return w;
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
