package dev.weft.internal.segment;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a segment exactly as docs/shm-abi.md describes it: header (magic release-stored last),
 * slots, rings with padding records on wrap, frames and counters. The producer side of "The
 * ring" is followed step by step, including the drop on a full ring. Used by the tests, and by
 * the collector's warm-up ({@code dev.weft.internal.WarmUp}), which drives the real collector
 * over a private segment written with it.
 */
public final class SegmentWriter implements AutoCloseable {
  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  public static final long MAGIC = 0x004D485354464557L;

  private final Path path;
  private final MappedByteBuffer buffer;
  private final int slotCount;
  private final int stackDepth;
  private final int frameSize;
  private final int ringCapacity;
  private final long slotStride;
  private final long[] headCache;
  private final int headerSize;

  /** Layout parameters; defaults are small. */
  public static final class Layout {
    public int slotCount = 2;
    public int stackDepth = 4;
    public int frameSize = 512;
    public int ringCapacity = 4096;
    /** Default: this process, alive (so a collector does not take the segment for a dead one's). */
    public int pid = (int) ProcessHandle.current().pid();
    public long startTicks = Math.max(0, dev.weft.internal.segment.ProcessLiveness.startTicks(pid));
    public byte[] bootId = currentBoot();
    public String permissions = "rw-------";
    public boolean publishMagic = true;
    /** 4096, or 8192 (ABI 1.1) to leave room for a RESOURCE record at 4096. */
    public int headerSize = 4096;

    /** ABI 1.1: an 8192-byte header, with room for a RESOURCE record ({@link #writeResource}). */
    public Layout withResourceArea() {
      headerSize = 8192;
      return this;
    }

    private static byte[] currentBoot() {
      byte[] boot = dev.weft.internal.segment.ProcessLiveness.currentBootId();
      return boot != null ? boot : new byte[16];
    }

    /** A creator that is not running (a pid no process has, this boot). */
    public Layout deadCreator() {
      pid = Integer.MAX_VALUE - 1;
      startTicks = 1;
      return this;
    }

    public Layout slots(int n) {
      slotCount = n;
      return this;
    }

    public Layout ring(int bytes) {
      ringCapacity = bytes;
      return this;
    }

    public Layout frames(int depth, int size) {
      stackDepth = depth;
      frameSize = size;
      return this;
    }
  }

  private SegmentWriter(Path path, MappedByteBuffer buffer, Layout layout, long slotStride) {
    this.path = path;
    this.buffer = buffer;
    this.slotCount = layout.slotCount;
    this.stackDepth = layout.stackDepth;
    this.frameSize = layout.frameSize;
    this.ringCapacity = layout.ringCapacity;
    this.slotStride = slotStride;
    this.headCache = new long[slotCount];
    this.headerSize = layout.headerSize;
  }

  public static SegmentWriter create(Path path) throws IOException {
    return create(path, new Layout());
  }

