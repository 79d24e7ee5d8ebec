package dev.weft.internal.segment;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * A validated segment. The header fields that never change after creation are read once, from a
 * private copy of the header read through the file (never through the mapping), and validated
 * here; everything else (slot words, records) is read through the accessors, with the memory
 * order the ABI names for each word.
 *
 * <p>Every size in this object has been checked against the file size, so {@link #slotBase},
 * {@link #frameBase} and {@link #ringBase} always return in-bounds offsets for in-range indexes.
 *
 * <p>Mapped memory can fault: a file truncated under the mapping raises SIGBUS, which the JVM
 * turns into an {@link InternalError} that may be delivered asynchronously, later, in whatever
 * code the faulting thread runs then. So {@link #open} and the constructor never touch the
 * mapping, and only the collector thread reads it (docs/shm-abi.md "Readers and a file that
 * changes"). {@link #openUnmapped} reads nothing but the header; its caller reads the rest
 * through {@link #readFully}. A mapped segment keeps no file open.
 *
 * <p>{@link #ofMemory} opens a segment over memory this process owns (the fuzz targets): the same
 * header copy, the same validation and the same accessors; only where the bytes come from
 * differs (the {@link Source}), and what stands for the file's owner and size (our uid, the
 * memory's length).
 */
public final class Segment implements java.io.Closeable {
  /** u64 view for acquire/release accesses; offsets must be 8-aligned (all ABI words are). */
  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  /** u32 view for acquire/release accesses; offsets must be 4-aligned. */
  private static final VarHandle INTS =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /** The file, or null for a segment in memory ({@link #ofMemory}). */
  @Nullable private final Path path;
  /** The path, or "segment buffer" for memory: what messages name. */
  private final String name;
  private final Object fileKey;
  /** The mapping (or the memory), or null for a segment opened with {@link #openUnmapped}. */
  @Nullable private final ByteBuffer buffer;
  /** Where unmapped reads come from; null once mapped (the mapping needs no open file). */
  @Nullable private final Source source;
  /** A private copy of the first {@link Abi#HEADER_SIZE} bytes, read when the file was opened. */
  private final ByteBuffer header;
  private final int versionMinor;
  private final int headerSize;
  private final long segmentSize;
  private final int creatorPid;
  private final int creatorUid;
  private final long creatorStartTicks;
  private final byte[] bootId;
  private final long createdUnixNanos;
  private final int slotCount;
  private final int slotHeaderSize;
  private final long slotsOffset;
  private final long slotStride;
  private final int stackDepth;
  private final int frameSize;
  private final int ringCapacity;
  private final int ringOffsetInSlot;

  private Segment(@Nullable Path path, Object fileKey, ByteBuffer header, long fileSize,
      @Nullable ByteBuffer mapping, @Nullable Source source)
      throws InvalidSegmentException {
    this.path = path;
    this.name = path == null ? MEMORY_NAME : path.toString();
    this.fileKey = fileKey;
    this.header = header;
    this.buffer = mapping;
    this.source = source;
    // Validation reads the private copy: the header cannot change under the checks.
    ByteBuffer buffer = header;
    // The copy was read after the creator's release of magic was visible in the file.
    long magic = buffer.getLong(Abi.MAGIC_OFFSET);
    if (magic == 0) {
      throw new InvalidSegmentException(name + ": header not initialised yet (magic is 0)", true);
    }
    if (magic != Abi.MAGIC) {
      throw invalid("bad magic 0x%016x, expected 0x%016x", magic, Abi.MAGIC);
    }
    int bom = buffer.getInt(Abi.BYTE_ORDER_MARK_OFFSET);
    if (bom != Abi.BYTE_ORDER_MARK) {
      throw invalid("byte order mark 0x%08x, expected 0x%08x (not a little-endian segment)",
          bom, Abi.BYTE_ORDER_MARK);
    }
    int versionMajor = u16(Abi.VERSION_MAJOR_OFFSET);
    if (versionMajor != Abi.VERSION_MAJOR) {
      throw invalid("ABI version %d.%d, this reader knows major version %d",
          versionMajor, u16(Abi.VERSION_MINOR_OFFSET), Abi.VERSION_MAJOR);
    }
    this.versionMinor = u16(Abi.VERSION_MINOR_OFFSET);
    long headerSizeField = u32(Abi.HEADER_SIZE_OFFSET);
    this.segmentSize = buffer.getLong(Abi.SEGMENT_SIZE_OFFSET);
    if (segmentSize != fileSize) {
      throw invalid("segment_size %s does not match the file size %d",
          Long.toUnsignedString(segmentSize), fileSize);
    }
    if (headerSizeField < Abi.HEADER_STRUCT_SIZE || headerSizeField > fileSize) {
      throw invalid("header_size %d outside [%d, %d]", headerSizeField, Abi.HEADER_STRUCT_SIZE,
          fileSize);
    }
    this.headerSize = (int) headerSizeField;
    this.creatorPid = buffer.getInt(Abi.CREATOR_PID_OFFSET);
    this.creatorUid = buffer.getInt(Abi.CREATOR_UID_OFFSET);
    this.creatorStartTicks = buffer.getLong(Abi.CREATOR_START_TICKS_OFFSET);
    this.bootId = new byte[Abi.BOOT_ID_LENGTH];
    buffer.get(Abi.BOOT_ID_OFFSET, bootId);
    this.createdUnixNanos = buffer.getLong(Abi.CREATED_UNIX_NANOS_OFFSET);

    long slotCountField = u32(Abi.SLOT_COUNT_OFFSET);
    long slotHeaderSizeField = u32(Abi.SLOT_HEADER_SIZE_OFFSET);
    long slotsOffsetField = buffer.getLong(Abi.SLOTS_OFFSET_OFFSET);
    long slotStrideField = buffer.getLong(Abi.SLOT_STRIDE_OFFSET);
    long stackDepthField = u32(Abi.STACK_DEPTH_OFFSET);
    long frameSizeField = u32(Abi.FRAME_SIZE_OFFSET);
    long ringCapacityField = u32(Abi.RING_CAPACITY_OFFSET);
    if (slotCountField < 1 || slotCountField > Abi.MAX_SLOT_COUNT) {
      throw invalid("slot_count %d outside [1, %d] (no writer makes more slots)", slotCountField,
          Abi.MAX_SLOT_COUNT);
    }
    if (slotHeaderSizeField < Abi.SLOT_HEADER_SIZE || slotHeaderSizeField % 8 != 0) {
      throw invalid("slot_header_size %d: must be >= %d and a multiple of 8", slotHeaderSizeField,
          Abi.SLOT_HEADER_SIZE);
    }
    if (slotsOffsetField < headerSizeField || slotsOffsetField > fileSize
        || slotsOffsetField % 8 != 0) {
      throw invalid("slots_offset %s: must be >= header_size %d, 8-aligned and inside the file",
          Long.toUnsignedString(slotsOffsetField), headerSizeField);
    }
    if (stackDepthField < Abi.MIN_STACK_DEPTH || stackDepthField > Abi.MAX_STACK_DEPTH) {
      throw invalid("stack_depth %d outside [%d, %d]", stackDepthField, Abi.MIN_STACK_DEPTH,
          Abi.MAX_STACK_DEPTH);
    }
    if (frameSizeField < Abi.MIN_FRAME_SIZE || frameSizeField > Abi.MAX_FRAME_SIZE
        || frameSizeField % 8 != 0) {
      throw invalid("frame_size %d: must be in [%d, %d] and a multiple of 8", frameSizeField,
          Abi.MIN_FRAME_SIZE, Abi.MAX_FRAME_SIZE);
    }
    if (Long.bitCount(ringCapacityField) != 1 || ringCapacityField < 2 * frameSizeField) {
      throw invalid("ring_capacity %d: must be a power of two >= 2 * frame_size (%d)",
          ringCapacityField, 2 * frameSizeField);
    }
    long minStride = slotHeaderSizeField + stackDepthField * frameSizeField + ringCapacityField;
    if (slotStrideField < minStride || slotStrideField % 8 != 0) {
      throw invalid("slot_stride %s: must be >= %d and a multiple of 8",
          Long.toUnsignedString(slotStrideField), minStride);
    }
    // slots_offset + slot_count * slot_stride <= segment_size, without overflow.
    if (slotCountField > (fileSize - slotsOffsetField) / slotStrideField) {
      throw invalid("%d slots of %d bytes from offset %d do not fit in %d bytes", slotCountField,
          slotStrideField, slotsOffsetField, fileSize);
    }
    this.slotCount = (int) slotCountField;
    this.slotHeaderSize = (int) slotHeaderSizeField;
    this.slotsOffset = slotsOffsetField;
    this.slotStride = slotStrideField;
    this.stackDepth = (int) stackDepthField;
    this.frameSize = (int) frameSizeField;
    this.ringCapacity = (int) ringCapacityField;
    this.ringOffsetInSlot = (int) (slotHeaderSizeField + stackDepthField * frameSizeField);
  }

  /**
   * Opens, checks and maps the segment at {@code path}. Reads the header through the file, not
   * the mapping: nothing here touches mapped memory.
   *
   * @throws java.nio.file.NoSuchFileException if there is no file (yet)
   * @throws InvalidSegmentException if the file is refused; the message says why
   */
  public static Segment open(Path path) throws IOException {
    return open(path, true);
  }

  /**
   * Opens and checks the segment at {@code path} without mapping it: only the header is read.
   * The caller reads the slots with {@link #readFully} and closes the segment.
   */
  public static Segment openUnmapped(Path path) throws IOException {
    return open(path, false);
  }

  private static Segment open(Path path, boolean map) throws IOException {
    Objects.requireNonNull(path, "path");
    if (Files.isSymbolicLink(path)) {
      throw new InvalidSegmentException(path + ": is a symbolic link; refused", false);
    }
    Map<String, Object> before =
        Files.readAttributes(path, "unix:uid,mode,size,ino,dev", LinkOption.NOFOLLOW_LINKS);
    checkFile(path, before);
    FileChannel channel = map
        ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS)
        : FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    boolean keep = false;
    try {
      long size = channel.size();
      Map<String, Object> after =
          Files.readAttributes(path, "unix:uid,mode,size,ino,dev", LinkOption.NOFOLLOW_LINKS);
      if (!before.get("ino").equals(after.get("ino")) || !before.get("dev").equals(after.get("dev"))) {
        throw new InvalidSegmentException(path + ": replaced while being opened; retry", true);
      }
      checkFile(path, after);
      if (size < Abi.HEADER_SIZE) {
        // The creator sizes the file before it writes the header; a short file is not ready.
        throw new InvalidSegmentException(path + ": " + size + " bytes, shorter than a header",
            size == 0);
      }
      if (size > Integer.MAX_VALUE) {
        throw new InvalidSegmentException(path + ": " + size + " bytes; segments over 2 GiB are"
            + " not supported by this reader", false);
      }
      Source file = Source.of(channel);
      ByteBuffer header = readHeader(file, path.toString());
      Object key = after.get("ino") + ":" + after.get("dev");
      // Validate before mapping: a refused header is never mapped.
      Segment checked = new Segment(path, key, header, size, null, file);
      checked.checkCreator((Integer) after.get("uid"), "the file owner");
      if (!map) {
        keep = true;
        return checked;
      }
      MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
      mapped.order(ByteOrder.LITTLE_ENDIAN);
      // The channel is closed below: the collector thread, where a fault of the mapping may be
      // delivered late and anywhere, then never runs the file channel's bookkeeping.
      return new Segment(path, key, header, size, mapped, null);
    } finally {
      if (!keep) {
        channel.close();
      }
    }
  }

  /**
   * Opens a segment over {@code memory}, bytes this process owns (a fuzz target's input): the
   * same checks as {@link #open}, with this process as the owner and {@code memory}'s capacity
   * as the file size, the counterpart of the C reader's {@code weft_reader_open_memory}. The
   * header is validated from a private copy, as from a file. With {@code map}, the segment reads
   * (and a drainer writes) {@code memory} itself, as a mapping; without, it is unmapped and
   * {@link #readFully} copies from {@code memory}, as the file path reads with pread.
   *
   * @param memory little-endian, 8-aligned at index 0 (a direct buffer, or a slice of one at a
   *     multiple of 8), its capacity the segment's size
   * @throws InvalidSegmentException if the bytes are refused; the message says why
   * @throws IllegalArgumentException if {@code memory} is not 8-aligned or not little-endian
   */
  static Segment ofMemory(ByteBuffer memory, boolean map) throws IOException {
    Objects.requireNonNull(memory, "memory");
    if (memory.order() != ByteOrder.LITTLE_ENDIAN || memory.position() != 0
        || memory.limit() != memory.capacity() || !memory.isDirect()
        || memory.alignmentOffset(0, 8) != 0) {
      throw new IllegalArgumentException(MEMORY_NAME + ": must be a little-endian direct buffer,"
          + " 8-aligned, position 0 and limit its capacity");
    }
    int size = memory.capacity();
    if (size < Abi.HEADER_SIZE) {
      throw new InvalidSegmentException(MEMORY_NAME + ": " + size + " bytes, shorter than a"
          + " header", size == 0);
    }
    Source bytes = Source.of(memory);
    ByteBuffer header = readHeader(bytes, MEMORY_NAME);
    Object key = new Object(); // no other segment is this memory
    Segment checked = new Segment(null, key, header, size, null, bytes);
    checked.checkCreator(ownUid(), "this process's uid");
    return map ? new Segment(null, key, header, size, memory, null) : checked;
  }

  private static final String MEMORY_NAME = "segment buffer";
  /** This process's uid, read once for {@link #ofMemory}; -1 until then (no uid is -1). */
  private static volatile int ownUid = -1;

  private static int ownUid() throws IOException {
    int uid = ownUid;
    if (uid == -1) {
      uid = currentUid();
      ownUid = uid;
    }
    return uid;
  }

  /** The header's private copy, read through {@code source} (never through a mapping). */
  private static ByteBuffer readHeader(Source source, String name) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(Abi.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    readFully(source, name, header, 0);
    return header;
  }

  /** Refuses a segment whose {@code creator_uid} is not {@code owner} (the file's owner). */
  private void checkCreator(int owner, String whose) throws InvalidSegmentException {
    if (creatorUid != owner) {
      throw new InvalidSegmentException(name + ": creator_uid " + creatorUid + " is not "
          + whose + " " + owner, false);
    }
  }

  private static void readFully(Source source, String name, ByteBuffer to, long position)
      throws IOException {
    while (to.hasRemaining()) {
      if (source.read(to, position + to.position()) < 0) {
        throw new InvalidSegmentException(name + ": the file shrank while it was read"
            + " (truncated by another process?)", false);
      }
    }
    to.flip();
  }

  /** Where the bytes of an unmapped segment come from: the file (pread), or memory. */
  private interface Source extends java.io.Closeable {
    /** Reads into {@code to} from {@code position}: the bytes read, or -1 past the end. */
    int read(ByteBuffer to, long position) throws IOException;

    static Source of(FileChannel channel) {
      return new Source() {
        @Override
        public int read(ByteBuffer to, long position) throws IOException {
          return channel.read(to, position);
        }

        @Override
        public void close() throws IOException {
          channel.close();
        }
      };
    }

    /** Copies from {@code memory}, which the caller owns (closing it does nothing). */
    static Source of(ByteBuffer memory) {
      return new Source() {
        @Override
        public int read(ByteBuffer to, long position) {
          if (position >= memory.capacity()) {
            return -1;
          }
          int length = (int) Math.min(to.remaining(), memory.capacity() - position);
          to.put(to.position(), memory, (int) position, length);
          to.position(to.position() + length);
          return length;
        }

        @Override
        public void close() {}
      };
    }
  }

  /**
   * Reads {@code to.remaining()} bytes at {@code position} of the file (not the mapping) and
   * flips {@code to}.
   *
   * @throws InvalidSegmentException if the file is now shorter
   */
  public void readFully(ByteBuffer to, long position) throws IOException {
    if (source == null) {
      throw new IllegalStateException("a mapped segment is read through its mapping");
    }
    readFully(source, name, to, position);
  }

  /**
   * The size now of the file this segment maps (stat of the path): smaller than
   * {@link #segmentSize} once it was truncated. If the path now names another file, or none,
   * the size of ours cannot be known: then {@link #segmentSize}.
   */
  public long fileSizeNow() throws IOException {
    if (path == null) {
      return segmentSize; // memory this process owns does not shrink
    }
    Map<String, Object> now;
    try {
      now = Files.readAttributes(path, "unix:size,ino,dev", LinkOption.NOFOLLOW_LINKS);
    } catch (java.nio.file.NoSuchFileException e) {
      return segmentSize;
    }
    if (!fileKey.equals(now.get("ino") + ":" + now.get("dev"))) {
      return segmentSize;
    }
    return (Long) now.get("size");
  }

  /**
   * Throws if the file is now shorter than the mapping: what was just read from the mapping may
   * be what faulting accesses left behind, not the file's bytes (see {@link Faults}).
   *
   * @throws InternalError as the JVM does for a fault in mapped memory
   */
  public void requireWhole() {
    long size;
    try {
      size = fileSizeNow();
    } catch (IOException e) {
      throw new InternalError(name + ": cannot check the segment's size", e);
    }
    if (size < segmentSize) {
      throw new InternalError(name + ": truncated to " + size + " bytes under its mapping");
    }
  }

  /** Closes the file; the mapping, if any, stays valid until it is collected. */
  @Override
  public void close() throws IOException {
    if (source != null) {
      source.close();
    }
  }

  private static void checkFile(Path path, Map<String, Object> attributes)
      throws IOException {
    int mode = (Integer) attributes.get("mode");
    if ((mode & 0170000) != 0100000) {
      throw new InvalidSegmentException(path + ": not a regular file; refused", false);
    }
    int owner = (Integer) attributes.get("uid");
    int self = currentUid();
    if (owner != self) {
      throw new InvalidSegmentException(path + ": owned by uid " + owner + ", not by this"
          + " process's uid " + self + "; refused", false);
    }
    if ((mode & 077) != 0) {
      throw new InvalidSegmentException(String.format(
          "%s: mode %04o gives access to group or others; refused (must be 0600)", path,
          mode & 07777), false);
    }
  }

  /** The effective uid of this process: the owner of /proc/self. */
  static int currentUid() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  private InvalidSegmentException invalid(String format, Object... args) {
    return new InvalidSegmentException(name + ": " + String.format(format, args), false);
  }

  private int u16(int offset) {
    return Short.toUnsignedInt(header.getShort(offset));
  }

  private long u32(int offset) {
    return Integer.toUnsignedLong(header.getInt(offset));
  }

  // ------------------------------------------------------------ accessors

  /** The file; null for a segment in memory ({@link #ofMemory}). */
  @Nullable
  public Path path() {
    return path;
  }

  /** Identity of the file (inode and device), to notice that the path now names another file. */
  public Object fileKey() {
    return fileKey;
  }

  /**
   * The identity of the file at {@code path} now, comparable with {@link #fileKey()} (inode and
   * device), or null if there is none.
   */
  @Nullable
  public static Object fileKeyAt(Path path) throws IOException {
    try {
      Map<String, Object> now =
          Files.readAttributes(path, "unix:ino,dev", LinkOption.NOFOLLOW_LINKS);
      return now.get("ino") + ":" + now.get("dev");
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** The mapped bytes, little-endian, or null if unmapped. Never changes position or limit. */
  @Nullable
  ByteBuffer buffer() {
    return buffer;
  }

  /** True if the segment is mapped (opened with {@link #open}). */
  public boolean isMapped() {
    return buffer != null;
  }

  int slotHeaderSize() {
    return slotHeaderSize;
  }

  /** Bytes from a slot's start to its ring: slot header and frames. */
  int ringOffsetInSlot() {
    return ringOffsetInSlot;
  }

  public int versionMinor() {
    return versionMinor;
  }

  public int headerSize() {
    return headerSize;
  }

  public long segmentSize() {
    return segmentSize;
  }

  public int creatorPid() {
    return creatorPid;
  }

  public int creatorUid() {
    return creatorUid;
  }

  public long creatorStartTicks() {
    return creatorStartTicks;
  }

  public byte[] bootId() {
    return bootId.clone();
  }

  public long createdUnixNanos() {
    return createdUnixNanos;
  }

  public int slotCount() {
    return slotCount;
  }

  public int stackDepth() {
    return stackDepth;
  }

  public int frameSize() {
    return frameSize;
  }

  public int ringCapacity() {
    return ringCapacity;
  }

  /** Segment state, acquire (unmapped: as read at open): 0 initialising, 1 live, 2 closed. */
  public int state() {
    return buffer == null ? header.getInt(Abi.STATE_OFFSET)
        : (int) INTS.getAcquire(buffer, Abi.STATE_OFFSET);
  }

  /** Relaxed read of the header's dropped_no_slot counter (unmapped: as read at open). */
  public long droppedNoSlot() {
    return buffer == null ? header.getLong(Abi.DROPPED_NO_SLOT_OFFSET)
        : (long) LONGS.getOpaque(buffer, Abi.DROPPED_NO_SLOT_OFFSET);
  }

  /** Acquire: the scope entries below the count are complete (unmapped: as read at open). */
  int scopeCountAcquire() {
    return buffer == null ? header.getInt(Abi.SCOPE_COUNT_OFFSET)
        : (int) INTS.getAcquire(buffer, Abi.SCOPE_COUNT_OFFSET);
  }

  String scopeName(int index) {
    ByteBuffer from = buffer == null ? header : buffer;
    int base = Abi.SCOPES_OFFSET + index * Abi.SCOPE_SIZE;
    int length = Math.min(Short.toUnsignedInt(from.getShort(base + Abi.SCOPE_NAME_LENGTH_OFFSET)),
        Abi.SCOPE_NAME_MAX);
    return utf8(from, base + Abi.SCOPE_NAME_OFFSET, length);
  }

  String scopeVersion(int index) {
    ByteBuffer from = buffer == null ? header : buffer;
    int base = Abi.SCOPES_OFFSET + index * Abi.SCOPE_SIZE;
    int length = Math.min(
        Short.toUnsignedInt(from.getShort(base + Abi.SCOPE_VERSION_LENGTH_OFFSET)),
        Abi.SCOPE_VERSION_MAX);
    return utf8(from, base + Abi.SCOPE_VERSION_OFFSET, length);
  }

  private static String utf8(ByteBuffer from, int offset, int length) {
    byte[] bytes = new byte[length];
    from.get(offset, bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Offset of slot {@code index} (0 &lt;= index &lt; slotCount) from the segment start. */
  int slotBase(int index) {
    return (int) (slotsOffset + index * slotStride);
  }

  int frameBase(int slotBase, int frame) {
    return slotBase + slotHeaderSize + frame * frameSize;
  }

  int ringBase(int slotBase) {
    return slotBase + ringOffsetInSlot;
  }

  /** Slot state, acquire: publishes generation, tid and thread name. */
  int slotStateAcquire(int slotBase) {
    return (int) INTS.getAcquire(buffer, slotBase + Abi.SLOT_STATE_OFFSET);
  }

  int slotGeneration(int slotBase) {
    return buffer.getInt(slotBase + Abi.SLOT_GENERATION_OFFSET);
  }

  int slotTid(int slotBase) {
    return buffer.getInt(slotBase + Abi.SLOT_TID_OFFSET);
  }

  /** Depth, acquire: publishes frames [0, depth). */
  int slotDepthAcquire(int slotBase) {
    return (int) INTS.getAcquire(buffer, slotBase + Abi.SLOT_DEPTH_OFFSET);
  }

  /** Tail, acquire: publishes the records in [old tail, tail) and the counters. */
  long tailAcquire(int slotBase) {
    return (long) LONGS.getAcquire(buffer, slotBase + Abi.SLOT_TAIL_OFFSET);
  }

  /** Head, acquire: used once, when the reader attaches, to start where the last reader stopped. */
  long headAcquire(int slotBase) {
    return (long) LONGS.getAcquire(buffer, slotBase + Abi.SLOT_HEAD_OFFSET);
  }

  /** Head, release: the records before {@code head} have been copied out; the producer may reuse. */
  void headRelease(int slotBase, long head) {
    LONGS.setRelease(buffer, slotBase + Abi.SLOT_HEAD_OFFSET, head);
  }

  /**
   * Read position, release (1.1): the records in {@code [head, position)} were read and handed
   * to an exporter, not yet acknowledged. Published before they are exported.
   */
  void readPositionRelease(int slotBase, long position) {
    LONGS.setRelease(buffer, slotBase + Abi.SLOT_READ_POSITION_OFFSET, position);
  }

  /** Read position, acquire: where the previous reader's unacknowledged reads ended. */
  long readPositionAcquire(int slotBase) {
    return (long) LONGS.getAcquire(buffer, slotBase + Abi.SLOT_READ_POSITION_OFFSET);
  }

  /**
   * The lease and state words through this segment's mapping (null if unmapped: then
   * {@link HeaderWords#mapHeader}).
   */
  @Nullable
  HeaderWords headerWords() {
    return buffer == null ? null : new HeaderWords(path, fileKey, buffer);
  }

  /** Fence, acquire (1.1): 1 once recording is fenced. */
  public int fence() {
    return (int) INTS.getAcquire(buffer, Abi.FENCE_OFFSET);
  }

  /** Closes the fence (release): writers that end a span after seeing it count it as dropped. */
  public void closeFence() {
    INTS.setRelease(buffer, Abi.FENCE_OFFSET, Abi.FENCE_CLOSED);
  }

  /** Stores the segment state, release (the collector's CLOSED at a clean exit). */
  public void stateRelease(int state) {
    INTS.setRelease(buffer, Abi.STATE_OFFSET, state);
  }

  /** Relaxed (opaque) read of a slot counter, exact once the slot is quiescent. */
  long slotCounter(int slotBase, int counterOffset) {
    return (long) LONGS.getOpaque(buffer, slotBase + counterOffset);
  }

  int getInt(int offset) {
    return buffer.getInt(offset);
  }

  int getUnsignedShort(int offset) {
    return Short.toUnsignedInt(buffer.getShort(offset));
  }

  void copy(int offset, byte[] destination, int length) {
    buffer.get(offset, destination, 0, length);
  }
}
