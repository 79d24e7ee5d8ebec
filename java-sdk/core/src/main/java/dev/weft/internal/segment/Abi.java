package dev.weft.internal.segment;

/**
 * Offsets, sizes and constants of the shared-memory segment, ABI version 1.1 (docs/shm-abi.md,
 * c-sdk/include/weft/weft_abi.h). All multi-byte values are little-endian.
 *
 * <pre>
 * segment: | header (header_size) | slot 0 (slot_stride) | slot 1 | ... |
 * slot:    | slot header (512) | frames[stack_depth] (frame_size each) | ring (ring_capacity) | pad |
 * </pre>
 *
 * <p>Names ending in {@code _OFFSET} are byte offsets from the start of the structure they
 * belong to.
 */
public final class Abi {
  private Abi() {}

  /** "WEFTSHM\0" read as a little-endian u64. */
  public static final long MAGIC = 0x004D485354464557L;

  public static final int VERSION_MAJOR = 1;
  public static final int BYTE_ORDER_MARK = 0x01020304;

  public static final int SEGMENT_INITIALIZING = 0;
  public static final int SEGMENT_LIVE = 1;
  public static final int SEGMENT_CLOSED = 2;
  /** 1.1: a dead creator's data was exported by a recoverer. */
  public static final int SEGMENT_RECOVERED = 3;

  /** The minor version this reader knows; later minors only append. */
  public static final int VERSION_MINOR = 1;

  public static final int FENCE_OPEN = 0;
  public static final int FENCE_CLOSED = 1;

  // ---------------------------------------------------------------- header
  public static final int MAGIC_OFFSET = 0;
  public static final int VERSION_MAJOR_OFFSET = 8;
  public static final int VERSION_MINOR_OFFSET = 10;
  public static final int HEADER_SIZE_OFFSET = 12;
  public static final int SEGMENT_SIZE_OFFSET = 16;
  public static final int BYTE_ORDER_MARK_OFFSET = 24;
  public static final int STATE_OFFSET = 28;
  public static final int CREATOR_PID_OFFSET = 32;
  public static final int CREATOR_UID_OFFSET = 36;
  public static final int CREATOR_START_TICKS_OFFSET = 40;
  public static final int BOOT_ID_OFFSET = 48;
  public static final int BOOT_ID_LENGTH = 16;
  public static final int CREATED_UNIX_NANOS_OFFSET = 64;
  public static final int SLOT_COUNT_OFFSET = 72;
  public static final int SLOT_HEADER_SIZE_OFFSET = 76;
  public static final int SLOTS_OFFSET_OFFSET = 80;
  public static final int SLOT_STRIDE_OFFSET = 88;
  public static final int STACK_DEPTH_OFFSET = 96;
  public static final int FRAME_SIZE_OFFSET = 100;
  public static final int RING_CAPACITY_OFFSET = 104;
  public static final int MAX_NAME_LENGTH_OFFSET = 108;
  public static final int MAX_KEY_LENGTH_OFFSET = 110;
  public static final int MAX_VALUE_LENGTH_OFFSET = 112;
  public static final int SCOPE_COUNT_OFFSET = 116;
  public static final int DROPPED_NO_SLOT_OFFSET = 120;
  // 1.1: lease, fence, resource (0 in a 1.0 segment)
  public static final int LEASE_OWNER_OFFSET = 128;
  public static final int LEASE_HEARTBEAT_OFFSET = 136;
  public static final int FENCE_OFFSET = 144;
  public static final int RESOURCE_OFFSET_OFFSET = 152;
  public static final int RESOURCE_LENGTH_OFFSET = 156;
  public static final int SCOPES_OFFSET = 256;

  /** 1.1: where the C SDK writes the RESOURCE record, and the most bytes it may take. */
  public static final int RESOURCE_AREA_OFFSET = 4096;
  public static final int RESOURCE_AREA_MAX = 4096;
  /** 1.1: the header size the C SDK writes when it writes a RESOURCE record. */
  public static final int HEADER_SIZE_V1_1 = 8192;

  /** Bytes of the header structure; {@code header_size} in the file is at least this. */
  public static final int HEADER_STRUCT_SIZE = 3968;
  /** The header size the C SDK writes. */
  public static final int HEADER_SIZE = 4096;

  public static final int MAX_SCOPES = 16;
  /** The most slots a writer makes ({@code WEFT_ABI_MAX_SLOT_COUNT}); a reader refuses more. */
  public static final int MAX_SLOT_COUNT = 65536;
  public static final int SCOPE_SIZE = 232;
  public static final int SCOPE_NAME_LENGTH_OFFSET = 0;
  public static final int SCOPE_VERSION_LENGTH_OFFSET = 2;
  public static final int SCOPE_NAME_OFFSET = 8;
  public static final int SCOPE_NAME_MAX = 160;
  public static final int SCOPE_VERSION_OFFSET = 168;
  public static final int SCOPE_VERSION_MAX = 64;

  // ------------------------------------------------------------------ slot
  public static final int SLOT_HEADER_SIZE = 512;
  public static final int SLOT_FREE = 0;
  public static final int SLOT_ACTIVE = 1;
  public static final int SLOT_RELEASED = 2;

