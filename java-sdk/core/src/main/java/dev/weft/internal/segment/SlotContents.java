package dev.weft.internal.segment;

import dev.weft.internal.decode.SpanDecoder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.annotation.concurrent.Immutable;

/**
 * One slot of a segment read without side effects: its header words, the finished spans still in
 * its ring ({@code [head, tail)}, never acknowledged, so never exported by a collector) and the
 * spans open in its frames. Read through positional reads of the file into private buffers
 * ({@link Segment#openUnmapped}), never through a mapping and never writing: this is what
 * {@code weft dump}, {@code weft stats} and crash recovery read, and reading it changes nothing
 * (docs/shm-abi.md "Names and a dead creator's segment": inspection is read-only).
 *
 * <p>The ring is walked with the consumer rules of docs/shm-abi.md "The ring" (the same checks as
 * {@link SegmentDrainer}): every step moves forward by at least 8 bytes inside a range checked
 * first, so a hostile slot costs at most {@code ring_capacity / 8} steps. What one slot holds is
 * bounded by its ring capacity and frames, so a caller that handles one slot at a time holds at
 * most one slot's spans.
 */
@Immutable
public final class SlotContents {
  public final int slot;
  public final int state;
  public final int generation;
  public final int tid;
  public final int depth;
  public final String threadName;
  public final long head;
  public final long tail;
  /** 1.1: the end of what a consumer read and handed to an exporter (0 in a 1.0 segment). */
  public final long readPosition;
  public final long spansCommitted;
  public final long droppedRingFull;
  public final long droppedReentrant;
  public final long droppedTooDeep;
  public final long droppedShutdown;
  /** 1.1: the end time of the last span ended on the slot (0 when unknown). */
  public final long lastEndUnixNanos;
  /** The finished spans in {@code [head, tail)}, in ring order. */
  public final List<SpanData> finished;
  /**
   * How many of {@link #finished} lie before {@link #readPosition}: read and handed to an
   * exporter by a collector that never had them acknowledged, so they may have reached the
   * backend already (exporting them again may duplicate them).
   */
  public final long finishedAlreadyRead;
  /** The spans open in frames {@code [0, depth)} (only for an ACTIVE slot), outermost first. */
  public final List<SpanData> open;
  /** Records in the ring that did not validate (and positions no writer produces). */
  public final long corruptRecords;
  /** Records of a type this reader does not know, skipped. */
  public final long unknownRecords;
  /** Frames that did not validate (see {@link FrameReader}). */
  public final long corruptFrames;

  private SlotContents(Builder b) {
    this.slot = b.slot;
    this.state = b.state;
    this.generation = b.generation;
    this.tid = b.tid;
    this.depth = b.depth;
    this.threadName = b.threadName;
    this.head = b.head;
    this.tail = b.tail;
    this.readPosition = b.readPosition;
    this.spansCommitted = b.spansCommitted;
    this.droppedRingFull = b.droppedRingFull;
    this.droppedReentrant = b.droppedReentrant;
    this.droppedTooDeep = b.droppedTooDeep;
    this.droppedShutdown = b.droppedShutdown;
    this.lastEndUnixNanos = b.lastEnd;
    this.finished = Collections.unmodifiableList(b.finished);
    this.finishedAlreadyRead = b.finishedAlreadyRead;
    this.open = Collections.unmodifiableList(b.open);
    this.corruptRecords = b.corrupt;
    this.unknownRecords = b.unknown;
    this.corruptFrames = b.corruptFrames;
  }

  /**
   * The latest time this slot shows activity: {@code last_end_unix_nanos} and every start and
   * event time of the spans open in its frames. The post-mortem end time of those open spans
   * (docs/shm-abi.md, slot field {@code last_end_unix_nanos}).
   */
  public long lastActivityUnixNanos() {
    long latest = lastEndUnixNanos;
    for (SpanData span : open) {
      latest = Math.max(latest, span.getStartEpochNanos());
      for (EventData event : span.getEvents()) {
        latest = Math.max(latest, event.getEpochNanos());
      }
    }
    return latest;
  }

  /** Receives the slots of a segment one at a time. */
  public interface Visitor {
    void visit(SlotContents slot) throws IOException;
  }

