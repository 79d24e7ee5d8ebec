package dev.weft.internal.export;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.GrpcResponse;
import io.opentelemetry.sdk.common.export.GrpcSender;
import io.opentelemetry.sdk.common.export.GrpcStatusCode;
import io.opentelemetry.sdk.common.export.MessageWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.annotation.Nullable;

/**
 * A {@link GrpcSender} (the OpenTelemetry SDK's own SPI, used by its {@code OtlpGrpcSpanExporter})
 * over a grpc-java channel with the Netty transport, whose sockets have {@code TCP_NODELAY} set.
 * See {@link NettyGrpcSenderProvider} for why.
 *
 * <p>The request is written straight from the SDK's {@link MessageWriter} into the transport's
 * buffers ({@link Drainable}), without an intermediate byte array. Retries are grpc-java's
 * (a service config derived from the exporter's {@code RetryPolicy}); deadlines, headers and gzip
 * compression come from the exporter's configuration.
 */
final class NettyGrpcSender implements GrpcSender {
  private static final MethodDescriptor.Marshaller<byte[]> RESPONSE =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private static final MethodDescriptor.Marshaller<MessageWriter> REQUEST =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(MessageWriter value) {
          return new MessageWriterStream(value);
        }

        @Override
        public MessageWriter parse(InputStream stream) {
          throw new UnsupportedOperationException("client side only");
        }
      };

  private final ManagedChannel channel;
  private final EventLoopGroup eventLoopGroup;
  @Nullable private final ScheduledFuture<?> reconnectBound;
  private final MethodDescriptor<MessageWriter, byte[]> method;
  private final Duration timeout;
  private final Supplier<Map<String, List<String>>> headers;
  @Nullable private final String compression;

  /** Owns {@code channel} and {@code eventLoopGroup} (the channel's own): shuts both down. */
  NettyGrpcSender(ManagedChannel channel, EventLoopGroup eventLoopGroup,
      @Nullable ScheduledFuture<?> reconnectBound, String fullMethodName, Duration timeout,
      Supplier<Map<String, List<String>>> headers, @Nullable String compression) {
    this.channel = channel;
    this.eventLoopGroup = eventLoopGroup;
    this.reconnectBound = reconnectBound;
    this.method = MethodDescriptor.<MessageWriter, byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(fullMethodName)
        .setRequestMarshaller(REQUEST)
        .setResponseMarshaller(RESPONSE)
        .build();
    this.timeout = timeout;
    this.headers = headers;
    this.compression = compression;
  }

  @Override
  public void send(MessageWriter request, Consumer<GrpcResponse> onResponse,
      Consumer<Throwable> onError) {
    // An export while the channel backs off after a failed connection (the one made at creation,
    // say, before the backend was up) tries to connect now rather than at the end of the wait.
    ReconnectBound.check(channel);
    // Wait for a connection (within the export timeout) rather than fail at once while the
    // channel backs off between reconnects: a receiver that restarts is waited for, as the
    // SDK's sender does by retrying its connection.
    CallOptions options = CallOptions.DEFAULT.withWaitForReady()
        .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
    if (compression != null) {
      options = options.withCompression(compression);
    }
    Metadata metadata = new Metadata();
    Map<String, List<String>> values = headers.get();
    if (values != null) {
      values.forEach((key, list) -> {
        for (String value : list) {
          if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
            metadata.put(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER),
                value.getBytes(StandardCharsets.UTF_8));
          } else {
            metadata.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
          }
        }
      });
    }
    ClientCall<MessageWriter, byte[]> call;
    try {
      call = channel.newCall(method, options);
      call.start(new ClientCall.Listener<>() {
        @Nullable private byte[] message;

        @Override
        public void onMessage(byte[] value) {
          message = value;
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          // Every outcome the server or the transport reports is a gRPC status; the SDK's
          // exporter logs and counts it (UNAVAILABLE included, after grpc-java's retries).
          onResponse.accept(new Response(status, message));
        }
      }, metadata);
      call.request(1);
      call.sendMessage(request);
      call.halfClose();
    } catch (RuntimeException e) {
      onError.accept(e);
    }
  }

  /**
   * Shuts the channel down (calls in flight finish, within 10 s), then its event loop group;
   * the result completes when the event loop thread has ended.
   */
  @Override
  public CompletableResultCode shutdown() {
    if (reconnectBound != null) {
      reconnectBound.cancel(false);
    }
    channel.shutdown();
    CompletableResultCode result = new CompletableResultCode();
    Thread waiter = new Thread(() -> {
      boolean interrupted = false;
      try {
        if (!channel.awaitTermination(10, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      } catch (InterruptedException e) {
        channel.shutdownNow();
        interrupted = true;
      }
      boolean clean = !interrupted;
      // No quiet period: the channel is terminated, nothing else runs on this group.
      eventLoopGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).addListener(f -> {
        if (f.isSuccess() && clean) {
          result.succeed();
        } else {
          result.fail();
        }
      });
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }, "weft-grpc-shutdown");
    waiter.setDaemon(true);
    waiter.start();
    return result;
  }

  /** The request as a stream grpc-java drains into its own buffers, length known up front. */
  private static final class MessageWriterStream extends InputStream
      implements Drainable, KnownLength {
    @Nullable private MessageWriter writer;
    @Nullable private ByteArrayInputStream fallback;

    MessageWriterStream(MessageWriter writer) {
      this.writer = writer;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      MessageWriter w = writer;
      if (w == null) {
        return fallback == null ? 0 : (int) fallback.transferTo(target);
      }
      writer = null;
      int length = w.getContentLength();
      w.writeMessage(target);
      return length;
    }

    @Override
    public int available() {
      MessageWriter w = writer;
      if (w != null) {
        return w.getContentLength();
      }
      return fallback == null ? 0 : fallback.available();
    }

    // Plain InputStream reads: only when grpc-java does not drain (not on its normal path).
    private ByteArrayInputStream buffered() throws IOException {
      if (fallback == null) {
        MessageWriter w = writer;
        writer = null;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(w == null ? 0
            : w.getContentLength());
        if (w != null) {
          w.writeMessage(bytes);
        }
        fallback = new ByteArrayInputStream(bytes.toByteArray());
      }
      return fallback;
    }

    @Override
    public int read() throws IOException {
      return buffered().read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return buffered().read(b, off, len);
    }
  }

  private static final class Response implements GrpcResponse {
    private final Status status;
    @Nullable private final byte[] message;

    Response(Status status, @Nullable byte[] message) {
      this.status = status;
      this.message = message;
    }

    @Override
    public GrpcStatusCode getStatusCode() {
      return GrpcStatusCode.fromValue(status.getCode().value());
    }

    @Override
    @Nullable
    public String getStatusDescription() {
      String description = status.getDescription();
      if (description == null && status.getCause() != null) {
        description = status.getCause().toString();
      }
      return description;
    }

    @Override
    public byte[] getResponseMessage() {
      return message == null ? new byte[0] : message;
    }
  }
}
