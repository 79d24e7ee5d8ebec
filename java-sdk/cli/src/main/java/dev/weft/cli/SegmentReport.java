package dev.weft.cli;

import dev.weft.internal.recovery.SegmentResource;
import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.Lease;
import dev.weft.internal.segment.ProcessLiveness;
import dev.weft.internal.segment.Segment;
import dev.weft.internal.segment.SlotContents;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What {@code weft dump} and {@code weft stats} show of one segment, read without side effects:
 * the file is opened read-only and read with positional reads ({@link Segment#openUnmapped},
 * {@link SlotContents}); nothing is mapped and nothing written, so an inspection before a
 * recovery or a collector changes nothing they will find.
 */
final class SegmentReport {
  final Path path;
  final int versionMinor;
  final int state;
  final int creatorPid;
  final boolean creatorAlive;
  final long createdUnixNanos;
  final long leaseOwner;
  final long leaseHeartbeatUnixNanos;
  final int fence;
  final long droppedNoSlot;
  final int slotCount;
  final int ringCapacity;
  final int stackDepth;
  final SegmentResource resource;
  final List<SlotContents> slots;

  private SegmentReport(Segment segment, ByteBuffer header, SegmentResource resource,
      List<SlotContents> slots) {
    this.path = segment.path();
    this.versionMinor = segment.versionMinor();
    this.state = segment.state();
    this.creatorPid = segment.creatorPid();
    this.creatorAlive = state == Abi.SEGMENT_LIVE && ProcessLiveness.isAlive(
        segment.creatorPid(), segment.creatorStartTicks(), segment.bootId());
    this.createdUnixNanos = segment.createdUnixNanos();
    this.leaseOwner = header.getLong(Abi.LEASE_OWNER_OFFSET);
    this.leaseHeartbeatUnixNanos = header.getLong(Abi.LEASE_HEARTBEAT_OFFSET);
    this.fence = header.getInt(Abi.FENCE_OFFSET);
    this.droppedNoSlot = segment.droppedNoSlot();
    this.slotCount = segment.slotCount();
    this.ringCapacity = segment.ringCapacity();
    this.stackDepth = segment.stackDepth();
    this.resource = resource;
    this.slots = Collections.unmodifiableList(slots);
  }

  /**
   * Reads the segment at {@code path}.
   *
   * @throws IOException if it is missing or refused; the message says why
   */
  static SegmentReport read(Path path) throws IOException {
    try (Segment segment = Segment.openUnmapped(path)) {
      ByteBuffer header = ByteBuffer.allocate(Abi.SCOPES_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
      segment.readFully(header, 0);
      SegmentResource resource = SegmentResource.read(segment);
      List<SlotContents> slots = new ArrayList<>();
      SlotContents.forEachSlot(segment, resource.resource, slots::add);
      return new SegmentReport(segment, header, resource, slots);
    }
  }

  String stateName() {
    return stateName(state);
  }

  static String stateName(int state) {
    switch (state) {
      case Abi.SEGMENT_INITIALIZING:
        return "INITIALIZING";
      case Abi.SEGMENT_LIVE:
        return "LIVE";
      case Abi.SEGMENT_CLOSED:
        return "CLOSED";
      case Abi.SEGMENT_RECOVERED:
        return "RECOVERED";
      default:
        return "UNKNOWN(" + state + ")";
    }
  }

  static String slotStateName(int state) {
    switch (state) {
      case Abi.SLOT_FREE:
        return "FREE";
      case Abi.SLOT_ACTIVE:
        return "ACTIVE";
      case Abi.SLOT_RELEASED:
        return "RELEASED";
      default:
        return "UNKNOWN(" + state + ")";
    }
  }

  /** What the segment needs: "recovery" for a dead creator's, else "" when nothing. */
  String verdict() {
    if (state == Abi.SEGMENT_RECOVERED) {
      return "recovered (to be removed)";
    }
    if (state == Abi.SEGMENT_CLOSED) {
      return "closed";
    }
    if (state == Abi.SEGMENT_LIVE && !creatorAlive) {
      return "creator dead: needs recovery (weft recover)";
    }
    return creatorAlive ? "creator running" : "";
  }

  boolean leaseHolderRuns() {
    return leaseOwner != 0 && Lease.holderRuns(leaseOwner);
  }

  long finishedSpans() {
    long n = 0;
    for (SlotContents s : slots) {
      n += s.finished.size();
    }
    return n;
  }

  long openSpans() {
    long n = 0;
    for (SlotContents s : slots) {
      n += s.open.size();
    }
    return n;
  }

  long sum(java.util.function.ToLongFunction<SlotContents> field) {
    long n = 0;
    for (SlotContents s : slots) {
      n += field.applyAsLong(s);
    }
    return n;
  }
}
