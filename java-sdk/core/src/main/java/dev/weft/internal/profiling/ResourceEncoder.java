package dev.weft.internal.profiling;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.resources.Resource;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A Resource as an encoded {@code opentelemetry.proto.resource.v1.Resource} (its attributes as
 * {@code KeyValue}s; the same wire format as OTLP), for the process context. Arrays become
 * {@code ArrayValue}s; any other value type its string form.
 */
public final class ResourceEncoder {
  private ResourceEncoder() {}

  /** The encoded Resource. */
  public static byte[] encode(Resource resource) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    for (Map.Entry<AttributeKey<?>, Object> e : resource.getAttributes().asMap().entrySet()) {
      ByteArrayOutputStream kv = new ByteArrayOutputStream(64);
      writeBytes(kv, 1, e.getKey().getKey().getBytes(StandardCharsets.UTF_8));
      writeBytes(kv, 2, anyValue(e.getValue()));
      writeBytes(out, 1, kv.toByteArray()); // Resource.attributes
    }
    return out.toByteArray();
  }

  private static byte[] anyValue(Object value) {
    ByteArrayOutputStream any = new ByteArrayOutputStream(32);
    if (value instanceof String) {
      writeBytes(any, 1, ((String) value).getBytes(StandardCharsets.UTF_8));
    } else if (value instanceof Boolean) {
      writeVarint(any, 2 << 3);
      writeVarint(any, ((Boolean) value) ? 1 : 0);
    } else if (value instanceof Long || value instanceof Integer) {
      writeVarint(any, 3 << 3);
      writeVarint(any, ((Number) value).longValue());
    } else if (value instanceof Double) {
      writeVarint(any, (4 << 3) | 1);
      long bits = Double.doubleToRawLongBits((Double) value);
      for (int i = 0; i < 8; i++) {
        any.write((int) (bits >>> (8 * i)));
      }
    } else if (value instanceof List) {
      ByteArrayOutputStream array = new ByteArrayOutputStream(64);
      for (Object element : (List<?>) value) {
        writeBytes(array, 1, anyValue(element));
      }
      writeBytes(any, 5, array.toByteArray());
    } else {
      writeBytes(any, 1, String.valueOf(value).getBytes(StandardCharsets.UTF_8));
    }
    return any.toByteArray();
  }

  private static void writeBytes(ByteArrayOutputStream out, int field, byte[] bytes) {
    writeVarint(out, (field << 3) | 2);
    writeVarint(out, bytes.length);
    out.write(bytes, 0, bytes.length);
  }

  private static void writeVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }
}