  /**
   * Reads every slot of {@code segment} (opened with {@link Segment#openUnmapped}), one at a time,
   * decoding spans under {@code resource}. Slots that were never claimed (FREE, nothing in the
   * ring) are skipped.
   *
   * @throws InvalidSegmentException if the file shrank while it was read
   */
  public static void forEachSlot(Segment segment, Resource resource, Visitor visitor)
      throws IOException {
    if (segment.isMapped()) {
      throw new IllegalArgumentException("read-only contents are read from an unmapped segment");
    }
    ScopeTable scopes = new ScopeTable(segment);
    scopes.refresh();
    SpanDecoder decoder = new SpanDecoder();
    byte[] scratch = new byte[segment.frameSize()];
    ByteBuffer slotHeader =
        ByteBuffer.allocate(segment.slotHeaderSize()).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer frames = null;
    ByteBuffer ring = null;
    long capacity = segment.ringCapacity();
    for (int slot = 0; slot < segment.slotCount(); slot++) {
      long base = segment.slotBase(slot);
      slotHeader.clear();
      segment.readFully(slotHeader, base);
      Builder b = new Builder(slot, slotHeader);
      if (b.state == Abi.SLOT_FREE && b.head == b.tail && b.spansCommitted == 0) {
        continue;
      }
      SpanDecoder.Origin origin = new SpanDecoder.Origin(resource, scopes, b.threadName);
      if (b.state == Abi.SLOT_ACTIVE) {
        int used = Integer.compareUnsigned(b.depth, segment.stackDepth()) > 0
            ? segment.stackDepth() : b.depth;
        if (frames == null) {
          frames = ByteBuffer.allocate(segment.ringOffsetInSlot()).order(ByteOrder.LITTLE_ENDIAN);
        }
        frames.clear().limit(segment.slotHeaderSize() + used * segment.frameSize());
        segment.readFully(frames, base);
        frames.limit(frames.capacity());
        long[] corrupt = new long[2];
        List<FrameSpan> found = new ArrayList<>();
        FrameReader.read(frames, 0, segment, b.depth, scratch, decoder, origin, slot, found,
            corrupt);
        for (FrameSpan f : found) {
          b.open.add(f.span);
        }
        b.corruptFrames = corrupt[1];
      }
      long head = b.head;
      long tail = b.tail;
      if (head != tail) {
        if (((head | tail) & 7) != 0 || Long.compareUnsigned(tail, head) < 0
            || tail - head > capacity) {
          b.corrupt++; // positions no writer produces: what they enclose is lost
        } else {
          if (ring == null) {
            ring = ByteBuffer.allocate((int) capacity).order(ByteOrder.LITTLE_ENDIAN);
          }
          ring.clear();
          segment.readFully(ring, base + segment.ringOffsetInSlot());
          walkRing(ring, capacity, head, tail, scratch, decoder, origin, b);
        }
      }
      visitor.visit(new SlotContents(b));
    }
  }

  private static void walkRing(ByteBuffer ring, long capacity, long head, long tail,
      byte[] scratch, SpanDecoder decoder, SpanDecoder.Origin origin, Builder b) {
    long mask = capacity - 1;
    // read_position counts only where a reader can have left it: in [head, tail]
    long read = b.readPosition - head >= 0 && tail - b.readPosition >= 0 ? b.readPosition : head;
    while (head != tail) {
      int index = (int) (head & mask);
      long contiguous = Math.min(tail - head, capacity - index);
      if (contiguous < Abi.RECORD_HEADER_SIZE) {
        b.corrupt++;
        return;
      }
      long length = Integer.toUnsignedLong(ring.getInt(index + Abi.RECORD_LENGTH_OFFSET));
      int type = Short.toUnsignedInt(ring.getShort(index + Abi.RECORD_TYPE_OFFSET));
      long aligned = Abi.align8(length);
      if (length < Abi.RECORD_HEADER_SIZE || aligned > contiguous) {
        b.corrupt++; // framing lost
        return;
      }
      if (type == Abi.RECORD_SPAN) {
        SpanData span = null;
        if (length <= scratch.length) {
          ring.get(index, scratch, 0, (int) length);
          span = decoder.decode(scratch, (int) length, origin, false);
        }
        if (span == null) {
          b.corrupt++;
        } else {
          b.finished.add(span);
          if (head - read < 0) {
            b.finishedAlreadyRead++;
          }
        }
      } else if (type == Abi.RECORD_PADDING) {
        if (length != capacity - index) {
          b.corrupt++;
        }
      } else {
        b.unknown++;
      }
      head += aligned;
    }
  }

  private static final class Builder {
    final int slot;
    final int state;
    final int generation;
    final int tid;
    final int depth;
    final String threadName;
    final long head;
    final long tail;
    final long readPosition;
    final long spansCommitted;
    final long droppedRingFull;
    final long droppedReentrant;
    final long droppedTooDeep;
    final long droppedShutdown;
    final long lastEnd;
    final List<SpanData> finished = new ArrayList<>();
    long finishedAlreadyRead;
    final List<SpanData> open = new ArrayList<>();
    long corrupt;
    long unknown;
    long corruptFrames;

    Builder(int slot, ByteBuffer h) {
      this.slot = slot;
      this.state = h.getInt(Abi.SLOT_STATE_OFFSET);
      this.generation = h.getInt(Abi.SLOT_GENERATION_OFFSET);
      this.tid = h.getInt(Abi.SLOT_TID_OFFSET);
      this.depth = h.getInt(Abi.SLOT_DEPTH_OFFSET);
      byte[] name = new byte[Abi.SLOT_THREAD_NAME_LENGTH];
      h.get(Abi.SLOT_THREAD_NAME_OFFSET, name);
      int n = 0;
      while (n < name.length && name[n] != 0) {
        n++;
      }
      this.threadName = new String(name, 0, n, StandardCharsets.UTF_8);
      this.head = h.getLong(Abi.SLOT_HEAD_OFFSET);
      this.tail = h.getLong(Abi.SLOT_TAIL_OFFSET);
      this.readPosition = h.getLong(Abi.SLOT_READ_POSITION_OFFSET);
      this.spansCommitted = h.getLong(Abi.SLOT_SPANS_COMMITTED_OFFSET);
      this.droppedRingFull = h.getLong(Abi.SLOT_DROPPED_RING_FULL_OFFSET);
      this.droppedReentrant = h.getLong(Abi.SLOT_DROPPED_REENTRANT_OFFSET);
      this.droppedTooDeep = h.getLong(Abi.SLOT_DROPPED_TOO_DEEP_OFFSET);
      this.droppedShutdown = h.getLong(Abi.SLOT_DROPPED_SHUTDOWN_OFFSET);
      this.lastEnd = h.getLong(Abi.SLOT_LAST_END_OFFSET);
    }
  }
}
