package dev.weft.internal.segment;

import dev.weft.internal.Counters;
import dev.weft.internal.decode.Acknowledgeable;
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
 * <p>At-least-once (docs/shm-abi.md "At-least-once drain"): a pass reads from the slot's read
 * position, publishes {@code read_position} (release) once it has read, and hands the sink the
 * position with {@link SpanSink#readUpTo}; {@code head}, which gives the space back to the
 * writer, moves only when the sink acknowledges. At the first pass the drainer starts at
 * {@code head}; the spans in {@code [head, read_position)} that an earlier reader left are read
 * again and counted as redelivered (they may have been exported already).
 *
 * <p>Termination: each step moves the read position forward by at least 8 bytes towards a
 * {@code tail} that was checked to be at most {@code ring_capacity} ahead, or jumps to
 * {@code tail}; a pass over a slot therefore reads at most {@code ring_capacity / 8} records.
 */
public final class SegmentDrainer implements Acknowledgeable {

  private final Segment segment;
  private final SpanDecoder decoder;
  private final Counters counters;
  private final ScopeTable scopes;
  /** Acknowledged: the head stored in the slot. */
  private final long[] heads;
  /** Read: where the next pass reads from. */
  private final long[] reads;
  /** Spans that start before this were read by an earlier reader (possibly exported). */
  private final long[] redeliverUntil;
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
  /** Once detached, late acknowledgements must not touch the mapping. */
  private boolean detached;
  /** Some ring holds more than half its capacity read but not yet acknowledged. */
  private boolean pressure;

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
    this.reads = new long[slots];
    this.redeliverUntil = new long[slots];
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
      // Start where the previous reader (if any) was acknowledged; a hostile value is caught by
      // the position checks in drainSlot.
      int base = segment.slotBase(i);
      long head = segment.headAcquire(base);
      long read = segment.readPositionAcquire(base);
      heads[i] = head;
      reads[i] = head;
      // [head, read_position) was read and maybe exported by the previous reader. A value no
      // reader writes (behind head, more than a ring ahead, misaligned) says nothing.
      long ahead = read - head;
      redeliverUntil[i] = (ahead > 0 && ahead <= capacity && (ahead & 7) == 0) ? read : head;
    }
    started = true;
  }

  /** Spans in {@code [head, read_position)} found at attach, re-read: possibly duplicated. */
  public boolean hasRedelivery() {
    if (!started) {
      start();
    }
    for (int i = 0; i < heads.length; i++) {
      if (redeliverUntil[i] != heads[i]) {
        return true;
      }
    }
    return false;
  }

  /**
   * Stores {@code head} (release): the sink has exported, or dropped and counted, every span
   * before {@code position}. Ignored once detached, and for a position that does not move the
   * head forward within what was read.
   */
  @Override
  public void acknowledge(int slot, long position) {
    if (detached) {
      return;
    }
    // Marks are applied in the order read, so a position is never behind the head, except
    // after a resynchronisation to a hostile tail behind it, which the head follows.
    if (position != heads[slot] && reads[slot] - position >= 0) {
      heads[slot] = position;
      // release: the records before head are done with; the producer may overwrite them.
      segment.headRelease(segment.slotBase(slot), position);
    }
  }

  /** After this, acknowledgements still in flight leave the mapping alone. */
  public void detach() {
    detached = true;
  }

  /** True once every record read has been acknowledged. */
  public boolean isAcknowledged() {
    for (int i = 0; i < heads.length; i++) {
      if (heads[i] != reads[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * True if, at the last pass, some ring held more than half its capacity read but not yet
   * acknowledged: the caller should export what it holds now rather than after its delay.
   */
  public boolean underPressure() {
    return pressure;
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
    boolean pressed = false;
    long half = capacity >>> 1;
    for (int slot = 0; slot < heads.length; slot++) {
      int base = segment.slotBase(slot);
      // acquire: the records in [read, tail) and the counters before them are visible.
      long tail = segment.tailAcquire(base);
      long read = reads[slot];
      if (tail != read) {
        refreshThread(slot, base);
        work += drainSlot(slot, base, read, tail, sink);
      }
      if (reads[slot] - heads[slot] > half) {
        pressed = true;
      }
    }
    pressure = pressed;
    return work;
  }

  /** Every ring's tail now (acquire): a mark for {@link #hasRead}. */
  public long[] tails() {
    long[] tails = new long[reads.length];
    for (int slot = 0; slot < tails.length; slot++) {
      tails[slot] = segment.tailAcquire(segment.slotBase(slot));
    }
    return tails;
  }

  /**
   * True if every ring has been read at least to the mark {@link #tails()} returned (a ring
   * whose positions moved backwards, re-used by a new thread, counts as read).
   */
  public boolean hasRead(long[] tails) {
    if (!started) {
      start();
    }
    for (int slot = 0; slot < reads.length; slot++) {
      if (reads[slot] - tails[slot] < 0
          && tails[slot] - segment.tailAcquire(segment.slotBase(slot)) <= 0) {
        return false;
      }
    }
    return true;
  }

  /** True if every ring has been read to its tail as of now (used to finish a close). */
  public boolean isEmpty() {
    if (!started) {
      start();
    }
    for (int slot = 0; slot < heads.length; slot++) {
      if (segment.tailAcquire(segment.slotBase(slot)) != reads[slot]) {
        return false;
      }
    }
    return true;
  }

  /**
   * How full of unread records the fullest ring is now, as a fraction of its capacity: the
   * bytes between this reader's read position and the producer's tail (before the first pass,
   * from the head; 1 for positions no writer produces, and 1 for a slot whose thread released it
   * with records unread, which no other thread can claim until they are read). One load per slot, no system call: the
   * idle strategy paces its wake-ups with it. Records read but not yet acknowledged are not
   * counted: reading sooner would not free their space (the export's acknowledgement does, and
   * {@link #underPressure} asks for it); counting them made a collector waiting for its batch
   * delay wake up every 0.3 ms with nothing to read.
   */
  public double maxFill() {
    long max = 0;
    for (int slot = 0; slot < heads.length; slot++) {
      int base = segment.slotBase(slot);
      long from = started ? reads[slot] : segment.headAcquire(base);
      long used = segment.tailAcquire(base) - from;
      if (used < 0 || used > capacity) {
        return 1;
      }
      if (used > 0 && segment.slotStateAcquire(base) == Abi.SLOT_RELEASED) {
        // Its thread exited: no new thread can have the slot until its records are read, so
        // read them now, however few. Short-lived threads (one per request) otherwise found
        // every slot released and unread within one drain delay, and their spans were dropped
        // (droppedNoSlot).
        return 1;
      }
      max = Math.max(max, used);
    }
    return (double) max / capacity;
  }

  /**
   * The bytes no reader has had acknowledged yet, over every ring ({@code tail - head}, acquire;
   * positions no writer produces count as a whole ring). Reads the mapping.
   */
  public static long unacknowledgedBytes(Segment segment) {
    long sum = 0;
    for (int slot = 0; slot < segment.slotCount(); slot++) {
      int base = segment.slotBase(slot);
      long used = segment.tailAcquire(base) - segment.headAcquire(base);
      sum += used < 0 || used > segment.ringCapacity() ? segment.ringCapacity() : used;
    }
    return sum;
  }

  /** The sum of every slot's tail (acquire): unchanged while nothing is committed. */
  public long tailSum() {
    return tailSum(segment);
  }

  /** The sum of every slot's tail of a mapped segment (acquire). Reads the mapping. */
  public static long tailSum(Segment segment) {
    long sum = 0;
    for (int slot = 0; slot < segment.slotCount(); slot++) {
      sum += segment.tailAcquire(segment.slotBase(slot));
    }
    return sum;
  }

  private int drainSlot(int slot, int base, long head, long tail, SpanSink sink) {
    long drained = 0;
    long corrupt = 0;
    long unknown = 0;
    long again = 0;
    int records = 0;
    long redeliver = redeliverUntil[slot];
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
          if (redeliver - head > 0) {
            again++;
          }
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
      records++;
    }
    // What was read above came from a mapping that may have faulted: know it before counting.
    Faults.deliverPending();
    if (corrupt > 0) {
      // Not always delivered at once: a faulting read looks like corruption. Count it only
      // while the file still covers the mapping.
      segment.requireWhole();
    }
    if (head != reads[slot]) {
      reads[slot] = head;
      // release, before the spans are exported: a reader taking over after a crash re-reads
      // [head, read_position) and counts it as possibly duplicated.
      segment.readPositionRelease(base, head);
      Faults.deliverPending();
      sink.readUpTo(this, slot, head);
    }
    counters.drained(drained, corrupt, unknown);
    if (again > 0) {
      counters.redelivered(again);
    }
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
