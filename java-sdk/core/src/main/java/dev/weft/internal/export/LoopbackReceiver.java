package dev.weft.internal.export;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An OTLP/gRPC trace endpoint inside this JVM, on the loopback interface and an ephemeral port,
 * that reads each request to its end, discards it and answers success (an empty
 * {@code ExportTraceServiceResponse}). The warm-up ({@code dev.weft.internal.WarmUp}) exports
 * through it so that the export path's code is compiled before real spans need it; nothing sent
 * to it goes anywhere else.
 */
public final class LoopbackReceiver implements AutoCloseable {
  static final String EXPORT_METHOD = "opentelemetry.proto.collector.trace.v1.TraceService/Export";
  private static final byte[] EMPTY = new byte[0];

  private final Server server;
  private final AtomicLong requests;
  private final AtomicLong bytes;

  private LoopbackReceiver(Server server, AtomicLong requests, AtomicLong bytes) {
    this.server = server;
    this.requests = requests;
    this.bytes = bytes;
  }

  /** Starts one on 127.0.0.1 (the loopback address), any free port. */
  public static LoopbackReceiver start() throws IOException {
    NioTransport.ensureNoNativeProbe();
    AtomicLong requests = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    MethodDescriptor<byte[], byte[]> export = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(EXPORT_METHOD)
        .setRequestMarshaller(new Discarding(bytes))
        .setResponseMarshaller(new Discarding(new AtomicLong()))
        .build();
    ServerCallHandler<byte[], byte[]> handler = (call, headers) -> {
      call.request(1);
      return new ServerCall.Listener<>() {
        @Override
        public void onHalfClose() {
          requests.incrementAndGet();
          call.sendHeaders(new Metadata());
          call.sendMessage(EMPTY);
          call.close(Status.OK, new Metadata());
        }
      };
    };
    ServerServiceDefinition service = ServerServiceDefinition
        .builder("opentelemetry.proto.collector.trace.v1.TraceService")
        .addMethod(export, handler)
        .build();
    Server server = NettyServerBuilder
        .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(service)
        // Answered on the transport's own thread: the handler does nothing that blocks, and no
        // hand-over to an executor per request.
        .directExecutor()
        .maxInboundMessageSize(64 << 20)
        .build()
        .start();
    return new LoopbackReceiver(server, requests, bytes);
  }

  /** {@code http://127.0.0.1:<port>} (or the JVM's other loopback address). */
  public String endpoint() {
    InetSocketAddress address = (InetSocketAddress) server.getListenSockets().get(0);
    String host = address.getAddress().getHostAddress();
    return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** Requests answered so far. */
  public long requests() {
    return requests.get();
  }

  /** Request bytes read and discarded so far. */
  public long bytes() {
    return bytes.get();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads a message to its end and keeps nothing of it. */
  private static final class Discarding implements MethodDescriptor.Marshaller<byte[]> {
    private final AtomicLong bytes;

    Discarding(AtomicLong bytes) {
      this.bytes = bytes;
    }

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        bytes.addAndGet(stream.transferTo(OutputStream.nullOutputStream()));
        return EMPTY;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
