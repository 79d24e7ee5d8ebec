package dev.weft.internal.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The reconnect bound: its setting (property over environment, bad values refused with the
 * setting's name) and its one rule (a channel in TRANSIENT_FAILURE has its back-off reset, no
 * other state is touched). The end-to-end effect, export resuming after an outage, is in
 * {@code dev.weft.ExportFaultsTest}.
 */
class ReconnectBoundTest {
  @AfterEach
  void clearProperty() {
    System.clearProperty(ReconnectBound.PROPERTY);
  }

  @Test
  void defaultIsOneSecond() {
    assertThat(ReconnectBound.configured(Map.of())).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void environmentAndPropertyAreRead_propertyFirst() {
    assertThat(ReconnectBound.configured(Map.of(ReconnectBound.ENV, "250ms")))
        .isEqualTo(Duration.ofMillis(250));
    System.setProperty(ReconnectBound.PROPERTY, "2s");
    assertThat(ReconnectBound.configured(Map.of(ReconnectBound.ENV, "250ms")))
        .isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void unitsAndPlainMilliseconds() {
    assertThat(ReconnectBound.parse("x", "500")).isEqualTo(Duration.ofMillis(500));
    assertThat(ReconnectBound.parse("x", " 3S ")).isEqualTo(Duration.ofSeconds(3));
    assertThat(ReconnectBound.parse("x", "1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(ReconnectBound.parse("x", "0")).isZero();
  }

  @Test
  void aValueThatIsNotADurationIsRefusedNamingTheSetting() {
    for (String bad : new String[] {"-1", "1.5s", "fast", "1h", "10000000000"}) {
      assertThatThrownBy(() -> ReconnectBound.parse(ReconnectBound.ENV, bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(ReconnectBound.ENV + "=" + bad)
          .hasMessageContaining("is not a duration");
    }
    System.setProperty(ReconnectBound.PROPERTY, "soon");
    assertThatThrownBy(() -> ReconnectBound.configured(Map.of()))
        .hasMessageContaining(ReconnectBound.PROPERTY + "=soon");
  }

  @Test
  void onlyATransientFailureHasItsBackoffReset() {
    for (ConnectivityState state : ConnectivityState.values()) {
      FakeChannel channel = new FakeChannel(state);
      boolean reset = ReconnectBound.check(channel);
      assertThat(reset).as(state.toString())
          .isEqualTo(state == ConnectivityState.TRANSIENT_FAILURE);
      assertThat(channel.resets).as(state.toString()).isEqualTo(reset ? 1 : 0);
      assertThat(channel.connectRequested).as("a check never asks to connect").isFalse();
    }
  }

  @Test
  void zeroTurnsTheBoundOff() {
    Object started = ReconnectBound.start(new FakeChannel(ConnectivityState.IDLE), Duration.ZERO,
        null);
    assertThat(started).isNull();
  }

  private static final class FakeChannel extends ManagedChannel {
    private final ConnectivityState state;
    int resets;
    boolean connectRequested;

    FakeChannel(ConnectivityState state) {
      this.state = state;
    }

    @Override
    public ConnectivityState getState(boolean requestConnection) {
      connectRequested |= requestConnection;
      return state;
    }

    @Override
    public void resetConnectBackoff() {
      resets++;
    }

    @Override
    public ManagedChannel shutdown() {
      return this;
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public ManagedChannel shutdownNow() {
      return this;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String authority() {
      return "fake";
    }
  }
}
