package dev.weft.internal.export;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bounds grpc-java's reconnect back-off. A channel whose connection fails waits before it tries
 * again, and grpc-java grows that wait exponentially up to two minutes (its
 * {@code ExponentialBackoffPolicy}: 1 s × 1.6ⁿ, ±20 %), with no public setting: after a 60 s
 * outage an export resumed only 13 s after the backend came back. While the channel is in
 * {@code TRANSIENT_FAILURE}, this task calls {@link ManagedChannel#resetConnectBackoff()} (public
 * API: "make them reconnect immediately") every {@code max}, so the next attempt is at most
 * {@code max} away. Exports wait for the connection ({@code waitForReady}), so they go out as soon
 * as it is up.
 *
 * <p>Configured with {@value #PROPERTY} (system property) or {@value #ENV} (environment), a
 * duration such as {@code 500ms}, {@code 1s} or a number of milliseconds; default
 * {@value #DEFAULT_MILLIS} ms; {@code 0} turns the bound off (grpc-java's own back-off only).
 */
final class ReconnectBound implements Runnable {
  static final String PROPERTY = "weft.export.reconnect.max";
  static final String ENV = "WEFT_EXPORT_RECONNECT_MAX";
  static final long DEFAULT_MILLIS = 1_000;

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m)?");

  private final ManagedChannel channel;

  private ReconnectBound(ManagedChannel channel) {
    this.channel = channel;
  }

  /** Starts the periodic check on {@code scheduler}; null if the bound is off. */
  static ScheduledFuture<?> start(ManagedChannel channel, Duration max,
      ScheduledExecutorService scheduler) {
    if (max.isZero()) {
      return null;
    }
    long period = max.toNanos();
    return scheduler.scheduleWithFixedDelay(new ReconnectBound(channel), period, period,
        TimeUnit.NANOSECONDS);
  }

  /** Visible for tests: one check. */
  static boolean check(ManagedChannel channel) {
    if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      channel.resetConnectBackoff();
      return true;
    }
    return false;
  }

  @Override
  public void run() {
    check(channel);
  }

  /**
   * The configured bound: the system property, else the environment variable, else the default.
   *
   * @throws IllegalArgumentException naming the setting, for a value that is not a duration
   */
  static Duration configured(Map<String, String> env) {
    String value = System.getProperty(PROPERTY);
    String source = PROPERTY;
    if (value == null) {
      value = env.get(ENV);
      source = ENV;
    }
    if (value == null || value.isBlank()) {
      return Duration.ofMillis(DEFAULT_MILLIS);
    }
    return parse(source, value);
  }

  static Duration parse(String source, String value) {
    Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("weft: " + source + "=" + value + " is not a duration;"
          + " use milliseconds (500), or 500ms, 1s, 1m; 0 turns the reconnect bound off"
          + " (default " + DEFAULT_MILLIS + "ms)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    return switch (unit) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofMillis(n);
    };
  }
}
