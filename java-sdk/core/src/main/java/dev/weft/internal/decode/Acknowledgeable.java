package dev.weft.internal.decode;

/**
 * What a {@link SpanSink} acknowledges to: the ring positions up to which every span read was
 * exported, or dropped and counted. Called on the thread that drains.
 */
public interface Acknowledgeable {
  /** The records of {@code slot} before {@code position} are done with: release their space. */
  void acknowledge(int slot, long position);
}
