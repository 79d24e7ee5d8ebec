package dev.weft.internal;

import java.util.concurrent.locks.LockSupport;

/**
 * How the collector thread waits between passes over the rings, and when a pass drains them.
 * Used by one thread only.
 *
 * <ul>
 *   <li>A pass that found no work backs off: spins, then yields, then parks for periods that
 *       double from {@code minParkPeriodNs} up to {@code maxParkPeriodNs}.
 *   <li>A pass that found work in rings that had filled past {@link #BURST_FILL} of their
 *       capacity resets it to spinning: a burst is drained as fast as the thread can.
 *   <li>A pass that found work in rings filled less than that is paced, not reset: the thread
 *       parks again at once (no spin, no yield), and the period adapts to the fill the pass
 *       found: above twice {@link #TARGET_FILL} it halves, below half of it it doubles (up to
 *       the maximum).
 *   <li>Once parking, a wake-up drains the rings ({@link #drainDue}) only when one holds
 *       {@link #TARGET_FILL} of its capacity, or {@code maxDrainDelayNanos} passed since the
 *       last drain; otherwise it only reads the rings' fill (two loads per slot). A trickle of
 *       spans (1 k/s) then costs one cheap look per {@code maxParkPeriodNs} and a drain (with
 *       its bookkeeping: native counters, a stat of the file) every few tens of milliseconds,
 *       where resetting on every span cost a spin-yield-park cycle each, about 12 % of a core.
 * </ul>
 *
 * <p>The fill is read from the rings' positions (tail and head words in the segment), so the
 * producers' hot path is unchanged: no system call, no extra store.
 */
public final class BackoffIdleStrategy {
  /** A pass whose fullest ring was at least this full (fraction of capacity) resets to spinning. */
  public static final double BURST_FILL = 0.25;
  /** The fill a paced wake-up aims at (and drains at, see {@link #drainDue}). */
  public static final double TARGET_FILL = 1.0 / 16;

  private final long maxSpins;
  private final long maxYields;
  private final long minParkPeriodNs;
  private final long maxParkPeriodNs;
  private final long maxDrainDelayNanos;
  private long lastDrainNanos;
  private long spins;
  private long yields;
  private long parkPeriodNs;

  /** Drains on every wake-up (no delay). */
  public BackoffIdleStrategy(long maxSpins, long maxYields, long minParkPeriodNs,
      long maxParkPeriodNs) {
    this(maxSpins, maxYields, minParkPeriodNs, maxParkPeriodNs, 0);
  }

  /**
   * @param maxDrainDelayNanos the longest a wake-up may leave records in the rings (while none
   *     holds {@link #TARGET_FILL}); 0 drains on every wake-up
   */
  public BackoffIdleStrategy(long maxSpins, long maxYields, long minParkPeriodNs,
      long maxParkPeriodNs, long maxDrainDelayNanos) {
    if (maxSpins < 0 || maxYields < 0 || minParkPeriodNs < 1
        || maxParkPeriodNs < minParkPeriodNs || maxDrainDelayNanos < 0) {
      throw new IllegalArgumentException("invalid idle strategy: spins=" + maxSpins + " yields="
          + maxYields + " minPark=" + minParkPeriodNs + "ns maxPark=" + maxParkPeriodNs + "ns"
          + " maxDrainDelay=" + maxDrainDelayNanos + "ns");
    }
    this.maxDrainDelayNanos = maxDrainDelayNanos;
    this.maxSpins = maxSpins;
    this.maxYields = maxYields;
    this.minParkPeriodNs = minParkPeriodNs;
    this.maxParkPeriodNs = maxParkPeriodNs;
    reset();
  }

  /**
   * Waits after a pass.
   *
   * @param workCount what the pass did (records drained, exports started)
   * @param fill how full the fullest ring was when the pass began, 0 to 1
   */
  public void idle(int workCount, double fill) {
    long park = next(workCount, fill);
    if (park < 0) {
      Thread.onSpinWait();
    } else if (park == 0) {
      Thread.yield();
    } else {
      LockSupport.parkNanos(this, park);
    }
  }

  /**
   * The decision of {@link #idle}, without the waiting: -1 to spin, 0 to yield, else the park
   * period in nanoseconds. Updates the state as {@code idle} does.
   */
  long next(int workCount, double fill) {
    if (workCount > 0) {
      if (fill >= BURST_FILL) {
        reset();
        return -1;
      }
      if (spins < maxSpins || yields < maxYields) {
        // Still in the spin/yield phase after a reset: the burst may not be over.
        return backOff();
      }
      // Paced: the rings fill slowly; wake about when they hold TARGET_FILL.
      if (fill > 2 * TARGET_FILL) {
        parkPeriodNs = Math.max(parkPeriodNs >> 1, minParkPeriodNs);
      } else if (fill < TARGET_FILL / 2) {
        parkPeriodNs = Math.min(parkPeriodNs << 1, maxParkPeriodNs);
      }
      return parkPeriodNs;
    }
    return backOff();
  }

  /**
   * Whether this wake-up should drain the rings, given the fill {@link
   * dev.weft.internal.segment.SegmentDrainer#maxFill} read now: always while spinning or
   * yielding, never when they are empty, else once a ring holds {@link #TARGET_FILL} or the last
   * drain is {@code maxDrainDelayNanos} old. A true answer counts as a drain at {@code nowNanos}.
   */
  public boolean drainDue(double fill, long nowNanos) {
    if (fill <= 0) {
      return false;
    }
    if (fill >= TARGET_FILL || spins < maxSpins || yields < maxYields
        || nowNanos - lastDrainNanos >= maxDrainDelayNanos) {
      lastDrainNanos = nowNanos;
      return true;
    }
    return false;
  }

  private long backOff() {
    if (spins < maxSpins) {
      spins++;
      return -1;
    }
    if (yields < maxYields) {
      yields++;
      return 0;
    }
    long park = parkPeriodNs;
    parkPeriodNs = Math.min(parkPeriodNs << 1, maxParkPeriodNs);
    return park;
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
