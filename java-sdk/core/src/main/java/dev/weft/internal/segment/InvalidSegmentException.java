package dev.weft.internal.segment;

import java.io.IOException;

/** The file exists but is not a segment this reader accepts; the message says why. */
public final class InvalidSegmentException extends IOException {
  private static final long serialVersionUID = 1L;

  /** True when the segment may become valid later (its creator has not finished writing it). */
  private final boolean notReadyYet;

  InvalidSegmentException(String message, boolean notReadyYet) {
    super(message);
    this.notReadyYet = notReadyYet;
  }

  /** Returns true if the creator is still initialising the header; retry later. */
  public boolean isNotReadyYet() {
    return notReadyYet;
  }
}
