package dev.weft.internal.export;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.ApplicationProtocolConfig;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.grpc.netty.shaded.io.netty.handler.ssl.JdkSslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.sdk.common.export.Compressor;
import io.opentelemetry.sdk.common.export.GrpcSender;
import io.opentelemetry.sdk.common.export.GrpcSenderConfig;
import io.opentelemetry.sdk.common.export.GrpcSenderProvider;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import java.net.URI;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;
import javax.net.ssl.SSLContext;

/**
 * The gRPC transport of the collector's OTLP exporter: the SDK's own {@code OtlpGrpcSpanExporter}
 * (same marshalling, same configuration, same retry policy and exporter metrics) with a
 * {@link NettyGrpcSender} under it instead of the default OkHttp sender.
 *
 * <p>Why: the OkHttp sender's socket keeps Nagle's algorithm on. An export is written as a
 * HEADERS frame and then DATA frames; the second small write waits for the receiver's ACK of the
 * first, which a loopback or LAN receiver delays by ~40 ms (delayed ACK). With one export in
 * flight that caps a pipeline at ~25 exports/s, ~11,000 spans/s in batches of 512
 * (docs/benchmarks.md, "Java collector"). Netty's sockets set {@code TCP_NODELAY}; we set it
 * explicitly as well.
 *
 * <p>The SDK's exporter picks its sender through this SPI ({@code GrpcSenderProvider}, loaded with
 * the exporter's {@link ComponentLoader}); {@link #componentLoader} hands it this provider only,
 * so the application's own exporters and their sender choice are not affected. A compressor other
 * than gzip, which grpc-java does not have, is passed to the SDK's default provider unchanged.
 *
 * <p>TLS ({@code https} endpoints) goes through this sender too, with Netty's TLS handler over the
 * very {@link SSLContext} the SDK built from its settings ({@code OTEL_EXPORTER_OTLP_CERTIFICATE},
 * {@code OTEL_EXPORTER_OTLP_CLIENT_KEY} / {@code _CLIENT_CERTIFICATE}, or the JVM's defaults), so
 * trust and client certificates are exactly the SDK's; ALPN offers {@code h2}, and grpc-java checks
 * the server's host name. Before, TLS fell back to the OkHttp sender and its Nagle stall.
 *
 * <p>The channel connects when the sender is created (the first export does not wait for a
 * connection), and its reconnect back-off is bounded ({@link ReconnectBound},
 * {@code weft.export.reconnect.max}, default 1 s) so that exports resume within about that after
 * the backend comes back.
 *
 * <p>The channel runs on its own one-thread Java NIO event loop group ({@link NioTransport}), shut
 * down with the sender, and never probes Netty's native transports: no restricted-method warning
 * on JDK 24+.
 */
public final class NettyGrpcSenderProvider implements GrpcSenderProvider {
  private static final Logger logger = Logger.getLogger(NettyGrpcSenderProvider.class.getName());

  /** The gRPC status codes the SDK's exporters retry (its {@code RetryUtil}). */
  private static final List<String> RETRYABLE = List.of("CANCELLED", "DEADLINE_EXCEEDED",
      "RESOURCE_EXHAUSTED", "ABORTED", "OUT_OF_RANGE", "UNAVAILABLE", "DATA_LOSS");

  /** Largest request grpc-java keeps for a retry; larger ones are sent once. */
  private static final long RETRY_BUFFER_BYTES = 32L << 20;

  private final ComponentLoader fallbackLoader;
  /** The last Netty sender this provider made, and its endpoint. */
  @Nullable private volatile Created created;

  /** A sender this provider made, with the endpoint it sends to. */
  record Created(GrpcSender sender, URI endpoint) {}

  public NettyGrpcSenderProvider(ComponentLoader fallbackLoader) {
    this.fallbackLoader = fallbackLoader;
  }

  /**
   * A component loader that offers a new provider as the only {@link GrpcSenderProvider} and
   * delegates everything else (compressors, ...) to {@code delegate}.
   */
  public static ComponentLoader componentLoader(ComponentLoader delegate) {
    return componentLoader(new NettyGrpcSenderProvider(delegate), delegate);
  }

  /**
   * A component loader that offers {@code provider} as the only {@link GrpcSenderProvider} and
   * delegates everything else to {@code delegate}.
   */
  static ComponentLoader componentLoader(NettyGrpcSenderProvider provider,
      ComponentLoader delegate) {
    return new ComponentLoader() {
      @Override
      @SuppressWarnings("unchecked") // checked by the class comparison
      public <T> Iterable<T> load(Class<T> type) {
        if (type == GrpcSenderProvider.class) {
          return (Iterable<T>) List.of((GrpcSenderProvider) provider);
        }
        return delegate.load(type);
      }
    };
  }

  /**
   * The last Netty sender this provider made and its endpoint, or {@code null} if it made none
   * (or handed the configuration to the SDK's default provider).
   */
  @Nullable
  Created created() {
    return created;
  }

