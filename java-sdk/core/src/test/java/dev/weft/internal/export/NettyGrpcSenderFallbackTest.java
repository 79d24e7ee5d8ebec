package dev.weft.internal.export;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.sdk.common.export.Compressor;
import io.opentelemetry.sdk.common.export.GrpcSender;
import io.opentelemetry.sdk.common.export.GrpcSenderConfig;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import java.io.OutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.annotation.Nullable;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;

/**
 * Which sender {@link NettyGrpcSenderProvider} creates: its own for plaintext and TLS with no or
 * gzip compression, the SDK's default (OkHttp) one, unchanged, for other compressors.
 */
class NettyGrpcSenderFallbackTest {
  private final NettyGrpcSenderProvider provider = new NettyGrpcSenderProvider(
      ComponentLoader.forClassLoader(getClass().getClassLoader()));

  @Test
  void plaintextWithoutOrWithGzipCompressionUsesTheNettySender() {
    for (Compressor compressor : new Compressor[] {null, compressor("gzip"),
        compressor("identity")}) {
      GrpcSender sender = provider.createSender(config("http://127.0.0.1:4317", compressor));
      try {
        assertThat(sender).isInstanceOf(NettyGrpcSender.class);
      } finally {
        assertThat(sender.shutdown().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
      }
    }
  }

  @Test
  void tlsUsesTheNettySenderToo() throws Exception {
    GrpcSender sender = provider.createSender(config("https://127.0.0.1:4317", null));
    try {
      assertThat(sender).isInstanceOf(NettyGrpcSender.class);
    } finally {
      assertThat(sender.shutdown().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    }
  }

  @Test
  void aCompressorOtherThanGzipFallsBackToTheSdkSender() {
    GrpcSender sender = provider.createSender(config("http://127.0.0.1:4317",
        compressor("zstd")));
    try {
      assertThat(sender).isNotInstanceOf(NettyGrpcSender.class);
      assertThat(sender.getClass().getName()).contains("okhttp");
    } finally {
      sender.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theNativeTransportProbeSwitchDoesNotStaySet() {
    // Its effect (no native probe in a fresh JVM) is checked in a child JVM by
    // NoJdkWarningsTest: here the test receivers may have initialized Netty's epoll already.
    NioTransport.ensureNoNativeProbe();
    assertThat(System.getProperty(NioTransport.NO_NATIVE)).isNull();
  }

  private static Compressor compressor(String encoding) {
    return new Compressor() {
      @Override
      public String getEncoding() {
        return encoding;
      }

      @Override
      public OutputStream compress(OutputStream out) {
        return out;
      }
    };
  }

  private static GrpcSenderConfig config(String endpoint, @Nullable Compressor compressor) {
    return new GrpcSenderConfig() {
      @Override
      public URI getEndpoint() {
        return URI.create(endpoint);
      }

      @Override
      public String getFullMethodName() {
        return "opentelemetry.proto.collector.trace.v1.TraceService/Export";
      }

      @Override
      @Nullable
      public Compressor getCompressor() {
        return compressor;
      }

      @Override
      public Duration getTimeout() {
        return Duration.ofSeconds(10);
      }

      @Override
      public Duration getConnectTimeout() {
        return Duration.ofSeconds(10);
      }

      @Override
      public Supplier<Map<String, List<String>>> getHeadersSupplier() {
        return Map::of;
      }

      @Override
      public RetryPolicy getRetryPolicy() {
        return RetryPolicy.getDefault();
      }

      @Override
      @Nullable
      public SSLContext getSslContext() {
        try {
          return endpoint.startsWith("https") ? SSLContext.getDefault() : null;
        } catch (java.security.NoSuchAlgorithmException e) {
          throw new IllegalStateException(e);
        }
      }

      @Override
      @Nullable
      public X509TrustManager getTrustManager() {
        return null;
      }

      @Override
      @Nullable
      public ExecutorService getExecutorService() {
        return null;
      }
    };
  }
}