  public static final int SLOT_STATE_OFFSET = 0;
  public static final int SLOT_GENERATION_OFFSET = 4;
  public static final int SLOT_TID_OFFSET = 8;
  public static final int SLOT_DEPTH_OFFSET = 12;
  public static final int SLOT_THREAD_NAME_OFFSET = 16;
  public static final int SLOT_THREAD_NAME_LENGTH = 16;
  public static final int SLOT_TAIL_OFFSET = 128;
  public static final int SLOT_SPANS_COMMITTED_OFFSET = 136;
  public static final int SLOT_DROPPED_RING_FULL_OFFSET = 144;
  public static final int SLOT_DROPPED_REENTRANT_OFFSET = 152;
  public static final int SLOT_DROPPED_TOO_DEEP_OFFSET = 160;
  public static final int SLOT_DROPPED_SHUTDOWN_OFFSET = 168;
  public static final int SLOT_LAST_END_OFFSET = 176;
  public static final int SLOT_HEAD_OFFSET = 256;
  public static final int SLOT_READ_POSITION_OFFSET = 264;

  public static final int MIN_STACK_DEPTH = 1;
  public static final int MAX_STACK_DEPTH = 256;
  /** The C reader's and the spec's minimum (docs/shm-abi.md, {@code frame_size}). */
  public static final int MIN_FRAME_SIZE = 512;
  public static final int MAX_FRAME_SIZE = 32768;

  // --------------------------------------------------------------- records
  public static final int RECORD_ALIGNMENT = 8;
  public static final int RECORD_HEADER_SIZE = 8;
  public static final int RECORD_LENGTH_OFFSET = 0;
  public static final int RECORD_TYPE_OFFSET = 4;
  public static final int RECORD_FIXED_SIZE_OFFSET = 6;

  public static final int RECORD_SPAN = 1;
  public static final int RECORD_PADDING = 2;
  public static final int RECORD_CONTEXT = 3;
  /** 1.1: the creator's Resource, in the header area only. */
  public static final int RECORD_RESOURCE = 4;
  public static final int RESOURCE_FIXED_SIZE = 16;
  public static final int RESOURCE_ATTR_COUNT_OFFSET = 8;
  public static final int RESOURCE_DROPPED_ATTR_COUNT_OFFSET = 10;

  public static final int SPAN_TRACE_ID_OFFSET = 8;
  public static final int SPAN_SPAN_ID_OFFSET = 24;
  public static final int SPAN_VALID_OFFSET = 32;
  public static final int SPAN_TRACE_FLAGS_OFFSET = 33;
  public static final int SPAN_ATTRS_SIZE_OFFSET = 34;
  public static final int SPAN_KIND_OFFSET = 36;
  public static final int SPAN_STATUS_CODE_OFFSET = 37;
  public static final int SPAN_FLAGS_OFFSET = 38;
  public static final int SPAN_PARENT_SPAN_ID_OFFSET = 40;
  public static final int SPAN_START_OFFSET = 48;
  public static final int SPAN_END_OFFSET = 56;
  public static final int SPAN_TID_OFFSET = 64;
  public static final int SPAN_SCOPE_INDEX_OFFSET = 68;
  public static final int SPAN_ATTR_COUNT_OFFSET = 70;
  public static final int SPAN_EVENT_COUNT_OFFSET = 72;
  public static final int SPAN_DROPPED_ATTR_COUNT_OFFSET = 74;
  public static final int SPAN_DROPPED_EVENT_COUNT_OFFSET = 76;
  public static final int SPAN_TRUNCATED_COUNT_OFFSET = 78;
  public static final int SPAN_FIXED_SIZE = 80;
  public static final int CONTEXT_FIXED_SIZE = 48;

  public static final int SPAN_FLAG_PARENT_REMOTE = 1;
  public static final int SPAN_FLAG_NAME_TRUNCATED = 1 << 1;
  public static final int SPAN_FLAG_STATUS_TRUNCATED = 1 << 2;
  public static final int SPAN_FLAG_ENDED_BY_THREAD_EXIT = 1 << 3;
  public static final int SPAN_FLAG_ENDED_BY_UNWIND = 1 << 4;

  // ----------------------------------------------------------------- items
  public static final int ITEM_HEADER_SIZE = 4;
  public static final int ITEM_ATTR_STRING = 1;
  public static final int ITEM_ATTR_BOOL = 2;
  public static final int ITEM_ATTR_INT64 = 3;
  public static final int ITEM_ATTR_DOUBLE = 4;
  public static final int ITEM_EVENT = 16;
  public static final int ITEM_STATUS_MESSAGE = 32;
  public static final int ITEM_FLAG_TRUNCATED = 1;
  /** Item header plus the u16 key length. */
  public static final int ATTR_PREFIX_SIZE = 6;
  /** Event item: header, name length, attr count, dropped attr count, two reserved, time. */
  public static final int EVENT_PREFIX_SIZE = 24;
  public static final int EVENT_NAME_LENGTH_OFFSET = 4;
  public static final int EVENT_ATTR_COUNT_OFFSET = 6;
  public static final int EVENT_DROPPED_ATTR_COUNT_OFFSET = 8;
  public static final int EVENT_TIME_OFFSET = 16;

  /** Rounds {@code length} up to the record alignment; {@code length} is a non-negative long. */
  public static long align8(long length) {
    return (length + 7) & ~7L;
  }
}