  @Override
  public GrpcSender createSender(GrpcSenderConfig config) {
    @Nullable String compression = compression(config.getCompressor());
    boolean https = "https".equals(config.getEndpoint().getScheme());
    if ("unsupported".equals(compression)) {
      logger.log(Level.FINE, "a compressor other than gzip: using the SDK's default gRPC sender");
      return fallback(config);
    }
    Duration reconnectMax = ReconnectBound.configured(System.getenv());
    URI endpoint = config.getEndpoint();
    int port = endpoint.getPort() != -1 ? endpoint.getPort() : https ? 443 : 80;
    // Java NIO only, and no native probe: no restricted-method warning on JDK 24+ (see there).
    NioTransport.ensureNoNativeProbe();
    EventLoopGroup group = NioTransport.newEventLoopGroup();
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(endpoint.getHost(), port)
        .eventLoopGroup(group)
        .channelType(NioSocketChannel.class)
        .withOption(ChannelOption.TCP_NODELAY, true)
        .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis(config))
        .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE,
            Math.max(config.getMaxResponseBodySize(), 4L << 20)));
    if (https) {
      builder.sslContext(sslContext(config)).useTransportSecurity();
    } else {
      builder.usePlaintext();
    }
    if (config.getExecutorService() != null) {
      builder.executor(config.getExecutorService());
    }
    RetryPolicy retry = config.getRetryPolicy();
    if (retry != null && retry.getMaxAttempts() > 1) {
      builder.enableRetry()
          .maxRetryAttempts(retry.getMaxAttempts())
          .perRpcBufferLimit(RETRY_BUFFER_BYTES)
          .retryBufferSize(RETRY_BUFFER_BYTES)
          .defaultServiceConfig(serviceConfig(config.getFullMethodName(), retry));
    } else {
      builder.disableRetry();
    }
    ManagedChannel channel = builder.build();
    // Connect now, not at the first export: at a collector's start the first export would
    // otherwise wait for the TCP (and TLS) handshake while the native rings fill.
    channel.getState(true);
    ScheduledFuture<?> bound = ReconnectBound.start(channel, reconnectMax, group);
    NettyGrpcSender sender = new NettyGrpcSender(channel, group, bound,
        config.getFullMethodName(), config.getTimeout(), config.getHeadersSupplier(), compression);
    created = new Created(sender, endpoint);
    return sender;
  }

  /**
   * Netty's client TLS over the SDK's {@link SSLContext} (the JVM's default when the SDK has none
   * to give), offering only {@code h2} by ALPN, with the SDK's enabled protocols if it set any.
   */
  static SslContext sslContext(GrpcSenderConfig config) {
    SSLContext context = config.getSslContext();
    if (context == null) {
      try {
        context = SSLContext.getDefault();
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("weft: no default TLS context in this JVM for "
            + config.getEndpoint() + ": " + e.getMessage(), e);
      }
    }
    List<String> protocols = config.getEnabledProtocols();
    ApplicationProtocolConfig alpn = new ApplicationProtocolConfig(
        ApplicationProtocolConfig.Protocol.ALPN,
        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2");
    return new JdkSslContext(context, true, null, IdentityCipherSuiteFilter.INSTANCE, alpn,
        ClientAuth.NONE, protocols == null || protocols.isEmpty() ? null
            : protocols.toArray(new String[0]), false);
  }

  private GrpcSender fallback(GrpcSenderConfig config) {
    for (GrpcSenderProvider provider : fallbackLoader.load(GrpcSenderProvider.class)) {
      if (!(provider instanceof NettyGrpcSenderProvider)) {
        return provider.createSender(config);
      }
    }
    throw new IllegalStateException("no other GrpcSenderProvider on the class path for a"
        + " configuration the Netty sender does not support (a compressor other than gzip)");
  }

  /** null for none, "gzip", or "unsupported" for a compressor grpc-java does not have. */
  @Nullable
  private static String compression(@Nullable Compressor compressor) {
    if (compressor == null) {
      return null;
    }
    String encoding = compressor.getEncoding();
    return "gzip".equalsIgnoreCase(encoding) ? "gzip"
        : "identity".equalsIgnoreCase(encoding) ? null : "unsupported";
  }

  private static int connectTimeoutMillis(GrpcSenderConfig config) {
    Duration timeout = config.getConnectTimeout();
    return timeout == null ? 10_000 : (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
  }

  /** grpc-java's service config form of the SDK's retry policy, for the export method. */
  static Map<String, Object> serviceConfig(String fullMethodName, RetryPolicy retry) {
    int slash = fullMethodName.lastIndexOf('/');
    Map<String, Object> name = Map.of("service", fullMethodName.substring(0, slash),
        "method", fullMethodName.substring(slash + 1));
    Map<String, Object> policy = Map.of(
        "maxAttempts", (double) retry.getMaxAttempts(),
        "initialBackoff", seconds(retry.getInitialBackoff()),
        "maxBackoff", seconds(retry.getMaxBackoff()),
        "backoffMultiplier", retry.getBackoffMultiplier(),
        "retryableStatusCodes", new ArrayList<Object>(RETRYABLE));
    return Map.of("methodConfig", List.<Object>of(Map.of(
        "name", List.<Object>of(name), "retryPolicy", policy)));
  }

  private static String seconds(Duration duration) {
    return String.format(Locale.ROOT, "%.9fs", duration.toNanos() / 1e9);
  }
}
