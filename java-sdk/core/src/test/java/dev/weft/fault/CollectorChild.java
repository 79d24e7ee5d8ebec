package dev.weft.fault;

import dev.weft.WeftCollector;
import dev.weft.WeftStats;
import dev.weft.internal.export.NettyGrpcSenderProvider;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A collector JVM for the fault tests: {@code CollectorChild <segment> <otlp endpoint>}. Prints
 * {@code ready} once built, {@code stats <WeftStats>} about every 100 ms, and on end of
 * standard input closes the collector, prints {@code final <WeftStats>} and exits 0. Its JVM
 * shutdown hook (registered by the collector) closes it on SIGTERM.
 */
public final class CollectorChild {
  private CollectorChild() {}

  public static void main(String[] args) throws Exception {
    Path segment = Path.of(args[0]);
    OtlpGrpcSpanExporter exporter = OtlpGrpcSpanExporter.builder().setEndpoint(args[1])
        .setComponentLoader(NettyGrpcSenderProvider.componentLoader(
            ComponentLoader.forClassLoader(CollectorChild.class.getClassLoader())))
        .build();
    WeftCollector collector = WeftCollector.builder().setSegmentPath(segment)
        .setSpanExporter(exporter)
        .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"),
            "weft-fault-child")))
        .setScheduleDelay(Duration.ofMillis(20)).setCloseTimeout(Duration.ofSeconds(5))
        .build();
    System.out.println("ready " + ProcessHandle.current().pid());
    System.out.flush();
    Thread stats = new Thread(() -> {
      while (true) {
        WeftStats s = collector.stats();
        System.out.println("stats " + s.spansDrained() + " " + s.spansExported());
        System.out.flush();
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "stats");
    stats.setDaemon(true);
    stats.start();
    InputStream in = System.in;
    while (in.read() >= 0) {
      // until end of input
    }
    collector.close();
    exporter.shutdown().join(10, TimeUnit.SECONDS);
    System.out.println("final " + collector.stats());
    System.out.flush();
  }
}
