package dev.weft.internal.recovery;

import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.Segment;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import javax.annotation.Nullable;
import javax.annotation.concurrent.Immutable;

/**
 * The Resource a segment's creator recorded at init (docs/shm-abi.md "RESOURCE record (type 4)"),
 * or, when there is none or it does not validate, the fallback {@code service.name} =
 * {@value #FALLBACK_SERVICE_NAME} with {@code process.pid} from the header; {@link #note} then
 * says which, for the log line.
 */
@Immutable
public final class SegmentResource {
  public static final String FALLBACK_SERVICE_NAME = "unknown_service";
  static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  static final AttributeKey<Long> PROCESS_PID = AttributeKey.longKey("process.pid");

  public final Resource resource;
  /** True if the resource came from the segment's RESOURCE record. */
  public final boolean fromRecord;
  /** Why the fallback was used (null when {@link #fromRecord}). */
  @Nullable public final String note;
  /** 1 if a RESOURCE record was present but invalid (counted as one corrupt record), else 0. */
  public final int corruptRecords;

  private SegmentResource(Resource resource, boolean fromRecord, @Nullable String note,
      int corrupt) {
    this.resource = resource;
    this.fromRecord = fromRecord;
    this.note = note;
    this.corruptRecords = corrupt;
  }

  /** Reads the RESOURCE record of {@code segment} (opened unmapped). */
  public static SegmentResource read(Segment segment) throws IOException {
    ByteBuffer words = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    segment.readFully(words, Abi.RESOURCE_OFFSET_OFFSET);
    long offset = Integer.toUnsignedLong(words.getInt(0));
    long length = Integer.toUnsignedLong(words.getInt(4));
    if (offset == 0) {
      return fallback(segment, "the segment carries no RESOURCE record (written by a C SDK"
          + " before ABI 1.1)", 0);
    }
    if (offset < Abi.RESOURCE_AREA_OFFSET || offset % 8 != 0 || length > Abi.RESOURCE_AREA_MAX
        || length < Abi.RESOURCE_FIXED_SIZE || offset + length > segment.headerSize()) {
      return fallback(segment, String.format("its RESOURCE record is out of bounds"
          + " (offset %d, length %d, header_size %d)", offset, length, segment.headerSize()), 1);
    }
    ByteBuffer record = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
    segment.readFully(record, offset);
    Attributes attributes = decode(record);
    if (attributes == null) {
      return fallback(segment, "its RESOURCE record does not validate", 1);
    }
    AttributesBuilder builder = attributes.toBuilder();
    if (attributes.get(SERVICE_NAME) == null) {
      builder.put(SERVICE_NAME, FALLBACK_SERVICE_NAME);
    }
    if (attributes.get(PROCESS_PID) == null) {
      builder.put(PROCESS_PID, (long) segment.creatorPid());
    }
    return new SegmentResource(Resource.create(builder.build()), true, null, 0);
  }

  private static SegmentResource fallback(Segment segment, String why, int corrupt) {
    Resource resource = Resource.create(Attributes.of(SERVICE_NAME, FALLBACK_SERVICE_NAME,
        PROCESS_PID, (long) segment.creatorPid()));
    return new SegmentResource(resource, false, segment.path() + ": " + why + "; its spans are"
        + " exported under service.name=" + FALLBACK_SERVICE_NAME + ", process.pid="
        + segment.creatorPid(), corrupt);
  }

  /** The record's attributes, or null if it breaks a rule of "Items". */
  @Nullable
  static Attributes decode(ByteBuffer r) {
    int limit = r.limit();
    long recordLength = Integer.toUnsignedLong(r.getInt(Abi.RECORD_LENGTH_OFFSET));
    int type = Short.toUnsignedInt(r.getShort(Abi.RECORD_TYPE_OFFSET));
    int fixedSize = Short.toUnsignedInt(r.getShort(Abi.RECORD_FIXED_SIZE_OFFSET));
    if (type != Abi.RECORD_RESOURCE || recordLength > limit
        || fixedSize < Abi.RESOURCE_FIXED_SIZE || fixedSize > recordLength) {
      return null;
    }
    int length = (int) recordLength;
    int attrCount = Short.toUnsignedInt(r.getShort(Abi.RESOURCE_ATTR_COUNT_OFFSET));
    AttributesBuilder builder = Attributes.builder();
    int seen = 0;
    int p = fixedSize;
    while (p < length) {
      if (length - p < Abi.ITEM_HEADER_SIZE) {
        return null;
      }
      int tag = r.get(p) & 0xff;
      int itemLength = Short.toUnsignedInt(r.getShort(p + 2));
      if (itemLength < Abi.ITEM_HEADER_SIZE || itemLength > length - p) {
        return null;
      }
      if (tag >= Abi.ITEM_ATTR_STRING && tag <= Abi.ITEM_ATTR_DOUBLE) {
        if (seen == attrCount || itemLength < Abi.ATTR_PREFIX_SIZE) {
          return null;
        }
        seen++;
        int keyLength = Short.toUnsignedInt(r.getShort(p + 4));
        int valueOffset = p + Abi.ATTR_PREFIX_SIZE + keyLength;
        int valueLength = itemLength - Abi.ATTR_PREFIX_SIZE - keyLength;
        if (valueLength < 0) {
          return null;
        }
        String key = utf8(r, p + Abi.ATTR_PREFIX_SIZE, keyLength);
        switch (tag) {
          case Abi.ITEM_ATTR_STRING:
            builder.put(AttributeKey.stringKey(key), utf8(r, valueOffset, valueLength));
            break;
          case Abi.ITEM_ATTR_BOOL: {
            int b = valueLength == 1 ? r.get(valueOffset) : -1;
            if (b != 0 && b != 1) {
              return null;
            }
            builder.put(AttributeKey.booleanKey(key), b == 1);
            break;
          }
          case Abi.ITEM_ATTR_INT64:
            if (valueLength != 8) {
              return null;
            }
            builder.put(AttributeKey.longKey(key), r.getLong(valueOffset));
            break;
          default:
            if (valueLength != 8) {
              return null;
            }
            builder.put(AttributeKey.doubleKey(key), r.getDouble(valueOffset));
        }
      }
      // Other tags (events, status) have no meaning in a Resource: skipped by their length.
      p += itemLength;
    }
    return seen == attrCount ? builder.build() : null;
  }

  private static String utf8(ByteBuffer r, int offset, int length) {
    byte[] bytes = new byte[length];
    r.get(offset, bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