  public static SegmentWriter create(Path path, Layout layout) throws IOException {
    long minStride = 512L + (long) layout.stackDepth * layout.frameSize + layout.ringCapacity;
    long stride = (minStride + 4095) / 4096 * 4096;
    long size = layout.headerSize + layout.slotCount * stride;
    Files.deleteIfExists(path);
    Files.createFile(path, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    if (!layout.permissions.equals("rw-------")) {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(layout.permissions));
    }
    MappedByteBuffer buffer;
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      channel.truncate(size);
      buffer = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
    }
    buffer.order(ByteOrder.LITTLE_ENDIAN);
    int uid = (Integer) Files.getAttribute(path, "unix:uid");
    buffer.putShort(8, (short) 1).putShort(10, (short) (layout.headerSize > 4096 ? 1 : 0))
        .putInt(12, layout.headerSize).putLong(16, size)
        .putInt(24, 0x01020304).putInt(32, layout.pid).putInt(36, uid)
        .putLong(40, layout.startTicks).putLong(64, 1_700_000_000_000_000_000L)
        .putInt(72, layout.slotCount).putInt(76, 512).putLong(80, layout.headerSize)
        .putLong(88, stride)
        .putInt(96, layout.stackDepth).putInt(100, layout.frameSize)
        .putInt(104, layout.ringCapacity).putShort(108, (short) 256).putShort(110, (short) 128)
        .putShort(112, (short) 1024);
    buffer.put(48, layout.bootId);
    INTS.setRelease(buffer, 28, 1); // LIVE
    SegmentWriter writer = new SegmentWriter(path, buffer, layout, stride);
    if (layout.publishMagic) {
      writer.publishMagic();
    }
    return writer;
  }

  /** Release-stores the magic: the header is complete. */
  public void publishMagic() {
    LONGS.setRelease(buffer, 0, MAGIC);
  }

  public Path path() {
    return path;
  }

  public MappedByteBuffer buffer() {
    return buffer;
  }

  public int ringCapacity() {
    return ringCapacity;
  }

  public void setState(int state) {
    INTS.setRelease(buffer, 28, state);
  }

  /** Registers a scope the way weft_init does: entry first, then the count (release). */
  public int registerScope(String name, String version) {
    int index = (int) INTS.getAcquire(buffer, 116);
    int base = 256 + index * 232;
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    byte[] v = version.getBytes(StandardCharsets.UTF_8);
    buffer.putShort(base, (short) n.length).putShort(base + 2, (short) v.length);
    buffer.put(base + 8, n).put(base + 168, v);
    INTS.setRelease(buffer, 116, index + 1);
    return index;
  }

  public void addDroppedNoSlot(long n) {
    LONGS.getAndAdd(buffer, 120, n);
  }

  /**
   * ABI 1.1: writes {@code record} (a RESOURCE record, or any bytes for hostile cases) at 4096 and
   * points {@code resource_offset}/{@code resource_length} at it (before the magic in a real
   * writer; tests may call it at any time).
   */
  public void writeResource(byte[] record) {
    buffer.put(4096, record);
    buffer.putInt(152, 4096).putInt(156, record.length);
  }

  /** Stores the header's lease words (ABI 1.1). */
  public void setLease(long owner, long heartbeatUnixNanos) {
    buffer.putLong(136, heartbeatUnixNanos);
    LONGS.setRelease(buffer, 128, owner);
  }

  public long leaseOwner() {
    return (long) LONGS.getAcquire(buffer, 128);
  }

  public int state() {
    return (int) INTS.getAcquire(buffer, 28);
  }

  public int slotBase(int slot) {
    return (int) (headerSize + slot * slotStride);
  }

  public int ringBase(int slot) {
    return slotBase(slot) + 512 + stackDepth * frameSize;
  }

  /** Claims a slot: generation + 1, tid, name, then state ACTIVE (release). */
  public void claimSlot(int slot, int tid, String threadName) {
    int base = slotBase(slot);
    buffer.putInt(base + 4, buffer.getInt(base + 4) + 1);
    buffer.putInt(base + 8, tid);
    byte[] name = new byte[16];
    byte[] bytes = threadName.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(bytes, 0, name, 0, Math.min(15, bytes.length));
    buffer.put(base + 16, name);
    INTS.setRelease(buffer, base, 1);
  }

  public void releaseSlot(int slot) {
    INTS.setRelease(buffer, slotBase(slot), 2);
  }

  public long tail(int slot) {
    return (long) LONGS.getAcquire(buffer, slotBase(slot) + 128);
  }

  public long head(int slot) {
    return (long) LONGS.getAcquire(buffer, slotBase(slot) + 256);
  }

  /** Whether {@code length} bytes fit in the slot's ring now, wrap padding included. */
  public boolean hasRoom(int slot, int length) {
    int base = slotBase(slot);
    long tail = buffer.getLong(base + 128);
    return tail + footprint(tail, length) - (long) LONGS.getAcquire(buffer, base + 256)
        <= ringCapacity;
  }

  /** Ring bytes a record of {@code length} takes at {@code tail}: padding to the end if it wraps. */
  private long footprint(long tail, int length) {
    long need = align8(length);
    long toEnd = ringCapacity - (tail & (ringCapacity - 1));
    return need + (need > toEnd ? toEnd : 0);
  }

  /**
   * Appends a record to a slot's ring following the producer steps of the ABI: wrap with a
   * padding record when it does not fit before the end, drop and count when the ring is full.
   *
   * @return true if committed
   */
  public boolean append(int slot, byte[] record) {
    int base = slotBase(slot);
    long tail = buffer.getLong(base + 128);
    long need = align8(record.length);
    int index = (int) (tail & (ringCapacity - 1));
    long toEnd = ringCapacity - index;
    boolean wrap = need > toEnd;
    long total = footprint(tail, record.length);
    if (tail + total - headCache[slot] > ringCapacity) {
      headCache[slot] = (long) LONGS.getAcquire(buffer, base + 256);
      if (tail + total - headCache[slot] > ringCapacity) {
        buffer.putLong(base + 144, buffer.getLong(base + 144) + 1);
        return false;
      }
    }
    int ring = ringBase(slot);
    if (wrap) {
      buffer.putInt(ring + index, (int) toEnd).putShort(ring + index + 4, (short) 2)
          .putShort(ring + index + 6, (short) 8);
      tail += toEnd;
      index = 0;
    }
    buffer.put(ring + index, record);
    for (int i = record.length; i < need; i++) {
      buffer.put(ring + index + i, (byte) 0);
    }
    if (record.length >= 6 && (record[4] & 0xff) == 1) {
      buffer.putLong(base + 136, buffer.getLong(base + 136) + 1);
    }
    LONGS.setRelease(buffer, base + 128, tail + need);
    return true;
  }

  /** Writes raw bytes at a ring position without any checks (for corrupt cases). */
  public void appendRaw(int slot, byte[] bytes) {
    int base = slotBase(slot);
    long tail = buffer.getLong(base + 128);
    int index = (int) (tail & (ringCapacity - 1));
    buffer.put(ringBase(slot) + index, bytes);
    LONGS.setRelease(buffer, base + 128, tail + align8(bytes.length));
  }

  public void setTail(int slot, long tail) {
    LONGS.setRelease(buffer, slotBase(slot) + 128, tail);
  }

  public void setHead(int slot, long head) {
    LONGS.setRelease(buffer, slotBase(slot) + 256, head);
  }

  public void setCounter(int slot, int offset, long value) {
    buffer.putLong(slotBase(slot) + offset, value);
  }

  /** Writes a record into frame {@code depthIndex} of a slot. */
  public void writeFrame(int slot, int depthIndex, byte[] record) {
    buffer.put(slotBase(slot) + 512 + depthIndex * frameSize, record);
  }

  public void setDepth(int slot, int depth) {
    INTS.setRelease(buffer, slotBase(slot) + 12, depth);
  }

  public static long align8(long n) {
    return (n + 7) & ~7L;
  }

  @Override
  public void close() {
    // The mapping is released with the buffer; nothing else to do.
  }
}
