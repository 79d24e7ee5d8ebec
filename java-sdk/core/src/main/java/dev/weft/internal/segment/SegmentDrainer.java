package dev.weft.internal.segment;

import dev.weft.internal.Counters;
import dev.weft.internal.decode.SpanDecoder;
import dev.weft.internal.decode.SpanSink;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.ByteBuffer;
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

  private final Resource resource;
  /** False until the first pass has read the heads the previous reader left. */
  private boolean started;

  /**
   * Prepares to drain {@code segment}. Reads nothing from the mapping (that happens on the
   * thread that drains, see {@link Segment}), and allocates per-slot state in proportion to
   * {@code slot_count}, which the segment bounds by {@link Abi#MAX_SLOT_COUNT} and by the file.
   */
  public SegmentDrainer(Segment segment, Resource resource, Counters counters) {
    if (!segment.isMapped()) {
      throw new IllegalArgumentException("a drainer needs a mapped segment");
    }
    this.segment = segment;
    this.resource = resource;
    this.decoder = new SpanDecoder();
    this.scopes = new ScopeTable(segment);
    this.counters = counters;
    int slots = segment.slotCount();
    this.heads = new long[slots];
    this.generations = new int[slots];
    this.threadNameBytes = new byte[slots][];
    // An origin (and its strings) only for the slots that ever hold a record.
    this.origins = new SpanDecoder.Origin[slots];
    this.scratch = new byte[segment.frameSize()];
    this.capacity = segment.ringCapacity();
    this.mask = capacity - 1;
  }

  private void start() {
    for (int i = 0; i < heads.length; i++) {
      // Start where the previous reader (if any) stopped; a hostile value is caught by the
      // position checks in drainSlot.
      heads[i] = segment.headAcquire(segment.slotBase(i));
    }
    started = true;
  }

  private SpanDecoder.Origin origin(int slot) {
    SpanDecoder.Origin origin = origins[slot];
    if (origin == null) {
      origin = new SpanDecoder.Origin(resource, scopes, null);
      origins[slot] = origin;
    }
    return origin;
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
    if (!started) {
      start();
    }
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
    if (!started) {
      start();
    }
    for (int slot = 0; slot < heads.length; slot++) {
      if (segment.tailAcquire(segment.slotBase(slot)) != heads[slot]) {
        return false;
      }
    }
    return true;
  }

  /**
   * How full the fullest ring is now, as a fraction of its capacity: the bytes between the
   * producer's tail and the head released to it, which the producer cannot overwrite yet (1 for
   * positions no writer produces). Two loads per slot, no system call: the idle strategy paces
   * its wake-ups with it.
   */
  public double maxFill() {
    long max = 0;
    for (int slot = 0; slot < heads.length; slot++) {
      int base = segment.slotBase(slot);
      long used = segment.tailAcquire(base) - segment.headAcquire(base);
      if (used < 0 || used > capacity) {
        return 1;
      }
      max = Math.max(max, used);
    }
    return (double) max / capacity;
  }

  private int drainSlot(int slot, int base, long head, long tail, SpanSink sink) {
    long drained = 0;
    long corrupt = 0;
    long unknown = 0;
    int records = 0;
    if (((head | tail) & 7) != 0 || Long.compareUnsigned(tail, head) < 0
        || tail - head > capacity) {
      // Positions no writer produces (misaligned, backwards or past 2^64, more than a ring in
      // flight): what they enclose is lost. Count it once and resynchronise at tail.
      corrupt++;
      head = tail;
    }
    int ring = segment.ringBase(base);
    SpanDecoder.Origin origin = origin(slot);
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
      } else if (type == Abi.RECORD_PADDING) {
        if (length != capacity - index) {
          corrupt++; // a writer pads exactly to the end of the ring, never less
        }
      } else {
        unknown++;
      }
      head += aligned;
      if (++records % HEAD_RELEASE_INTERVAL == 0) {
        segment.headRelease(base, head);
      }
    }
    // What was read above came from a mapping that may have faulted: know it before counting.
    Faults.deliverPending();
    heads[slot] = head;
    // release: the records before head have been copied out; the producer may overwrite them.
    segment.headRelease(base, head);
    Faults.deliverPending();
    if (corrupt > 0) {
      // Not always delivered at once: a faulting read looks like corruption. Count it only
      // while the file still covers the mapping.
      segment.requireWhole();
    }
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
      origin(slot).setThreadName(new String(nameScratch, 0, length, StandardCharsets.UTF_8));
    }
  }

  /**
   * Reads frames {@code [0, depth)} of every slot whose thread is alive ({@code ACTIVE}).
   * Meaningful once the writer is dead (frames of a live writer may be torn; they are validated
   * like any record). {@code corrupt[0]} counts what the C reader counts corrupt (a depth past
   * {@code stack_depth}, a span frame whose length does not fit a frame); {@code corrupt[1]} also
   * counts sampled span frames that fail validation (torn, or damaged).
   */
  List<FrameSpan> openSpans(@Nullable long[] corrupt) {
    if (!started) {
      start();
    }
    scopes.refresh();
    List<FrameSpan> result = new ArrayList<>();
    ByteBuffer bytes = segment.buffer();
    for (int slot = 0; slot < heads.length; slot++) {
      int base = segment.slotBase(slot);
      if (segment.slotStateAcquire(base) != Abi.SLOT_ACTIVE) {
        continue;
      }
      refreshThread(slot, base);
      // acquire: frames [0, depth) are complete.
      int depth = segment.slotDepthAcquire(base);
      FrameReader.read(bytes, base, segment, depth, scratch, decoder, origin(slot), slot,
          result, corrupt);
    }
    return Collections.unmodifiableList(result);
  }
}
