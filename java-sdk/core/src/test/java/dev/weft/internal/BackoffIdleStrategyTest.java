package dev.weft.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The idle strategy's decisions (what {@code idle} would do), without waiting. */
class BackoffIdleStrategyTest {
  private static final long MIN = 10_000;
  private static final long MAX = 10_000_000;
  private static final int SPIN = -1;
  private static final int YIELD = 0;

  private static BackoffIdleStrategy strategy() {
    return new BackoffIdleStrategy(2, 1, MIN, MAX);
  }

  /** Runs the strategy past its spins and yields and parks up to the maximum period. */
  private static BackoffIdleStrategy parkedAtMax() {
    BackoffIdleStrategy s = strategy();
    for (int i = 0; i < 40; i++) {
      s.next(0, 0);
    }
    assertThat(s.next(0, 0)).isEqualTo(MAX);
    return s;
  }

  @Test
  void noWorkSpinsThenYieldsThenParksDoubling() {
    BackoffIdleStrategy s = strategy();
    assertThat(s.next(0, 0)).isEqualTo(SPIN);
    assertThat(s.next(0, 0)).isEqualTo(SPIN);
    assertThat(s.next(0, 0)).isEqualTo(YIELD);
    assertThat(s.next(0, 0)).isEqualTo(MIN);
    assertThat(s.next(0, 0)).isEqualTo(2 * MIN);
    assertThat(s.next(0, 0)).isEqualTo(4 * MIN);
    for (int i = 0; i < 20; i++) {
      s.next(0, 0);
    }
    assertThat(s.next(0, 0)).isEqualTo(MAX);
  }

  @Test
  void aTrickleOfWorkKeepsParkingAtTheLongestPeriod() {
    BackoffIdleStrategy s = parkedAtMax();
    // 1 k spans/s into a 256 KiB ring: about 10 records (0.9 %) per 10 ms wake-up.
    for (int i = 0; i < 1000; i++) {
      assertThat(s.next(10, 0.009)).isEqualTo(MAX);
    }
  }

  @Test
  void aLowFillAfterShortParksLengthensThemUpToTheMaximum() {
    BackoffIdleStrategy s = strategy();
    for (int i = 0; i < 4; i++) {
      s.next(0, 0); // spins and yield, then one park of MIN
    }
    long previous = MIN;
    for (int i = 0; i < 30; i++) {
      long park = s.next(1, 0.001);
      assertThat(park).isBetween(previous, MAX);
      previous = park;
    }
    assertThat(previous).isEqualTo(MAX);
  }

  @Test
  void aRisingFillShortensTheParkAndAMiddlingOneKeepsIt() {
    BackoffIdleStrategy s = parkedAtMax();
    assertThat(s.next(100, 0.2)).isEqualTo(MAX / 2);
    assertThat(s.next(100, 0.2)).isEqualTo(MAX / 4);
    // Between half and twice the target fill: the period stays.
    assertThat(s.next(50, BackoffIdleStrategy.TARGET_FILL)).isEqualTo(MAX / 4);
    assertThat(s.next(50, 0.1)).isEqualTo(MAX / 4);
    for (int i = 0; i < 20; i++) {
      s.next(100, 0.2);
    }
    assertThat(s.next(100, 0.2)).isEqualTo(MIN);
  }

  @Test
  void aBurstResetsToSpinning() {
    BackoffIdleStrategy s = parkedAtMax();
    assertThat(s.next(500, BackoffIdleStrategy.BURST_FILL)).isEqualTo(SPIN);
    // The passes right after drain little (the thread keeps up): still spinning, then yielding.
    assertThat(s.next(3, 0.001)).isEqualTo(SPIN);
    assertThat(s.next(3, 0.001)).isEqualTo(SPIN);
    assertThat(s.next(3, 0.001)).isEqualTo(YIELD);
    assertThat(s.next(3, 0.001)).isEqualTo(2 * MIN); // paced from the shortest period
  }

  @Test
  void fullRingsThatYieldNoWorkDoNotSpin() {
    // Back-pressure: the rings are full but the pass could hand nothing to the pipeline.
    BackoffIdleStrategy s = parkedAtMax();
    for (int i = 0; i < 100; i++) {
      assertThat(s.next(0, 1.0)).isEqualTo(MAX);
    }
  }

  @Test
  void whileSpinningEveryWakeUpWithRecordsDrains() {
    BackoffIdleStrategy s = new BackoffIdleStrategy(2, 1, MIN, MAX, 50_000_000);
    assertThat(s.drainDue(0, 0)).isFalse(); // empty rings: nothing to drain
    assertThat(s.drainDue(0.0001, 1)).isTrue();
    assertThat(s.drainDue(0.0001, 2)).isTrue();
  }

  @Test
  void onceParkingALowFillWaitsForTheTargetOrTheDelay() {
    BackoffIdleStrategy s = new BackoffIdleStrategy(2, 1, MIN, MAX, 50_000_000);
    for (int i = 0; i < 40; i++) {
      s.next(0, 0);
    }
    long t = 1_000_000_000L;
    assertThat(s.drainDue(0.001, t)).isTrue(); // the first records after a quiet spell
    assertThat(s.drainDue(0.001, t + 10_000_000)).isFalse();
    assertThat(s.drainDue(0.03, t + 20_000_000)).isFalse();
    assertThat(s.drainDue(BackoffIdleStrategy.TARGET_FILL, t + 30_000_000)).isTrue();
    assertThat(s.drainDue(0.001, t + 40_000_000)).isFalse();
    assertThat(s.drainDue(0.001, t + 80_000_000)).isTrue(); // 50 ms since the last drain
    assertThat(s.drainDue(0, t + 200_000_000)).isFalse();
    // A burst is seen at the next look, whatever the delay.
    assertThat(s.drainDue(0.9, t + 80_000_001)).isTrue();
  }

  @Test
  void withoutADelayEveryWakeUpWithRecordsDrains() {
    BackoffIdleStrategy s = parkedAtMax();
    assertThat(s.drainDue(0.0001, 5)).isTrue();
    assertThat(s.drainDue(0.0001, 5)).isTrue();
  }

  @Test
  void resetStartsOver() {
    BackoffIdleStrategy s = parkedAtMax();
    s.reset();
    assertThat(s.nextParkPeriodNs()).isZero();
    assertThat(s.next(0, 0)).isEqualTo(SPIN);
  }

  @Test
  void rejectsInvalidSettings() {
    assertThatThrownBy(() -> new BackoffIdleStrategy(-1, 0, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BackoffIdleStrategy(0, 0, 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BackoffIdleStrategy(0, 0, 1, 1, -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BackoffIdleStrategy(0, 0, 10, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("minPark=10ns maxPark=5ns");
  }
}
