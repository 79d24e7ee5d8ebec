package dev.weft.testing;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real OTLP/gRPC trace receiver on 127.0.0.1 (grpc-java, Netty), for end-to-end tests and
 * benchmarks. Can be stopped and restarted on the same port. Keeps every span with its resource
 * and scope, or only counts them.
 */
public final class OtlpReceiver implements AutoCloseable {
  /** A received span with the resource and scope it came with. */
  public static final class Received {
    public final Resource resource;
    public final InstrumentationScope scope;
    public final Span span;

    Received(Resource resource, InstrumentationScope scope, Span span) {
      this.resource = resource;
      this.scope = scope;
      this.span = span;
    }
  }

  private final boolean keepSpans;
  private final CopyOnWriteArrayList<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicLong spanCount = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private volatile int port;
  private volatile Server server;
  @javax.annotation.Nullable private volatile io.grpc.netty.shaded.io.netty.handler.ssl.SslContext tls;

  public OtlpReceiver(boolean keepSpans) {
    this.keepSpans = keepSpans;
  }

  /** Serves TLS with {@code context} (e.g. {@link TestCertificates#serverContext}); call before start. */
  public OtlpReceiver withTls(io.grpc.netty.shaded.io.netty.handler.ssl.SslContext context) {
    this.tls = context;
    return this;
  }

  public OtlpReceiver start() throws IOException {
    // No Netty native-transport probe (a restricted-method warning on JDK 24+), as in the product.
    dev.weft.internal.export.NioTransport.ensureNoNativeProbe();
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port));
    if (tls != null) {
      builder.sslContext(tls);
    }
    Server s = builder
        .addService(new TraceServiceGrpc.TraceServiceImplBase() {
          @Override
          public void export(ExportTraceServiceRequest request,
              StreamObserver<ExportTraceServiceResponse> responseObserver) {
            long n = 0;
            for (ResourceSpans rs : request.getResourceSpansList()) {
              for (ScopeSpans ss : rs.getScopeSpansList()) {
                n += ss.getSpansCount();
                if (keepSpans) {
                  for (Span span : ss.getSpansList()) {
                    received.add(new Received(rs.getResource(), ss.getScope(), span));
                  }
                }
              }
            }
            spanCount.addAndGet(n);
            requests.incrementAndGet();
            responseObserver.onNext(ExportTraceServiceResponse.getDefaultInstance());
            responseObserver.onCompleted();
          }
        })
        .maxInboundMessageSize(64 << 20)
        .build()
        .start();
    port = s.getPort();
    server = s;
    return this;
  }

  public void stop() {
    Server s = server;
    if (s != null) {
      s.shutdownNow();
      try {
        s.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      server = null;
    }
  }

  public int port() {
    return port;
  }

  public String endpoint() {
    return (tls != null ? "https" : "http") + "://127.0.0.1:" + port;
  }

  public List<Received> received() {
    return received;
  }

  public long spanCount() {
    return spanCount.get();
  }

  public long requestCount() {
    return requests.get();
  }

  public void reset() {
    received.clear();
    spanCount.set(0);
    requests.set(0);
  }

  @Override
  public void close() {
    stop();
  }
}
