package dev.weft.internal.export;

import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The collector's gRPC channels run on plain Java NIO, never on a native transport, so that the
 * default export path calls no restricted method: on JDK 24+ Netty's native-library probe
 * ({@code System.loadLibrary}) prints a "restricted method" warning on stderr, and the project
 * rule is no warnings from our default path.
 *
 * <p>Giving the channel its own NIO event loop group and {@code NioSocketChannel} is not enough
 * by itself: grpc-netty's {@code Utils} class, which every Netty channel uses, calls
 * {@code Epoll.isAvailable()} in its static initializer whatever the channel is configured with,
 * and that loads the native epoll library. The only switch Netty offers is the system property
 * {@value #NO_NATIVE}, read once when the shaded {@code Epoll} class initializes. So before the
 * first channel is built, {@link #ensureNoNativeProbe()} initializes that class with the property
 * set to {@code true}, then restores the property.
 *
 * <p>Consequence: in this JVM the shaded Netty of grpc-netty-shaded reports epoll unavailable
 * (the application's unshaded Netty is a different class and is not affected; if the application
 * initialized the shaded epoll class first, nothing changes). An application that wants the
 * shaded epoll transport sets {@code -D}{@value #NO_NATIVE}{@code =false} (explicitly; it then
 * also needs {@code --enable-native-access=ALL-UNNAMED} on JDK 24+ to keep stderr clean).
 */
public final class NioTransport {
  private static final Logger logger = Logger.getLogger(NioTransport.class.getName());

  /** Netty's {@code io.netty.transport.noNative}, as relocated in grpc-netty-shaded. */
  static final String NO_NATIVE = "io.grpc.netty.shaded.io.netty.transport.noNative";
  private static final String EPOLL = "io.grpc.netty.shaded.io.netty.channel.epoll.Epoll";

  private static final Object lock = new Object();
  private static boolean probeHandled;

  private NioTransport() {}

  /**
   * Initializes the shaded {@code Epoll} class without its native probe, once. Public for other
   * grpc-netty-shaded users in this code base, such as the tests' OTLP receiver.
   */
  public static void ensureNoNativeProbe() {
    synchronized (lock) {
      if (probeHandled) {
        return;
      }
      probeHandled = true;
      if (System.getProperty(NO_NATIVE) != null) {
        return; // the application decided
      }
      System.setProperty(NO_NATIVE, "true");
      try {
        Class.forName(EPOLL, true, NioTransport.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        logger.log(Level.FINE, "no shaded epoll class to initialize", e);
      } finally {
        System.clearProperty(NO_NATIVE);
      }
    }
  }

  /** One daemon NIO event loop thread for one channel; the sender shuts it down. */
  static EventLoopGroup newEventLoopGroup() {
    return new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("weft-grpc-nio", true),
        NioIoHandler.newFactory());
  }
}
