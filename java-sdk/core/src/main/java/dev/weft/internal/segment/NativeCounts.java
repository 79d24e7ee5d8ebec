package dev.weft.internal.segment;

import javax.annotation.concurrent.Immutable;

/** The native side's counters summed over all slots (relaxed reads: exact once quiescent). */
@Immutable
public final class NativeCounts {
  public static final NativeCounts ZERO = new NativeCounts(0, 0, 0, 0, 0, 0);

  public final long spansCommitted;
  public final long droppedRingFull;
  public final long droppedReentrant;
  public final long droppedTooDeep;
  public final long droppedNoSlot;
  /** 1.1: spans ended after the fence closed (a clean exit), counted, not recorded. */
  public final long droppedShutdown;

  NativeCounts(long spansCommitted, long droppedRingFull, long droppedReentrant,
      long droppedTooDeep, long droppedNoSlot, long droppedShutdown) {
    this.spansCommitted = spansCommitted;
    this.droppedRingFull = droppedRingFull;
    this.droppedReentrant = droppedReentrant;
    this.droppedTooDeep = droppedTooDeep;
    this.droppedNoSlot = droppedNoSlot;
    this.droppedShutdown = droppedShutdown;
  }

  public static NativeCounts read(Segment segment) {
    long committed = 0;
    long ringFull = 0;
    long reentrant = 0;
    long tooDeep = 0;
    long shutdown = 0;
    for (int i = 0; i < segment.slotCount(); i++) {
      int base = segment.slotBase(i);
      committed += segment.slotCounter(base, Abi.SLOT_SPANS_COMMITTED_OFFSET);
      ringFull += segment.slotCounter(base, Abi.SLOT_DROPPED_RING_FULL_OFFSET);
      reentrant += segment.slotCounter(base, Abi.SLOT_DROPPED_REENTRANT_OFFSET);
      tooDeep += segment.slotCounter(base, Abi.SLOT_DROPPED_TOO_DEEP_OFFSET);
      shutdown += segment.slotCounter(base, Abi.SLOT_DROPPED_SHUTDOWN_OFFSET);
    }
    return new NativeCounts(committed, ringFull, reentrant, tooDeep, segment.droppedNoSlot(),
        shutdown);
  }

  public NativeCounts minus(NativeCounts other) {
    return new NativeCounts(spansCommitted - other.spansCommitted,
        droppedRingFull - other.droppedRingFull, droppedReentrant - other.droppedReentrant,
        droppedTooDeep - other.droppedTooDeep, droppedNoSlot - other.droppedNoSlot,
        droppedShutdown - other.droppedShutdown);
  }

  public NativeCounts plus(NativeCounts other) {
    return new NativeCounts(spansCommitted + other.spansCommitted,
        droppedRingFull + other.droppedRingFull, droppedReentrant + other.droppedReentrant,
        droppedTooDeep + other.droppedTooDeep, droppedNoSlot + other.droppedNoSlot,
        droppedShutdown + other.droppedShutdown);
  }
}
