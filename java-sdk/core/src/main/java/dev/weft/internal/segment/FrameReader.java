package dev.weft.internal.segment;

import dev.weft.internal.decode.SpanDecoder;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.ByteBuffer;
import java.util.List;
import javax.annotation.Nullable;

/**
 * The frames of one slot, decoded for the post-mortem view (docs/shm-abi.md "Frames"), with the C
 * reader's rules: only span frames are read (contexts and other types are skipped); a depth past
 * {@code stack_depth} is counted corrupt once and clamped; a span frame whose length does not fit
 * a frame is counted corrupt; an unsampled span frame (no name, trace flag 0) is not a span; a
 * sampled span frame that fails validation is counted in {@code corrupt[1]} only.
 */
final class FrameReader {
  private FrameReader() {}

  /**
   * @param bytes the slot's bytes: the mapping (then {@code slotBase} is the slot's offset in it)
   *     or a private copy of the slot header and frames (then {@code slotBase} is 0)
   * @param corrupt null, or {@code [0]} the C reader's corrupt count, {@code [1]} every frame that
   *     did not validate
   */
  static void read(ByteBuffer bytes, int slotBase, Segment segment, int depth, byte[] scratch,
      SpanDecoder decoder, SpanDecoder.Origin origin, int slot, List<FrameSpan> out,
      @Nullable long[] corrupt) {
    int stackDepth = segment.stackDepth();
    int frames = depth;
    if (Integer.compareUnsigned(depth, stackDepth) > 0) {
      count(corrupt, true);
      frames = stackDepth;
    }
    int frameSize = segment.frameSize();
    for (int i = 0; i < frames; i++) {
      int frame = slotBase + segment.slotHeaderSize() + i * frameSize;
      long length = Integer.toUnsignedLong(bytes.getInt(frame + Abi.RECORD_LENGTH_OFFSET));
      int type = Short.toUnsignedInt(bytes.getShort(frame + Abi.RECORD_TYPE_OFFSET));
      if (type != Abi.RECORD_SPAN) {
        continue; // an attached parent context (or a type this reader does not know)
      }
      if (length < Abi.RECORD_HEADER_SIZE || length > frameSize) {
        count(corrupt, true);
        continue;
      }
      bytes.get(frame, scratch, 0, (int) length);
      SpanData span = decoder.decode(scratch, (int) length, origin, true);
      if (span != null) {
        out.add(new FrameSpan(slot, i, span));
      } else if (length > Abi.SPAN_TRACE_FLAGS_OFFSET
          && (scratch[Abi.SPAN_TRACE_FLAGS_OFFSET] & 1) != 0) {
        count(corrupt, false); // sampled, yet invalid: torn or damaged
      }
    }
  }

  private static void count(@Nullable long[] corrupt, boolean asTheCReaderDoes) {
    if (corrupt == null) {
      return;
    }
    if (asTheCReaderDoes) {
      corrupt[0]++;
    }
    corrupt[1]++;
  }
}
