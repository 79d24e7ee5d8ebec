package dev.weft.internal.segment;

import dev.weft.internal.Counters;
import dev.weft.internal.decode.SpanDecoder;
import dev.weft.internal.decode.SpanSink;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import javax.annotation.Nullable;

/**
 * Drains the rings of one segment (the consumer side of docs/shm-abi.md "The ring"), and reads
 * its frames for the post-mortem view. Owned by one thread.
 *
 * <p>Termination: each step moves {@code head} forward by at least 8 bytes towards a
 * {@code tail} that was checked to be at most {@code ring_capacity} ahead, or jumps to
 * {@code tail}; a pass over a slot therefore reads at most {@code ring_capacity / 8} records.
 */
public final class SegmentDrainer {
  /** Release the head to the producer at least this often within a long pass. */
  private static final int HEAD_RELEASE_INTERVAL = 256;

  private final Segment segment;
  private final SpanDecoder decoder;
  private final Counters counters;
  private final ScopeTable scopes;
  private final long[] heads;
  private final int[] generations;
  private final byte[][] threadNameBytes;
  private final SpanDecoder.Origin[] origins;
  private final byte[] scratch;
  private final byte[] nameScratch = new byte[Abi.SLOT_THREAD_NAME_LENGTH];
  private final long capacity;
  private final long mask;

  public SegmentDrainer(Segment segment, Resource resource, Counters counters) {
    this.segment = segment;
    this.decoder = new SpanDecoder();
    this.scopes = new ScopeTable(segment);
    this.counters = counters;
    int slots = segment.slotCount();
    this.heads = new long[slots];
    this.generations = new int[slots];
    this.threadNameBytes = new byte[slots][];
    this.origins = new SpanDecoder.Origin[slots];
    for (int i = 0; i < slots; i++) {
      // Start where the previous reader (if any) stopped; a hostile value is caught by the
      // distance check in drainSlot.
      heads[i] = segment.headAcquire(segment.slotBase(i));
      origins[i] = new SpanDecoder.Origin(resource, scopes, null);
    }
    this.scratch = new byte[segment.frameSize()];
    this.capacity = segment.ringCapacity();
    this.mask = capacity - 1;
  }

  public Segment segment() {
    return segment;
  }

  /**
   * One pass over every slot.
   *
   * @return the number of records consumed (0 when every ring was empty)
   */
  public int drain(SpanSink sink) {
    scopes.refresh();
    int work = 0;
    for (int slot = 0; slot < heads.length; slot++) {
      int base = segment.slotBase(slot);
      // acquire: the records in [head, tail) and the counters before them are visible.
      long tail = segment.tailAcquire(base);
      long head = heads[slot];
      if (tail != head) {
        refreshThread(slot, base);
        work += drainSlot(slot, base, head, tail, sink);
      }
    }
    return work;
  }

  /** True if every ring is empty as of now (used to finish a close). */
  public boolean isEmpty() {
    for (int slot = 0; slot < heads.length; slot++) {
      if (segment.tailAcquire(segment.slotBase(slot)) != heads[slot]) {
        return false;
      }
    }
    return true;
  }

