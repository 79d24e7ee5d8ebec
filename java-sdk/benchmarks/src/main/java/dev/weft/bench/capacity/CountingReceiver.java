package dev.weft.bench.capacity;

import dev.weft.internal.export.NioTransport;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmark's backend, run in its own JVM: an OTLP/gRPC trace service on 127.0.0.1
 * (grpc-java over Netty, the transport the OpenTelemetry Collector's peers use) that answers every
 * export with success and counts the spans in it. It walks the protobuf wire format of
 * {@code ExportTraceServiceRequest} (resource_spans = 1, scope_spans = 2, spans = 2) instead of
 * building message objects, so that its own cost, on the same two cores, stays small and the same
 * for both sides; a request that is not valid protobuf is answered INVALID_ARGUMENT and counted.
 *
 * <p>Protocol on standard input/output: prints {@code port <n>}; then each line {@code count}
 * is answered with {@code count <spans> <requests> <invalid>}, {@code stop} stops the server
 * (an outage) and {@code start} starts it again on the same port; end of input exits.
 */
public final class CountingReceiver {
  static final String METHOD = "opentelemetry.proto.collector.trace.v1.TraceService/Export";

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
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

  private final AtomicLong spans = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong invalid = new AtomicLong();
  private volatile Server server;
  private int port;

  void start() throws IOException {
    NioTransport.ensureNoNativeProbe();
    MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(METHOD)
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
    ServerServiceDefinition service = ServerServiceDefinition
        .builder("opentelemetry.proto.collector.trace.v1.TraceService")
        .addMethod(method, ServerCalls.asyncUnaryCall((request, response) -> {
          long n;
          try {
            n = countSpans(request);
          } catch (IllegalArgumentException e) {
            invalid.incrementAndGet();
            response.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage())
                .asRuntimeException());
            return;
          }
          spans.addAndGet(n);
          requests.incrementAndGet();
          response.onNext(new byte[0]); // an empty ExportTraceServiceResponse: all accepted
          response.onCompleted();
        }))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .addService(service)
        .maxInboundMessageSize(64 << 20)
        .build()
        .start();
    port = server.getPort();
  }

  void stop() throws InterruptedException {
    Server s = server;
    if (s != null) {
      s.shutdownNow();
      s.awaitTermination(10, TimeUnit.SECONDS);
      server = null;
    }
  }

  /** Spans in an ExportTraceServiceRequest, by its wire format. */
  static long countSpans(byte[] request) {
    long n = 0;
    Wire top = new Wire(request, 0, request.length);
    while (top.more()) {
      int tag = top.tag();
      if (tag == (1 << 3 | 2)) { // resource_spans
        Wire rs = top.message();
        while (rs.more()) {
          int t = rs.tag();
          if (t == (2 << 3 | 2)) { // scope_spans
            Wire ss = rs.message();
            while (ss.more()) {
              int s = ss.tag();
              if (s == (2 << 3 | 2)) { // spans
                ss.message();
                n++;
              } else {
                ss.skip(s);
              }
            }
          } else {
            rs.skip(t);
          }
        }
      } else {
        top.skip(tag);
      }
    }
    return n;
  }

  /** A bounds-checked protobuf wire-format reader over a range of a byte array. */
  static final class Wire {
    private final byte[] b;
    private int pos;
    private final int end;

    Wire(byte[] b, int pos, int end) {
      this.b = b;
      this.pos = pos;
      this.end = end;
    }

    boolean more() {
      return pos < end;
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new IllegalArgumentException("truncated varint");
        }
        byte x = b[pos++];
        v |= (long) (x & 0x7f) << shift;
        if (x >= 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("varint longer than 10 bytes");
    }

    int tag() {
      long t = varint();
      if (t <= 0 || t > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("bad tag " + t);
      }
      return (int) t;
    }

    Wire message() {
      long length = varint();
      if (length < 0 || length > end - pos) {
        throw new IllegalArgumentException("length " + length + " beyond the message");
      }
      Wire inner = new Wire(b, pos, pos + (int) length);
      pos += (int) length;
      return inner;
    }

    void skip(int tag) {
      switch (tag & 7) {
        case 0 -> varint();
        case 1 -> advance(8);
        case 2 -> message();
        case 5 -> advance(4);
        default -> throw new IllegalArgumentException("wire type " + (tag & 7));
      }
    }

    private void advance(int n) {
      if (n > end - pos) {
        throw new IllegalArgumentException("truncated field");
      }
      pos += n;
    }
  }

  /** The driver's handle on a receiver JVM. */
  static final class Client implements AutoCloseable {
    private final Child child;
    private final int port;

    private Client(Child child, int port) {
      this.child = child;
      this.port = port;
    }

    static Client start(CapacityBenchmark.Options options) throws Exception {
      java.util.List<String> command = java.util.List.of(options.java, "-Xmx512m", "-cp",
          options.classPath, CountingReceiver.class.getName());
      Child child = new Child("receiver", command, java.util.Map.of(),
          options.logDir.resolve("receiver.log"));
      String line = child.expect("port ", 60);
      return new Client(child, Integer.parseInt(line.substring("port ".length()).trim()));
    }

    String endpoint() {
      return "http://127.0.0.1:" + port;
    }

    long count() throws Exception {
      String line = child.ask("count", "count ", 30);
      return Long.parseLong(line.split(" ")[1]);
    }

    /** Stops the server: an outage (connections refused) until {@link #resume()}. */
    void outage() throws Exception {
      child.ask("stop", "stopped", 30);
    }

    void resume() throws Exception {
      child.ask("start", "started", 30);
    }

    @Override
    public void close() {
      child.close();
    }
  }

  public static void main(String[] args) throws Exception {
    CountingReceiver receiver = new CountingReceiver();
    receiver.start();
    System.out.println("port " + receiver.port);
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      switch (line.trim()) {
        case "count" -> System.out.println("count " + receiver.spans.get() + " "
            + receiver.requests.get() + " " + receiver.invalid.get());
        case "stop" -> {
          receiver.stop();
          System.out.println("stopped");
        }
        case "start" -> {
          receiver.start();
          System.out.println("started");
        }
        default -> System.out.println("unknown command: " + line);
      }
      System.out.flush();
    }
    receiver.stop();
  }
}
