package dev.weft.internal.segment;

import dev.weft.internal.Counters;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Reads a segment's frames and its creator's liveness (see {@code WeftSegmentSnapshot}). */
public final class PostMortem {
  public final int state;
  public final int creatorPid;
  public final boolean creatorAlive;
  public final List<FrameSpan> openSpans;
  public final long corruptFrames;

  private PostMortem(int state, int creatorPid, boolean creatorAlive,
      List<FrameSpan> openSpans, long corruptFrames) {
    this.state = state;
    this.creatorPid = creatorPid;
    this.creatorAlive = creatorAlive;
    this.openSpans = openSpans;
    this.corruptFrames = corruptFrames;
  }

  public static PostMortem read(Path path, Resource resource) throws IOException {
    Segment segment = Segment.open(path);
    int state = segment.state();
    boolean alive = state == Abi.SEGMENT_LIVE && ProcessLiveness.isAlive(segment.creatorPid(),
        segment.creatorStartTicks(), segment.bootId());
    long[] corrupt = new long[1];
    List<FrameSpan> spans =
        new SegmentDrainer(segment, resource, new Counters()).openSpans(corrupt);
    return new PostMortem(state, segment.creatorPid(), alive, spans, corrupt[0]);
  }
}
