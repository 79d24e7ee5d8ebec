package dev.weft.internal;

import java.util.concurrent.locks.LockSupport;

/**
 * Spins, then yields, then parks for periods that double from {@code minParkPeriodNs} up to
 * {@code maxParkPeriodNs}; any work resets it to spinning. Idle cost is one wake-up per
 * {@code maxParkPeriodNs}. Used by one thread only.
 */
public final class BackoffIdleStrategy {
  private final long maxSpins;
  private final long maxYields;
  private final long minParkPeriodNs;
  private final long maxParkPeriodNs;
  private long spins;
  private long yields;
  private long parkPeriodNs;

  public BackoffIdleStrategy(long maxSpins, long maxYields, long minParkPeriodNs,
      long maxParkPeriodNs) {
    if (maxSpins < 0 || maxYields < 0 || minParkPeriodNs < 1
        || maxParkPeriodNs < minParkPeriodNs) {
      throw new IllegalArgumentException("invalid idle strategy: spins=" + maxSpins + " yields="
          + maxYields + " minPark=" + minParkPeriodNs + "ns maxPark=" + maxParkPeriodNs + "ns");
    }
    this.maxSpins = maxSpins;
    this.maxYields = maxYields;
    this.minParkPeriodNs = minParkPeriodNs;
    this.maxParkPeriodNs = maxParkPeriodNs;
    reset();
  }

  /** Backs off if {@code workCount} is 0, otherwise resets. */
  public void idle(int workCount) {
    if (workCount > 0) {
      reset();
      return;
    }
    if (spins < maxSpins) {
      spins++;
      Thread.onSpinWait();
    } else if (yields < maxYields) {
      yields++;
      Thread.yield();
    } else {
      LockSupport.parkNanos(this, parkPeriodNs);
      parkPeriodNs = Math.min(parkPeriodNs << 1, maxParkPeriodNs);
    }
  }

  public void reset() {
    spins = 0;
    yields = 0;
    parkPeriodNs = minParkPeriodNs;
  }

  /** The period the next park would last, or 0 while still spinning or yielding. */
  long nextParkPeriodNs() {
    return spins < maxSpins || yields < maxYields ? 0 : parkPeriodNs;
  }
}
