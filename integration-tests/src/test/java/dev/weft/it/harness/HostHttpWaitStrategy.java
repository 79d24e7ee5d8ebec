package dev.weft.it.harness;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;

/**
 * Waits until an absolute URL answers 200, for containers on the host network: Testcontainers'
 * own HTTP wait strategy goes through mapped ports, which a host-network container does not have.
 * Fails early, with the container's log, when the container stops.
 */
public final class HostHttpWaitStrategy extends AbstractWaitStrategy {
  private final URI url;

  public HostHttpWaitStrategy(URI url) {
    this.url = url;
  }

  @Override
  protected void waitUntilReady() {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    Instant deadline = Instant.now().plus(startupTimeout);
    String last = "no answer yet";
    while (Instant.now().isBefore(deadline)) {
      if (!waitStrategyTarget.isRunning()) {
        throw new ContainerLaunchException("the container stopped before " + url
            + " answered 200; its log:\n" + waitStrategyTarget.getLogs());
      }
      try {
        HttpResponse<Void> response = client.send(
            HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(2)).GET().build(),
            HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
        last = "HTTP " + response.statusCode();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ContainerLaunchException("interrupted waiting for " + url, e);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ContainerLaunchException("interrupted waiting for " + url, e);
      }
    }
    throw new ContainerLaunchException(url + " did not answer 200 within " + startupTimeout
        + " (last: " + last + "); the container's log:\n" + waitStrategyTarget.getLogs());
  }
}
