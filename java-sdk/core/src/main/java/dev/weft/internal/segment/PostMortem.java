package dev.weft.internal.segment;

import dev.weft.internal.decode.SpanDecoder;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Reads a segment's frames and its creator's liveness (see {@code WeftSegmentSnapshot}). The
 * file is read with positional reads into private buffers, never mapped: a file truncated or
 * replaced meanwhile gives an {@link IOException}, never a fault in the caller's thread.
 */
public final class PostMortem {
  public final int state;
  public final int creatorPid;
  public final boolean creatorAlive;
  public final List<FrameSpan> openSpans;
  /** Frames that did not validate (sampled spans, torn or damaged), and a depth out of range. */
  public final long corruptFrames;
  /** What of {@link #corruptFrames} the C reader counts as corrupt records. */
  public final long corruptRecords;

  private PostMortem(int state, int creatorPid, boolean creatorAlive,
      List<FrameSpan> openSpans, long corruptFrames, long corruptRecords) {
    this.state = state;
    this.creatorPid = creatorPid;
    this.creatorAlive = creatorAlive;
    this.openSpans = openSpans;
    this.corruptFrames = corruptFrames;
    this.corruptRecords = corruptRecords;
  }

  public static PostMortem read(Path path, Resource resource) throws IOException {
    try (Segment segment = Segment.openUnmapped(path)) {
      return read(segment, resource);
    }
  }

  /** Reads {@code segment}, opened unmapped (from a file or from memory); does not close it. */
  static PostMortem read(Segment segment, Resource resource) throws IOException {
    int state = segment.state();
    boolean alive = state == Abi.SEGMENT_LIVE && ProcessLiveness.isAlive(segment.creatorPid(),
        segment.creatorStartTicks(), segment.bootId());
    ScopeTable scopes = new ScopeTable(segment);
    scopes.refresh();
    SpanDecoder decoder = new SpanDecoder();
    byte[] scratch = new byte[segment.frameSize()];
    long[] corrupt = new long[2];
    List<FrameSpan> spans = new ArrayList<>();
    ByteBuffer slotHeader =
        ByteBuffer.allocate(Abi.SLOT_HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer slotBytes = null;
    for (int slot = 0; slot < segment.slotCount(); slot++) {
      long base = segment.slotBase(slot);
      slotHeader.clear();
      segment.readFully(slotHeader, base);
      if (slotHeader.getInt(Abi.SLOT_STATE_OFFSET) != Abi.SLOT_ACTIVE) {
        continue;
      }
      int depth = slotHeader.getInt(Abi.SLOT_DEPTH_OFFSET);
      int frames = Integer.compareUnsigned(depth, segment.stackDepth()) > 0
          ? segment.stackDepth() : depth;
      if (slotBytes == null) {
        slotBytes = ByteBuffer.allocate(segment.ringOffsetInSlot())
            .order(ByteOrder.LITTLE_ENDIAN);
      }
      // The slot header and the frames in use, nothing of the ring.
      slotBytes.clear().limit(segment.slotHeaderSize() + frames * segment.frameSize());
      segment.readFully(slotBytes, base);
      slotBytes.limit(slotBytes.capacity());
      SpanDecoder.Origin origin =
          new SpanDecoder.Origin(resource, scopes, threadName(slotHeader));
      FrameReader.read(slotBytes, 0, segment, depth, scratch, decoder, origin, slot, spans,
          corrupt);
    }
    return new PostMortem(state, segment.creatorPid(), alive,
        Collections.unmodifiableList(spans), corrupt[1], corrupt[0]);
  }

  private static String threadName(ByteBuffer slotHeader) {
    byte[] name = new byte[Abi.SLOT_THREAD_NAME_LENGTH];
    slotHeader.get(Abi.SLOT_THREAD_NAME_OFFSET, name);
    int length = 0;
    while (length < name.length && name[length] != 0) {
      length++;
    }
    return new String(name, 0, length, StandardCharsets.UTF_8);
  }
}