  private int drainSlot(int slot, int base, long head, long tail, SpanSink sink) {
    long drained = 0;
    long corrupt = 0;
    long unknown = 0;
    int records = 0;
    if (Long.compareUnsigned(tail - head, capacity) > 0 || (head & 7) != 0) {
      // The positions are inconsistent: resynchronise at tail.
      corrupt++;
      head = tail;
    }
    int ring = segment.ringBase(base);
    SpanDecoder.Origin origin = origins[slot];
    while (head != tail) {
      int index = (int) (head & mask);
      long contiguous = Math.min(tail - head, capacity - index);
      if (contiguous < Abi.RECORD_HEADER_SIZE) {
        corrupt++;
        head = tail;
        break;
      }
      long length = Integer.toUnsignedLong(segment.getInt(ring + index + Abi.RECORD_LENGTH_OFFSET));
      int type = segment.getUnsignedShort(ring + index + Abi.RECORD_TYPE_OFFSET);
      long aligned = Abi.align8(length);
      if (length < Abi.RECORD_HEADER_SIZE || aligned > contiguous) {
        // Framing lost: nothing after this point can be trusted.
        corrupt++;
        head = tail;
        break;
      }
      if (type == Abi.RECORD_SPAN) {
        if (!sink.canAccept()) {
          break; // back-pressure: the record stays in the ring
        }
        SpanData span = null;
        if (length <= scratch.length) {
          // Copy out once; the decoder validates the private copy.
          segment.copy(ring + index, scratch, (int) length);
          span = decoder.decode(scratch, (int) length, origin, false);
        }
        if (span == null) {
          corrupt++;
        } else {
          drained++;
          sink.accept(span);
        }
      } else if (type != Abi.RECORD_PADDING) {
        unknown++;
      }
      head += aligned;
      if (++records % HEAD_RELEASE_INTERVAL == 0) {
        segment.headRelease(base, head);
      }
    }
    heads[slot] = head;
    // release: the records before head have been copied out; the producer may overwrite them.
    segment.headRelease(base, head);
    counters.drained(drained, corrupt, unknown);
    return records + (int) Math.min(corrupt, 1);
  }

  private void refreshThread(int slot, int base) {
    // Read after tail (acquire): a new owner wrote its name before its first tail release.
    segment.slotStateAcquire(base);
    int generation = segment.slotGeneration(base);
    byte[] cached = threadNameBytes[slot];
    if (cached != null && generation == generations[slot]) {
      return;
    }
    generations[slot] = generation;
    segment.copy(base + Abi.SLOT_THREAD_NAME_OFFSET, nameScratch, nameScratch.length);
    int length = 0;
    while (length < nameScratch.length && nameScratch[length] != 0) {
      length++;
    }
    if (cached == null || !Arrays.equals(cached, 0, cached.length, nameScratch, 0, length)) {
      threadNameBytes[slot] = Arrays.copyOf(nameScratch, length);
      origins[slot].setThreadName(new String(nameScratch, 0, length, StandardCharsets.UTF_8));
    }
  }

  /**
   * Reads frames {@code [0, depth)} of every used slot. Meaningful once the writer is dead
   * (frames of a live writer may be torn; they are validated like any record, so a torn frame is
   * skipped and counted in {@code corruptFrames}).
   */
  List<FrameSpan> openSpans(@Nullable long[] corruptFrames) {
    scopes.refresh();
    List<FrameSpan> result = new ArrayList<>();
    for (int slot = 0; slot < heads.length; slot++) {
      int base = segment.slotBase(slot);
      if (segment.slotStateAcquire(base) == Abi.SLOT_FREE) {
        continue;
      }
      refreshThread(slot, base);
      // acquire: frames [0, depth) are complete.
      int depth = segment.slotDepthAcquire(base);
      int frames = depth < 0 || depth > segment.stackDepth() ? segment.stackDepth() : depth;
      for (int i = 0; i < frames; i++) {
        int frame = segment.frameBase(base, i);
        long length = Integer.toUnsignedLong(segment.getInt(frame + Abi.RECORD_LENGTH_OFFSET));
        int type = segment.getUnsignedShort(frame + Abi.RECORD_TYPE_OFFSET);
        if (type == Abi.RECORD_CONTEXT) {
          continue; // an attached parent context, not a span
        }
        SpanData span = null;
        if (type == Abi.RECORD_SPAN && length >= Abi.RECORD_HEADER_SIZE
            && length <= scratch.length) {
          segment.copy(frame, scratch, (int) length);
          span = decoder.decode(scratch, (int) length, origins[slot], true);
        }
        if (span != null) {
          result.add(new FrameSpan(slot, i, span));
        } else if (corruptFrames != null) {
          corruptFrames[0]++;
        }
      }
    }
    return Collections.unmodifiableList(result);
  }
}
