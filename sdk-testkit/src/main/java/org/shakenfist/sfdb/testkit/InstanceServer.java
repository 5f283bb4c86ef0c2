package org.shakenfist.sfdb.testkit;

import io.grpc.HandlerRegistry;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.shakenfist.sfdb.client.Transport;

/**
 * The grpc server of one {@link FakeDatabaseInstance} and the three ways it ends: a crash ({@link #kill()}), a
 * clean stop ({@link #stop()}) and a drained stop ({@link #drain(Duration)}). Network instances get their own
 * event loops, so a kill drops their sockets as a crashed process would. Not thread-safe: the instance
 * serialises every call but {@link #isRunning()} and {@link #port()}.
 */
final class InstanceServer {
  private final String name;
  private final Transport transport;
  private final String bindHost;
  private final ServerCredentials credentials;
  private final boolean directExecutor;
  private volatile int port;
  private volatile Server server; // read without the instance's lock by isRunning()
  private EventLoopGroup bossGroup;
  private EventLoopGroup workerGroup;

  /** @param port 0: a free port at the first start, kept for later starts */
  InstanceServer(String name, Transport transport, String bindHost, int port, ServerCredentials credentials,
      boolean directExecutor) {
    this.directExecutor = directExecutor;
    this.name = name;
    this.transport = transport;
    this.bindHost = bindHost;
    this.port = port;
    this.credentials = credentials;
  }

  int port() {
    return port;
  }

  boolean isRunning() {
    Server s = server;
    return s != null && !s.isShutdown();
  }

  boolean isStarted() {
    return server != null;
  }

  /** Starts serving {@code services}; {@code fallback} answers every other method. */
  void start(List<ServerServiceDefinition> services, HandlerRegistry fallback) throws IOException {
    if (server != null) {
      throw new IllegalStateException(name + " is already running");
    }
    Server s;
    if (transport == Transport.IN_PROCESS) {
      InProcessServerBuilder b = InProcessServerBuilder.forName(name).fallbackHandlerRegistry(fallback);
      if (directExecutor) {
        b.directExecutor();
      }
      services.forEach(b::addService);
      s = b.build();
    } else {
      bossGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
      workerGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
      NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(bindHost, port), credentials)
          .channelType(NioServerSocketChannel.class)
          .bossEventLoopGroup(bossGroup)
          .workerEventLoopGroup(workerGroup)
          // The SDK pings every 10 s, also without calls: permit it (grpc's server default is 5 min).
          .permitKeepAliveTime(5, TimeUnit.SECONDS)
          .permitKeepAliveWithoutCalls(true)
          .fallbackHandlerRegistry(fallback);
      if (directExecutor) {
        b.directExecutor();
      }
      services.forEach(b::addService);
      s = b.build();
    }
    s.start();
    if (transport == Transport.NETTY) {
      port = ((InetSocketAddress) s.getListenSockets().get(0)).getPort();
    }
    server = s;
  }

  /**
   * Abrupt crash: the listening socket closes and every connection is dropped under the server, so calls in
   * flight fail as after SIGKILL. (Network instances: grpc's shutdown closes the listener first, so a
   * reconnecting client is refused rather than accepted by a dead process; the connections are then cut by
   * stopping the instance's I/O threads, not closed with HTTP/2 goodbyes.)
   */
  void kill() {
    Server s = server;
    if (s == null) {
      return;
    }
    if (workerGroup != null) {
      s.shutdown();
      // Stop accepting first, at once (grpc closes the listener asynchronously); then drop every connection,
      // in-flight calls included, as a crash does. See stopWorkerLoop() for its quiet period.
      bossGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
      stopWorkerLoop(workerGroup);
      s.shutdownNow();
      awaitQuietly(s, Duration.ofSeconds(1)); // its I/O threads are gone: grpc may never report terminated
      releaseEventLoops();
    } else {
      s.shutdownNow();
      awaitQuietly(s, Duration.ofSeconds(5));
    }
    server = null;
  }

  /** Stops cleanly (not a crash). */
  void stop() {
    Server s = server;
    if (s == null) {
      return;
    }
    s.shutdownNow();
    awaitQuietly(s, Duration.ofSeconds(5));
    releaseEventLoops();
    server = null;
  }

  /** Graceful shutdown: new calls are refused, in-flight calls get up to {@code grace}; blocks until stopped. */
  void drain(Duration grace) {
    Server s = server;
    if (s == null) {
      return;
    }
    s.shutdown();
    if (!awaitQuietly(s, grace)) {
      s.shutdownNow();
      awaitQuietly(s, Duration.ofSeconds(5));
    }
    releaseEventLoops();
    server = null;
  }

  /**
   * Stops the worker loop and waits (up to 10 s). It closes every connection on its first pass, like a
   * crash; the quiet period only keeps it going round after that. Not {@code shutdownGracefully(0, 0)}: a
   * shutting-down Netty loop closes its channels, then runs the tasks still queued and, with no quiet period,
   * exits. A connection the boss accepted just before has its registration among those tasks: registered after
   * the close, its socket is never closed (a CLOSE_WAIT socket per occurrence, found by the chaos soak).
   */
  private static void stopWorkerLoop(EventLoopGroup group) {
    group.shutdownGracefully(50, 5000, TimeUnit.MILLISECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
  }

  private void releaseEventLoops() {
    if (bossGroup != null) {
      bossGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    if (workerGroup != null) {
      stopWorkerLoop(workerGroup);
    }
    bossGroup = null;
    workerGroup = null;
  }

  private static boolean awaitQuietly(Server s, Duration d) {
    try {
      return s.awaitTermination(d.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
