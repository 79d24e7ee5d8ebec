package dev.weft.internal.decode;

import io.opentelemetry.sdk.trace.data.SpanData;

/** Receives each span decoded from a ring, on the collector thread. */
public interface SpanSink {
  /**
   * Returns false when the sink wants the drainer to stop and leave the remaining records in the
   * ring for a later pass (back-pressure). Checked before each span record is decoded.
   */
  boolean canAccept();

  void accept(SpanData span);

  /**
   * The records of {@code slot} before {@code position} were read, and every span among them
   * was given to {@link #accept} (or found corrupt). The sink calls {@code target.acknowledge(slot,
   * position)} once every span it accepted before this call is exported, or dropped and counted:
   * only then is the ring space released (at-least-once, docs/shm-abi.md "At-least-once drain").
   * The default acknowledges at once: for sinks that hold what they accept in memory.
   */
  default void readUpTo(Acknowledgeable target, int slot, long position) {
    target.acknowledge(slot, position);
  }
}
